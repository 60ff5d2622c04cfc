-- Mail delivery (issue 26): notification mail goes only to confirmed
-- addresses that have not bounced (member_mailable, the one definition the
-- four places that queue notification mail use); every such mail carries a
-- link that unsubscribes without logging in (RFC 8058 one-click, by the
-- member's unsubscribe_key); members may ask for a daily or weekly digest.

ALTER TABLE members ADD COLUMN IF NOT EXISTS email_bounced_at timestamptz;
ALTER TABLE members ADD COLUMN IF NOT EXISTS unsubscribe_key text NOT NULL
    DEFAULT replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
ALTER TABLE members ADD COLUMN IF NOT EXISTS email_digest text NOT NULL DEFAULT 'off';
ALTER TABLE members ADD COLUMN IF NOT EXISTS digest_sent_at timestamptz;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'members_email_digest_check') THEN
        ALTER TABLE members ADD CONSTRAINT members_email_digest_check CHECK (email_digest IN ('off', 'daily', 'weekly'));
    END IF;
END $$;
-- The digest job finds the members whose digest is due.
CREATE INDEX IF NOT EXISTS members_digest_due ON members (digest_sent_at NULLS FIRST) WHERE email_digest <> 'off';

-- member_mailable: may notification mail (and digests) be sent to m?
-- A confirmed address that did not bounce, of an account that was not
-- deleted. Account mail (confirmation, password reset, login links) does
-- not ask; the callers say who else is left out (banned members, except
-- for the notices of their sanctions).
CREATE OR REPLACE FUNCTION member_mailable(m members) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT m.email <> '' AND m.email_verified_at IS NOT NULL AND m.email_bounced_at IS NULL
        AND m.status <> 'deleted'
$$;

-- unsubscribe_path: the link of a mail that stops the mail of one list
-- (reply, mention, quote, like, moderation, message, digest) for a member,
-- without logging in (server/html_unsubscribe.go).
CREATE OR REPLACE FUNCTION unsubscribe_path(p_member bigint, p_key text, p_list text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT '/email/unsubscribe?member=' || p_member || '&key=' || p_key || '&list=' || p_list
$$;

CREATE OR REPLACE FUNCTION notify_published_posts(p_post_ids bigint[])
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
		CASE WHEN c.kind = 'mention' THEN 'mention' WHEN c.kind = 'quote' THEN 'quote' ELSE 'reply' END AS list,
		member_mailable(m) AND CASE WHEN c.kind = 'mention' THEN m.email_on_mention
		                            WHEN c.kind = 'quote' THEN m.email_on_quote
		                            ELSE m.email_on_reply END AS wants_email,
		m.id AS recipient_id, m.unsubscribe_key
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
		AND NOT EXISTS (SELECT 1 FROM ignored_members i WHERE i.member_id = m.id AND i.ignored_id = p.author_id)
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
			'Path', '/p/' || c.post_id,
			'Unsubscribe', unsubscribe_path(c.recipient_id, c.unsubscribe_key, c.list))
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
$function$;

-- The metrics count given-up mail and unsettled webhook deliveries at each
-- scrape (forum/domain_stats.go): small partial indexes rather than scans.
CREATE INDEX IF NOT EXISTS outbox_failed ON outbox (created_at) WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS webhook_deliveries_unsettled ON webhook_deliveries (status) WHERE status <> 'delivered';
