-- Notifying about a post read every notification of each member notified
-- (to skip a post they were already told about) and every thread they watch
-- (to find whether they muted this one): both grow with the member's history.
-- An index on the notifications of a post, and lookups of the one watch that
-- matters, make the cost independent of it. The index also serves deleting a
-- post, whose notifications went by a sequential scan.

CREATE INDEX notifications_post ON notifications (post_id, member_id);

CREATE OR REPLACE FUNCTION notify_published(p_post_id bigint)
RETURNS TABLE (kind text, post_id bigint, username text, email text, locale text,
               actor text, title text, wants_email boolean)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
WITH p AS (
	SELECT p.id, p.thread_id, p.number, p.author_id, p.reply_to, p.status,
		t.category_id, t.status AS thread_status, t.title
	FROM posts p JOIN threads t ON t.id = p.thread_id
	WHERE p.id = p_post_id
), candidates AS (
	SELECT pm.member_id, 'mention' AS kind, 1 AS rank FROM post_mentions pm WHERE pm.post_id = p_post_id
	UNION ALL
	SELECT q.author_id, 'quote', 2 FROM post_quotes pq JOIN posts q ON q.id = pq.quoted_post_id WHERE pq.post_id = p_post_id
	UNION ALL
	SELECT r.author_id, 'reply', 3 FROM p JOIN posts r ON r.thread_id = p.thread_id AND r.number = p.reply_to
	UNION ALL
	SELECT w.member_id, 'watching', 4 FROM p JOIN watches w ON w.thread_id = p.thread_id AND w.level = 'watching'
	WHERE p.number > 1
	UNION ALL
	SELECT w.member_id, 'new_thread', 4 FROM p JOIN watches w ON w.category_id = p.category_id AND w.level = 'watching'
	WHERE p.number = 1
), inserted AS (
	INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id)
	SELECT DISTINCT ON (c.member_id) c.member_id, c.kind, p.author_id, p.thread_id, p.id
	FROM candidates c
	CROSS JOIN p
	JOIN members m ON m.id = c.member_id
	WHERE p.status = 'published'
		AND m.id IS DISTINCT FROM p.author_id
		AND m.status <> 'deleted' AND m.banned_at IS NULL
		AND (p.thread_status = 'published' OR m.role IN ('moderator', 'admin'))
		AND coalesce((SELECT tw.level FROM watches tw WHERE tw.member_id = m.id AND tw.thread_id = p.thread_id),
		             (SELECT cw.level FROM watches cw WHERE cw.member_id = m.id AND cw.category_id = p.category_id),
		             'normal') <> 'muted'
		AND NOT EXISTS (SELECT 1 FROM notifications o
			WHERE o.post_id = p_post_id AND o.member_id = m.id AND o.kind NOT IN ('like', 'moderation'))
	ORDER BY c.member_id, c.rank
	RETURNING member_id, kind, post_id
)
SELECT i.kind, i.post_id, m.username, m.email, m.locale, coalesce(a.username, '') AS actor, p.title,
	CASE WHEN i.kind = 'mention' THEN m.email_on_mention
	     WHEN i.kind = 'quote' THEN m.email_on_quote
	     ELSE m.email_on_reply END AS wants_email
FROM inserted i
CROSS JOIN p
JOIN members m ON m.id = i.member_id
LEFT JOIN members a ON a.id = p.author_id;
END;
$fn$;
