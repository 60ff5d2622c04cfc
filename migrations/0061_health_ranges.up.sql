-- Community health (issue 25), continued: the most active members of any
-- range of days come from rollups in bounded work, and the rollups stay
-- right while the previous release's job runs beside this one (a rolling
-- upgrade, docs/operations.md §4). New tables, a column and functions
-- whose signatures stay: the previous release reads none of them.
--
-- health_members by local month (month: its first day), kept by the
-- health.rollup job (forum/health.go) from the days it computes: one row
-- per member and month, with the days of the month they posted (days,
-- ascending) and their running totals on each of those days (element i:
-- the posts, threads and likes received of the month's days up to
-- days[i]). Any run of days within a month is then two look-ups in one row
-- (width_bucket finds the last day on or before a date), and a range reads
-- a row per member and month it touches, or one of health_member_windows
-- plus or minus months (forum/dashboard_ranges.go), instead of a row per
-- member and day.
CREATE TABLE IF NOT EXISTS health_member_months (
    month date NOT NULL,
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    days smallint[] NOT NULL,
    posts integer[] NOT NULL,
    threads integer[] NOT NULL,
    likes_received integer[] NOT NULL,
    PRIMARY KEY (month, member_id)
);

-- When this release's job last brought health_member_months up to date:
-- equal to computed_at unless a job that does not know the table (the
-- previous release's) ran since, which the next run of this one detects
-- and answers by summing the months again; meanwhile the dashboard reads
-- days instead.
ALTER TABLE health_state ADD COLUMN IF NOT EXISTS months_at timestamptz;

-- Moments whose day must be computed again, as health_dirty holds them,
-- but cleared only by the jobs that compute every table: the previous
-- release's job clears health_dirty after computing only the tables it
-- knows, and the marks left here make this one compute the others too.
CREATE TABLE IF NOT EXISTS health_redo (
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
    INSERT INTO health_redo (at)
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
    INSERT INTO health_redo (at)
    SELECT NEW.created_at
    UNION SELECT DISTINCT date_trunc('hour', p.created_at) FROM posts p WHERE p.thread_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION health_mark_created() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO health_dirty (at) SELECT NEW.created_at UNION SELECT OLD.created_at ON CONFLICT DO NOTHING;
    INSERT INTO health_redo (at) SELECT NEW.created_at UNION SELECT OLD.created_at ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
