-- Community health (issue 25), continued: the most read threads and the
-- referrers of any period in bounded work. traffic_threads and
-- traffic_referrers hold a row per thread (or domain) and day it was
-- read: a year of a busy forum is millions of rows to add up. Their
-- totals by local month (month: its first day), kept by triggers as the
-- days' rows are added (by any release's instances: the previous one's
-- too, during a rolling upgrade), give each month's most read through an
-- index and bound what a thread can have had over part of a month, so
-- that the dashboard computes the exact figures of a few candidates only
-- (forum/traffic_top.go). New tables, indexes and triggers: the previous
-- release reads none of them.
CREATE TABLE IF NOT EXISTS traffic_thread_months (
    month date NOT NULL,
    thread_id bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    views bigint NOT NULL,
    PRIMARY KEY (month, thread_id)
);
CREATE INDEX IF NOT EXISTS traffic_thread_months_top ON traffic_thread_months (month, views DESC, thread_id);

CREATE TABLE IF NOT EXISTS traffic_referrer_months (
    month date NOT NULL,
    domain text NOT NULL,
    views bigint NOT NULL,
    PRIMARY KEY (month, domain)
);
CREATE INDEX IF NOT EXISTS traffic_referrer_months_top ON traffic_referrer_months (month, views DESC, domain);

-- A candidate's views over days of a month, through its own rows.
CREATE INDEX IF NOT EXISTS traffic_threads_thread ON traffic_threads (thread_id, day) INCLUDE (views);
CREATE INDEX IF NOT EXISTS traffic_referrers_domain ON traffic_referrers (domain, day) INCLUDE (views);

-- The rows a statement added, or what it added to rows (a flush adds to
-- the day's rows with INSERT … ON CONFLICT DO UPDATE: its new rows reach
-- the INSERT trigger, the others the UPDATE one), summed into the months,
-- in the order of the months' keys (two instances flushing at once lock
-- them in the same order).
CREATE OR REPLACE FUNCTION traffic_thread_months_add() RETURNS trigger
LANGUAGE plpgsql
AS $$
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
$$;

CREATE OR REPLACE FUNCTION traffic_referrer_months_add() RETURNS trigger
LANGUAGE plpgsql
AS $$
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
$$;

DROP TRIGGER IF EXISTS traffic_threads_months_insert ON traffic_threads;
CREATE TRIGGER traffic_threads_months_insert AFTER INSERT ON traffic_threads
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_thread_months_add();
DROP TRIGGER IF EXISTS traffic_threads_months_update ON traffic_threads;
CREATE TRIGGER traffic_threads_months_update AFTER UPDATE ON traffic_threads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_thread_months_add();
DROP TRIGGER IF EXISTS traffic_referrers_months_insert ON traffic_referrers;
CREATE TRIGGER traffic_referrers_months_insert AFTER INSERT ON traffic_referrers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_referrer_months_add();
DROP TRIGGER IF EXISTS traffic_referrers_months_update ON traffic_referrers;
CREATE TRIGGER traffic_referrers_months_update AFTER UPDATE ON traffic_referrers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION traffic_referrer_months_add();

-- The months of the rows already there (the triggers' locks keep flushes
-- out until this migration commits).
INSERT INTO traffic_thread_months (month, thread_id, views)
SELECT date_trunc('month', day::timestamp)::date, thread_id, sum(views) FROM traffic_threads GROUP BY 1, 2
ON CONFLICT DO NOTHING;
INSERT INTO traffic_referrer_months (month, domain, views)
SELECT date_trunc('month', day::timestamp)::date, domain, sum(views) FROM traffic_referrers GROUP BY 1, 2
ON CONFLICT DO NOTHING;
