-- Posting asks for the guidelines version members must accept
-- (forum.DB.RequirePoster), from each instance's cache. Any change to what
-- pages show emptied that cache, so a reply often reloaded it: a round trip
-- more on the hottest write. A change of the guidelines now says so in its
-- announcement ('guidelines'), and only that (or a listener reconnecting)
-- empties the cache; page caches drop on every announcement as before.
CREATE OR REPLACE FUNCTION notify_guidelines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('palabre_content', 'guidelines');
    RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS guidelines_content_changed ON guideline_versions;
CREATE TRIGGER guidelines_content_changed AFTER INSERT OR UPDATE OR DELETE ON guideline_versions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_guidelines_changed();
