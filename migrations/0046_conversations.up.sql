-- Private messages (issue 22): conversations between members, their
-- participants and messages, and what keeps members safe: the members one
-- ignores and whom one accepts messages from. Messages live apart from
-- posts: nothing that reads posts (pages, feeds, search, caches) can show
-- them. Idempotent: the repair test runs the migrations after 0039 again.

CREATE TABLE IF NOT EXISTS conversations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    author_id bigint REFERENCES members(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_message_at timestamptz NOT NULL DEFAULT now(),
    -- the number the next message takes (held ones included)
    next_number integer NOT NULL DEFAULT 1
);

-- A participant stays listed after leaving (left_at): the messages they
-- wrote keep their author, and they no longer read or are told anything.
-- last_read_number is the number of the last message they read.
CREATE TABLE IF NOT EXISTS conversation_participants (
    conversation_id bigint NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    added_by bigint REFERENCES members(id) ON DELETE SET NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    left_at timestamptz,
    last_read_number integer NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, member_id)
);
CREATE INDEX IF NOT EXISTS conversation_participants_member
    ON conversation_participants (member_id, conversation_id) WHERE left_at IS NULL;

-- status: published, held (waits for a moderator: only its author sees
-- it, with why), removed (a moderator refused a held message).
-- review_item_id: the review item of a held message.
CREATE TABLE IF NOT EXISTS conversation_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    number integer NOT NULL,
    author_id bigint REFERENCES members(id) ON DELETE SET NULL,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    status text NOT NULL DEFAULT 'published',
    review_item_id bigint REFERENCES review_items(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversation_messages_status_check CHECK (status IN ('published', 'held', 'removed')),
    CONSTRAINT conversation_messages_number_key UNIQUE (conversation_id, number)
);
CREATE INDEX IF NOT EXISTS conversation_messages_author
    ON conversation_messages (author_id, created_at DESC);
CREATE INDEX IF NOT EXISTS conversation_messages_review_item
    ON conversation_messages (review_item_id) WHERE review_item_id IS NOT NULL;

-- A report of a message is a report of its author (member_id) that names
-- the message: the moderators may then read that conversation.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS message_id bigint
    REFERENCES conversation_messages(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS reports_message ON reports (message_id) WHERE message_id IS NOT NULL;

-- Members a member ignores.
CREATE TABLE IF NOT EXISTS ignored_members (
    member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    ignored_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, ignored_id),
    CONSTRAINT ignored_members_not_self CHECK (member_id <> ignored_id)
);
CREATE INDEX IF NOT EXISTS ignored_members_ignored ON ignored_members (ignored_id);

-- Whom a member accepts new conversations from: members of at least
-- min_trust_level, or staff only. No row: everyone.
CREATE TABLE IF NOT EXISTS message_preferences (
    member_id bigint PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    min_trust_level smallint NOT NULL DEFAULT 0,
    staff_only boolean NOT NULL DEFAULT false,
    CONSTRAINT message_preferences_trust_level_check CHECK (min_trust_level BETWEEN 0 AND 4)
);

-- A new message notifies the other participants (kind 'message').
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS conversation_id bigint
    REFERENCES conversations(id) ON DELETE CASCADE;
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind = ANY (ARRAY['reply'::text,
    'mention'::text, 'quote'::text, 'like'::text, 'moderation'::text, 'watching'::text, 'new_thread'::text,
    'message'::text]));
ALTER TABLE members ADD COLUMN IF NOT EXISTS email_on_message boolean NOT NULL DEFAULT true;

-- A member ignored no longer notifies the member who ignores them: not of
-- a mention, a quote, a reply, nor a post in a thread they watch. The
-- function of migration 0027 (as 0045 left it) with that one condition.
CREATE OR REPLACE FUNCTION notify_published_posts(p_post_ids bigint[])
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $$
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
$$;

