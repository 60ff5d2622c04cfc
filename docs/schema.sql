-- The schema as the migrations leave it: tables, indexes, functions and triggers
-- in their current text, one place to read them instead of the last
-- CREATE OR REPLACE found by reading migrations backwards.
--
-- Generated; never edit by hand. After adding a migration:
--     make schema     (go test ./migrations -run TestSchemaSnapshot -args -update)
-- TestSchemaSnapshot fails when the migrations and this file disagree.

-- Extensions

CREATE EXTENSION pg_trgm;
CREATE EXTENSION unaccent;

-- Tables

CREATE TABLE api_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    member_id bigint NOT NULL,
    name text DEFAULT ''::text NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT api_tokens_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_member ON api_tokens USING btree (member_id);

CREATE TABLE bookmarks (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    member_id bigint NOT NULL,
    post_id bigint NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    remind_at timestamp with time zone,
    reminded_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT bookmarks_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT bookmarks_member_id_post_id_key UNIQUE (member_id, post_id),
    CONSTRAINT bookmarks_note_check CHECK (length(note) <= 500),
    CONSTRAINT bookmarks_pkey PRIMARY KEY (id),
    CONSTRAINT bookmarks_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE
);
CREATE INDEX bookmarks_due ON bookmarks USING btree (remind_at) WHERE ((remind_at IS NOT NULL) AND (reminded_at IS NULL));
CREATE INDEX bookmarks_of_member ON bookmarks USING btree (member_id, id DESC);

CREATE TABLE categories (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    position integer DEFAULT 0 NOT NULL,
    read_only boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    thread_count integer DEFAULT 0 NOT NULL,
    CONSTRAINT categories_pkey PRIMARY KEY (id),
    CONSTRAINT categories_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'::text),
    CONSTRAINT categories_slug_key UNIQUE (slug)
);
CREATE INDEX categories_display ON categories USING btree ("position", name);

