-- A reply that notifies watchers by email queued each mail with a statement
-- of its own, after notify_published had returned the notifications to the
-- server: one more round trip a mail, in the transaction of the post.
-- notify_published now queues the mails itself, with the data the mail
-- worker composes them from (forum.Mail: Username, Actor, Title, Path), for
-- the members whose preferences ask for mail of that kind, and wakes the
-- workers as forum.EnqueueMailTx does (not within forum.DB.InContentTx,
-- whose notify_after_commit does it). It returns the number of
-- notifications. Its plan stays generic (migration 0021).

DROP FUNCTION notify_published(bigint);

CREATE FUNCTION notify_published(p_post_id bigint) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
    notified integer;
    mailed integer;
BEGIN
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
), mails AS (
	INSERT INTO outbox (recipient, kind, locale, data)
	SELECT m.email, 'notify_' || i.kind, m.locale,
		jsonb_build_object('Username', m.username, 'Actor', coalesce(a.username, ''), 'Title', p.title,
			'Path', '/p/' || i.post_id)
	FROM inserted i
	CROSS JOIN p
	JOIN members m ON m.id = i.member_id
	LEFT JOIN members a ON a.id = p.author_id
	WHERE m.email <> ''
		AND CASE WHEN i.kind = 'mention' THEN m.email_on_mention
		         WHEN i.kind = 'quote' THEN m.email_on_quote
		         ELSE m.email_on_reply END
	RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM mails) INTO notified, mailed;
    IF mailed > 0 AND current_setting('palabre.notify', true) IS DISTINCT FROM 'after_commit' THEN
        PERFORM pg_notify('palabre_outbox', '');
    END IF;
    RETURN notified;
END;
$fn$;
