-- reply_facts answered for each reply of a batch in a loop: posting_history
-- (a plpgsql call of its own), the thread, its next number and the post
-- replied to, five statements a reply. For a batch of 29 bench replies that
-- was about 5 ms of the batch's one backend, against under 1 ms for the
-- same facts read by one statement: the loop was a third of the time a
-- batch holds its threads' locks, and posting's throughput waits on it.
--
-- What the history rules count is now stated once, as a set:
-- posting_histories answers for any number of members at once, without
-- locks. posting_history (a new thread, moderation/guard.go) takes the
-- member's posting lock and asks it for one; reply_facts takes every lock
-- of the batch, as before, then reads all its facts in one statement.
-- Both keep their signatures and answers: an instance of the previous
-- release calls them as it did.
CREATE OR REPLACE FUNCTION posting_histories(p_members bigint[], p_recent_posts boolean[],
    p_recent_threads boolean[], p_duplicate_minutes integer[], p_bodies text[], p_published_limits integer[])
RETURNS TABLE (ord integer, recent_posts integer, recent_threads integer, duplicate boolean, published integer)
LANGUAGE sql
STABLE
AS $$
    -- What is not asked (false, NULL or 0) comes back as NULL.
    SELECT h.ord::integer,
        CASE WHEN h.recent_posts THEN (
            SELECT count(*) FROM posts p
            WHERE p.author_id = h.member AND p.created_at > now() - interval '1 minute')::integer END,
        CASE WHEN h.recent_threads THEN (
            SELECT count(*) FROM threads t
            WHERE t.author_id = h.member AND t.created_at > now() - interval '1 day')::integer END,
        CASE WHEN h.duplicate_minutes > 0 THEN EXISTS (
            SELECT 1 FROM posts p
            WHERE p.author_id = h.member AND p.body_key_hash = md5(k.body_key)::uuid
              AND p.created_at > now() - make_interval(mins => h.duplicate_minutes)
              AND p.status <> 'deleted'
              AND (p.body_markdown = h.body OR k.body_key <> '' AND duplicate_key(p.body_markdown) = k.body_key)) END,
        CASE WHEN h.published_limit > 0 THEN (
            SELECT count(*) FROM (
                SELECT 1 FROM posts p WHERE p.author_id = h.member AND p.status = 'published'
                LIMIT h.published_limit) x)::integer END
    FROM unnest(p_members, p_recent_posts, p_recent_threads, p_duplicate_minutes, p_bodies, p_published_limits)
        WITH ORDINALITY AS h(member, recent_posts, recent_threads, duplicate_minutes, body, published_limit, ord)
    CROSS JOIN LATERAL (SELECT CASE WHEN h.duplicate_minutes > 0 THEN duplicate_key(h.body) END AS body_key) k
    ORDER BY h.ord
$$;

CREATE OR REPLACE FUNCTION posting_history(p_member bigint, p_recent_posts boolean, p_recent_threads boolean,
                                           p_duplicate_minutes integer, p_body text, p_published_limit integer)
RETURNS TABLE (recent_posts integer, recent_threads integer, duplicate boolean, published integer)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
    -- Serialises one member's submissions across instances, so that two
    -- posts sent at once cannot both slip under a limit.
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || p_member::text, 0));
    RETURN QUERY
    SELECT h.recent_posts, h.recent_threads, h.duplicate, h.published
    FROM posting_histories(ARRAY[p_member], ARRAY[p_recent_posts], ARRAY[p_recent_threads],
                           ARRAY[p_duplicate_minutes], ARRAY[p_body], ARRAY[p_published_limit]) h;
END;
$fn$;

CREATE OR REPLACE FUNCTION reply_facts(p_after_commit boolean, p_thread_ids bigint[], p_author_ids bigint[],
    p_reply_tos integer[], p_bodies text[], p_history boolean[], p_recent_posts boolean[],
    p_duplicate_minutes integer[], p_published_limits integer[])
RETURNS TABLE(ord integer, recent_posts integer, duplicate boolean, published integer, duplicate_of integer[],
    thread_found boolean, thread_locked boolean, thread_closed boolean, thread_status text,
    thread_author_id bigint, next_number integer, target_found boolean, target_status text,
    target_author_id bigint)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    IF p_after_commit THEN
        PERFORM set_config('palabre.notify', 'after_commit', true);
    END IF;
    -- The members' posting locks first, in the order of their ids, then the
    -- threads' rows, in the order of theirs: every path that takes both
    -- takes them in this order, or two transactions could wait on each
    -- other.
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || l.member_id::text, 0))
    FROM (SELECT DISTINCT a.member_id FROM unnest(p_author_ids, p_history) AS a(member_id, asked)
          WHERE a.asked ORDER BY a.member_id) l;
    PERFORM 1 FROM (SELECT t.id FROM threads t WHERE t.id = ANY (p_thread_ids) ORDER BY t.id FOR UPDATE) l;

    -- Under the locks, every reply's facts in one statement: its author's
    -- history when asked (posting_histories, counting nothing of the set),
    -- the other replies of the set whose text repeats this one's, the
    -- thread's state and next number (NULL when there is no such thread),
    -- the post replied to (NULL when none is named or found).
    RETURN QUERY
    SELECT r.ord::integer, h.recent_posts, h.duplicate, h.published,
        CASE WHEN r.history AND r.duplicate_minutes > 0 THEN ARRAY(
            SELECT s.j FROM generate_subscripts(p_bodies, 1) AS s(j)
            WHERE s.j <> r.ord AND p_author_ids[s.j] = r.author_id
              AND (p_bodies[s.j] = r.body
                   OR duplicate_key(r.body) <> '' AND duplicate_key(p_bodies[s.j]) = duplicate_key(r.body))
            ORDER BY s.j) END,
        t.found, t.locked, t.closed, t.status, t.author_id,
        CASE WHEN t.found THEN (
            SELECT coalesce(max(x.number), 0) + 1 FROM posts x WHERE x.thread_id = r.thread_id) END,
        tg.found, tg.status, tg.author_id
    FROM unnest(p_thread_ids, p_author_ids, p_reply_tos, p_bodies, p_history, p_recent_posts,
                p_duplicate_minutes, p_published_limits)
        WITH ORDINALITY AS r(thread_id, author_id, reply_to, body, history, recent_posts, duplicate_minutes,
                             published_limit, ord)
    CROSS JOIN LATERAL posting_histories(ARRAY[r.author_id], ARRAY[r.history AND r.recent_posts], ARRAY[false],
        ARRAY[CASE WHEN r.history THEN r.duplicate_minutes ELSE 0 END], ARRAY[r.body],
        ARRAY[CASE WHEN r.history THEN r.published_limit ELSE 0 END]) h
    -- Each reply's thread and target through their keys (lateral: a batch
    -- is a few rows, which the planner cannot know of an array).
    LEFT JOIN LATERAL (SELECT true AS found, t.locked, t.closed, t.status, t.author_id
                       FROM threads t WHERE t.id = r.thread_id) t ON true
    LEFT JOIN LATERAL (SELECT true AS found, tg.status, tg.author_id
                       FROM posts tg WHERE r.reply_to > 0 AND tg.thread_id = r.thread_id
                         AND tg.number = r.reply_to) tg ON true
    ORDER BY r.ord;
END;
$$;
