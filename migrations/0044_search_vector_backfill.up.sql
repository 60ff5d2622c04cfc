-- Posts indexed before migration 0036 keep search vectors that the parser
-- computed from their whole HTML, unbounded. The job search.backfill
-- (forum/search_backfill.go) recomputes them in short batches, each its own
-- transaction, resuming from the last post done: no long lock on posts.
--
-- palabre_post_search_vector is the one definition of a post's vector: the
-- trigger stores it, and the backfill compares each stored vector with it
-- and rewrites only those that differ (a second run writes nothing).
CREATE OR REPLACE FUNCTION palabre_post_search_vector(config regconfig, title text, body_html text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector(config, palabre_search_text(coalesce(title, ''))), 'A') ||
           setweight(to_tsvector(config, palabre_search_text(body_html)), 'B')
$$;

CREATE OR REPLACE FUNCTION posts_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    title text := '';
BEGIN
    IF NEW.search_config IS NULL THEN
        NEW.search_config := palabre_search_config();
    END IF;
    IF NEW.number = 1 THEN
        SELECT t.title INTO title FROM threads t WHERE t.id = NEW.thread_id;
    END IF;
    NEW.search_vector := palabre_post_search_vector(NEW.search_config, title, NEW.body_html);
    RETURN NEW;
END;
$$;

-- The backfill runs once per database, over the posts that exist now
-- (later ones are indexed by the trigger above). Re-running this file
-- queues nothing while a backfill is pending; once one is done, a new one
-- only compares.
INSERT INTO jobs (kind, unique_key, payload, max_attempts)
SELECT 'search.backfill', 'search.backfill',
       jsonb_build_object('after', 0, 'upto', (SELECT coalesce(max(id), 0) FROM posts)), 10
ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL DO NOTHING;
