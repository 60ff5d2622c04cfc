-- Drafts kept on the server: what a member started writing, so that a
-- reply begun on one device is there on another. One draft per member and
-- thread (a reply) and one for a new thread (thread_id NULL).
CREATE TABLE IF NOT EXISTS drafts (
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    thread_id   bigint REFERENCES threads (id) ON DELETE CASCADE,
    category_id bigint REFERENCES categories (id) ON DELETE SET NULL,
    title       text NOT NULL DEFAULT '',
    body        text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS drafts_member_thread ON drafts (member_id, (coalesce(thread_id, 0)));

-- A post stored (published or held for review) uses up its author's draft:
-- the reply's draft of its thread, or the new-thread draft for a thread's
-- first post. A refused post is not stored, and its draft stays. One
-- statement per INSERT, however many posts a batch stores.
CREATE OR REPLACE FUNCTION drafts_used_by_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM drafts d
    USING stored s
    WHERE d.member_id = s.author_id
      AND coalesce(d.thread_id, 0) = CASE WHEN s.number = 1 THEN 0 ELSE s.thread_id END;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS posts_use_drafts ON posts;
CREATE TRIGGER posts_use_drafts AFTER INSERT ON posts REFERENCING NEW TABLE AS stored
    FOR EACH STATEMENT EXECUTE FUNCTION drafts_used_by_posts();
