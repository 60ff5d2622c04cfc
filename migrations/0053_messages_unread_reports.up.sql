-- Private messages (issue 22): the header's unread count, one open report
-- per reporter and message, editing and likes.

-- The authentication queries count the member's conversations with an
-- unread message (the header's "Messages" badge), as they count
-- notifications: every change to what that count reads announces the
-- members it concerns, and each instance forgets their credentials
-- (forum/credential_cache.go, migration 0029).
CREATE OR REPLACE FUNCTION conversation_messages_announce()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM announce_members((
        SELECT string_agg(DISTINCT p.member_id::text, ',')
        FROM (SELECT DISTINCT conversation_id FROM changed) c
        JOIN conversation_participants p ON p.conversation_id = c.conversation_id));
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS conversation_messages_inserted_announce ON conversation_messages;
CREATE TRIGGER conversation_messages_inserted_announce AFTER INSERT ON conversation_messages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_announce();
DROP TRIGGER IF EXISTS conversation_messages_updated_announce ON conversation_messages;
CREATE TRIGGER conversation_messages_updated_announce AFTER UPDATE ON conversation_messages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_announce();
DROP TRIGGER IF EXISTS conversation_messages_deleted_announce ON conversation_messages;
CREATE TRIGGER conversation_messages_deleted_announce AFTER DELETE ON conversation_messages
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_announce();

-- The participants' own function rather than member_rows_announce, which
-- migration 0039's repair (and its test) drop and restore.
CREATE OR REPLACE FUNCTION conversation_participants_announce()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT member_id::text, ',') FROM changed));
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS conversation_participants_inserted_announce ON conversation_participants;
CREATE TRIGGER conversation_participants_inserted_announce AFTER INSERT ON conversation_participants
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_participants_announce();
DROP TRIGGER IF EXISTS conversation_participants_updated_announce ON conversation_participants;
CREATE TRIGGER conversation_participants_updated_announce AFTER UPDATE ON conversation_participants
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_participants_announce();
DROP TRIGGER IF EXISTS conversation_participants_deleted_announce ON conversation_participants;
CREATE TRIGGER conversation_participants_deleted_announce AFTER DELETE ON conversation_participants
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_participants_announce();

-- A report of a message names its author (member_id) and the message: a
-- reporter may have one open report per message, and one per member
-- reported from their profile, rather than one per member whatever the
-- message (a second message of the same author could not be reported).
DROP INDEX IF EXISTS reports_open_member;
CREATE UNIQUE INDEX reports_open_member ON reports (reporter_id, member_id)
    WHERE outcome = '' AND member_id IS NOT NULL AND message_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS reports_open_message ON reports (reporter_id, message_id)
    WHERE outcome = '' AND message_id IS NOT NULL;

-- A private message may be edited by its author, as a post is (the text
-- goes through the pipeline again); the conversation says it was.
ALTER TABLE conversation_messages ADD COLUMN IF NOT EXISTS edited_at timestamptz;

-- Likes of private messages, as of posts: by participants, never their own.
CREATE TABLE IF NOT EXISTS message_likes (
    message_id bigint NOT NULL REFERENCES conversation_messages(id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, member_id)
);
