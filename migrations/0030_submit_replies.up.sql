-- Under load, every reply was a transaction of its own: its statement's
-- set-up, its commit and its backend's wake-up cost PostgreSQL about as
-- much as storing the post. submit_replies stores the replies that
-- concurrent requests submitted at the same moment in one statement and one
-- commit (forum.DB.SubmitReply gathers them): each is submit_reply
-- (migration 0028), with the same answer, in the order of its thread.
-- Measured with pgbench on this machine: 3,600-3,900 replies/s by eights
-- against 2,200-2,400 one by one.
--
-- Two batches running at once must not wait on each other in a circle. Every
-- path that posts takes the member's posting lock before the thread's row
-- lock; a batch takes all its members' posting locks first, in the order
-- of their ids, then its threads' locks in the order of theirs.
--
-- An error in any reply (none is expected: the caller has checked them)
-- rolls the batch back, and the caller then submits each on its own.
CREATE FUNCTION submit_replies(p_thread_ids bigint[], p_author_ids bigint[], p_staff boolean[],
                               p_bodies_markdown text[], p_bodies_html text[], p_statuses text[],
                               p_history boolean[], p_post_limits integer[], p_duplicate_minutes integer[],
                               p_published_limits integer[])
RETURNS TABLE (ord integer, post_id bigint, post_number integer, post_created_at timestamptz,
               recent_posts integer, duplicate boolean, published integer, history_reached boolean,
               thread_found boolean, thread_locked boolean, thread_closed boolean,
               thread_status text, thread_author_id bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    i integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || l.member_id::text, 0))
    FROM (SELECT DISTINCT a.member_id FROM unnest(p_author_ids, p_history) AS a(member_id, asked)
          WHERE a.asked ORDER BY a.member_id) l;
    FOR i IN SELECT s.i FROM generate_subscripts(p_thread_ids, 1) AS s(i) ORDER BY p_thread_ids[s.i], s.i LOOP
        RETURN QUERY
        SELECT i, r.post_id, r.post_number, r.post_created_at, r.recent_posts, r.duplicate, r.published,
               r.history_reached, r.thread_found, r.thread_locked, r.thread_closed, r.thread_status,
               r.thread_author_id
        FROM submit_reply(p_thread_ids[i], p_author_ids[i], p_staff[i], p_bodies_markdown[i], p_bodies_html[i],
                          p_statuses[i], p_history[i], p_post_limits[i], p_duplicate_minutes[i],
                          p_published_limits[i]) r;
    END LOOP;
END;
$fn$;
