-- Full-text search of a member's own conversations (issue 27: in:messages).
-- A message is indexed as a post is: in the language the site had when it
-- was written (search_config), by palabre_post_search_vector (migration
-- 0044), the conversation's title with weight A in its first message's
-- vector as a thread's title is in its first post's. The trigger stores it
-- whatever release writes the row: an instance of the previous release
-- still inserting messages during a rolling upgrade (docs/operations.md §4)
-- writes rows whose vector the trigger computes. Expand only: two nullable
-- columns, a function, a trigger and an index. Idempotent (the test of the
-- fill runs it again on a database it rolled back to 0069).

ALTER TABLE conversation_messages
    ADD COLUMN IF NOT EXISTS search_config regconfig,
    ADD COLUMN IF NOT EXISTS search_vector tsvector;
-- Kept in the row, as the posts' (migration 0058): ranking reads the
-- vectors of the candidates, the pages read the Markdown and HTML.
ALTER TABLE conversation_messages ALTER COLUMN search_vector SET STORAGE MAIN;

CREATE OR REPLACE FUNCTION conversation_messages_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    title text := '';
BEGIN
    IF NEW.search_config IS NULL THEN
        NEW.search_config := palabre_search_config();
    END IF;
    IF NEW.number = 1 THEN
        SELECT c.title INTO title FROM conversations c WHERE c.id = NEW.conversation_id;
    END IF;
    NEW.search_vector := palabre_post_search_vector(NEW.search_config, title, NEW.body_html);
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS conversation_messages_search_vector ON conversation_messages;
CREATE TRIGGER conversation_messages_search_vector BEFORE INSERT OR UPDATE OF body_html, search_config
    ON conversation_messages FOR EACH ROW EXECUTE FUNCTION conversation_messages_search_vector();

-- The messages written before now are indexed here, not by a job as the
-- posts were (search.backfill): a forum holds far fewer messages than
-- posts (they are written to a few people, and the bench forums of a
-- million posts hold none), and to_tsvector over bounded text
-- (palabre_search_text) costs under 0.1 ms for a message of a few lines:
-- 100,000 messages of 60 words took 7.5 s, and the index 0.3 s, on the
-- shared 2-core test machine. The ADD COLUMN above holds
-- the table's exclusive lock until this migration commits, so the
-- conversations' pages wait that long; a job would leave messages
-- unsearchable meanwhile and need a second code path for them. Only rows
-- without a vector are written: running this again writes nothing.
UPDATE conversation_messages SET search_config = coalesce(search_config, palabre_search_config())
WHERE search_vector IS NULL;

-- Built after the fill: one pass over the vectors rather than an insert in
-- the index per row.
CREATE INDEX IF NOT EXISTS conversation_messages_search ON conversation_messages USING gin (search_vector);
