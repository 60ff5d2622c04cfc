-- Every change to what public pages show tells every instance to drop its
-- cache of anonymous pages (server/page_cache.go). NOTIFY is delivered at
-- commit and duplicates within a transaction collapse into one, so a post
-- with its counters costs one notification.

CREATE FUNCTION notify_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('palabre_content', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER posts_content_changed AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER threads_content_changed AFTER INSERT OR UPDATE OR DELETE ON threads
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER categories_content_changed AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER likes_content_changed AFTER INSERT OR UPDATE OR DELETE ON likes
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER settings_content_changed AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER guidelines_content_changed AFTER INSERT OR UPDATE OR DELETE ON guideline_versions
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
-- Members change often (last visit): only what pages show counts.
CREATE TRIGGER members_content_changed AFTER UPDATE ON members
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.display_name IS DISTINCT FROM NEW.display_name
          OR OLD.bio_html IS DISTINCT FROM NEW.bio_html
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.trust_level IS DISTINCT FROM NEW.trust_level
          OR OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION notify_content_changed();
