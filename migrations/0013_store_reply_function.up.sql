-- Storing a reply is three statements (the post, its thread's counters, the
-- author's reading state) that cost more to plan than to run, on every post.
-- A PL/pgSQL function keeps their plans for the life of the connection and
-- makes them one round trip. The caller has locked the thread row.

CREATE FUNCTION store_reply(p_thread_id bigint, p_author_id bigint, p_reply_to integer,
                            p_body_markdown text, p_body_html text, p_status text,
                            OUT post_id bigint, OUT post_number integer, OUT post_created_at timestamptz)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    INSERT INTO posts (thread_id, number, author_id, reply_to, body_markdown, body_html, status)
    VALUES (p_thread_id, (SELECT coalesce(max(x.number), 0) + 1 FROM posts x WHERE x.thread_id = p_thread_id),
            p_author_id, p_reply_to, p_body_markdown, p_body_html, p_status)
    RETURNING id, number, created_at INTO post_id, post_number, post_created_at;

    IF p_status = 'published' THEN
        UPDATE threads SET post_count = post_count + 1, last_post_at = post_created_at,
            last_post_id = post_id, last_poster_id = p_author_id, last_post_number = post_number
        WHERE id = p_thread_id;
    END IF;

    -- The author has read what they just wrote, but only when they had read
    -- everything before it: posts that arrived while they wrote stay unread.
    UPDATE read_states SET last_read_number = post_number, updated_at = now()
    WHERE member_id = p_author_id AND thread_id = p_thread_id AND last_read_number = post_number - 1;
END;
$fn$;
