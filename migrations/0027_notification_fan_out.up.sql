-- Notifying about a new post was the dearest part of posting: one call of
-- notify_published (migrations 0011 to 0025) per post, in the post's own
-- transaction, about as much PostgreSQL time as storing the post itself,
-- most of it setting up the same statement again for each post. A
-- published post is now queued in its transaction (notification_queue),
-- and after the commit the server fans the queue out in batches: the posts
-- committed at the same moment by concurrent requests are notified by one
-- statement (forum.DB.FanOut), which the request waits for, so that a
-- post's notifications exist when it returns, as before. A post whose
-- server stopped before that is notified by the periodic sweep
-- (forum.JobNotificationSweep).
--
-- No foreign key: a post deleted before its fan-out leaves a row that the
-- fan-out drops, finding no published post.
CREATE TABLE notification_queue (
    post_id bigint PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT now()
);

-- notify_published_posts is notify_published for a set of posts: at most
-- one notification per member and post, the most specific first (mention,
-- quote, reply to their post, then watching the thread or, for an opening
-- post, the category). Nobody is notified of their own post, of a post
-- they cannot see, from a thread or category they muted, or twice for one
-- post. It queues the emails that members' preferences ask for.
CREATE FUNCTION notify_published_posts(p_post_ids bigint[]) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
    notified integer;
    mailed integer;
BEGIN
WITH p AS (
	SELECT p.id, p.thread_id, p.number, p.author_id, p.reply_to,
		t.category_id, t.status AS thread_status, t.title
	FROM posts p JOIN threads t ON t.id = p.thread_id
	WHERE p.id = ANY (p_post_ids) AND p.status = 'published'
), candidates AS (
	SELECT pm.post_id, pm.member_id, 'mention' AS kind, 1 AS rank FROM p JOIN post_mentions pm ON pm.post_id = p.id
	UNION ALL
	SELECT p.id, q.author_id, 'quote', 2 FROM p JOIN post_quotes pq ON pq.post_id = p.id JOIN posts q ON q.id = pq.quoted_post_id
	UNION ALL
	SELECT p.id, r.author_id, 'reply', 3 FROM p JOIN posts r ON r.thread_id = p.thread_id AND r.number = p.reply_to
	UNION ALL
	SELECT p.id, w.member_id, 'watching', 4 FROM p JOIN watches w ON w.thread_id = p.thread_id AND w.level = 'watching'
	WHERE p.number > 1
	UNION ALL
	SELECT p.id, w.member_id, 'new_thread', 4 FROM p JOIN watches w ON w.category_id = p.category_id AND w.level = 'watching'
	WHERE p.number = 1
), already AS MATERIALIZED (
	-- By post (notifications_post): by member, the planner's favourite,
	-- reads every notification a member ever had.
	SELECT o.post_id, o.member_id FROM notifications o
	WHERE o.post_id = ANY (p_post_ids) AND o.kind NOT IN ('like', 'moderation')
), chosen AS (
	SELECT DISTINCT ON (p.id, c.member_id) c.member_id, c.kind, p.author_id, p.thread_id, p.id AS post_id,
		p.thread_status <> 'published' AS hidden, p.title,
		m.email, m.locale, m.username,
		m.email <> '' AND CASE WHEN c.kind = 'mention' THEN m.email_on_mention
		                       WHEN c.kind = 'quote' THEN m.email_on_quote
		                       ELSE m.email_on_reply END AS wants_email
	FROM candidates c
	JOIN p ON p.id = c.post_id
	JOIN members m ON m.id = c.member_id
	WHERE m.id IS DISTINCT FROM p.author_id
		AND m.status <> 'deleted' AND m.banned_at IS NULL
		AND (p.thread_status = 'published' OR m.role IN ('moderator', 'admin'))
		AND coalesce((SELECT tw.level FROM watches tw WHERE tw.member_id = m.id AND tw.thread_id = p.thread_id),
		             (SELECT cw.level FROM watches cw WHERE cw.member_id = m.id AND cw.category_id = p.category_id),
		             'normal') <> 'muted'
		AND NOT EXISTS (SELECT 1 FROM already o WHERE o.post_id = p.id AND o.member_id = m.id)
	ORDER BY p.id, c.member_id, c.rank
), inserted AS (
	INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id, hidden)
	SELECT member_id, kind, author_id, thread_id, post_id, hidden FROM chosen
	RETURNING 1
), mails AS (
	-- Every chosen row is inserted: the mails are those of the chosen rows,
	-- with what they need already at hand.
	INSERT INTO outbox (recipient, kind, locale, data)
	SELECT c.email, 'notify_' || c.kind, c.locale,
		jsonb_build_object('Username', c.username, 'Actor', coalesce(a.username, ''), 'Title', c.title,
			'Path', '/p/' || c.post_id)
	FROM chosen c
	LEFT JOIN members a ON a.id = c.author_id
	WHERE c.wants_email
	RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM mails) INTO notified, mailed;
    IF mailed > 0 AND current_setting('palabre.notify', true) IS DISTINCT FROM 'after_commit' THEN
        PERFORM pg_notify('palabre_outbox', '');
    END IF;
    RETURN notified;
END;
$fn$;

-- One post: the review queue's approval notifies in its own transaction.
CREATE OR REPLACE FUNCTION notify_published(p_post_id bigint) RETURNS integer
LANGUAGE sql
AS $$ SELECT notify_published_posts(ARRAY[p_post_id]) $$;

-- fan_out_notifications claims queued posts and notifies about them: the
-- posts given (a server's batch of the posts it has just committed), or
-- with none given the oldest posts queued for longer than p_older (the
-- sweep), at most p_limit. A post claimed elsewhere at the same moment is
-- skipped, never notified twice. Returns how many posts were claimed.
--
-- It also announces the batch's content on palabre_content, once for the
-- batch: a plain reply (migration 0028) needs no round trip of its own to
-- announce itself (forum.DB.SubmitReply). Its transaction does not wait for
-- the disk either: should PostgreSQL crash before it is written, the
-- notifications and the queue's rows they took go together, and the sweep
-- notifies those posts again.
CREATE FUNCTION fan_out_notifications(p_post_ids bigint[], p_older interval, p_limit integer) RETURNS integer
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
