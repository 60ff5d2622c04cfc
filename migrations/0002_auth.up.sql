-- Authentication: throttling counters, single-use email tokens and the mail
-- outbox. Sessions and API tokens are in 0001.

-- One row per counted attempt (a failed login, a sign-up), so that a window
-- slides exactly; rows older than the longest window are purged.
CREATE TABLE login_attempts (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     text NOT NULL,                    -- which limit counts it: login_account, login_address, signup_address…
    subject  text NOT NULL,                    -- what is limited: a member id, a login, a client address
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_subject ON login_attempts (kind, subject, at DESC);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- Email verification and password reset links. Only the SHA-256 of the
-- token is kept; a token is used once (used_at) and expires.
CREATE TABLE email_tokens (
    token_hash  bytea PRIMARY KEY,
    member_id   bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    email       text NOT NULL,                 -- the address the link was sent to
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX email_tokens_member ON email_tokens (member_id, purpose);
CREATE INDEX email_tokens_expires ON email_tokens (expires_at);

-- Mail waiting to be sent. Rows are written in the transaction of the action
-- that causes them and claimed by any instance's worker with FOR UPDATE SKIP
-- LOCKED; a failed delivery is retried with backoff, so an outage of the
-- mail server loses nothing. The text is composed at sending time, in the
-- recipient's language, from kind and data; data (which may hold a token) is
-- emptied once the mail is sent or given up.
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient        text NOT NULL,
    kind             text NOT NULL,
    locale           text NOT NULL DEFAULT '',
    data             jsonb NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
