-- Community health (issue 25): daily rollups the dashboard reads instead
-- of scanning posts, kept by the health.rollup job (forum/health.go).
--
-- health_days holds one row per local day (midnight in the forum's time
-- zone, setting time_zone) and category; category 0 holds what belongs to
-- no category (sign-ups, reports on members). Thread figures (threads,
-- answered, answered_24h, response_seconds) are those of the threads
-- opened that day, so that a late answer changes its thread's day.
CREATE TABLE IF NOT EXISTS health_days (
    day date NOT NULL,
    category_id bigint NOT NULL,
    posts integer NOT NULL DEFAULT 0,
    threads integer NOT NULL DEFAULT 0,
    signups integer NOT NULL DEFAULT 0,
    answerable integer NOT NULL DEFAULT 0,
    answered integer NOT NULL DEFAULT 0,
    answered_24h integer NOT NULL DEFAULT 0,
    response_seconds bigint NOT NULL DEFAULT 0,
    staff_answered integer NOT NULL DEFAULT 0,
    staff_response_seconds bigint NOT NULL DEFAULT 0,
    reports integer NOT NULL DEFAULT 0,
    held integer NOT NULL DEFAULT 0,
    removed integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, category_id)
);

-- The review queue over time: each run of the job records the queue's
-- size and the age of its oldest item, keeping the day's highest.
CREATE TABLE IF NOT EXISTS health_queue (
    day date PRIMARY KEY,
    size_max integer NOT NULL,
    oldest_seconds_max bigint NOT NULL
);

-- The most active members: each member's posts of the day (kept ones),
-- the threads they opened and the likes those posts have received.
CREATE TABLE IF NOT EXISTS health_members (
    day date NOT NULL,
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    posts integer NOT NULL,
    threads integer NOT NULL,
    likes_received integer NOT NULL,
    PRIMARY KEY (day, member_id)
);

-- Reputation: the posts of each day that mention each of the terms the
-- admins chose (setting reputation_terms).
CREATE TABLE IF NOT EXISTS health_terms (
    day date NOT NULL,
    term text NOT NULL,
    posts integer NOT NULL,
    PRIMARY KEY (day, term)
);

-- The job's bookmark: the time zone the rows were computed in (a change
-- rebuilds them), when it last looked at thread activity, and the next day
-- the backfill of history will compute (NULL once history is done). A
-- change of time zone or of terms rebuilds the rows.
CREATE TABLE IF NOT EXISTS health_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    time_zone text NOT NULL DEFAULT '',
    terms text[] NOT NULL DEFAULT '{}',
    activity_since timestamptz,
    backfill_from date,
    computed_at timestamptz
);
INSERT INTO health_state (id) VALUES (true) ON CONFLICT DO NOTHING;

-- Moments whose day must be computed again: a post or thread changed
-- status (deleted, held, approved, removed) or a thread moved. Only
-- updates mark: new rows are today's, which the job always computes.
CREATE TABLE IF NOT EXISTS health_dirty (
    at timestamptz PRIMARY KEY
);

CREATE OR REPLACE FUNCTION health_mark_post() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO health_dirty (at)
    SELECT NEW.created_at
    UNION SELECT t.created_at FROM threads t WHERE t.id = NEW.thread_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION health_mark_thread() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO health_dirty (at)
    SELECT NEW.created_at
    UNION SELECT DISTINCT date_trunc('hour', p.created_at) FROM posts p WHERE p.thread_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS posts_health_dirty ON posts;
CREATE TRIGGER posts_health_dirty AFTER UPDATE OF status, removal ON posts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.removal IS DISTINCT FROM NEW.removal)
    EXECUTE FUNCTION health_mark_post();
DROP TRIGGER IF EXISTS threads_health_dirty ON threads;
CREATE TRIGGER threads_health_dirty AFTER UPDATE OF status, category_id ON threads
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.category_id IS DISTINCT FROM NEW.category_id)
    EXECUTE FUNCTION health_mark_thread();

-- Traffic (forum/traffic.go): page views counted in each instance's
-- memory and added here in batches. kind: member, anonymous or crawler
-- (told by the user agent); search_views are those a search engine sent.
CREATE TABLE IF NOT EXISTS traffic_days (
    day date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('member', 'anonymous', 'crawler')),
    views bigint NOT NULL DEFAULT 0,
    search_views bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind)
);
CREATE TABLE IF NOT EXISTS traffic_threads (
    day date NOT NULL,
    thread_id bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    views bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, thread_id)
);
CREATE TABLE IF NOT EXISTS traffic_categories (
    day date NOT NULL,
    category_id bigint NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    views bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, category_id)
);
CREATE TABLE IF NOT EXISTS traffic_referrers (
    day date NOT NULL,
    domain text NOT NULL,
    views bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, domain)
);

-- Unique readers without personal data: each day has a random salt; a
-- reader is kept as a hash of the salt and of their member id, or of
-- their address and user agent, only until the day is over. Then the
-- health job counts them into traffic_readers_days and deletes the hashes
-- and the salt, after which nobody can tell whose they were.
CREATE TABLE IF NOT EXISTS traffic_salts (
    day date PRIMARY KEY,
    salt bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS traffic_readers (
    day date NOT NULL,
    reader bytea NOT NULL,
    PRIMARY KEY (day, reader)
);
CREATE TABLE IF NOT EXISTS traffic_readers_days (
    day date PRIMARY KEY,
    readers integer NOT NULL
);
