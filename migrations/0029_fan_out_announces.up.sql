-- The fan-out of a batch of posts (migration 0027) now also announces
-- their content on palabre_content, once for the batch: a plain reply
-- (migration 0028) no longer needs a round trip of its own to announce
-- itself (forum.DB.SubmitReply). The fan-out's transaction does not wait
-- for the disk either: should PostgreSQL crash before it is written, the
-- notifications and the queue's rows they took go together, and the sweep
-- notifies those posts again.
CREATE OR REPLACE FUNCTION fan_out_notifications(p_post_ids bigint[], p_older interval, p_limit integer) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    claimed bigint[];
BEGIN
    IF p_post_ids IS NOT NULL THEN
        WITH c AS (
            DELETE FROM notification_queue q WHERE q.post_id IN (
                SELECT post_id FROM notification_queue WHERE post_id = ANY (p_post_ids)
                FOR UPDATE SKIP LOCKED)
            RETURNING q.post_id)
        SELECT array_agg(post_id) INTO claimed FROM c;
    ELSE
        WITH c AS (
            DELETE FROM notification_queue q WHERE q.post_id IN (
                SELECT post_id FROM notification_queue WHERE queued_at < now() - p_older
                ORDER BY post_id LIMIT p_limit
                FOR UPDATE SKIP LOCKED)
            RETURNING q.post_id)
        SELECT array_agg(post_id) INTO claimed FROM c;
    END IF;
    IF claimed IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM notify_published_posts(claimed);
    -- synchronous_commit off and the announcement (migration 0016).
    PERFORM notify_after_commit();
    RETURN cardinality(claimed);
END;
$fn$;
