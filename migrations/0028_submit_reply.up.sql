-- A reply took nine round trips, each a wake-up of the server and of a
-- PostgreSQL backend: BEGIN, set_config, posting_history, the thread's lock,
-- store_reply, the notification queue, COMMIT, with the authentication
-- before and the announcement after. submit_reply does the middle ones in
-- one statement, committed on its own, for the common reply: no mention,
-- no quote, not an answer to a given post, and a verdict that the review
-- queue and the moderation log need not hear of (forum.DB.SubmitReply;
-- the others keep their transaction). It stores nothing, and says why,
-- when the member's history or the thread would decide otherwise:
--   - the history counts, when one of them reaches its limit (the caller's
--     rules decide what follows: a refusal, or a hold through the full
--     transaction);
--   - the thread's state, when the thread is missing, not published,
--     locked or closed for a member who is not staff.
CREATE FUNCTION submit_reply(p_thread_id bigint, p_author_id bigint, p_staff boolean,
                             p_body_markdown text, p_body_html text, p_status text,
                             p_history boolean, p_post_limit integer, p_duplicate_minutes integer,
                             p_published_limit integer,
                             OUT post_id bigint, OUT post_number integer, OUT post_created_at timestamptz,
                             OUT recent_posts integer, OUT duplicate boolean, OUT published integer, OUT history_reached boolean,
                             OUT thread_found boolean, OUT thread_locked boolean, OUT thread_closed boolean,
                             OUT thread_status text, OUT thread_author_id bigint)
LANGUAGE plpgsql AS $fn$
BEGIN
    -- The content triggers stay silent: the caller announces the change
    -- after the commit (forum.InContentTx explains why).
    PERFORM set_config('palabre.notify', 'after_commit', true);
    IF p_history THEN
        SELECT h.recent_posts, h.duplicate, h.published INTO recent_posts, duplicate, published
        FROM posting_history(p_author_id, p_post_limit > 0, false, p_duplicate_minutes, p_body_markdown,
                             p_published_limit) h;
        IF recent_posts >= p_post_limit OR duplicate OR published < p_published_limit THEN
            history_reached := true;
            RETURN;
        END IF;
    END IF;
    SELECT true, l.locked, l.closed, l.status, l.author_id
    INTO thread_found, thread_locked, thread_closed, thread_status, thread_author_id
    FROM lock_thread_for_reply(p_thread_id) l;
    IF thread_found IS NULL
       OR (NOT p_staff AND (thread_status <> 'published' OR thread_locked OR thread_closed)) THEN
        RETURN;
    END IF;
    SELECT s.post_id, s.post_number, s.post_created_at INTO post_id, post_number, post_created_at
    FROM store_reply(p_thread_id, p_author_id, NULL, p_body_markdown, p_body_html, p_status) s;
    IF p_status = 'published' THEN
        INSERT INTO notification_queue (post_id) VALUES (post_id);
    END IF;
END;
$fn$;
