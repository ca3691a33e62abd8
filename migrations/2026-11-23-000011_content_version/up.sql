-- A number that moves whenever anything an anonymous visitor can see changes: the page
-- cache (src/page_cache.rs) keeps a rendered page only while it stays the same. A
-- statement-level trigger bumps it once per writing statement, whoever wrote: a request,
-- the inbox, a scheduled job or an admin's command.
CREATE SEQUENCE content_version;

CREATE FUNCTION guild_content_changed() RETURNS trigger AS $$
BEGIN
    PERFORM nextval('content_version');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY[
        'instances', 'site', 'people', 'local_accounts', 'communities',
        'community_moderators', 'community_follows', 'community_bans', 'posts', 'comments',
        'post_votes', 'comment_votes', 'modlog'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION guild_content_changed()',
            watched || '_content_changed', watched);
    END LOOP;
END
$$;
