-- The duplicates rule (posting_history) compared the new text with every
-- post of its author within the rule's window, computing duplicate_key (a
-- regular expression over the whole text) for each of them, under the
-- author's posting lock and inside the transaction of a batch of replies:
-- 0.5 ms per reply for a member who had posted a dozen times in ten
-- minutes, and as much as the regular expression takes over the author's
-- longest posts for one who had posted long texts. Each post now keeps the
-- md5 of its duplicate key, written with its text; the rule looks it up by
-- an index and compares only the posts whose key has the same hash (the
-- same text, or, when it has letters or digits, the same key: either way
-- the same hash).

ALTER TABLE posts ADD COLUMN IF NOT EXISTS body_key_hash uuid;

CREATE OR REPLACE FUNCTION posts_body_key_hash() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.body_key_hash := md5(duplicate_key(NEW.body_markdown))::uuid;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS posts_body_key_hash ON posts;
CREATE TRIGGER posts_body_key_hash BEFORE INSERT OR UPDATE OF body_markdown ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_body_key_hash();

-- Every writer fills the hash (the trigger is the database's, so the
-- previous release does too during a rolling upgrade). The posts the rule
-- may still compare, those of its window (the duplicate_window_minutes
-- setting, 10 by default) or of the last day if it is shorter, get theirs
-- here; a window widened later does not reach back to older posts.
UPDATE posts SET body_key_hash = md5(duplicate_key(body_markdown))::uuid
WHERE body_key_hash IS NULL
  AND created_at > now() - greatest(interval '1 day', make_interval(mins => coalesce(
      (SELECT (value #>> '{}')::integer FROM settings WHERE key = 'duplicate_window_minutes'), 0)));

CREATE INDEX IF NOT EXISTS posts_author_body_key ON posts (author_id, body_key_hash, created_at)
    WHERE body_key_hash IS NOT NULL;

CREATE OR REPLACE FUNCTION posting_history(p_member bigint, p_recent_posts boolean, p_recent_threads boolean, p_duplicate_minutes integer, p_body text, p_published_limit integer)
 RETURNS TABLE(recent_posts integer, recent_threads integer, duplicate boolean, published integer)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
    body_key text;
    body_hash uuid;
BEGIN
    -- Serialises one member's submissions across instances, so that two
    -- posts sent at once cannot both slip under a limit.
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || p_member::text, 0));
    IF p_recent_posts THEN
        SELECT count(*) INTO recent_posts FROM posts p
        WHERE p.author_id = p_member AND p.created_at > now() - interval '1 minute';
    END IF;
    IF p_recent_threads THEN
        SELECT count(*) INTO recent_threads FROM threads t
        WHERE t.author_id = p_member AND t.created_at > now() - interval '1 day';
    END IF;
    IF p_duplicate_minutes > 0 THEN
        body_key := duplicate_key(p_body);
        body_hash := md5(body_key)::uuid;
        duplicate := EXISTS (
            SELECT 1 FROM posts p
            WHERE p.author_id = p_member AND p.body_key_hash = body_hash
              AND p.created_at > now() - make_interval(mins => p_duplicate_minutes)
              AND p.status <> 'deleted'
              AND (p.body_markdown = p_body OR body_key <> '' AND duplicate_key(p.body_markdown) = body_key));
    END IF;
    IF p_published_limit > 0 THEN
        SELECT count(*) INTO published FROM (
            SELECT 1 FROM posts p WHERE p.author_id = p_member AND p.status = 'published' LIMIT p_published_limit) x;
    END IF;
    RETURN NEXT;
END;
$function$;
