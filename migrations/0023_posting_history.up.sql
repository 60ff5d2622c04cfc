-- What the pipeline's history rules count for a member's new post (rate
-- limits, duplicates, the first posts of new members) took one statement
-- each, after the member's posting lock: up to five round trips in the
-- post's transaction, each planned again at every post. posting_history
-- takes the lock and counts what is asked in one call (moderation/guard.go);
-- what is not asked comes back as NULL.

CREATE FUNCTION posting_history(p_member bigint, p_recent_posts boolean, p_recent_threads boolean,
                                p_duplicate_minutes integer, p_body text, p_published_limit integer)
RETURNS TABLE (recent_posts integer, recent_threads integer, duplicate boolean, published integer)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
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
        duplicate := EXISTS (
            SELECT 1 FROM posts p
            WHERE p.author_id = p_member AND p.created_at > now() - make_interval(mins => p_duplicate_minutes)
              AND p.status <> 'deleted' AND p.body_markdown = p_body);
    END IF;
    IF p_published_limit > 0 THEN
        SELECT count(*) INTO published FROM (
            SELECT 1 FROM posts p WHERE p.author_id = p_member AND p.status = 'published' LIMIT p_published_limit) x;
    END IF;
    RETURN NEXT;
END;
$fn$;
