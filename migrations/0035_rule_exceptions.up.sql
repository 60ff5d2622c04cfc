-- Rules that hit what they mean (issue 20).
--
-- A words rule may list exceptions: words or phrases that never match it,
-- written like its watched words ("negro spiritual*"), matched through the
-- same disguises (moderation/watched_words.go).
ALTER TABLE rules ADD COLUMN exceptions text[] NOT NULL DEFAULT '{}';

-- The default rules of existing communities get the exceptions new ones
-- start with (moderation/defaults.go): dictionary compounds that hold a
-- watched word and mean something else.
UPDATE rules SET exceptions = exceptions || ARRAY['negro spiritual*']
WHERE kind = 'words' AND 'négro' = ANY (patterns) AND NOT 'negro spiritual*' = ANY (exceptions);
UPDATE rules SET exceptions = exceptions || ARRAY['petit nègre', 'tête de nègre*']
WHERE kind = 'words' AND 'nègre*' = ANY (patterns) AND NOT 'petit nègre' = ANY (exceptions);

-- Duplicate posts are the same text again whatever its case, spacing and
-- punctuation: "Bonjour à tous !" and "bonjour a tous" differ by an
-- accent, "BONJOUR, À TOUS" does not. duplicate_key keeps the letters and
-- digits, lower-cased (Unicode ones in a UTF-8 locale); a text that has
-- none (emoji only) is compared as written.
CREATE FUNCTION duplicate_key(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN lower(regexp_replace(body, '[^[:alnum:]]+', '', 'g'));

CREATE OR REPLACE FUNCTION posting_history(p_member bigint, p_recent_posts boolean, p_recent_threads boolean,
                                           p_duplicate_minutes integer, p_body text, p_published_limit integer)
RETURNS TABLE (recent_posts integer, recent_threads integer, duplicate boolean, published integer)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    body_key text;
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
        duplicate := EXISTS (
            SELECT 1 FROM posts p
            WHERE p.author_id = p_member AND p.created_at > now() - make_interval(mins => p_duplicate_minutes)
              AND p.status <> 'deleted'
              AND (p.body_markdown = p_body OR body_key <> '' AND duplicate_key(p.body_markdown) = body_key));
    END IF;
    IF p_published_limit > 0 THEN
        SELECT count(*) INTO published FROM (
            SELECT 1 FROM posts p WHERE p.author_id = p_member AND p.status = 'published' LIMIT p_published_limit) x;
    END IF;
    RETURN NEXT;
END;
$fn$;

-- submit_replies (migration 0031) compares a reply with the same member's
-- replies of its batch in the same way; only that comparison changes.
CREATE OR REPLACE FUNCTION submit_replies(p_thread_ids bigint[], p_author_ids bigint[], p_staff boolean[],
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
    n constant integer := coalesce(cardinality(p_thread_ids), 0);
    i integer;
    j integer;
    -- what the loop decides and answers, by reply
    a_number integer[] := array_fill(NULL::integer, ARRAY[n]);
    a_recent integer[] := array_fill(NULL::integer, ARRAY[n]);
    a_duplicate boolean[] := array_fill(NULL::boolean, ARRAY[n]);
    a_published integer[] := array_fill(NULL::integer, ARRAY[n]);
    a_reached boolean[] := array_fill(NULL::boolean, ARRAY[n]);
    a_found boolean[] := array_fill(NULL::boolean, ARRAY[n]);
    a_locked boolean[] := array_fill(NULL::boolean, ARRAY[n]);
    a_closed boolean[] := array_fill(NULL::boolean, ARRAY[n]);
    a_status text[] := array_fill(NULL::text, ARRAY[n]);
    a_author bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    -- the replies kept, in the order they are written
    kept integer[] := '{}';
    -- one reply's history
    h_recent integer;
    h_duplicate boolean;
    h_published integer;
    -- the thread being decided: its state and its next post number
    cur bigint;
    t_found boolean;
    t_locked boolean;
    t_closed boolean;
    t_status text;
    t_author bigint;
    next_number integer;
BEGIN
    -- The content triggers stay silent: the caller announces the change
    -- after the commit (forum.InContentTx explains why).
    PERFORM set_config('palabre.notify', 'after_commit', true);
    -- The members' posting locks first, in the order of their ids
    -- (migration 0030).
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || l.member_id::text, 0))
    FROM (SELECT DISTINCT a.member_id FROM unnest(p_author_ids, p_history) AS a(member_id, asked)
          WHERE a.asked ORDER BY a.member_id) l;

    FOR i IN SELECT s.i FROM generate_subscripts(p_thread_ids, 1) AS s(i) ORDER BY p_thread_ids[s.i], s.i LOOP
        IF p_history[i] THEN
            SELECT h.recent_posts, h.duplicate, h.published INTO h_recent, h_duplicate, h_published
            FROM posting_history(p_author_ids[i], p_post_limits[i] > 0, false, p_duplicate_minutes[i],
                                 p_bodies_markdown[i], p_published_limits[i]) h;
            -- The same member's replies kept before this one, as
            -- posting_history would have counted them stored (what it was
            -- not asked stays NULL).
            FOREACH j IN ARRAY kept LOOP
                CONTINUE WHEN p_author_ids[j] <> p_author_ids[i];
                h_recent := h_recent + 1;
                IF p_duplicate_minutes[i] > 0 AND (p_bodies_markdown[j] = p_bodies_markdown[i]
                        OR duplicate_key(p_bodies_markdown[j]) <> '' AND
                           duplicate_key(p_bodies_markdown[j]) = duplicate_key(p_bodies_markdown[i])) THEN
                    h_duplicate := true;
                END IF;
                IF p_published_limits[i] > 0 AND p_statuses[j] = 'published' THEN
                    -- counted up to the limit, as posting_history counts
                    h_published := least(h_published + 1, p_published_limits[i]);
                END IF;
            END LOOP;
            a_recent[i] := h_recent;
            a_duplicate[i] := h_duplicate;
            a_published[i] := h_published;
            IF h_recent >= p_post_limits[i] OR h_duplicate OR h_published < p_published_limits[i] THEN
                a_reached[i] := true;
                CONTINUE;
            END IF;
        END IF;
        IF cur IS DISTINCT FROM p_thread_ids[i] THEN
            cur := p_thread_ids[i];
            next_number := NULL;
            SELECT true, t.locked, t.closed, t.status, t.author_id INTO t_found, t_locked, t_closed, t_status, t_author
            FROM threads t WHERE t.id = cur FOR UPDATE;
        END IF;
        a_found[i] := t_found;
        a_locked[i] := t_locked;
        a_closed[i] := t_closed;
        a_status[i] := t_status;
        a_author[i] := t_author;
        IF t_found IS NULL OR (NOT p_staff[i] AND (t_status <> 'published' OR t_locked OR t_closed)) THEN
            CONTINUE;
        END IF;
        IF next_number IS NULL THEN
            SELECT coalesce(max(x.number), 0) + 1 INTO next_number FROM posts x WHERE x.thread_id = cur;
        END IF;
        a_number[i] := next_number;
        next_number := next_number + 1;
        kept := kept || i;
    END LOOP;

    -- The posts, their threads' counters (as store_reply leaves them after
    -- the last published one) and the notification queue, one statement
    -- each; then the answers.
    RETURN QUERY
    WITH ins AS (
        INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, status)
        SELECT p_thread_ids[u.k], a_number[u.k], p_author_ids[u.k], p_bodies_markdown[u.k], p_bodies_html[u.k],
               p_statuses[u.k]
        FROM unnest(kept) WITH ORDINALITY AS u(k, o) ORDER BY u.o
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
    SELECT s.k, w.id, w.number, w.created_at, a_recent[s.k], a_duplicate[s.k], a_published[s.k], a_reached[s.k],
           a_found[s.k], a_locked[s.k], a_closed[s.k], a_status[s.k], a_author[s.k]
    FROM generate_subscripts(p_thread_ids, 1) AS s(k)
    LEFT JOIN ins w ON w.thread_id = p_thread_ids[s.k] AND w.number = a_number[s.k];

    -- Each author has read what they just wrote, but only when they had
    -- read everything before it (store_reply), reply after reply.
    FOREACH j IN ARRAY kept LOOP
        UPDATE read_states SET last_read_number = a_number[j], updated_at = now()
        WHERE member_id = p_author_ids[j] AND thread_id = p_thread_ids[j] AND last_read_number = a_number[j] - 1;
    END LOOP;
END;
$fn$;
