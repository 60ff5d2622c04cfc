-- What each moderation decision leaves behind (issue 20, outcomes).

-- Who removed a post, for the placeholder readers see: '' (not removed),
-- 'author' (deleted by its author), 'moderator' (removed by the staff, the
-- rule cited in removal_rule), 'unpublished' (a held post refused or
-- withdrawn before it was ever public: shown nowhere).
ALTER TABLE posts
    ADD COLUMN removal text NOT NULL DEFAULT ''
        CHECK (removal IN ('', 'author', 'moderator', 'unpublished')),
    ADD COLUMN removal_rule text NOT NULL DEFAULT '';

-- The posts removed before this migration: the log says who.
UPDATE posts p SET removal = CASE
        WHEN EXISTS (SELECT 1 FROM mod_log l WHERE l.target_type = 'post' AND l.target_id = p.id
                     AND l.action = 'post.reject') THEN 'unpublished'
        WHEN EXISTS (SELECT 1 FROM mod_log l WHERE l.target_type = 'post' AND l.target_id = p.id
                     AND l.action = 'post.delete') THEN 'moderator'
        ELSE 'author' END
WHERE p.status = 'deleted';

-- The held-post invariant, checked by the database at commit: a post that
-- waits for approval keeps its open review item until a decision settles
-- it, and an open item about a held post does not outlive the post's wait.
-- (Held posts written without the pipeline, as some fixtures do, are not
-- refused: the check runs when an item closes or a held post changes.)
CREATE FUNCTION check_held_post(pid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    st text;
    open_items int;
    open_held int;
BEGIN
    SELECT status INTO st FROM posts WHERE id = pid;
    SELECT count(*), count(*) FILTER (WHERE kind = 'held') INTO open_items, open_held
    FROM review_items WHERE post_id = pid AND status = 'pending';
    IF st = 'held' AND open_items <> 1 THEN
        RAISE EXCEPTION 'held post % has % open review items', pid, open_items
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF st IS DISTINCT FROM 'held' AND open_held > 0 THEN
        RAISE EXCEPTION 'review item of post % waits for a post that is no longer held (%)', pid, st
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$$;

CREATE FUNCTION check_held_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.post_id IS NOT NULL THEN
        PERFORM check_held_post(NEW.post_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER review_items_held_invariant
    AFTER UPDATE OF status, kind, post_id ON review_items
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.post_id IS NOT NULL)
    EXECUTE FUNCTION check_held_item();

CREATE FUNCTION check_held_post_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM check_held_post(NEW.id);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER posts_held_invariant
    AFTER UPDATE OF status ON posts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status = 'held' AND NEW.status <> 'held')
    EXECUTE FUNCTION check_held_post_row();
