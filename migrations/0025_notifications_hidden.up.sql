-- The unread badge on every signed-in page counted a member's unread
-- notifications with a lookup of each one's post and thread, to leave out
-- those whose post is no longer published (visibleNotification in
-- forum/notification.go): about seven pages read per unread notification,
-- at every request. Whether a notification's post and thread are published
-- is now kept on the notification itself (hidden), by triggers on the rare
-- changes of a post's or a thread's status, and the badge counts a small
-- index. Moderation outcomes, which are about the member's own content,
-- are never hidden; the staff see every notification.

ALTER TABLE notifications ADD COLUMN hidden boolean NOT NULL DEFAULT false;

UPDATE notifications n SET hidden = true
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.id = n.post_id AND n.kind <> 'moderation' AND (p.status <> 'published' OR t.status <> 'published');

CREATE INDEX notifications_unread_shown ON notifications (member_id) WHERE read_at IS NULL AND NOT hidden;

CREATE FUNCTION notifications_follow_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE notifications n SET hidden = (NEW.status <> 'published' OR t.status <> 'published')
    FROM threads t
    WHERE n.post_id = NEW.id AND n.kind <> 'moderation' AND t.id = NEW.thread_id
        AND n.hidden IS DISTINCT FROM (NEW.status <> 'published' OR t.status <> 'published');
    RETURN NULL;
END;
$$;
CREATE TRIGGER posts_notifications_hidden AFTER UPDATE OF status ON posts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION notifications_follow_post();

CREATE FUNCTION notifications_follow_thread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- By the thread's posts: notifications have no index on thread_id.
    UPDATE notifications n SET hidden = (p.status <> 'published' OR NEW.status <> 'published')
    FROM posts p
    WHERE p.thread_id = NEW.id AND n.post_id = p.id AND n.kind <> 'moderation'
        AND n.hidden IS DISTINCT FROM (p.status <> 'published' OR NEW.status <> 'published');
    RETURN NULL;
END;
$$;
CREATE TRIGGER threads_notifications_hidden AFTER UPDATE OF status ON threads
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION notifications_follow_thread();

-- notify_published (migration 0022) notifies the staff of posts in threads
-- that are not published: those notifications start hidden.
CREATE OR REPLACE FUNCTION notify_published(p_post_id bigint) RETURNS integer
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
	INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id, hidden)
	SELECT DISTINCT ON (c.member_id) c.member_id, c.kind, p.author_id, p.thread_id, p.id,
		p.thread_status <> 'published'
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
