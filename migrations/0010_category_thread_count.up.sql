-- Categories keep their number of published threads, maintained by a
-- trigger in the transaction that changes a thread: counting threads on
-- every page that lists categories cost tens of milliseconds at 20,000
-- threads.

ALTER TABLE categories ADD COLUMN thread_count integer NOT NULL DEFAULT 0;

UPDATE categories c SET thread_count =
    (SELECT count(*) FROM threads t WHERE t.category_id = c.id AND t.status = 'published');

CREATE FUNCTION categories_count_threads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' THEN
        UPDATE categories SET thread_count = thread_count - 1 WHERE id = OLD.category_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' THEN
        UPDATE categories SET thread_count = thread_count + 1 WHERE id = NEW.category_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER threads_count_insert_delete AFTER INSERT OR DELETE ON threads
    FOR EACH ROW EXECUTE FUNCTION categories_count_threads();
CREATE TRIGGER threads_count_update AFTER UPDATE OF status, category_id ON threads
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.category_id IS DISTINCT FROM NEW.category_id)
    EXECUTE FUNCTION categories_count_threads();
