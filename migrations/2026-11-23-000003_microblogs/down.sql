DROP TABLE notifications;
DROP INDEX sent_activities_object_ap_id_idx;
ALTER TABLE sent_activities DROP COLUMN object_ap_id;
