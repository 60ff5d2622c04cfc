-- Community health (issue 25), continued: the dashboard's moderation
-- figures and its list of threads without a response come from rollups
-- kept by the health.rollup job (forum/health.go), as those of 0051 do,
-- instead of reading review items, reports and threads at request time.
-- New tables and triggers only: the previous release reads none of them.
--
-- Review items by the local day they were created: how many.
CREATE TABLE IF NOT EXISTS health_review_days (
    day date PRIMARY KEY,
    items integer NOT NULL
);

-- Their latencies (first seen, claimed, resolved) as a histogram per day:
-- how many items took each number of seconds, rounded to three significant
-- digits (exact under 1000 s, within 0.5 % above), so that items of close
-- latencies share a row (a day holds at most a few thousand rows per stage
-- however many items it had), and the medians of any period are computed
-- from the sums of its days.
CREATE TABLE IF NOT EXISTS health_review_latency (
    day date NOT NULL,
    stage text NOT NULL CHECK (stage IN ('seen', 'claimed', 'resolved')),
    seconds bigint NOT NULL,
    items integer NOT NULL,
    PRIMARY KEY (day, stage, seconds)
);

-- Per rule, the held and flagged items of the day it produced, and what
-- the moderators made of them: upheld (acted on) or overturned (approved,
-- dismissed).
CREATE TABLE IF NOT EXISTS health_rule_days (
    day date NOT NULL,
    rule_id bigint NOT NULL,
    name text NOT NULL,
    fired integer NOT NULL,
    upheld integer NOT NULL,
    overturned integer NOT NULL,
    PRIMARY KEY (day, rule_id)
);

-- Reports of the day by reason, and their outcomes.
CREATE TABLE IF NOT EXISTS health_report_days (
    day date NOT NULL,
    reason text NOT NULL,
    total integer NOT NULL,
    agreed integer NOT NULL,
    dismissed integer NOT NULL,
    PRIMARY KEY (day, reason)
);

-- The threads without a response 24 hours after they were opened (the
-- list to act on), newest first through the index, whatever the share of
-- answered threads.
CREATE TABLE IF NOT EXISTS health_unanswered (
    thread_id bigint PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    day date NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS health_unanswered_day ON health_unanswered (day);
CREATE INDEX IF NOT EXISTS health_unanswered_created ON health_unanswered (created_at DESC, thread_id DESC);

-- A review item seen, claimed, resolved or given other reasons, and a
-- report decided, change the figures of the day they were created: the
-- day is marked, as 0051's triggers mark those of posts and threads.
CREATE OR REPLACE FUNCTION health_mark_created() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO health_dirty (at) SELECT NEW.created_at UNION SELECT OLD.created_at ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS review_items_health_dirty ON review_items;
CREATE TRIGGER review_items_health_dirty
    AFTER UPDATE OF status, resolution, reasons, first_seen_at, claimed_at, resolved_at, created_at ON review_items
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.resolution IS DISTINCT FROM NEW.resolution
        OR OLD.reasons IS DISTINCT FROM NEW.reasons OR OLD.first_seen_at IS DISTINCT FROM NEW.first_seen_at
        OR OLD.claimed_at IS DISTINCT FROM NEW.claimed_at OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION health_mark_created();
DROP TRIGGER IF EXISTS reports_health_dirty ON reports;
CREATE TRIGGER reports_health_dirty AFTER UPDATE OF outcome, reason, created_at ON reports
    FOR EACH ROW WHEN (OLD.outcome IS DISTINCT FROM NEW.outcome OR OLD.reason IS DISTINCT FROM NEW.reason
        OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION health_mark_created();

-- The most active members of the periods the dashboard offers (7, 30, 90
-- and 365 days) ending on the job's last day (health_state.window_to):
-- health_members summed over each window, kept as the job computes days
-- again and rebuilt when the day changes, so that the dashboard reads ten
-- rows through the index instead of summing a row per member and day.
-- Other ranges still sum health_members.
ALTER TABLE health_state ADD COLUMN IF NOT EXISTS window_to date;
CREATE TABLE IF NOT EXISTS health_member_windows (
    days integer NOT NULL,
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    posts integer NOT NULL,
    threads integer NOT NULL,
    likes_received integer NOT NULL,
    PRIMARY KEY (days, member_id)
);
CREATE INDEX IF NOT EXISTS health_member_windows_top ON health_member_windows (days, posts DESC, likes_received DESC, member_id);
