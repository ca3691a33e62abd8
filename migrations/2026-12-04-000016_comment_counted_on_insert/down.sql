DROP TRIGGER comments_counted_on_insert ON comments;
DROP FUNCTION guild_comment_inserted();
