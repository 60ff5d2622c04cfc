-- Guideline rules and the review queue's items: what the moderation
-- pipeline applies to every submitted text, and what it leaves for a human.

-- A rule of the community guidelines, enforced by the pipeline. Admins
-- write them; the description is shown to a member whose post a rule holds
-- or refuses. The numbers of the kinds links, mentions, new_members and rate
-- are per-trust-level settings; a words rule carries its watched words in
-- patterns, a links rule its domain lists in params.
CREATE TABLE rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    description  text NOT NULL DEFAULT '',
    kind         text NOT NULL
                 CHECK (kind IN ('words', 'links', 'mentions', 'new_members', 'rate', 'duplicates')),
    patterns     text[] NOT NULL DEFAULT '{}',
    params       jsonb NOT NULL DEFAULT '{}',
    action       text NOT NULL CHECK (action IN ('block', 'censor', 'hold', 'flag')),
    enabled      boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   bigint REFERENCES members (id) ON DELETE SET NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   bigint REFERENCES members (id) ON DELETE SET NULL,
    -- Only words can be masked.
    CHECK (action <> 'censor' OR kind = 'words')
);
CREATE UNIQUE INDEX rules_name ON rules (lower(name));

-- What the moderators review: posts held for approval or flagged by a rule,
-- reported posts or members, appeals. One open item per target, so that a
-- second report or a held edit joins the item already waiting; version
-- gives optimistic locking to moderators acting at the same time.
CREATE TABLE review_items (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('held', 'flagged', 'reported', 'appeal')),
    post_id        bigint REFERENCES posts (id) ON DELETE CASCADE,
    member_id      bigint REFERENCES members (id) ON DELETE CASCADE,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved')),
    score          double precision NOT NULL DEFAULT 0,
    -- The rules that sent the item here: [{"rule_id", "name", "action", "key", "args"}].
    reasons        jsonb NOT NULL DEFAULT '[]',
    claimed_by     bigint REFERENCES members (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    first_seen_at  timestamptz,                    -- a moderator opened it
    claimed_at     timestamptz,
    resolved_at    timestamptz,
    resolved_by    bigint REFERENCES members (id) ON DELETE SET NULL,
    resolution     text NOT NULL DEFAULT '',
    version        integer NOT NULL DEFAULT 1,
    CHECK ((post_id IS NULL) <> (member_id IS NULL))  -- exactly one target
);
CREATE UNIQUE INDEX review_items_open_post ON review_items (post_id) WHERE status = 'pending' AND post_id IS NOT NULL;
CREATE UNIQUE INDEX review_items_open_member ON review_items (member_id) WHERE status = 'pending' AND member_id IS NOT NULL;
CREATE INDEX review_items_queue ON review_items (status, created_at, id);

-- Rate limits count a member's recent threads (posts per minute already
-- have posts_author (author_id, created_at DESC)).
CREATE INDEX threads_author_created ON threads (author_id, created_at DESC);

-- Every change to the rules tells every instance to rebuild its compiled
-- rules (moderation/rule_set.go); the functions that change rules also
-- notify, this catches changes made by hand in SQL.
CREATE FUNCTION notify_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('palabre_rules', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION notify_rules_changed();
