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
