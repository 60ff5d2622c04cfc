-- Reports, the review queue's notes and appeals, live updates of the queue.

-- What a member reported: a post or a member, why, and what came of it. The
-- weight is fixed when the report is made (the reporter's trust level and
-- past accuracy then); outcome is set when a moderator resolves the item.
CREATE TABLE reports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    post_id         bigint REFERENCES posts (id) ON DELETE CASCADE,
    member_id       bigint REFERENCES members (id) ON DELETE CASCADE,
    review_item_id  bigint NOT NULL REFERENCES review_items (id) ON DELETE CASCADE,
    reason          text NOT NULL
                    CHECK (reason IN ('spam', 'inappropriate', 'off_topic', 'illegal', 'guideline', 'other')),
    rule_id         bigint REFERENCES rules (id) ON DELETE SET NULL,
    note            text NOT NULL DEFAULT '',
    weight          double precision NOT NULL CHECK (weight >= 0),
    outcome         text NOT NULL DEFAULT '' CHECK (outcome IN ('', 'agreed', 'dismissed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    CHECK ((post_id IS NULL) <> (member_id IS NULL))
);
-- One open report per reporter and target.
CREATE UNIQUE INDEX reports_open_post ON reports (reporter_id, post_id) WHERE outcome = '' AND post_id IS NOT NULL;
CREATE UNIQUE INDEX reports_open_member ON reports (reporter_id, member_id) WHERE outcome = '' AND member_id IS NOT NULL;
-- The daily limit and the reporter's accuracy.
CREATE INDEX reports_reporter ON reports (reporter_id, created_at DESC);
CREATE INDEX reports_item ON reports (review_item_id);

-- An appeal is an item about a sanction; a member may be reported while
-- they appeal, so member items are unique per kind of question.
ALTER TABLE review_items
    ADD COLUMN sanction_id bigint REFERENCES sanctions (id) ON DELETE CASCADE,
    ADD COLUMN resolution_note text NOT NULL DEFAULT '';
DROP INDEX review_items_open_member;
CREATE UNIQUE INDEX review_items_open_member ON review_items (member_id)
    WHERE status = 'pending' AND member_id IS NOT NULL AND kind <> 'appeal';
CREATE UNIQUE INDEX review_items_open_appeal ON review_items (sanction_id)
    WHERE status = 'pending' AND kind = 'appeal';
CREATE INDEX review_items_resolved ON review_items (resolved_at DESC) WHERE status = 'resolved';
CREATE INDEX review_items_member ON review_items (member_id) WHERE member_id IS NOT NULL;

-- Private notes of the moderators on an item.
CREATE TABLE review_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     bigint NOT NULL REFERENCES review_items (id) ON DELETE CASCADE,
    author_id   bigint REFERENCES members (id) ON DELETE SET NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_notes_item ON review_notes (item_id, id);

-- An appeal, however it is recorded (AppealSanction or by hand), becomes an
-- item of the queue in the same transaction.
CREATE FUNCTION review_queue_appeal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_items (kind, member_id, sanction_id)
    VALUES ('appeal', NEW.member_id, NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER sanctions_appealed AFTER UPDATE OF appealed_at ON sanctions
    FOR EACH ROW WHEN (OLD.appealed_at IS NULL AND NEW.appealed_at IS NOT NULL)
    EXECUTE FUNCTION review_queue_appeal();

-- Every instance's live queue pages and badges hear of items that arrive,
-- are claimed or are resolved (moderation/live.go).
CREATE FUNCTION notify_review_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('palabre_review', json_build_object(
        'id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'claimed_by', NEW.claimed_by,
        'version', NEW.version)::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER review_items_changed AFTER INSERT OR UPDATE ON review_items
    FOR EACH ROW EXECUTE FUNCTION notify_review_changed();
