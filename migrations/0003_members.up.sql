-- Members, part B: sanctions and their appeals, category moderators, visits
-- (for trust levels), notification preferences, and the background jobs
-- table that any instance may claim work from.

-- Every sanction ever given; members.silenced_until, suspended_until,
-- banned_at and sanction_reason hold the ones in force.
CREATE TABLE sanctions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id       bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('warning', 'silence', 'suspension', 'ban')),
    reason          text NOT NULL,                 -- shown to the member
    until           timestamptz,                   -- NULL for warnings and bans
    created_by      bigint REFERENCES members (id) ON DELETE SET NULL, -- NULL: the system
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,                   -- lifted before its end
    revoked_by      bigint REFERENCES members (id) ON DELETE SET NULL,
    appealed_at     timestamptz,                   -- one appeal per sanction
    appeal_text     text NOT NULL DEFAULT '',
    appeal_outcome  text NOT NULL DEFAULT ''
                    CHECK (appeal_outcome IN ('', 'upheld', 'lifted')),
    CHECK ((kind IN ('silence', 'suspension')) = (until IS NOT NULL))
);
CREATE INDEX sanctions_member ON sanctions (member_id, created_at DESC, id DESC);
CREATE INDEX sanctions_appealed ON sanctions (appealed_at) WHERE appealed_at IS NOT NULL AND appeal_outcome = '';

-- Moderators limited to some categories (role 'moderator' moderates them all).
CREATE TABLE category_moderators (
    member_id    bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    category_id  bigint NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    added_by     bigint REFERENCES members (id) ON DELETE SET NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, category_id)
);
CREATE INDEX category_moderators_category ON category_moderators (category_id);

-- One row per member and day visited (UTC). active_seconds approximates the
-- time spent: gaps of up to 30 minutes between two refreshes count.
CREATE TABLE member_visits (
    member_id       bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    day             date NOT NULL,
    first_at        timestamptz NOT NULL DEFAULT now(),
    last_at         timestamptz NOT NULL DEFAULT now(),
    active_seconds  integer NOT NULL DEFAULT 0 CHECK (active_seconds >= 0),
    PRIMARY KEY (member_id, day)
);

ALTER TABLE members
    -- When the promotion job last raised the level; NULL when set by hand or
    -- at creation. Only automatic TL3 promotions are ever undone.
    ADD COLUMN trust_promoted_at timestamptz,
    -- Email notification preferences, one boolean per kind.
    ADD COLUMN email_on_reply       boolean NOT NULL DEFAULT true,
    ADD COLUMN email_on_mention     boolean NOT NULL DEFAULT true,
    ADD COLUMN email_on_quote       boolean NOT NULL DEFAULT true,
    ADD COLUMN email_on_like        boolean NOT NULL DEFAULT false,
    ADD COLUMN email_on_moderation  boolean NOT NULL DEFAULT true,
    ADD COLUMN deleted_at timestamptz;

-- Background work, claimed with FOR UPDATE SKIP LOCKED by any instance.
-- A periodic job enqueues its own next run under the same unique key.
CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,
    unique_key   text,                               -- at most one pending job per key
    payload      jsonb NOT NULL DEFAULT '{}',
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    locked_until timestamptz,                        -- claimed until then
    locked_by    text NOT NULL DEFAULT '',
    last_error   text NOT NULL DEFAULT '',
    done_at      timestamptz,
    failed_at    timestamptz,                        -- gave up after max_attempts
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE UNIQUE INDEX jobs_pending_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL;
