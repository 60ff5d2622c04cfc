-- Community health (issue 25), continued: the most active members of any
-- range of days come from rollups in bounded work, and the rollups stay
-- right while the previous release's job runs beside this one (a rolling
-- upgrade, docs/operations.md §4). New tables, a column and functions
-- whose signatures stay: the previous release reads none of them.
--
-- health_members by local month (month: its first day), kept by the
-- health.rollup job (forum/health.go) from the days it computes: one row
-- per member and month, whose arrays are running totals over the month's
-- days (element i: the posts, threads and likes received of days 1 to i;
-- 31 elements whatever the month). Any run of days within a month is then
-- one subtraction on one row, and a range reads a row per member and month
-- it touches, or one of health_member_windows plus or minus months
-- (forum/dashboard_ranges.go), instead of a row per member and day.
CREATE TABLE IF NOT EXISTS health_member_months (
    month date NOT NULL,
    member_id bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    posts integer[] NOT NULL,
    threads integer[] NOT NULL,
    likes_received integer[] NOT NULL,
    PRIMARY KEY (month, member_id)
);

-- health_running(base, days, amounts): base (NULL: zeros) plus the
-- running totals of amounts added on days (1 to 31) of a month.
CREATE OR REPLACE FUNCTION health_running(base integer[], days integer[], amounts bigint[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    added bigint[] := array_fill(0::bigint, ARRAY[31]);
    result integer[] := array_fill(0, ARRAY[31]);
    total bigint := 0;
BEGIN
    FOR k IN 1 .. coalesce(array_length(days, 1), 0) LOOP
        added[days[k]] := added[days[k]] + amounts[k];
    END LOOP;
    FOR i IN 1 .. 31 LOOP
        total := total + added[i];
        result[i] := coalesce(base[i], 0) + total;
    END LOOP;
    RETURN result;
END
$$;

-- health_plus(a, b): the arrays added element by element.
CREATE OR REPLACE FUNCTION health_plus(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE
AS $$ SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i) $$;

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
