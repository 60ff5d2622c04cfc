-- Foundation: members and their sessions, the forum's categories, threads and
-- posts, settings, the community guidelines and the append-only moderation log.

CREATE TABLE members (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username            text NOT NULL,             -- as the member wrote it
    username_key        text NOT NULL,             -- PRECIS case-mapped form
    username_skeleton   text NOT NULL,             -- confusable skeleton
    display_name        text NOT NULL DEFAULT '',
    email               text NOT NULL,
    email_key           text NOT NULL,             -- lower-cased, for uniqueness
    email_verified_at   timestamptz,
    password_hash       text NOT NULL DEFAULT '',
    role                text NOT NULL DEFAULT 'member'
                        CHECK (role IN ('member', 'moderator', 'admin')),
    trust_level         smallint NOT NULL DEFAULT 0 CHECK (trust_level BETWEEN 0 AND 4),
    trust_level_locked  boolean NOT NULL DEFAULT false, -- set by an admin: no automatic promotion
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('pending', 'active', 'deleted')),
    -- Sanctions in force (their history is in sanctions): each ends by
    -- itself when its date passes; a ban has no end.
    silenced_until      timestamptz,               -- can read, cannot post
    suspended_until     timestamptz,               -- cannot log in
    banned_at           timestamptz,
    sanction_reason     text NOT NULL DEFAULT '',
    locale              text NOT NULL DEFAULT '',  -- '' means: the site's language
    bio_markdown        text NOT NULL DEFAULT '',
    bio_html            text NOT NULL DEFAULT '',
    guidelines_version  integer,                   -- version of the guidelines accepted
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz
);
CREATE UNIQUE INDEX members_username_key ON members (username_key);
CREATE UNIQUE INDEX members_username_skeleton ON members (username_skeleton);
CREATE UNIQUE INDEX members_email_key ON members (email_key);

CREATE TABLE sessions (
    token_hash    bytea PRIMARY KEY,               -- SHA-256 of the cookie value
    member_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    remember      boolean NOT NULL DEFAULT false,
    user_agent    text NOT NULL DEFAULT '',
    client_ip     inet
);
CREATE INDEX sessions_member ON sessions (member_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id     bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '',
    token_hash    bytea NOT NULL UNIQUE,           -- SHA-256 of the token
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_member ON api_tokens (member_id);

CREATE TABLE categories (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    position     integer NOT NULL DEFAULT 0,
    read_only    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE threads (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id     bigint NOT NULL REFERENCES categories (id),
    author_id       bigint REFERENCES members (id) ON DELETE SET NULL,
    title           text NOT NULL,
    slug            text NOT NULL,
    status          text NOT NULL DEFAULT 'published'
                    CHECK (status IN ('published', 'held', 'hidden', 'deleted')),
    pinned          boolean NOT NULL DEFAULT false,
    locked          boolean NOT NULL DEFAULT false,
    closed          boolean NOT NULL DEFAULT false,
    post_count      integer NOT NULL DEFAULT 0,    -- published posts, the first one included
    last_post_at    timestamptz NOT NULL DEFAULT now(),
    last_post_id    bigint,
    last_poster_id  bigint REFERENCES members (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination of a category and of the whole forum by last activity.
CREATE INDEX threads_category_activity ON threads (category_id, last_post_at DESC, id DESC);
CREATE INDEX threads_activity ON threads (last_post_at DESC, id DESC);
CREATE INDEX threads_author ON threads (author_id);

CREATE TABLE posts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id      bigint NOT NULL REFERENCES threads (id),
    number         integer NOT NULL,               -- 1 for the opening post
    author_id      bigint REFERENCES members (id) ON DELETE SET NULL,
    reply_to       integer,                        -- number of the post answered
    body_markdown  text NOT NULL,
    body_html      text NOT NULL,                  -- sanitized at write time
    status         text NOT NULL DEFAULT 'published'
                   CHECK (status IN ('published', 'held', 'hidden', 'deleted')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    edit_count     integer NOT NULL DEFAULT 0,
    UNIQUE (thread_id, number)
);
CREATE INDEX posts_author ON posts (author_id, created_at DESC);
CREATE INDEX posts_created ON posts (created_at DESC);

CREATE TABLE post_revisions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id        bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    revision       integer NOT NULL,
    body_markdown  text NOT NULL,
    body_html      text NOT NULL,
    edited_by      bigint REFERENCES members (id) ON DELETE SET NULL,
    edited_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (post_id, revision)
);

-- Typed settings; their defaults live in code, a row exists once an admin
-- changes one.
CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint REFERENCES members (id) ON DELETE SET NULL
);

CREATE TABLE guideline_versions (
    version              integer PRIMARY KEY,
    body_markdown        text NOT NULL,
    body_html            text NOT NULL,
    requires_acceptance  boolean NOT NULL DEFAULT false,
    published_by         bigint REFERENCES members (id) ON DELETE SET NULL,
    published_at         timestamptz NOT NULL DEFAULT now()
);

-- The moderation log is append-only: the database itself refuses to change or
-- remove a row.
CREATE TABLE mod_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES members (id),   -- NULL: the system (a rule)
    action       text NOT NULL,
    target_type  text NOT NULL DEFAULT '',
    target_id    bigint,
    reason       text NOT NULL DEFAULT '',
    before       jsonb,
    after        jsonb
);
CREATE INDEX mod_log_at ON mod_log (at DESC, id DESC);
CREATE INDEX mod_log_target ON mod_log (target_type, target_id);

CREATE FUNCTION mod_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mod_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER mod_log_no_update BEFORE UPDATE OR DELETE ON mod_log
    FOR EACH ROW EXECUTE FUNCTION mod_log_is_append_only();
CREATE TRIGGER mod_log_no_truncate BEFORE TRUNCATE ON mod_log
    FOR EACH STATEMENT EXECUTE FUNCTION mod_log_is_append_only();
