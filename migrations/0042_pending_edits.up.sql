-- A held edit keeps the last published version visible: the edited text
-- that a rule holds waits here, beside the published post, until a
-- moderator approves it (it replaces the post's body) or refuses it (it
-- goes, the post stays as it was). One pending edit per post; its review
-- item is the post's one open item.
CREATE TABLE IF NOT EXISTS post_pending_edits (
    post_id bigint PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    thread_id bigint NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    -- The post's author, for the reading query of the thread page: the
    -- author sees their pending text. An account deleted meanwhile leaves
    -- the edit to the moderators' decision, as its posts.
    author_id bigint REFERENCES members(id) ON DELETE SET NULL,
    edited_by bigint REFERENCES members(id) ON DELETE SET NULL,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    -- A new title, when the first post's edit changes its thread's title.
    title text,
    -- Members mentioned or quoted by the pending text, told once it is published.
    refs jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS post_pending_edits_thread_author ON post_pending_edits (thread_id, author_id);

-- The held-post invariant (migration 0033) extended to pending edits: a
-- post that waits for review (held, or with a pending edit) has exactly one
-- open review item, and no open held item outlives the wait.
CREATE OR REPLACE FUNCTION check_held_post(pid bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    st text;
    pending boolean;
    open_items int;
    open_held int;
BEGIN
    SELECT status INTO st FROM posts WHERE id = pid;
    SELECT EXISTS (SELECT 1 FROM post_pending_edits WHERE post_id = pid) INTO pending;
    SELECT count(*), count(*) FILTER (WHERE kind = 'held') INTO open_items, open_held
    FROM review_items WHERE post_id = pid AND status = 'pending';
    IF st = 'held' AND open_items <> 1 THEN
        RAISE EXCEPTION 'held post % has % open review items', pid, open_items
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF pending AND open_held <> 1 THEN
        RAISE EXCEPTION 'pending edit of post % has % open held review items', pid, open_held
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF st IS DISTINCT FROM 'held' AND NOT pending AND open_held > 0 THEN
        RAISE EXCEPTION 'review item of post % waits for a post that is no longer held (%)', pid, st
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$function$;

CREATE OR REPLACE FUNCTION check_pending_edit_row()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM check_held_post(OLD.post_id);
    ELSE
        PERFORM check_held_post(NEW.post_id);
    END IF;
    RETURN NULL;
END;
$function$;

DROP TRIGGER IF EXISTS post_pending_edits_held_invariant ON post_pending_edits;
CREATE CONSTRAINT TRIGGER post_pending_edits_held_invariant AFTER INSERT OR DELETE ON post_pending_edits
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_pending_edit_row();
