DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY[
        'instances', 'site', 'people', 'local_accounts', 'communities',
        'community_moderators', 'community_follows', 'community_bans', 'posts', 'comments',
        'post_votes', 'comment_votes', 'modlog'
    ] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', watched || '_content_changed', watched);
    END LOOP;
END
$$;
DROP FUNCTION guild_content_changed();
DROP SEQUENCE content_version;
