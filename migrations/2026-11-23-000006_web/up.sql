-- Set by an admin on the admin page; NULL follows the `registration_open` setting.
ALTER TABLE site ADD COLUMN registration_open boolean;
