-- One path stores a reply (forum/reply_store.go), and each posting rule is
-- written once, in Go. reply_facts reads, under the locks, what the rules
-- decide on; store_replies writes the replies they keep. submit_reply and
-- submit_replies (migrations 0028, 0030, 0031), which restated the rules on
-- the thread's state and on the member's history, and store_reply and
-- lock_thread_for_reply (migrations 0013, 0015), the transaction's own way
-- to store a reply, are dropped.
DROP FUNCTION IF EXISTS submit_reply(bigint, bigint, boolean, text, text, text, boolean, integer, integer, integer);
DROP FUNCTION IF EXISTS submit_replies(bigint[], bigint[], boolean[], text[], text[], text[], boolean[], integer[], integer[], integer[]);
DROP FUNCTION IF EXISTS store_reply(bigint, bigint, integer, text, text, text);
DROP FUNCTION IF EXISTS lock_thread_for_reply(bigint);

-- reply_facts takes the locks of a set of replies and answers, for each,
-- what the posting rules look at: the author's history (what was asked,
-- from posting_history, counting nothing of the set), the other replies of
-- the set whose text repeats this one's (duplicate_key), the thread's state
-- and next post number, the post replied to. It decides nothing.
-- p_reply_tos: 0 for none. p_after_commit silences the content triggers
-- for the transaction: the caller announces the change after its commit
-- (forum.InContentTx explains why).
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
DECLARE
    n constant integer := coalesce(cardinality(p_thread_ids), 0);
    i integer;
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

    FOR i IN 1 .. n LOOP
        ord := i;
        recent_posts := NULL;
        duplicate := NULL;
        published := NULL;
        duplicate_of := NULL;
        IF p_history[i] THEN
            SELECT h.recent_posts, h.duplicate, h.published INTO recent_posts, duplicate, published
            FROM posting_history(p_author_ids[i], p_recent_posts[i], false, p_duplicate_minutes[i], p_bodies[i],
                                 p_published_limits[i]) h;
            IF p_duplicate_minutes[i] > 0 THEN
                duplicate_of := ARRAY(
                    SELECT s.j FROM generate_subscripts(p_bodies, 1) AS s(j)
                    WHERE s.j <> i AND p_author_ids[s.j] = p_author_ids[i]
                      AND (p_bodies[s.j] = p_bodies[i]
                           OR duplicate_key(p_bodies[i]) <> '' AND duplicate_key(p_bodies[s.j]) = duplicate_key(p_bodies[i]))
                    ORDER BY s.j);
            END IF;
        END IF;
        SELECT true, t.locked, t.closed, t.status, t.author_id
        INTO thread_found, thread_locked, thread_closed, thread_status, thread_author_id
        FROM threads t WHERE t.id = p_thread_ids[i];
        next_number := NULL;
        IF thread_found THEN
            SELECT coalesce(max(x.number), 0) + 1 INTO next_number FROM posts x WHERE x.thread_id = p_thread_ids[i];
        END IF;
        target_found := NULL;
        target_status := NULL;
        target_author_id := NULL;
        IF p_reply_tos[i] > 0 THEN
            SELECT true, r.status, r.author_id INTO target_found, target_status, target_author_id
            FROM posts r WHERE r.thread_id = p_thread_ids[i] AND r.number = p_reply_tos[i];
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- store_replies writes replies that reply_facts locked and the rules kept,
-- in the order given: the posts, their threads' counters (as the last
-- published one leaves them) and the notification queue, one statement
-- each; each author has read what they just wrote, but only when they had
-- read everything before it, reply after reply. p_reply_tos: 0 for none.
CREATE OR REPLACE FUNCTION store_replies(p_thread_ids bigint[], p_numbers integer[], p_author_ids bigint[],
    p_reply_tos integer[], p_bodies_markdown text[], p_bodies_html text[], p_statuses text[])
RETURNS TABLE(ord integer, post_id bigint, post_created_at timestamp with time zone)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    j integer;
BEGIN
    RETURN QUERY
    WITH ins AS (
        INSERT INTO posts (thread_id, number, author_id, reply_to, body_markdown, body_html, status)
        SELECT p_thread_ids[s.k], p_numbers[s.k], p_author_ids[s.k], nullif(p_reply_tos[s.k], 0),
               p_bodies_markdown[s.k], p_bodies_html[s.k], p_statuses[s.k]
        FROM generate_subscripts(p_thread_ids, 1) AS s(k) ORDER BY s.k
        RETURNING posts.id, posts.thread_id, posts.number, posts.author_id, posts.status, posts.created_at
    ), counted AS (
        UPDATE threads t SET post_count = t.post_count + x.added, last_post_at = x.created_at,
            last_post_id = x.last_id, last_poster_id = x.last_author, last_post_number = x.last_number
        FROM (SELECT w.thread_id, count(*) AS added, max(w.created_at) AS created_at, max(w.number) AS last_number,
                     (array_agg(w.id ORDER BY w.number DESC))[1] AS last_id,
                     (array_agg(w.author_id ORDER BY w.number DESC))[1] AS last_author
              FROM ins w WHERE w.status = 'published' GROUP BY w.thread_id) x
        WHERE t.id = x.thread_id
    ), queued AS (
        INSERT INTO notification_queue (post_id) SELECT w.id FROM ins w WHERE w.status = 'published'
    )
    SELECT s.k, w.id, w.created_at
    FROM generate_subscripts(p_thread_ids, 1) AS s(k)
    JOIN ins w ON w.thread_id = p_thread_ids[s.k] AND w.number = p_numbers[s.k];

    FOR j IN 1 .. coalesce(cardinality(p_thread_ids), 0) LOOP
        UPDATE read_states SET last_read_number = p_numbers[j], updated_at = now()
        WHERE member_id = p_author_ids[j] AND thread_id = p_thread_ids[j] AND last_read_number = p_numbers[j] - 1;
    END LOOP;
END;
$$;