CREATE TABLE category_moderators (
    member_id bigint NOT NULL,
    category_id bigint NOT NULL,
    added_by bigint,
    added_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT category_moderators_added_by_fkey FOREIGN KEY (added_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT category_moderators_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories(id) ON DELETE CASCADE,
    CONSTRAINT category_moderators_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT category_moderators_pkey PRIMARY KEY (member_id, category_id)
);
CREATE INDEX category_moderators_category ON category_moderators USING btree (category_id);

CREATE TABLE conversation_messages (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    conversation_id bigint NOT NULL,
    number integer NOT NULL,
    author_id bigint,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    status text DEFAULT 'published'::text NOT NULL,
    review_item_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    edited_at timestamp with time zone,
    search_config regconfig,
    search_vector tsvector,
    CONSTRAINT conversation_messages_author_id_fkey FOREIGN KEY (author_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT conversation_messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
    CONSTRAINT conversation_messages_number_key UNIQUE (conversation_id, number),
    CONSTRAINT conversation_messages_pkey PRIMARY KEY (id),
    CONSTRAINT conversation_messages_review_item_id_fkey FOREIGN KEY (review_item_id) REFERENCES review_items(id) ON DELETE SET NULL,
    CONSTRAINT conversation_messages_status_check CHECK (status = ANY (ARRAY['published'::text, 'held'::text, 'removed'::text]))
);
CREATE INDEX conversation_messages_author ON conversation_messages USING btree (author_id, created_at DESC);
CREATE INDEX conversation_messages_review_item ON conversation_messages USING btree (review_item_id) WHERE (review_item_id IS NOT NULL);
CREATE INDEX conversation_messages_search ON conversation_messages USING gin (search_vector);

CREATE TABLE conversation_participants (
    conversation_id bigint NOT NULL,
    member_id bigint NOT NULL,
    added_by bigint,
    joined_at timestamp with time zone DEFAULT now() NOT NULL,
    left_at timestamp with time zone,
    last_read_number integer DEFAULT 0 NOT NULL,
    CONSTRAINT conversation_participants_added_by_fkey FOREIGN KEY (added_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT conversation_participants_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
    CONSTRAINT conversation_participants_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT conversation_participants_pkey PRIMARY KEY (conversation_id, member_id)
);
CREATE INDEX conversation_participants_member ON conversation_participants USING btree (member_id, conversation_id) WHERE (left_at IS NULL);

CREATE TABLE conversations (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    title text NOT NULL,
    author_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_message_at timestamp with time zone DEFAULT now() NOT NULL,
    next_number integer DEFAULT 1 NOT NULL,
    CONSTRAINT conversations_author_id_fkey FOREIGN KEY (author_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT conversations_pkey PRIMARY KEY (id)
);

CREATE TABLE drafts (
    member_id bigint NOT NULL,
    thread_id bigint,
    category_id bigint,
    title text DEFAULT ''::text NOT NULL,
    body text DEFAULT ''::text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT drafts_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories(id) ON DELETE SET NULL,
    CONSTRAINT drafts_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT drafts_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX drafts_member_thread ON drafts USING btree (member_id, COALESCE(thread_id, (0)::bigint));

CREATE TABLE email_tokens (
    token_hash bytea NOT NULL,
    member_id bigint NOT NULL,
    purpose text NOT NULL,
    email text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT email_tokens_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT email_tokens_pkey PRIMARY KEY (token_hash),
    CONSTRAINT email_tokens_purpose_check CHECK (purpose = ANY (ARRAY['verify_email'::text, 'reset_password'::text, 'sanction_notice'::text, 'login_link'::text]))
);
CREATE INDEX email_tokens_expires ON email_tokens USING btree (expires_at);
CREATE INDEX email_tokens_member ON email_tokens USING btree (member_id, purpose);

CREATE TABLE guideline_versions (
    version integer NOT NULL,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    requires_acceptance boolean DEFAULT false NOT NULL,
    published_by bigint,
    published_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT guideline_versions_pkey PRIMARY KEY (version),
    CONSTRAINT guideline_versions_published_by_fkey FOREIGN KEY (published_by) REFERENCES members(id) ON DELETE SET NULL
);

CREATE TABLE health_days (
    day date NOT NULL,
    category_id bigint NOT NULL,
    posts integer DEFAULT 0 NOT NULL,
    threads integer DEFAULT 0 NOT NULL,
    signups integer DEFAULT 0 NOT NULL,
    answerable integer DEFAULT 0 NOT NULL,
    answered integer DEFAULT 0 NOT NULL,
    answered_24h integer DEFAULT 0 NOT NULL,
    response_seconds bigint DEFAULT 0 NOT NULL,
    staff_answered integer DEFAULT 0 NOT NULL,
    staff_response_seconds bigint DEFAULT 0 NOT NULL,
    reports integer DEFAULT 0 NOT NULL,
    held integer DEFAULT 0 NOT NULL,
    removed integer DEFAULT 0 NOT NULL,
    CONSTRAINT health_days_pkey PRIMARY KEY (day, category_id)
);

CREATE TABLE health_dirty (
    at timestamp with time zone NOT NULL,
    CONSTRAINT health_dirty_pkey PRIMARY KEY (at)
);

CREATE TABLE health_member_months (
    month date NOT NULL,
    member_id bigint NOT NULL,
    days smallint[] NOT NULL,
    posts integer[] NOT NULL,
    threads integer[] NOT NULL,
    likes_received integer[] NOT NULL,
    posts_to_7 integer GENERATED ALWAYS AS (COALESCE(posts[width_bucket((7)::smallint, days)], 0)) STORED,
    posts_to_14 integer GENERATED ALWAYS AS (COALESCE(posts[width_bucket((14)::smallint, days)], 0)) STORED,
    posts_to_21 integer GENERATED ALWAYS AS (COALESCE(posts[width_bucket((21)::smallint, days)], 0)) STORED,
    posts_total integer GENERATED ALWAYS AS (COALESCE(posts[cardinality(posts)], 0)) STORED,
    CONSTRAINT health_member_months_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT health_member_months_pkey PRIMARY KEY (month, member_id)
);
CREATE INDEX health_member_months_quarters ON health_member_months USING btree (month, member_id) INCLUDE (posts_to_7, posts_to_14, posts_to_21, posts_total);

CREATE TABLE health_member_windows (
    days integer NOT NULL,
    member_id bigint NOT NULL,
    posts integer NOT NULL,
    threads integer NOT NULL,
    likes_received integer NOT NULL,
    CONSTRAINT health_member_windows_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT health_member_windows_pkey PRIMARY KEY (days, member_id)
);
CREATE INDEX health_member_windows_top ON health_member_windows USING btree (days, posts DESC, likes_received DESC, member_id);

CREATE TABLE health_members (
    day date NOT NULL,
    member_id bigint NOT NULL,
    posts integer NOT NULL,
    threads integer NOT NULL,
    likes_received integer NOT NULL,
    CONSTRAINT health_members_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT health_members_pkey PRIMARY KEY (day, member_id)
);

CREATE TABLE health_queue (
    day date NOT NULL,
    size_max integer NOT NULL,
    oldest_seconds_max bigint NOT NULL,
    CONSTRAINT health_queue_pkey PRIMARY KEY (day)
);

CREATE TABLE health_redo (
    at timestamp with time zone NOT NULL,
    CONSTRAINT health_redo_pkey PRIMARY KEY (at)
);

CREATE TABLE health_report_days (
    day date NOT NULL,
    reason text NOT NULL,
    total integer NOT NULL,
    agreed integer NOT NULL,
    dismissed integer NOT NULL,
    CONSTRAINT health_report_days_pkey PRIMARY KEY (day, reason)
);

CREATE TABLE health_review_days (
    day date NOT NULL,
    items integer NOT NULL,
    CONSTRAINT health_review_days_pkey PRIMARY KEY (day)
);

CREATE TABLE health_review_latency (
    day date NOT NULL,
    stage text NOT NULL,
    seconds bigint NOT NULL,
    items integer NOT NULL,
    CONSTRAINT health_review_latency_pkey PRIMARY KEY (day, stage, seconds),
    CONSTRAINT health_review_latency_stage_check CHECK (stage = ANY (ARRAY['seen'::text, 'claimed'::text, 'resolved'::text]))
);

CREATE TABLE health_rule_days (
    day date NOT NULL,
    rule_id bigint NOT NULL,
    name text NOT NULL,
    fired integer NOT NULL,
    upheld integer NOT NULL,
    overturned integer NOT NULL,
    CONSTRAINT health_rule_days_pkey PRIMARY KEY (day, rule_id)
);

CREATE TABLE health_state (
    id boolean DEFAULT true NOT NULL,
    time_zone text DEFAULT ''::text NOT NULL,
    terms text[] DEFAULT '{}'::text[] NOT NULL,
    activity_since timestamp with time zone,
    backfill_from date,
    computed_at timestamp with time zone,
    window_to date,
    months_at timestamp with time zone,
    CONSTRAINT health_state_id_check CHECK (id),
    CONSTRAINT health_state_pkey PRIMARY KEY (id)
);

CREATE TABLE health_terms (
    day date NOT NULL,
    term text NOT NULL,
    posts integer NOT NULL,
    CONSTRAINT health_terms_pkey PRIMARY KEY (day, term)
);

CREATE TABLE health_unanswered (
    thread_id bigint NOT NULL,
    day date NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT health_unanswered_pkey PRIMARY KEY (thread_id),
    CONSTRAINT health_unanswered_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX health_unanswered_created ON health_unanswered USING btree (created_at DESC, thread_id DESC);
CREATE INDEX health_unanswered_day ON health_unanswered USING btree (day);

CREATE TABLE ignored_members (
    member_id bigint NOT NULL,
    ignored_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ignored_members_ignored_id_fkey FOREIGN KEY (ignored_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT ignored_members_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT ignored_members_not_self CHECK (member_id <> ignored_id),
    CONSTRAINT ignored_members_pkey PRIMARY KEY (member_id, ignored_id)
);
CREATE INDEX ignored_members_ignored ON ignored_members USING btree (ignored_id);

CREATE TABLE jobs (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    kind text NOT NULL,
    unique_key text,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    locked_until timestamp with time zone,
    locked_by text DEFAULT ''::text NOT NULL,
    last_error text DEFAULT ''::text NOT NULL,
    done_at timestamp with time zone,
    failed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT jobs_pkey PRIMARY KEY (id)
);
CREATE INDEX jobs_due ON jobs USING btree (run_at) WHERE ((done_at IS NULL) AND (failed_at IS NULL));
CREATE UNIQUE INDEX jobs_pending_key ON jobs USING btree (unique_key) WHERE ((unique_key IS NOT NULL) AND (done_at IS NULL) AND (failed_at IS NULL));

CREATE TABLE likes (
    post_id bigint NOT NULL,
    member_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT likes_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT likes_pkey PRIMARY KEY (post_id, member_id),
    CONSTRAINT likes_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE
);
CREATE INDEX likes_member ON likes USING btree (member_id, created_at DESC);

CREATE TABLE login_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    kind text NOT NULL,
    subject text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT login_attempts_pkey PRIMARY KEY (id)
);
CREATE INDEX login_attempts_at ON login_attempts USING btree (at);
CREATE INDEX login_attempts_subject ON login_attempts USING btree (kind, subject, at DESC);

CREATE TABLE member_avatars (
    member_id bigint NOT NULL,
    size integer NOT NULL,
    upload_id bigint NOT NULL,
    CONSTRAINT member_avatars_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT member_avatars_pkey PRIMARY KEY (member_id, size),
    CONSTRAINT member_avatars_size_check CHECK (size > 0),
    CONSTRAINT member_avatars_upload_id_fkey FOREIGN KEY (upload_id) REFERENCES uploads(id) ON DELETE CASCADE
);
CREATE INDEX member_avatars_upload ON member_avatars USING btree (upload_id);

CREATE TABLE member_visits (
    member_id bigint NOT NULL,
    day date NOT NULL,
    first_at timestamp with time zone DEFAULT now() NOT NULL,
    last_at timestamp with time zone DEFAULT now() NOT NULL,
    active_seconds integer DEFAULT 0 NOT NULL,
    CONSTRAINT member_visits_active_seconds_check CHECK (active_seconds >= 0),
    CONSTRAINT member_visits_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT member_visits_pkey PRIMARY KEY (member_id, day)
);
CREATE INDEX member_visits_day ON member_visits USING btree (day);

CREATE TABLE members (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    username text NOT NULL,
    username_key text NOT NULL,
    username_skeleton text NOT NULL,
    display_name text DEFAULT ''::text NOT NULL,
    email text NOT NULL,
    email_key text NOT NULL,
    email_verified_at timestamp with time zone,
    password_hash text DEFAULT ''::text NOT NULL,
    role text DEFAULT 'member'::text NOT NULL,
    trust_level smallint DEFAULT 0 NOT NULL,
    trust_level_locked boolean DEFAULT false NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    silenced_until timestamp with time zone,
    suspended_until timestamp with time zone,
    banned_at timestamp with time zone,
    sanction_reason text DEFAULT ''::text NOT NULL,
    locale text DEFAULT ''::text NOT NULL,
    bio_markdown text DEFAULT ''::text NOT NULL,
    bio_html text DEFAULT ''::text NOT NULL,
    guidelines_version integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone,
    trust_promoted_at timestamp with time zone,
    email_on_reply boolean DEFAULT true NOT NULL,
    email_on_mention boolean DEFAULT true NOT NULL,
    email_on_quote boolean DEFAULT true NOT NULL,
    email_on_like boolean DEFAULT false NOT NULL,
    email_on_moderation boolean DEFAULT true NOT NULL,
    deleted_at timestamp with time zone,
    email_confirmation_waived boolean DEFAULT false NOT NULL,
    email_on_message boolean DEFAULT true NOT NULL,
    email_bounced_at timestamp with time zone,
    unsubscribe_key text DEFAULT (replace((gen_random_uuid())::text, '-'::text, ''::text) || replace((gen_random_uuid())::text, '-'::text, ''::text)) NOT NULL,
    email_digest text DEFAULT 'off'::text NOT NULL,
    digest_sent_at timestamp with time zone,
    CONSTRAINT members_email_digest_check CHECK (email_digest = ANY (ARRAY['off'::text, 'daily'::text, 'weekly'::text])),
    CONSTRAINT members_pkey PRIMARY KEY (id),
    CONSTRAINT members_role_check CHECK (role = ANY (ARRAY['member'::text, 'moderator'::text, 'admin'::text])),
    CONSTRAINT members_status_check CHECK (status = ANY (ARRAY['pending'::text, 'active'::text, 'deleted'::text])),
    CONSTRAINT members_trust_level_check CHECK (trust_level >= 0 AND trust_level <= 4)
);
CREATE INDEX members_created ON members USING btree (created_at);
CREATE INDEX members_digest_due ON members USING btree (digest_sent_at NULLS FIRST) WHERE (email_digest <> 'off'::text);
CREATE UNIQUE INDEX members_email_key ON members USING btree (email_key);
CREATE INDEX members_email_prefix ON members USING btree (email_key text_pattern_ops);
CREATE UNIQUE INDEX members_username_key ON members USING btree (username_key);
CREATE INDEX members_username_prefix ON members USING btree (username_key text_pattern_ops);
CREATE UNIQUE INDEX members_username_skeleton ON members USING btree (username_skeleton);
CREATE INDEX members_username_trgm ON members USING gin (username gin_trgm_ops);

CREATE TABLE message_likes (
    message_id bigint NOT NULL,
    member_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT message_likes_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT message_likes_message_id_fkey FOREIGN KEY (message_id) REFERENCES conversation_messages(id) ON DELETE CASCADE,
    CONSTRAINT message_likes_pkey PRIMARY KEY (message_id, member_id)
);

CREATE TABLE message_preferences (
    member_id bigint NOT NULL,
    min_trust_level smallint DEFAULT 0 NOT NULL,
    staff_only boolean DEFAULT false NOT NULL,
    CONSTRAINT message_preferences_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT message_preferences_pkey PRIMARY KEY (member_id),
    CONSTRAINT message_preferences_trust_level_check CHECK (min_trust_level >= 0 AND min_trust_level <= 4)
);

CREATE TABLE mod_log (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id bigint,
    action text NOT NULL,
    target_type text DEFAULT ''::text NOT NULL,
    target_id bigint,
    reason text DEFAULT ''::text NOT NULL,
    before jsonb,
    after jsonb,
    CONSTRAINT mod_log_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES members(id),
    CONSTRAINT mod_log_pkey PRIMARY KEY (id)
);
CREATE INDEX mod_log_at ON mod_log USING btree (at DESC, id DESC);
CREATE INDEX mod_log_target ON mod_log USING btree (target_type, target_id);

CREATE TABLE notification_queue (
    post_id bigint NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notification_queue_pkey PRIMARY KEY (post_id)
);

CREATE TABLE notifications (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    member_id bigint NOT NULL,
    kind text NOT NULL,
    actor_id bigint,
    thread_id bigint,
    post_id bigint,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    batch_day date,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    read_at timestamp with time zone,
    hidden boolean DEFAULT false NOT NULL,
    conversation_id bigint,
    CONSTRAINT notifications_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT notifications_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
    CONSTRAINT notifications_kind_check CHECK (kind = ANY (ARRAY['reply'::text, 'mention'::text, 'quote'::text, 'like'::text, 'moderation'::text, 'watching'::text, 'new_thread'::text, 'message'::text, 'bookmark_reminder'::text])),
    CONSTRAINT notifications_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT notifications_pkey PRIMARY KEY (id),
    CONSTRAINT notifications_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT notifications_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX notifications_like_batch ON notifications USING btree (member_id, post_id, batch_day) WHERE (kind = 'like'::text);
CREATE INDEX notifications_member ON notifications USING btree (member_id, id DESC);
CREATE INDEX notifications_post ON notifications USING btree (post_id, member_id);
CREATE INDEX notifications_unread ON notifications USING btree (member_id) WHERE (read_at IS NULL);
CREATE INDEX notifications_unread_shown ON notifications USING btree (member_id) WHERE ((read_at IS NULL) AND (NOT hidden));

CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    recipient text NOT NULL,
    kind text NOT NULL,
    locale text DEFAULT ''::text NOT NULL,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    CONSTRAINT outbox_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_status_check CHECK (status = ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text]))
);
CREATE INDEX outbox_due ON outbox USING btree (next_attempt_at) WHERE (status = 'pending'::text);
CREATE INDEX outbox_failed ON outbox USING btree (created_at) WHERE (status = 'failed'::text);

CREATE TABLE post_mentions (
    post_id bigint NOT NULL,
    member_id bigint NOT NULL,
    CONSTRAINT post_mentions_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT post_mentions_pkey PRIMARY KEY (post_id, member_id),
    CONSTRAINT post_mentions_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE
);

CREATE TABLE post_pending_edits (
    post_id bigint NOT NULL,
    thread_id bigint NOT NULL,
    author_id bigint,
    edited_by bigint,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    title text,
    refs jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT post_pending_edits_author_id_fkey FOREIGN KEY (author_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT post_pending_edits_edited_by_fkey FOREIGN KEY (edited_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT post_pending_edits_held_invariant TRIGGER DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT post_pending_edits_pkey PRIMARY KEY (post_id),
    CONSTRAINT post_pending_edits_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT post_pending_edits_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX post_pending_edits_thread_author ON post_pending_edits USING btree (thread_id, author_id);

CREATE TABLE post_quotes (
    post_id bigint NOT NULL,
    quoted_post_id bigint NOT NULL,
    CONSTRAINT post_quotes_pkey PRIMARY KEY (post_id, quoted_post_id),
    CONSTRAINT post_quotes_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT post_quotes_quoted_post_id_fkey FOREIGN KEY (quoted_post_id) REFERENCES posts(id) ON DELETE CASCADE
);

CREATE TABLE post_revisions (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    post_id bigint NOT NULL,
    revision integer NOT NULL,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    edited_by bigint,
    edited_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT post_revisions_edited_by_fkey FOREIGN KEY (edited_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT post_revisions_pkey PRIMARY KEY (id),
    CONSTRAINT post_revisions_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT post_revisions_post_id_revision_key UNIQUE (post_id, revision)
);

CREATE TABLE post_uploads (
    post_id bigint NOT NULL,
    upload_id bigint NOT NULL,
    CONSTRAINT post_uploads_pkey PRIMARY KEY (post_id, upload_id),
    CONSTRAINT post_uploads_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT post_uploads_upload_id_fkey FOREIGN KEY (upload_id) REFERENCES uploads(id) ON DELETE CASCADE
);
CREATE INDEX post_uploads_upload ON post_uploads USING btree (upload_id);

CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    thread_id bigint NOT NULL,
    number integer NOT NULL,
    author_id bigint,
    reply_to integer,
    body_markdown text NOT NULL,
    body_html text NOT NULL,
    status text DEFAULT 'published'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    edited_at timestamp with time zone,
    edit_count integer DEFAULT 0 NOT NULL,
    like_count integer DEFAULT 0 NOT NULL,
    search_config regconfig,
    search_vector tsvector,
    removal text DEFAULT ''::text NOT NULL,
    removal_rule text DEFAULT ''::text NOT NULL,
    body_key_hash uuid,
    CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT posts_held_invariant TRIGGER DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT posts_pkey PRIMARY KEY (id),
    CONSTRAINT posts_removal_check CHECK (removal = ANY (ARRAY[''::text, 'author'::text, 'moderator'::text, 'unpublished'::text])),
    CONSTRAINT posts_status_check CHECK (status = ANY (ARRAY['published'::text, 'held'::text, 'hidden'::text, 'deleted'::text])),
    CONSTRAINT posts_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id),
    CONSTRAINT posts_thread_id_number_key UNIQUE (thread_id, number)
);
CREATE INDEX posts_author ON posts USING btree (author_id, created_at DESC);
CREATE INDEX posts_author_body_key ON posts USING btree (author_id, body_key_hash, created_at) WHERE (body_key_hash IS NOT NULL);
CREATE INDEX posts_created ON posts USING btree (created_at DESC);
CREATE INDEX posts_first ON posts USING btree (id) WHERE (number = 1);
CREATE INDEX posts_first_created ON posts USING btree (created_at DESC) WHERE (number = 1);
CREATE INDEX posts_held ON posts USING btree (thread_id, author_id) WHERE (status = 'held'::text);
CREATE INDEX posts_search ON posts USING gin (search_vector) WITH (gin_pending_list_limit='512');

CREATE TABLE read_states (
    member_id bigint NOT NULL,
    thread_id bigint NOT NULL,
    last_read_number integer NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT read_states_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT read_states_pkey PRIMARY KEY (member_id, thread_id),
    CONSTRAINT read_states_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);

CREATE TABLE reports (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    reporter_id bigint NOT NULL,
    post_id bigint,
    member_id bigint,
    review_item_id bigint NOT NULL,
    reason text NOT NULL,
    rule_id bigint,
    note text DEFAULT ''::text NOT NULL,
    weight double precision NOT NULL,
    outcome text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    message_id bigint,
    upload_id bigint,
    CONSTRAINT reports_check CHECK ((post_id IS NULL) <> (member_id IS NULL)),
    CONSTRAINT reports_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT reports_message_id_fkey FOREIGN KEY (message_id) REFERENCES conversation_messages(id) ON DELETE SET NULL,
    CONSTRAINT reports_outcome_check CHECK (outcome = ANY (ARRAY[''::text, 'agreed'::text, 'dismissed'::text])),
    CONSTRAINT reports_pkey PRIMARY KEY (id),
    CONSTRAINT reports_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT reports_reason_check CHECK (reason = ANY (ARRAY['spam'::text, 'inappropriate'::text, 'off_topic'::text, 'illegal'::text, 'guideline'::text, 'other'::text])),
    CONSTRAINT reports_reporter_id_fkey FOREIGN KEY (reporter_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT reports_review_item_id_fkey FOREIGN KEY (review_item_id) REFERENCES review_items(id) ON DELETE CASCADE,
    CONSTRAINT reports_rule_id_fkey FOREIGN KEY (rule_id) REFERENCES rules(id) ON DELETE SET NULL,
    CONSTRAINT reports_upload_id_fkey FOREIGN KEY (upload_id) REFERENCES uploads(id) ON DELETE CASCADE,
    CONSTRAINT reports_weight_check CHECK (weight >= 0::double precision)
);
CREATE INDEX reports_created ON reports USING btree (created_at);
CREATE INDEX reports_item ON reports USING btree (review_item_id);
CREATE INDEX reports_message ON reports USING btree (message_id) WHERE (message_id IS NOT NULL);
CREATE UNIQUE INDEX reports_open_member ON reports USING btree (reporter_id, member_id) WHERE ((outcome = ''::text) AND (member_id IS NOT NULL) AND (message_id IS NULL));
CREATE UNIQUE INDEX reports_open_message ON reports USING btree (reporter_id, message_id) WHERE ((outcome = ''::text) AND (message_id IS NOT NULL));
CREATE UNIQUE INDEX reports_open_post ON reports USING btree (reporter_id, post_id) WHERE ((outcome = ''::text) AND (post_id IS NOT NULL) AND (upload_id IS NULL));
CREATE UNIQUE INDEX reports_open_upload ON reports USING btree (reporter_id, upload_id) WHERE ((outcome = ''::text) AND (upload_id IS NOT NULL));
CREATE INDEX reports_reporter ON reports USING btree (reporter_id, created_at DESC);
CREATE INDEX reports_upload ON reports USING btree (upload_id) WHERE (upload_id IS NOT NULL);

CREATE TABLE review_items (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    kind text NOT NULL,
    post_id bigint,
    member_id bigint,
    status text DEFAULT 'pending'::text NOT NULL,
    score double precision DEFAULT 0 NOT NULL,
    reasons jsonb DEFAULT '[]'::jsonb NOT NULL,
    claimed_by bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    first_seen_at timestamp with time zone,
    claimed_at timestamp with time zone,
    resolved_at timestamp with time zone,
    resolved_by bigint,
    resolution text DEFAULT ''::text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    sanction_id bigint,
    resolution_note text DEFAULT ''::text NOT NULL,
    CONSTRAINT review_items_check CHECK ((post_id IS NULL) <> (member_id IS NULL)),
    CONSTRAINT review_items_claimed_by_fkey FOREIGN KEY (claimed_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT review_items_held_invariant TRIGGER DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT review_items_kind_check CHECK (kind = ANY (ARRAY['held'::text, 'flagged'::text, 'reported'::text, 'appeal'::text])),
    CONSTRAINT review_items_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT review_items_pkey PRIMARY KEY (id),
    CONSTRAINT review_items_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id) ON DELETE CASCADE,
    CONSTRAINT review_items_resolved_by_fkey FOREIGN KEY (resolved_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT review_items_sanction_id_fkey FOREIGN KEY (sanction_id) REFERENCES sanctions(id) ON DELETE CASCADE,
    CONSTRAINT review_items_status_check CHECK (status = ANY (ARRAY['pending'::text, 'resolved'::text]))
);
CREATE INDEX review_items_created ON review_items USING btree (created_at);
CREATE INDEX review_items_member ON review_items USING btree (member_id) WHERE (member_id IS NOT NULL);
CREATE UNIQUE INDEX review_items_open_appeal ON review_items USING btree (sanction_id) WHERE ((status = 'pending'::text) AND (kind = 'appeal'::text));
CREATE UNIQUE INDEX review_items_open_member ON review_items USING btree (member_id) WHERE ((status = 'pending'::text) AND (member_id IS NOT NULL) AND (kind <> 'appeal'::text));
CREATE UNIQUE INDEX review_items_open_post ON review_items USING btree (post_id) WHERE ((status = 'pending'::text) AND (post_id IS NOT NULL));
CREATE INDEX review_items_queue ON review_items USING btree (status, created_at, id);
CREATE INDEX review_items_resolved ON review_items USING btree (resolved_at DESC) WHERE (status = 'resolved'::text);

CREATE TABLE review_notes (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    item_id bigint NOT NULL,
    author_id bigint,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT review_notes_author_id_fkey FOREIGN KEY (author_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT review_notes_body_check CHECK (length(body) >= 1 AND length(body) <= 4000),
    CONSTRAINT review_notes_item_id_fkey FOREIGN KEY (item_id) REFERENCES review_items(id) ON DELETE CASCADE,
    CONSTRAINT review_notes_pkey PRIMARY KEY (id)
);
CREATE INDEX review_notes_item ON review_notes USING btree (item_id, id);

CREATE TABLE rules (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    kind text NOT NULL,
    patterns text[] DEFAULT '{}'::text[] NOT NULL,
    params jsonb DEFAULT '{}'::jsonb NOT NULL,
    action text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by bigint,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by bigint,
    exceptions text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT rules_action_check CHECK (action = ANY (ARRAY['block'::text, 'censor'::text, 'hold'::text, 'flag'::text])),
    CONSTRAINT rules_check CHECK (action <> 'censor'::text OR kind = 'words'::text),
    CONSTRAINT rules_created_by_fkey FOREIGN KEY (created_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT rules_kind_check CHECK (kind = ANY (ARRAY['words'::text, 'links'::text, 'mentions'::text, 'new_members'::text, 'rate'::text, 'duplicates'::text])),
    CONSTRAINT rules_name_check CHECK (length(name) >= 1 AND length(name) <= 80),
    CONSTRAINT rules_pkey PRIMARY KEY (id),
    CONSTRAINT rules_updated_by_fkey FOREIGN KEY (updated_by) REFERENCES members(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX rules_name ON rules USING btree (lower(name));

CREATE TABLE sanctions (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    member_id bigint NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL,
    until timestamp with time zone,
    created_by bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    revoked_by bigint,
    appealed_at timestamp with time zone,
    appeal_text text DEFAULT ''::text NOT NULL,
    appeal_outcome text DEFAULT ''::text NOT NULL,
    CONSTRAINT sanctions_appeal_outcome_check CHECK (appeal_outcome = ANY (ARRAY[''::text, 'upheld'::text, 'lifted'::text])),
    CONSTRAINT sanctions_check CHECK ((kind = ANY (ARRAY['silence'::text, 'suspension'::text])) = (until IS NOT NULL)),
    CONSTRAINT sanctions_created_by_fkey FOREIGN KEY (created_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT sanctions_kind_check CHECK (kind = ANY (ARRAY['warning'::text, 'silence'::text, 'suspension'::text, 'ban'::text])),
    CONSTRAINT sanctions_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT sanctions_pkey PRIMARY KEY (id),
    CONSTRAINT sanctions_revoked_by_fkey FOREIGN KEY (revoked_by) REFERENCES members(id) ON DELETE SET NULL
);
CREATE INDEX sanctions_appealed ON sanctions USING btree (appealed_at) WHERE ((appealed_at IS NOT NULL) AND (appeal_outcome = ''::text));
CREATE INDEX sanctions_member ON sanctions USING btree (member_id, created_at DESC, id DESC);

CREATE TABLE search_default (
    only_row boolean DEFAULT true NOT NULL,
    locale text NOT NULL,
    CONSTRAINT search_default_locale_check CHECK (locale = ANY (ARRAY['fr'::text, 'en'::text])),
    CONSTRAINT search_default_only_row_check CHECK (only_row),
    CONSTRAINT search_default_pkey PRIMARY KEY (only_row)
);

CREATE TABLE sessions (
    token_hash bytea NOT NULL,
    member_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    remember boolean DEFAULT false NOT NULL,
    user_agent text DEFAULT ''::text NOT NULL,
    client_ip inet,
    CONSTRAINT sessions_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT sessions_pkey PRIMARY KEY (token_hash)
);
CREATE INDEX sessions_expires ON sessions USING btree (expires_at);
CREATE INDEX sessions_member ON sessions USING btree (member_id);

CREATE TABLE settings (
    key text NOT NULL,
    value jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by bigint,
    CONSTRAINT settings_pkey PRIMARY KEY (key),
    CONSTRAINT settings_updated_by_fkey FOREIGN KEY (updated_by) REFERENCES members(id) ON DELETE SET NULL
);

CREATE TABLE site_keys (
    name text NOT NULL,
    value bytea NOT NULL,
    CONSTRAINT site_keys_pkey PRIMARY KEY (name)
);

CREATE TABLE threads (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    category_id bigint NOT NULL,
    author_id bigint,
    title text NOT NULL,
    slug text NOT NULL,
    status text DEFAULT 'published'::text NOT NULL,
    pinned boolean DEFAULT false NOT NULL,
    locked boolean DEFAULT false NOT NULL,
    closed boolean DEFAULT false NOT NULL,
    post_count integer DEFAULT 0 NOT NULL,
    last_post_at timestamp with time zone DEFAULT now() NOT NULL,
    last_post_id bigint,
    last_poster_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_post_number integer DEFAULT 1 NOT NULL,
    CONSTRAINT threads_author_id_fkey FOREIGN KEY (author_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT threads_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories(id),
    CONSTRAINT threads_last_poster_id_fkey FOREIGN KEY (last_poster_id) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT threads_pkey PRIMARY KEY (id),
    CONSTRAINT threads_status_check CHECK (status = ANY (ARRAY['published'::text, 'held'::text, 'hidden'::text, 'deleted'::text]))
);
CREATE INDEX threads_activity ON threads USING btree (last_post_at DESC, id DESC);
CREATE INDEX threads_author ON threads USING btree (author_id);
CREATE INDEX threads_author_created ON threads USING btree (author_id, created_at DESC);
CREATE INDEX threads_category_activity ON threads USING btree (category_id, last_post_at DESC, id DESC);
CREATE INDEX threads_category_pinned_activity ON threads USING btree (category_id, pinned DESC, last_post_at DESC, id DESC);
CREATE INDEX threads_created ON threads USING btree (created_at);
CREATE INDEX threads_held_author ON threads USING btree (author_id) WHERE (status = 'held'::text);
CREATE INDEX threads_title_trgm ON threads USING gin (title gin_trgm_ops);
CREATE INDEX threads_unpublished ON threads USING btree (id) WHERE (status <> 'published'::text);

CREATE TABLE traffic_categories (
    day date NOT NULL,
    category_id bigint NOT NULL,
    views bigint DEFAULT 0 NOT NULL,
    CONSTRAINT traffic_categories_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories(id) ON DELETE CASCADE,
    CONSTRAINT traffic_categories_pkey PRIMARY KEY (day, category_id)
);

CREATE TABLE traffic_days (
    day date NOT NULL,
    kind text NOT NULL,
    views bigint DEFAULT 0 NOT NULL,
    search_views bigint DEFAULT 0 NOT NULL,
    CONSTRAINT traffic_days_kind_check CHECK (kind = ANY (ARRAY['member'::text, 'anonymous'::text, 'crawler'::text])),
    CONSTRAINT traffic_days_pkey PRIMARY KEY (day, kind)
);

CREATE TABLE traffic_readers (
    day date NOT NULL,
    reader bytea NOT NULL,
    CONSTRAINT traffic_readers_pkey PRIMARY KEY (day, reader)
);

CREATE TABLE traffic_readers_days (
    day date NOT NULL,
    readers integer NOT NULL,
    CONSTRAINT traffic_readers_days_pkey PRIMARY KEY (day)
);

CREATE TABLE traffic_referrer_months (
    month date NOT NULL,
    domain text NOT NULL,
    views bigint NOT NULL,
    CONSTRAINT traffic_referrer_months_pkey PRIMARY KEY (month, domain)
);
CREATE INDEX traffic_referrer_months_top ON traffic_referrer_months USING btree (month, views DESC, domain);

CREATE TABLE traffic_referrers (
    day date NOT NULL,
    domain text NOT NULL,
    views bigint DEFAULT 0 NOT NULL,
    CONSTRAINT traffic_referrers_pkey PRIMARY KEY (day, domain)
);
CREATE INDEX traffic_referrers_domain ON traffic_referrers USING btree (domain, day) INCLUDE (views);

CREATE TABLE traffic_salts (
    day date NOT NULL,
    salt bytea NOT NULL,
    CONSTRAINT traffic_salts_pkey PRIMARY KEY (day)
);

CREATE TABLE traffic_thread_months (
    month date NOT NULL,
    thread_id bigint NOT NULL,
    views bigint NOT NULL,
    CONSTRAINT traffic_thread_months_pkey PRIMARY KEY (month, thread_id),
    CONSTRAINT traffic_thread_months_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX traffic_thread_months_top ON traffic_thread_months USING btree (month, views DESC, thread_id);

CREATE TABLE traffic_threads (
    day date NOT NULL,
    thread_id bigint NOT NULL,
    views bigint DEFAULT 0 NOT NULL,
    CONSTRAINT traffic_threads_pkey PRIMARY KEY (day, thread_id),
    CONSTRAINT traffic_threads_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX traffic_threads_thread ON traffic_threads USING btree (thread_id, day) INCLUDE (views);

CREATE TABLE upload_blobs (
    upload_id bigint NOT NULL,
    data bytea NOT NULL,
    CONSTRAINT upload_blobs_pkey PRIMARY KEY (upload_id),
    CONSTRAINT upload_blobs_upload_id_fkey FOREIGN KEY (upload_id) REFERENCES uploads(id) ON DELETE CASCADE
);

CREATE TABLE upload_owners (
    upload_id bigint NOT NULL,
    member_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT upload_owners_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT upload_owners_pkey PRIMARY KEY (member_id, upload_id),
    CONSTRAINT upload_owners_upload_id_fkey FOREIGN KEY (upload_id) REFERENCES uploads(id) ON DELETE CASCADE
);
CREATE INDEX upload_owners_recent ON upload_owners USING btree (member_id, created_at);
CREATE INDEX upload_owners_upload ON upload_owners USING btree (upload_id);

CREATE TABLE uploads (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    sha256 text NOT NULL,
    kind text NOT NULL,
    content_type text NOT NULL,
    ext text NOT NULL,
    size bigint NOT NULL,
    width integer DEFAULT 0 NOT NULL,
    height integer DEFAULT 0 NOT NULL,
    original_name text DEFAULT ''::text NOT NULL,
    uploader_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    removed_at timestamp with time zone,
    purged_at timestamp with time zone,
    CONSTRAINT uploads_ext_check CHECK (ext ~ '^[a-z0-9]{1,10}$'::text),
    CONSTRAINT uploads_kind_check CHECK (kind = ANY (ARRAY['image'::text, 'attachment'::text, 'avatar'::text])),
    CONSTRAINT uploads_pkey PRIMARY KEY (id),
    CONSTRAINT uploads_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'::text),
    CONSTRAINT uploads_sha256_key UNIQUE (sha256),
    CONSTRAINT uploads_size_check CHECK (size >= 0),
    CONSTRAINT uploads_uploader_id_fkey FOREIGN KEY (uploader_id) REFERENCES members(id) ON DELETE SET NULL
);
CREATE INDEX uploads_created ON uploads USING btree (created_at);
CREATE INDEX uploads_removed_unpurged ON uploads USING btree (removed_at) WHERE ((removed_at IS NOT NULL) AND (purged_at IS NULL));

CREATE TABLE watches (
    member_id bigint NOT NULL,
    thread_id bigint,
    category_id bigint,
    level text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT watches_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories(id) ON DELETE CASCADE,
    CONSTRAINT watches_check CHECK ((thread_id IS NULL) <> (category_id IS NULL)),
    CONSTRAINT watches_level_check CHECK (level = ANY (ARRAY['watching'::text, 'normal'::text, 'muted'::text])),
    CONSTRAINT watches_member_id_fkey FOREIGN KEY (member_id) REFERENCES members(id) ON DELETE CASCADE,
    CONSTRAINT watches_thread_id_fkey FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX watches_category_watching ON watches USING btree (category_id) WHERE (level = 'watching'::text);
CREATE UNIQUE INDEX watches_member_category ON watches USING btree (member_id, category_id) WHERE (category_id IS NOT NULL);
CREATE UNIQUE INDEX watches_member_thread ON watches USING btree (member_id, thread_id) WHERE (thread_id IS NOT NULL);
CREATE INDEX watches_thread_watching ON watches USING btree (thread_id) WHERE (level = 'watching'::text);

CREATE TABLE webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    webhook_id bigint NOT NULL,
    event text NOT NULL,
    payload jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    response_status integer,
    response_body text DEFAULT ''::text NOT NULL,
    error text DEFAULT ''::text NOT NULL,
    duration_ms integer,
    redelivery_of bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_attempt_at timestamp with time zone,
    delivered_at timestamp with time zone,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_deliveries_redelivery_of_fkey FOREIGN KEY (redelivery_of) REFERENCES webhook_deliveries(id) ON DELETE SET NULL,
    CONSTRAINT webhook_deliveries_status_check CHECK (status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])),
    CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks(id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries USING btree (created_at);
CREATE INDEX webhook_deliveries_of_hook ON webhook_deliveries USING btree (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_unsettled ON webhook_deliveries USING btree (status) WHERE (status <> 'delivered'::text);

CREATE TABLE webhooks (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    secret text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_by bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhooks_created_by_fkey FOREIGN KEY (created_by) REFERENCES members(id) ON DELETE SET NULL,
    CONSTRAINT webhooks_events_check CHECK (cardinality(events) > 0),
    CONSTRAINT webhooks_pkey PRIMARY KEY (id),
    CONSTRAINT webhooks_secret_check CHECK (length(secret) >= 16 AND length(secret) <= 200),
    CONSTRAINT webhooks_url_check CHECK (length(url) >= 8 AND length(url) <= 2000)
);

-- Views

-- Functions

CREATE OR REPLACE FUNCTION announce_members(ids text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    IF length(ids) > 7000 THEN
        ids := '';
    END IF;
    PERFORM pg_notify('palabre_members', ids);
END;
$function$;

CREATE OR REPLACE FUNCTION categories_count_threads()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'published' THEN
        UPDATE categories SET thread_count = thread_count - 1 WHERE id = OLD.category_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'published' THEN
        UPDATE categories SET thread_count = thread_count + 1 WHERE id = NEW.category_id;
    END IF;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION category_threads(p_category bigint, p_viewer bigint, p_pinned boolean, p_at timestamp with time zone, p_id bigint, p_limit integer, p_staff boolean)
 RETURNS TABLE(id bigint, category_id bigint, category_slug text, category_name text, author_id bigint, author_name text, title text, slug text, status text, pinned boolean, locked boolean, closed boolean, post_count integer, last_post_at timestamp with time zone, last_post_number integer, last_poster_name text, created_at timestamp with time zone, last_read integer, unread bigint)
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
    RETURN QUERY
    SELECT t.id, t.category_id, c.slug, c.name, t.author_id, a.username, t.title, t.slug, t.status,
        t.pinned, t.locked, t.closed, t.post_count, t.last_post_at, t.last_post_number, lp.username,
        t.created_at, rs.last_read_number,
        CASE WHEN rs.member_id IS NULL THEN NULL ELSE
            (SELECT count(*) FROM posts p
             WHERE p.thread_id = t.id AND p.number > rs.last_read_number AND p.status = 'published') END
    FROM threads t
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN members a ON a.id = t.author_id
    LEFT JOIN members lp ON lp.id = t.last_poster_id
    LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = p_viewer
    WHERE t.category_id = p_category
        AND (t.status = 'published' OR (t.status = 'held' AND (p_staff OR t.author_id = p_viewer)))
        AND (t.pinned, t.last_post_at, t.id) < (p_pinned, p_at, p_id)
    ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC
    LIMIT p_limit;
END;
$function$;

CREATE OR REPLACE FUNCTION check_held_item()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF NEW.post_id IS NOT NULL THEN
        PERFORM check_held_post(NEW.post_id);
    END IF;
    RETURN NULL;
END;
$function$;

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

CREATE OR REPLACE FUNCTION check_held_post_row()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM check_held_post(NEW.id);
    RETURN NULL;
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

CREATE OR REPLACE FUNCTION conversation_messages_announce()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM announce_members((
        SELECT string_agg(DISTINCT p.member_id::text, ',')
        FROM (SELECT DISTINCT conversation_id FROM changed) c
        JOIN conversation_participants p ON p.conversation_id = c.conversation_id));
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION conversation_messages_search_vector()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION conversation_participants_announce()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT member_id::text, ',') FROM changed));
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION drafts_used_by_posts()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    DELETE FROM drafts d
    USING stored s
    WHERE d.member_id = s.author_id
      AND coalesce(d.thread_id, 0) = CASE WHEN s.number = 1 THEN 0 ELSE s.thread_id END;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION duplicate_key(body text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
RETURN lower(regexp_replace(body, '[^[:alnum:]]+'::text, ''::text, 'g'::text));

CREATE OR REPLACE FUNCTION fan_out_notifications(p_post_ids bigint[], p_older interval, p_limit integer)
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
DECLARE
    claimed bigint[];
BEGIN
    IF p_post_ids IS NOT NULL THEN
        WITH c AS (
            DELETE FROM notification_queue q WHERE q.post_id IN (
                SELECT post_id FROM notification_queue WHERE post_id = ANY (p_post_ids)
                FOR UPDATE SKIP LOCKED)
            RETURNING q.post_id)
        SELECT array_agg(post_id) INTO claimed FROM c;
    ELSE
        WITH c AS (
            DELETE FROM notification_queue q WHERE q.post_id IN (
                SELECT post_id FROM notification_queue WHERE queued_at < now() - p_older
                ORDER BY post_id LIMIT p_limit
                FOR UPDATE SKIP LOCKED)
            RETURNING q.post_id)
        SELECT array_agg(post_id) INTO claimed FROM c;
    END IF;
    IF claimed IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM notify_published_posts(claimed);
    -- synchronous_commit off and the announcement (migration 0016).
    PERFORM notify_after_commit();
    RETURN cardinality(claimed);
END;
$function$;

CREATE OR REPLACE FUNCTION health_mark_created()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO health_dirty (at) SELECT NEW.created_at UNION SELECT OLD.created_at ON CONFLICT DO NOTHING;
    INSERT INTO health_redo (at) SELECT NEW.created_at UNION SELECT OLD.created_at ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION health_mark_post()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO health_dirty (at)
    SELECT NEW.created_at
    UNION SELECT t.created_at FROM threads t WHERE t.id = NEW.thread_id
    ON CONFLICT DO NOTHING;
    INSERT INTO health_redo (at)
    SELECT NEW.created_at
    UNION SELECT t.created_at FROM threads t WHERE t.id = NEW.thread_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION health_mark_thread()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO health_dirty (at)
    SELECT NEW.created_at
    UNION SELECT DISTINCT date_trunc('hour', p.created_at) FROM posts p WHERE p.thread_id = NEW.id
    ON CONFLICT DO NOTHING;
    INSERT INTO health_redo (at)
    SELECT NEW.created_at
    UNION SELECT DISTINCT date_trunc('hour', p.created_at) FROM posts p WHERE p.thread_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION latest_reader(p_viewer bigint, p_limit integer)
 RETURNS TABLE(thread_id bigint, thread_version text, last_read integer, unread bigint, has_held boolean, categories_version text)
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
    RETURN QUERY
    SELECT t.id, t.xmin::text, rs.last_read_number,
        CASE WHEN rs.member_id IS NULL THEN NULL ELSE
            (SELECT count(*) FROM posts p
             WHERE p.thread_id = t.id AND p.number > rs.last_read_number AND p.status = 'published') END,
        EXISTS (SELECT 1 FROM threads h WHERE h.author_id = p_viewer AND h.status = 'held'),
        (SELECT string_agg(c.id::text || ':' || c.xmin::text, ',' ORDER BY c.id)
         FROM (SELECT c.id, c.xmin FROM categories c ORDER BY c.id) c)
    FROM (SELECT t.id, t.xmin, t.last_post_at FROM threads t
          WHERE t.status = 'published'
          ORDER BY t.last_post_at DESC, t.id DESC
          LIMIT p_limit) t
    LEFT JOIN read_states rs ON rs.member_id = p_viewer AND rs.thread_id = t.id
    ORDER BY t.last_post_at DESC, t.id DESC;
END;
$function$;

CREATE OR REPLACE FUNCTION latest_threads(p_viewer bigint, p_at timestamp with time zone, p_id bigint, p_limit integer, p_staff boolean)
 RETURNS TABLE(id bigint, category_id bigint, category_slug text, category_name text, author_id bigint, author_name text, title text, slug text, status text, pinned boolean, locked boolean, closed boolean, post_count integer, last_post_at timestamp with time zone, last_post_number integer, last_poster_name text, created_at timestamp with time zone, last_read integer, unread bigint)
 LANGUAGE plpgsql
 STABLE
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
    RETURN QUERY
    SELECT t.id, t.category_id, c.slug, c.name, t.author_id, a.username, t.title, t.slug, t.status,
        t.pinned, t.locked, t.closed, t.post_count, t.last_post_at, t.last_post_number, lp.username,
        t.created_at, rs.last_read_number,
        CASE WHEN rs.member_id IS NULL THEN NULL ELSE
            (SELECT count(*) FROM posts p
             WHERE p.thread_id = t.id AND p.number > rs.last_read_number AND p.status = 'published') END
    FROM threads t
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN members a ON a.id = t.author_id
    LEFT JOIN members lp ON lp.id = t.last_poster_id
    LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = p_viewer
    WHERE (t.status = 'published' OR (t.status = 'held' AND (p_staff OR t.author_id = p_viewer)))
        AND (t.last_post_at, t.id) < (p_at, p_id)
    ORDER BY t.last_post_at DESC, t.id DESC
    LIMIT p_limit;
END;
$function$;

CREATE OR REPLACE FUNCTION member_mailable(m members)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT m.email <> '' AND m.email_verified_at IS NOT NULL AND m.email_bounced_at IS NULL
        AND m.status <> 'deleted'
$function$;

CREATE OR REPLACE FUNCTION member_rows_announce()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT member_id::text, ',') FROM changed));
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION members_announce()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM announce_members((SELECT string_agg(DISTINCT id::text, ',') FROM changed));
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION mod_log_is_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'mod_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$function$;

CREATE OR REPLACE FUNCTION notifications_follow_post()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE notifications n SET hidden = (NEW.status <> 'published' OR t.status <> 'published')
    FROM threads t
    WHERE n.post_id = NEW.id AND n.kind <> 'moderation' AND t.id = NEW.thread_id
        AND n.hidden IS DISTINCT FROM (NEW.status <> 'published' OR t.status <> 'published');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION notifications_follow_thread()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    -- By the thread's posts: notifications have no index on thread_id.
    UPDATE notifications n SET hidden = (p.status <> 'published' OR NEW.status <> 'published')
    FROM posts p
    WHERE p.thread_id = NEW.id AND n.post_id = p.id AND n.kind <> 'moderation'
        AND n.hidden IS DISTINCT FROM (p.status <> 'published' OR NEW.status <> 'published');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION notify_after_commit()
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('palabre_content', 'after_commit');
END;
$function$;

CREATE OR REPLACE FUNCTION notify_content_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF current_setting('palabre.notify', true) = 'after_commit' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('palabre_content', '');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION notify_guidelines_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('palabre_content', 'guidelines');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION notify_published(p_post_id bigint)
 RETURNS integer
 LANGUAGE sql
AS $function$ SELECT notify_published_posts(ARRAY[p_post_id]) $function$;

CREATE OR REPLACE FUNCTION notify_published_posts(p_post_ids bigint[])
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
#variable_conflict use_column
DECLARE
    notified integer;
    mailed integer;
BEGIN
WITH p AS (
	SELECT p.id, p.thread_id, p.number, p.author_id, p.reply_to,
		t.category_id, t.status AS thread_status, t.title
	FROM posts p JOIN threads t ON t.id = p.thread_id
	WHERE p.id = ANY (p_post_ids) AND p.status = 'published'
), candidates AS (
	SELECT pm.post_id, pm.member_id, 'mention' AS kind, 1 AS rank FROM p JOIN post_mentions pm ON pm.post_id = p.id
	UNION ALL
	SELECT p.id, q.author_id, 'quote', 2 FROM p JOIN post_quotes pq ON pq.post_id = p.id JOIN posts q ON q.id = pq.quoted_post_id
	UNION ALL
	SELECT p.id, r.author_id, 'reply', 3 FROM p JOIN posts r ON r.thread_id = p.thread_id AND r.number = p.reply_to
	UNION ALL
	SELECT p.id, w.member_id, 'watching', 4 FROM p JOIN watches w ON w.thread_id = p.thread_id AND w.level = 'watching'
	WHERE p.number > 1
	UNION ALL
	SELECT p.id, w.member_id, 'new_thread', 4 FROM p JOIN watches w ON w.category_id = p.category_id AND w.level = 'watching'
	WHERE p.number = 1
), already AS MATERIALIZED (
	-- By post (notifications_post): by member, the planner's favourite,
	-- reads every notification a member ever had.
	SELECT o.post_id, o.member_id FROM notifications o
	WHERE o.post_id = ANY (p_post_ids) AND o.kind NOT IN ('like', 'moderation')
), chosen AS (
	SELECT DISTINCT ON (p.id, c.member_id) c.member_id, c.kind, p.author_id, p.thread_id, p.id AS post_id,
		p.thread_status <> 'published' AS hidden, p.title,
		m.email, m.locale, m.username,
		CASE WHEN c.kind = 'mention' THEN 'mention' WHEN c.kind = 'quote' THEN 'quote' ELSE 'reply' END AS list,
		member_mailable(m) AND CASE WHEN c.kind = 'mention' THEN m.email_on_mention
		                            WHEN c.kind = 'quote' THEN m.email_on_quote
		                            ELSE m.email_on_reply END AS wants_email,
		m.id AS recipient_id, m.unsubscribe_key
	FROM candidates c
	JOIN p ON p.id = c.post_id
	JOIN members m ON m.id = c.member_id
	WHERE m.id IS DISTINCT FROM p.author_id
		AND m.status <> 'deleted' AND m.banned_at IS NULL
		AND (p.thread_status = 'published' OR m.role IN ('moderator', 'admin'))
		AND coalesce((SELECT tw.level FROM watches tw WHERE tw.member_id = m.id AND tw.thread_id = p.thread_id),
		             (SELECT cw.level FROM watches cw WHERE cw.member_id = m.id AND cw.category_id = p.category_id),
		             'normal') <> 'muted'
		AND NOT EXISTS (SELECT 1 FROM already o WHERE o.post_id = p.id AND o.member_id = m.id)
		AND NOT EXISTS (SELECT 1 FROM ignored_members i WHERE i.member_id = m.id AND i.ignored_id = p.author_id)
	ORDER BY p.id, c.member_id, c.rank
), inserted AS (
	INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id, hidden)
	SELECT member_id, kind, author_id, thread_id, post_id, hidden FROM chosen
	RETURNING 1
), mails AS (
	-- Every chosen row is inserted: the mails are those of the chosen rows,
	-- with what they need already at hand.
	INSERT INTO outbox (recipient, kind, locale, data)
	SELECT c.email, 'notify_' || c.kind, c.locale,
		jsonb_build_object('Username', c.username, 'Actor', coalesce(a.username, ''), 'Title', c.title,
			'Path', '/p/' || c.post_id,
			'Unsubscribe', unsubscribe_path(c.recipient_id, c.unsubscribe_key, c.list))
	FROM chosen c
	LEFT JOIN members a ON a.id = c.author_id
	WHERE c.wants_email
	RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM mails) INTO notified, mailed;
    IF mailed > 0 AND current_setting('palabre.notify', true) IS DISTINCT FROM 'after_commit' THEN
        PERFORM pg_notify('palabre_outbox', '');
    END IF;
    RETURN notified;
END;
$function$;

CREATE OR REPLACE FUNCTION notify_review_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('palabre_review', json_build_object(
        'id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'claimed_by', NEW.claimed_by,
        'version', NEW.version)::text);
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION notify_rules_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('palabre_rules', '');
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION palabre_post_search_vector(config regconfig, title text, body_html text)
 RETURNS tsvector
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
    SELECT setweight(to_tsvector(config, palabre_search_text(coalesce(title, ''))), 'A') ||
           setweight(to_tsvector(config, palabre_search_text(body_html)), 'B')
$function$;

CREATE OR REPLACE FUNCTION palabre_search_config()
 RETURNS regconfig
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
    RETURN CASE coalesce(nullif((SELECT value #>> '{}' FROM settings WHERE key = 'locale'), ''),
                         (SELECT locale FROM search_default), 'fr')
        WHEN 'en' THEN 'palabre_english'::regconfig
        ELSE 'palabre_french'::regconfig
    END;
END;
$function$;

CREATE OR REPLACE FUNCTION palabre_search_text(html text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
    SELECT regexp_replace(left(regexp_replace(html, '<[^>]*>', ' ', 'g'), 100000), '(\S{64})', '\1 ', 'g')
$function$;

CREATE OR REPLACE FUNCTION post_uploads_sync()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    shas text[];
BEGIN
    SELECT coalesce(array_agg(DISTINCT m[1]), '{}') INTO shas
    FROM regexp_matches(NEW.body_html, '/uploads/([0-9a-f]{64})\.[a-z0-9]{1,10}', 'g') AS m;
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM post_uploads pu USING uploads u
        WHERE pu.post_id = NEW.id AND u.id = pu.upload_id AND NOT u.sha256 = ANY (shas);
    END IF;
    IF cardinality(shas) > 0 THEN
        INSERT INTO post_uploads (post_id, upload_id)
        SELECT NEW.id, u.id FROM uploads u WHERE u.sha256 = ANY (shas)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION posting_histories(p_members bigint[], p_recent_posts boolean[], p_recent_threads boolean[], p_duplicate_minutes integer[], p_bodies text[], p_published_limits integer[])
 RETURNS TABLE(ord integer, recent_posts integer, recent_threads integer, duplicate boolean, published integer)
 LANGUAGE sql
 STABLE
AS $function$
    -- What is not asked (false, NULL or 0) comes back as NULL.
    SELECT h.ord::integer,
        CASE WHEN h.recent_posts THEN (
            SELECT count(*) FROM posts p
            WHERE p.author_id = h.member AND p.created_at > now() - interval '1 minute')::integer END,
        CASE WHEN h.recent_threads THEN (
            SELECT count(*) FROM threads t
            WHERE t.author_id = h.member AND t.created_at > now() - interval '1 day')::integer END,
        CASE WHEN h.duplicate_minutes > 0 THEN EXISTS (
            SELECT 1 FROM posts p
            WHERE p.author_id = h.member AND p.body_key_hash = md5(k.body_key)::uuid
              AND p.created_at > now() - make_interval(mins => h.duplicate_minutes)
              AND p.status <> 'deleted'
              AND (p.body_markdown = h.body OR k.body_key <> '' AND duplicate_key(p.body_markdown) = k.body_key)) END,
        CASE WHEN h.published_limit > 0 THEN (
            SELECT count(*) FROM (
                SELECT 1 FROM posts p WHERE p.author_id = h.member AND p.status = 'published'
                LIMIT h.published_limit) x)::integer END
    FROM unnest(p_members, p_recent_posts, p_recent_threads, p_duplicate_minutes, p_bodies, p_published_limits)
        WITH ORDINALITY AS h(member, recent_posts, recent_threads, duplicate_minutes, body, published_limit, ord)
    CROSS JOIN LATERAL (SELECT CASE WHEN h.duplicate_minutes > 0 THEN duplicate_key(h.body) END AS body_key) k
    ORDER BY h.ord
$function$;

CREATE OR REPLACE FUNCTION posting_history(p_member bigint, p_recent_posts boolean, p_recent_threads boolean, p_duplicate_minutes integer, p_body text, p_published_limit integer)
 RETURNS TABLE(recent_posts integer, recent_threads integer, duplicate boolean, published integer)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
    -- Serialises one member's submissions across instances, so that two
    -- posts sent at once cannot both slip under a limit.
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || p_member::text, 0));
    RETURN QUERY
    SELECT h.recent_posts, h.recent_threads, h.duplicate, h.published
    FROM posting_histories(ARRAY[p_member], ARRAY[p_recent_posts], ARRAY[p_recent_threads],
                           ARRAY[p_duplicate_minutes], ARRAY[p_body], ARRAY[p_published_limit]) h;
END;
$function$;

CREATE OR REPLACE FUNCTION posts_body_key_hash()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    NEW.body_key_hash := md5(duplicate_key(NEW.body_markdown))::uuid;
    RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION posts_search_vector()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    title text := '';
BEGIN
    IF NEW.search_config IS NULL THEN
        NEW.search_config := palabre_search_config();
    END IF;
    IF NEW.number = 1 THEN
        SELECT t.title INTO title FROM threads t WHERE t.id = NEW.thread_id;
    END IF;
    NEW.search_vector := palabre_post_search_vector(NEW.search_config, title, NEW.body_html);
    RETURN NEW;
END;
$function$;

CREATE OR REPLACE FUNCTION reply_facts(p_after_commit boolean, p_thread_ids bigint[], p_author_ids bigint[], p_reply_tos integer[], p_bodies text[], p_history boolean[], p_recent_posts boolean[], p_duplicate_minutes integer[], p_published_limits integer[])
 RETURNS TABLE(ord integer, recent_posts integer, duplicate boolean, published integer, duplicate_of integer[], thread_found boolean, thread_locked boolean, thread_closed boolean, thread_status text, thread_author_id bigint, next_number integer, target_found boolean, target_status text, target_author_id bigint)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
    IF p_after_commit THEN
        PERFORM set_config('palabre.notify', 'after_commit', true);
    END IF;
    -- The members' posting locks first, in the order of their ids, then the
    -- threads' rows, in the order of theirs: every path that takes both
    -- takes them in this order, or two transactions could wait on each
    -- other.
    PERFORM pg_advisory_xact_lock(hashtextextended('palabre.posting:' || l.member_id::text, 0))
    FROM (SELECT DISTINCT a.member_id FROM unnest(p_author_ids, p_history) AS a(member_id, asked)
          WHERE a.asked ORDER BY a.member_id) l;
    PERFORM 1 FROM (SELECT t.id FROM threads t WHERE t.id = ANY (p_thread_ids) ORDER BY t.id FOR UPDATE) l;

    -- Under the locks, every reply's facts in one statement: its author's
    -- history when asked (posting_histories, counting nothing of the set),
    -- the other replies of the set whose text repeats this one's, the
    -- thread's state and next number (NULL when there is no such thread),
    -- the post replied to (NULL when none is named or found).
    RETURN QUERY
    SELECT r.ord::integer, h.recent_posts, h.duplicate, h.published,
        CASE WHEN r.history AND r.duplicate_minutes > 0 THEN ARRAY(
            SELECT s.j FROM generate_subscripts(p_bodies, 1) AS s(j)
            WHERE s.j <> r.ord AND p_author_ids[s.j] = r.author_id
              AND (p_bodies[s.j] = r.body
                   OR duplicate_key(r.body) <> '' AND duplicate_key(p_bodies[s.j]) = duplicate_key(r.body))
            ORDER BY s.j) END,
        t.found, t.locked, t.closed, t.status, t.author_id,
        CASE WHEN t.found THEN (
            SELECT coalesce(max(x.number), 0) + 1 FROM posts x WHERE x.thread_id = r.thread_id) END,
        tg.found, tg.status, tg.author_id
    FROM unnest(p_thread_ids, p_author_ids, p_reply_tos, p_bodies, p_history, p_recent_posts,
                p_duplicate_minutes, p_published_limits)
        WITH ORDINALITY AS r(thread_id, author_id, reply_to, body, history, recent_posts, duplicate_minutes,
                             published_limit, ord)
    CROSS JOIN LATERAL posting_histories(ARRAY[r.author_id], ARRAY[r.history AND r.recent_posts], ARRAY[false],
        ARRAY[CASE WHEN r.history THEN r.duplicate_minutes ELSE 0 END], ARRAY[r.body],
        ARRAY[CASE WHEN r.history THEN r.published_limit ELSE 0 END]) h
    -- Each reply's thread and target through their keys (lateral: a batch
    -- is a few rows, which the planner cannot know of an array).
    LEFT JOIN LATERAL (SELECT true AS found, t.locked, t.closed, t.status, t.author_id
                       FROM threads t WHERE t.id = r.thread_id) t ON true
    LEFT JOIN LATERAL (SELECT true AS found, tg.status, tg.author_id
                       FROM posts tg WHERE r.reply_to > 0 AND tg.thread_id = r.thread_id
                         AND tg.number = r.reply_to) tg ON true
    ORDER BY r.ord;
END;
$function$;

CREATE OR REPLACE FUNCTION reserve_attempts(kinds text[], subjects text[], maxes integer[], windows double precision[], bases double precision[], caps double precision[], OUT ids bigint[], OUT wait double precision)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE
    t        timestamptz;
    n        integer;
    latest   timestamptz;
    blocking timestamptz;
    id       bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT hashtextextended(u.kind || E'\x1f' || u.subject, 19) AS k
          FROM unnest(kinds, subjects) AS u(kind, subject) ORDER BY 1) AS locks;
    -- The time after the locks: the rows of a reservation that held them
    -- are older than this one's.
    t := clock_timestamp();
    wait := 0;
    FOR i IN 1 .. coalesce(cardinality(kinds), 0) LOOP
        IF bases[i] > 0 THEN
            SELECT count(*), max(a.at) INTO n, latest FROM login_attempts a
            WHERE a.kind = kinds[i] AND a.subject = subjects[i] AND a.at > t - make_interval(secs => windows[i]);
            IF n >= maxes[i] THEN
                wait := greatest(wait, extract(epoch FROM latest - t)
                    + least(caps[i], bases[i] * power(2, least(n - maxes[i], 30))));
            END IF;
        ELSE
            SELECT a.at INTO blocking FROM login_attempts a
            WHERE a.kind = kinds[i] AND a.subject = subjects[i] AND a.at > t - make_interval(secs => windows[i])
            ORDER BY a.at DESC OFFSET maxes[i] - 1 LIMIT 1;
            IF FOUND THEN
                wait := greatest(wait, extract(epoch FROM blocking - t) + windows[i]);
            END IF;
        END IF;
    END LOOP;
    IF wait > 0 THEN
        RETURN;
    END IF;
    ids := '{}';
    FOR i IN 1 .. coalesce(cardinality(kinds), 0) LOOP
        INSERT INTO login_attempts (kind, subject, at) VALUES (kinds[i], subjects[i], t)
        RETURNING login_attempts.id INTO id;
        ids := ids || id;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION review_queue_appeal()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO review_items (kind, member_id, sanction_id)
    VALUES ('appeal', NEW.member_id, NEW.id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION store_replies(p_thread_ids bigint[], p_numbers integer[], p_author_ids bigint[], p_reply_tos integer[], p_bodies_markdown text[], p_bodies_html text[], p_statuses text[])
 RETURNS TABLE(ord integer, post_id bigint, post_created_at timestamp with time zone)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
    j integer;
BEGIN
    RETURN QUERY
    WITH ins AS (
        INSERT INTO posts (thread_id, number, author_id, reply_to, body_markdown, body_html, status)
        SELECT p_thread_ids[s.k], p_numbers[s.k], p_author_ids[s.k], nullif(p_reply_tos[s.k], 0),
               p_bodies_markdown[s.k], p_bodies_html[s.k], p_statuses[s.k]
        FROM generate_subscripts(p_thread_ids, 1) AS s(k) ORDER BY s.k
        RETURNING posts.id, posts.thread_id, posts.number, posts.author_id, posts.status, posts.created_at
    ), counted AS (
        UPDATE threads t SET post_count = t.post_count + x.added, last_post_at = x.created_at,
            last_post_id = x.last_id, last_poster_id = x.last_author, last_post_number = x.last_number
        FROM (SELECT w.thread_id, count(*) AS added, max(w.created_at) AS created_at, max(w.number) AS last_number,
                     (array_agg(w.id ORDER BY w.number DESC))[1] AS last_id,
                     (array_agg(w.author_id ORDER BY w.number DESC))[1] AS last_author
              FROM ins w WHERE w.status = 'published' GROUP BY w.thread_id) x
        WHERE t.id = x.thread_id
    ), queued AS (
        INSERT INTO notification_queue (post_id) SELECT w.id FROM ins w WHERE w.status = 'published'
    )
    SELECT s.k, w.id, w.created_at
    FROM generate_subscripts(p_thread_ids, 1) AS s(k)
    JOIN ins w ON w.thread_id = p_thread_ids[s.k] AND w.number = p_numbers[s.k];

    FOR j IN 1 .. coalesce(cardinality(p_thread_ids), 0) LOOP
        UPDATE read_states SET last_read_number = p_numbers[j], updated_at = now()
        WHERE member_id = p_author_ids[j] AND thread_id = p_thread_ids[j] AND last_read_number = p_numbers[j] - 1;
    END LOOP;
END;
$function$;

CREATE OR REPLACE FUNCTION threads_search_title()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE posts SET search_config = search_config WHERE thread_id = NEW.id AND number = 1;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION traffic_referrer_months_add()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO traffic_referrer_months AS m (month, domain, views)
        SELECT date_trunc('month', n.day::timestamp)::date, n.domain, sum(n.views) FROM new_rows n GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (month, domain) DO UPDATE SET views = m.views + EXCLUDED.views;
    ELSE
        INSERT INTO traffic_referrer_months AS m (month, domain, views)
        SELECT date_trunc('month', n.day::timestamp)::date, n.domain, sum(n.views - o.views)
        FROM new_rows n JOIN old_rows o ON o.day = n.day AND o.domain = n.domain
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (month, domain) DO UPDATE SET views = m.views + EXCLUDED.views;
    END IF;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION traffic_thread_months_add()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO traffic_thread_months AS m (month, thread_id, views)
        SELECT date_trunc('month', n.day::timestamp)::date, n.thread_id, sum(n.views) FROM new_rows n GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (month, thread_id) DO UPDATE SET views = m.views + EXCLUDED.views;
    ELSE
        INSERT INTO traffic_thread_months AS m (month, thread_id, views)
        SELECT date_trunc('month', n.day::timestamp)::date, n.thread_id, sum(n.views - o.views)
        FROM new_rows n JOIN old_rows o ON o.day = n.day AND o.thread_id = n.thread_id
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (month, thread_id) DO UPDATE SET views = m.views + EXCLUDED.views;
    END IF;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION unsubscribe_path(p_member bigint, p_key text, p_list text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT '/email/unsubscribe?member=' || p_member || '&key=' || p_key || '&list=' || p_list
$function$;

CREATE OR REPLACE FUNCTION webhook_emit(p_event text, p_data jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$
    WITH d AS (
        INSERT INTO webhook_deliveries (webhook_id, event, payload)
        SELECT w.id, p_event, p_data FROM webhooks w WHERE w.active AND p_event = ANY (w.events)
        RETURNING id
    )
    INSERT INTO jobs (kind, payload, max_attempts)
    SELECT 'webhook.deliver', jsonb_build_object('delivery_id', d.id), 8 FROM d
$function$;

CREATE OR REPLACE FUNCTION webhook_listened(p_event text)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
    SELECT EXISTS (SELECT 1 FROM webhooks WHERE active AND p_event = ANY (events))
$function$;

CREATE OR REPLACE FUNCTION webhook_member_sanctioned()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF webhook_listened('member.sanctioned') THEN
        PERFORM webhook_emit('member.sanctioned', jsonb_build_object('sanction', jsonb_build_object(
            'id', NEW.id, 'kind', NEW.kind, 'until', NEW.until, 'reason', NEW.reason, 'created_at', NEW.created_at,
            'member', (SELECT username FROM members WHERE id = NEW.member_id),
            'by', (SELECT username FROM members WHERE id = NEW.created_by))));
    END IF;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION webhook_member_signed_up()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF webhook_listened('member.signed_up') THEN
        PERFORM webhook_emit('member.signed_up', jsonb_build_object('member', jsonb_build_object(
            'id', NEW.id, 'username', NEW.username, 'status', NEW.status, 'role', NEW.role,
            'trust_level', NEW.trust_level, 'created_at', NEW.created_at)));
    END IF;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION webhook_post(p_id bigint)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
    SELECT jsonb_build_object(
        'post', jsonb_build_object('id', p.id, 'thread_id', p.thread_id, 'number', p.number, 'status', p.status,
            'author', m.username, 'reply_to', p.reply_to, 'body_markdown', p.body_markdown, 'created_at', p.created_at,
            'url', '/p/' || p.id),
        'thread', jsonb_build_object('id', t.id, 'title', t.title, 'category_id', t.category_id, 'category', c.slug))
    FROM posts p
    JOIN threads t ON t.id = p.thread_id
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN members m ON m.id = p.author_id
    WHERE p.id = p_id
$function$;

CREATE OR REPLACE FUNCTION webhook_post_status()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    event text := CASE WHEN NEW.status = 'held' THEN 'post.held' ELSE 'post.published' END;
BEGIN
    IF webhook_listened(event) THEN
        PERFORM webhook_emit(event, webhook_post(NEW.id));
    END IF;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION webhook_posts_stored()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    r record;
BEGIN
    IF NOT (webhook_listened('post.published') OR webhook_listened('post.held')) THEN
        RETURN NULL;
    END IF;
    FOR r IN SELECT s.id, s.status FROM stored s WHERE s.status IN ('published', 'held') ORDER BY s.id LOOP
        PERFORM webhook_emit('post.' || r.status, webhook_post(r.id));
    END LOOP;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION webhook_report_filed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF webhook_listened('report.filed') THEN
        PERFORM webhook_emit('report.filed', jsonb_build_object('report', jsonb_build_object(
            'id', NEW.id, 'review_item_id', NEW.review_item_id, 'reason', NEW.reason, 'post_id', NEW.post_id,
            'member', (SELECT username FROM members WHERE id = NEW.member_id),
            'reporter', (SELECT username FROM members WHERE id = NEW.reporter_id), 'created_at', NEW.created_at)));
    END IF;
    RETURN NULL;
END;
$function$;

CREATE OR REPLACE FUNCTION webhook_review_resolved()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF webhook_listened('review.resolved') THEN
        PERFORM webhook_emit('review.resolved', jsonb_build_object('review_item', jsonb_build_object(
            'id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'resolution', NEW.resolution, 'post_id', NEW.post_id,
            'member', (SELECT username FROM members WHERE id = NEW.member_id),
            'resolved_by', (SELECT username FROM members WHERE id = NEW.resolved_by), 'resolved_at', NEW.resolved_at)));
    END IF;
    RETURN NULL;
END;
$function$;

-- Triggers

CREATE TRIGGER api_tokens_deleted_announce AFTER DELETE ON api_tokens REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER api_tokens_updated_announce AFTER UPDATE ON api_tokens REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER categories_content_changed AFTER INSERT OR DELETE OR UPDATE ON categories FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER conversation_messages_deleted_announce AFTER DELETE ON conversation_messages REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_announce();
CREATE TRIGGER conversation_messages_inserted_announce AFTER INSERT ON conversation_messages REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_announce();
CREATE TRIGGER conversation_messages_search_vector BEFORE INSERT OR UPDATE OF body_html, search_config ON conversation_messages FOR EACH ROW EXECUTE FUNCTION conversation_messages_search_vector();
CREATE TRIGGER conversation_messages_updated_announce AFTER UPDATE ON conversation_messages REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_messages_announce();
CREATE TRIGGER conversation_participants_deleted_announce AFTER DELETE ON conversation_participants REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_participants_announce();
CREATE TRIGGER conversation_participants_inserted_announce AFTER INSERT ON conversation_participants REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_participants_announce();
CREATE TRIGGER conversation_participants_updated_announce AFTER UPDATE ON conversation_participants REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION conversation_participants_announce();
CREATE TRIGGER guidelines_content_changed AFTER INSERT OR DELETE OR UPDATE ON guideline_versions FOR EACH STATEMENT EXECUTE FUNCTION notify_guidelines_changed();
CREATE TRIGGER likes_content_changed AFTER INSERT OR DELETE OR UPDATE ON likes FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER member_avatars_content_changed AFTER INSERT OR DELETE OR UPDATE ON member_avatars FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER members_content_changed AFTER UPDATE ON members FOR EACH ROW WHEN (old.username IS DISTINCT FROM new.username OR old.display_name IS DISTINCT FROM new.display_name OR old.bio_html IS DISTINCT FROM new.bio_html OR old.status IS DISTINCT FROM new.status OR old.trust_level IS DISTINCT FROM new.trust_level OR old.role IS DISTINCT FROM new.role) EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER members_deleted_announce AFTER DELETE ON members REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_announce();
CREATE TRIGGER members_updated_announce AFTER UPDATE ON members REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_announce();
CREATE TRIGGER members_webhooks AFTER INSERT ON members FOR EACH ROW EXECUTE FUNCTION webhook_member_signed_up();
CREATE TRIGGER mod_log_no_truncate BEFORE TRUNCATE ON mod_log FOR EACH STATEMENT EXECUTE FUNCTION mod_log_is_append_only();
CREATE TRIGGER mod_log_no_update BEFORE DELETE OR UPDATE ON mod_log FOR EACH ROW EXECUTE FUNCTION mod_log_is_append_only();
CREATE TRIGGER notifications_deleted_announce AFTER DELETE ON notifications REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_inserted_announce AFTER INSERT ON notifications REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER notifications_updated_announce AFTER UPDATE ON notifications REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE CONSTRAINT TRIGGER post_pending_edits_held_invariant AFTER INSERT OR DELETE ON post_pending_edits DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_pending_edit_row();
CREATE TRIGGER posts_body_key_hash BEFORE INSERT OR UPDATE OF body_markdown ON posts FOR EACH ROW EXECUTE FUNCTION posts_body_key_hash();
CREATE TRIGGER posts_content_changed AFTER INSERT OR DELETE OR UPDATE ON posts FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER posts_health_dirty AFTER UPDATE OF status, removal ON posts FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status OR old.removal IS DISTINCT FROM new.removal) EXECUTE FUNCTION health_mark_post();
CREATE CONSTRAINT TRIGGER posts_held_invariant AFTER UPDATE OF status ON posts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (old.status = 'held'::text AND new.status <> 'held'::text) EXECUTE FUNCTION check_held_post_row();
CREATE TRIGGER posts_notifications_hidden AFTER UPDATE OF status ON posts FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION notifications_follow_post();
CREATE TRIGGER posts_search_vector BEFORE INSERT OR UPDATE OF body_html, search_config ON posts FOR EACH ROW EXECUTE FUNCTION posts_search_vector();
CREATE TRIGGER posts_uploads_inserted AFTER INSERT ON posts FOR EACH ROW WHEN (new.body_html ~~ '%/uploads/%'::text) EXECUTE FUNCTION post_uploads_sync();
CREATE TRIGGER posts_uploads_updated AFTER UPDATE OF body_html ON posts FOR EACH ROW WHEN (old.body_html IS DISTINCT FROM new.body_html AND (old.body_html ~~ '%/uploads/%'::text OR new.body_html ~~ '%/uploads/%'::text)) EXECUTE FUNCTION post_uploads_sync();
CREATE TRIGGER posts_use_drafts AFTER INSERT ON posts REFERENCING NEW TABLE AS stored FOR EACH STATEMENT EXECUTE FUNCTION drafts_used_by_posts();
CREATE TRIGGER posts_webhooks_status AFTER UPDATE OF status ON posts FOR EACH ROW WHEN (old.status = 'held'::text AND new.status = 'published'::text OR old.status <> 'held'::text AND new.status = 'held'::text) EXECUTE FUNCTION webhook_post_status();
CREATE TRIGGER posts_webhooks_stored AFTER INSERT ON posts REFERENCING NEW TABLE AS stored FOR EACH STATEMENT EXECUTE FUNCTION webhook_posts_stored();
CREATE TRIGGER reports_health_dirty AFTER UPDATE OF outcome, reason, created_at ON reports FOR EACH ROW WHEN (old.outcome IS DISTINCT FROM new.outcome OR old.reason IS DISTINCT FROM new.reason OR old.created_at IS DISTINCT FROM new.created_at) EXECUTE FUNCTION health_mark_created();
CREATE TRIGGER reports_webhooks AFTER INSERT ON reports FOR EACH ROW EXECUTE FUNCTION webhook_report_filed();
CREATE TRIGGER review_items_changed AFTER INSERT OR UPDATE ON review_items FOR EACH ROW EXECUTE FUNCTION notify_review_changed();
CREATE TRIGGER review_items_health_dirty AFTER UPDATE OF status, resolution, reasons, first_seen_at, claimed_at, resolved_at, created_at ON review_items FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status OR old.resolution IS DISTINCT FROM new.resolution OR old.reasons IS DISTINCT FROM new.reasons OR old.first_seen_at IS DISTINCT FROM new.first_seen_at OR old.claimed_at IS DISTINCT FROM new.claimed_at OR old.resolved_at IS DISTINCT FROM new.resolved_at OR old.created_at IS DISTINCT FROM new.created_at) EXECUTE FUNCTION health_mark_created();
CREATE CONSTRAINT TRIGGER review_items_held_invariant AFTER UPDATE OF status, kind, post_id ON review_items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (old.status = 'pending'::text AND new.post_id IS NOT NULL) EXECUTE FUNCTION check_held_item();
CREATE TRIGGER review_items_webhooks AFTER UPDATE OF status ON review_items FOR EACH ROW WHEN (old.status = 'pending'::text AND new.status <> 'pending'::text) EXECUTE FUNCTION webhook_review_resolved();
CREATE TRIGGER rules_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON rules FOR EACH STATEMENT EXECUTE FUNCTION notify_rules_changed();
CREATE TRIGGER sanctions_appealed AFTER UPDATE OF appealed_at ON sanctions FOR EACH ROW WHEN (old.appealed_at IS NULL AND new.appealed_at IS NOT NULL) EXECUTE FUNCTION review_queue_appeal();
CREATE TRIGGER sanctions_webhooks AFTER INSERT ON sanctions FOR EACH ROW EXECUTE FUNCTION webhook_member_sanctioned();
CREATE TRIGGER sessions_deleted_announce AFTER DELETE ON sessions REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER sessions_updated_announce AFTER UPDATE ON sessions REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION member_rows_announce();
CREATE TRIGGER settings_content_changed AFTER INSERT OR DELETE OR UPDATE ON settings FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER threads_content_changed AFTER INSERT OR DELETE OR UPDATE ON threads FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER threads_count_insert_delete AFTER INSERT OR DELETE ON threads FOR EACH ROW EXECUTE FUNCTION categories_count_threads();
CREATE TRIGGER threads_count_update AFTER UPDATE OF status, category_id ON threads FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status OR old.category_id IS DISTINCT FROM new.category_id) EXECUTE FUNCTION categories_count_threads();
CREATE TRIGGER threads_health_dirty AFTER UPDATE OF status, category_id ON threads FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status OR old.category_id IS DISTINCT FROM new.category_id) EXECUTE FUNCTION health_mark_thread();
CREATE TRIGGER threads_notifications_hidden AFTER UPDATE OF status ON threads FOR EACH ROW WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION notifications_follow_thread();
CREATE TRIGGER threads_search_title AFTER UPDATE OF title ON threads FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title) EXECUTE FUNCTION threads_search_title();
CREATE TRIGGER traffic_referrers_months_insert AFTER INSERT ON traffic_referrers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_referrer_months_add();
CREATE TRIGGER traffic_referrers_months_update AFTER UPDATE ON traffic_referrers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_referrer_months_add();
CREATE TRIGGER traffic_threads_months_insert AFTER INSERT ON traffic_threads REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_thread_months_add();
CREATE TRIGGER traffic_threads_months_update AFTER UPDATE ON traffic_threads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_thread_months_add();
