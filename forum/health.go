package forum

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The community-health rollups (migrations/0051_health.up.sql): one row
// per local day and category in health_days, kept by a periodic job so
// that the dashboard reads a few hundred rows whatever the forum's size.

// JobHealthRollup computes the dashboard's daily rollups.
const JobHealthRollup = "health.rollup"

// HealthRollupEvery is how often the rollups are brought up to date: the
// dashboard's figures for today lag at most this much.
const HealthRollupEvery = 2 * time.Minute

// healthBackfillDays is how many days of history one stretch computes at
// most, oldest first, until the rollups reach today; healthBackfillPosts
// bounds the posts of a stretch (but for a single day busier than that),
// so that no statement runs long on a busy forum (a 90-day stretch of the
// 1M-post bench forum outlasted the statement timeout).
const healthBackfillDays = 90

var healthBackfillPosts = 50_000 // tests make it smaller

// rollupHealthDays recomputes the rows of the local days from $2 to $3
// (dates, inclusive) in the time zone $1, once their rows are deleted. A thread's first response is the
// earliest published reply of someone other than its author; only
// published threads are answerable.
const rollupHealthDays = `
WITH b AS (
	SELECT ($2::date)::timestamp AT TIME ZONE $1 AS lo, ($3::date + 1)::timestamp AT TIME ZONE $1 AS hi
), p AS (
	SELECT (p.created_at AT TIME ZONE $1)::date AS day, t.category_id,
	       count(*) FILTER (WHERE p.status <> 'deleted') AS posts,
	       count(*) FILTER (WHERE p.removal = 'moderator') AS removed
	FROM b, posts p JOIN threads t ON t.id = p.thread_id
	WHERE p.created_at >= b.lo AND p.created_at < b.hi
	GROUP BY 1, 2
), t AS (
	SELECT (t.created_at AT TIME ZONE $1)::date AS day, t.category_id,
	       count(*) FILTER (WHERE t.status <> 'deleted') AS threads,
	       count(*) FILTER (WHERE t.status = 'published') AS answerable,
	       count(fr.at) FILTER (WHERE t.status = 'published') AS answered,
	       count(*) FILTER (WHERE t.status = 'published' AND fr.at <= t.created_at + interval '24 hours') AS answered_24h,
	       coalesce(sum(extract(epoch FROM fr.at - t.created_at)) FILTER (WHERE t.status = 'published'), 0)::bigint AS response_seconds,
	       count(fr.staff_at) FILTER (WHERE t.status = 'published') AS staff_answered,
	       coalesce(sum(extract(epoch FROM fr.staff_at - t.created_at)) FILTER (WHERE t.status = 'published'), 0)::bigint AS staff_response_seconds
	FROM b CROSS JOIN threads t
	LEFT JOIN LATERAL (
		SELECT min(r.created_at) AS at, min(r.created_at) FILTER (WHERE m.role IN ('moderator', 'admin')) AS staff_at
		FROM posts r LEFT JOIN members m ON m.id = r.author_id
		WHERE r.thread_id = t.id AND r.number > 1 AND r.status = 'published'
		  AND r.author_id IS DISTINCT FROM t.author_id
	) fr ON true
	WHERE t.created_at >= b.lo AND t.created_at < b.hi
	GROUP BY 1, 2
), m AS (
	SELECT (m.created_at AT TIME ZONE $1)::date AS day, 0::bigint AS category_id, count(*) AS signups
	FROM b, members m
	WHERE m.created_at >= b.lo AND m.created_at < b.hi
	GROUP BY 1
), r AS (
	SELECT (r.created_at AT TIME ZONE $1)::date AS day, coalesce(t.category_id, 0) AS category_id, count(*) AS reports
	FROM b, reports r LEFT JOIN posts p ON p.id = r.post_id LEFT JOIN threads t ON t.id = p.thread_id
	WHERE r.created_at >= b.lo AND r.created_at < b.hi
	GROUP BY 1, 2
), h AS (
	SELECT (i.created_at AT TIME ZONE $1)::date AS day, t.category_id, count(*) AS held
	FROM b, review_items i JOIN posts p ON p.id = i.post_id JOIN threads t ON t.id = p.thread_id
	WHERE i.kind = 'held' AND i.created_at >= b.lo AND i.created_at < b.hi
	GROUP BY 1, 2
)
INSERT INTO health_days (day, category_id, posts, threads, signups, answerable, answered, answered_24h,
                         response_seconds, staff_answered, staff_response_seconds, reports, held, removed)
SELECT day, category_id, coalesce(p.posts, 0), coalesce(t.threads, 0), coalesce(m.signups, 0),
       coalesce(t.answerable, 0), coalesce(t.answered, 0), coalesce(t.answered_24h, 0),
       coalesce(t.response_seconds, 0), coalesce(t.staff_answered, 0), coalesce(t.staff_response_seconds, 0), coalesce(r.reports, 0), coalesce(h.held, 0), coalesce(p.removed, 0)
FROM p FULL JOIN t USING (day, category_id) FULL JOIN m USING (day, category_id)
     FULL JOIN r USING (day, category_id) FULL JOIN h USING (day, category_id)`

// recordHealthQueue keeps the day's ($1) highest queue size and age of
// the oldest pending item at now ($2).
const recordHealthQueue = `
INSERT INTO health_queue (day, size_max, oldest_seconds_max)
SELECT $1::date, count(*), coalesce(extract(epoch FROM $2::timestamptz - min(created_at)), 0)::bigint
FROM review_items WHERE status = 'pending'
ON CONFLICT (day) DO UPDATE SET size_max = greatest(health_queue.size_max, EXCLUDED.size_max),
	oldest_seconds_max = greatest(health_queue.oldest_seconds_max, EXCLUDED.oldest_seconds_max)`

// rollupHealthTerms counts, for the same days, the posts that mention
// each term ($4), regardless of case.
const rollupHealthTerms = `
INSERT INTO health_terms (day, term, posts)
SELECT (p.created_at AT TIME ZONE $1)::date, x.term, count(*)
FROM unnest($4::text[]) AS x(term)
JOIN posts p ON p.created_at >= ($2::date)::timestamp AT TIME ZONE $1 AND p.created_at < ($3::date + 1)::timestamp AT TIME ZONE $1
	AND p.status <> 'deleted' AND strpos(lower(p.body_markdown), lower(x.term)) > 0
GROUP BY 1, 2`

// rollupHealthMembers counts, for the same days, each author's published
// posts, the threads among them and the likes they received.
const rollupHealthMembers = `
INSERT INTO health_members (day, member_id, posts, threads, likes_received)
SELECT (p.created_at AT TIME ZONE $1)::date, p.author_id, count(*), count(*) FILTER (WHERE p.number = 1), coalesce(sum(p.like_count), 0)
FROM posts p
WHERE p.created_at >= ($2::date)::timestamp AT TIME ZONE $1 AND p.created_at < ($3::date + 1)::timestamp AT TIME ZONE $1
	AND p.status = 'published' AND p.author_id IS NOT NULL
GROUP BY 1, 2`

// The moderation rollups (migrations/0057_health_moderation_rollups.up.sql)
// for the same days ($1 time zone, $2 and $3 first and last dates): review
// items by the day they were created, reports likewise.
const (
	healthBounds = `($2::date)::timestamp AT TIME ZONE $1 AS lo, ($3::date + 1)::timestamp AT TIME ZONE $1 AS hi`

	rollupHealthReview = `
INSERT INTO health_review_days (day, items)
SELECT (i.created_at AT TIME ZONE $1)::date, count(*)
FROM (SELECT ` + healthBounds + `) b, review_items i
WHERE i.created_at >= b.lo AND i.created_at < b.hi
GROUP BY 1`

	// Each latency is counted in its rounded number of seconds: exact
	// under 1000 s, else to three significant digits (within 0.5 %, less
	// than the minute the dashboard shows under 3 hours), so that items of
	// close latencies share a row.
	rollupHealthLatency = `
INSERT INTO health_review_latency (day, stage, seconds, items)
SELECT day, stage, CASE WHEN s < 1000 THEN s ELSE round(s, 2 - floor(log(s))::int) END::bigint, count(*)
FROM (
	SELECT (i.created_at AT TIME ZONE $1)::date AS day, x.stage, greatest(round(extract(epoch FROM x.at - i.created_at)), 0) AS s
	FROM (SELECT ` + healthBounds + `) b, review_items i
	CROSS JOIN LATERAL (VALUES ('seen', i.first_seen_at), ('claimed', i.claimed_at), ('resolved', i.resolved_at)) AS x(stage, at)
	WHERE i.created_at >= b.lo AND i.created_at < b.hi AND x.at IS NOT NULL
) l
GROUP BY 1, 2, 3`

	// A rule fired when a held or flagged item names it among its reasons;
	// the moderators upheld it when they acted on the item, overturned it
	// when they approved the post or dismissed the flag.
	rollupHealthRules = `
INSERT INTO health_rule_days (day, rule_id, name, fired, upheld, overturned)
SELECT (i.created_at AT TIME ZONE $1)::date, (r->'rule'->>'id')::bigint, coalesce(max(r->'rule'->>'name'), ''),
       count(DISTINCT i.id),
       count(DISTINCT i.id) FILTER (WHERE i.status = 'resolved' AND i.resolution NOT IN ('approve', 'dismiss', 'withdrawn', '')),
       count(DISTINCT i.id) FILTER (WHERE i.status = 'resolved' AND i.resolution IN ('approve', 'dismiss'))
FROM (SELECT ` + healthBounds + `) b, review_items i CROSS JOIN LATERAL jsonb_array_elements(i.reasons) AS r
WHERE i.created_at >= b.lo AND i.created_at < b.hi AND i.kind IN ('held', 'flagged')
  AND jsonb_typeof(r->'rule') = 'object' AND (r->'rule'->>'id') IS NOT NULL
GROUP BY 1, 2`

	rollupHealthReports = `
INSERT INTO health_report_days (day, reason, total, agreed, dismissed)
SELECT (r.created_at AT TIME ZONE $1)::date, r.reason, count(*),
       count(*) FILTER (WHERE r.outcome = 'agreed'), count(*) FILTER (WHERE r.outcome = 'dismissed')
FROM (SELECT ` + healthBounds + `) b, reports r
WHERE r.created_at >= b.lo AND r.created_at < b.hi
GROUP BY 1, 2`

	// The published threads of the days that had no response ($4: now)
	// within their first 24 hours, once those are over. The job computes
	// every day whose threads may have reached their 24 hours since its
	// last run.
	rollupHealthUnanswered = `
INSERT INTO health_unanswered (thread_id, day, created_at)
SELECT t.id, (t.created_at AT TIME ZONE $1)::date, t.created_at
FROM (SELECT ` + healthBounds + `) b, threads t
WHERE t.created_at >= b.lo AND t.created_at < b.hi AND t.created_at < $4::timestamptz - interval '24 hours'
  AND t.status = 'published'
  AND NOT EXISTS (SELECT 1 FROM posts r WHERE r.thread_id = t.id AND r.number > 1 AND r.status = 'published'
                    AND r.author_id IS DISTINCT FROM t.author_id AND r.created_at <= t.created_at + interval '24 hours')`
)

// The most active members by month (migrations/0061_health_ranges.up.sql):
// the running totals of each member over each month's days. The (month,
// member) pairs that the days computed again had (before) or have (after)
// are gathered with the first day computed again in their month; each row
// keeps its days before that one and takes the others again from
// health_members, added to the running totals it kept, so that a run of
// the job reads the days it computed, not whole months. All the months
// are summed again when a job that does not know them (the previous
// release's) ran since (months_at).
const (
	prepareHealthMonthChanges = `
CREATE TEMPORARY TABLE IF NOT EXISTS health_month_changes (month date, member_id bigint, first_day integer) ON COMMIT DROP`

	adjustHealthMonths = `
INSERT INTO health_month_changes (month, member_id, first_day)
SELECT DISTINCT date_trunc('month', h.day::timestamp)::date, h.member_id,
       extract(day FROM greatest($1::date, date_trunc('month', h.day::timestamp)::date))::int
FROM health_members h WHERE h.day BETWEEN $1::date AND $2::date`

	// o: each pair's row, kept up to k (its last day before the first
	// computed again); t: the days from then on, their running totals
	// starting from the row's at k; the row is both, or nothing (removed
	// below) when it has neither. A row that stays the same is not
	// written again: the dashboard reads the months' bounds from an index
	// alone (forum/dashboard_bounded.go), which needs their pages left
	// all-visible, and a run computes again the days of every thread with
	// new replies, most of them unchanged.
	applyHealthMonthChanges = `
WITH c AS (
	SELECT month, member_id, min(first_day) AS first_day FROM health_month_changes GROUP BY 1, 2
), o AS (
	SELECT c.month, c.member_id, c.first_day, w.days, w.posts, w.threads, w.likes_received,
	       coalesce(width_bucket(c.first_day - 1, w.days), 0) AS k
	FROM c LEFT JOIN health_member_months w ON w.month = c.month AND w.member_id = c.member_id
), t AS (
	SELECT o.month, o.member_id, h.day,
	       coalesce(o.posts[o.k], 0) + sum(h.posts) OVER w AS posts,
	       coalesce(o.threads[o.k], 0) + sum(h.threads) OVER w AS threads,
	       coalesce(o.likes_received[o.k], 0) + sum(h.likes_received) OVER w AS likes_received
	FROM o JOIN health_members h ON h.member_id = o.member_id
		AND h.day >= o.month + o.first_day - 1 AND h.day < (o.month + interval '1 month')::date
	WHERE h.day >= (SELECT min(month + first_day - 1) FROM c)
	  AND h.day < (SELECT max(month) FROM c) + interval '1 month'
	WINDOW w AS (PARTITION BY o.month, o.member_id ORDER BY h.day)
), tail AS (
	SELECT month, member_id, array_agg(extract(day FROM day)::smallint ORDER BY day) AS days,
	       array_agg(posts ORDER BY day) AS posts, array_agg(threads ORDER BY day) AS threads,
	       array_agg(likes_received ORDER BY day) AS likes_received
	FROM t GROUP BY 1, 2
)
INSERT INTO health_member_months AS w (month, member_id, days, posts, threads, likes_received)
SELECT o.month, o.member_id,
       coalesce(o.days[1:o.k], '{}') || coalesce(tail.days, '{}'),
       coalesce(o.posts[1:o.k], '{}') || coalesce(tail.posts::int[], '{}'),
       coalesce(o.threads[1:o.k], '{}') || coalesce(tail.threads::int[], '{}'),
       coalesce(o.likes_received[1:o.k], '{}') || coalesce(tail.likes_received::int[], '{}')
FROM o LEFT JOIN tail ON tail.month = o.month AND tail.member_id = o.member_id
WHERE o.days IS NOT NULL OR tail.days IS NOT NULL
ORDER BY 1, 2
ON CONFLICT (month, member_id) DO UPDATE SET days = EXCLUDED.days, posts = EXCLUDED.posts,
	threads = EXCLUDED.threads, likes_received = EXCLUDED.likes_received
WHERE (w.days, w.posts, w.threads, w.likes_received) IS DISTINCT FROM (EXCLUDED.days, EXCLUDED.posts, EXCLUDED.threads, EXCLUDED.likes_received)`

	// A member's month without a published post is no row.
	pruneHealthMonths = `
DELETE FROM health_member_months w USING (SELECT DISTINCT month, member_id FROM health_month_changes) c
WHERE w.month = c.month AND w.member_id = c.member_id AND cardinality(w.days) = 0`

	// buildHealthMonths sums every month.
	buildHealthMonths = `
INSERT INTO health_member_months (month, member_id, days, posts, threads, likes_received)
SELECT month, member_id, array_agg(extract(day FROM day)::smallint ORDER BY day),
       array_agg(posts ORDER BY day), array_agg(threads ORDER BY day), array_agg(likes_received ORDER BY day)
FROM (
	SELECT date_trunc('month', h.day::timestamp)::date AS month, h.member_id, h.day,
	       sum(h.posts) OVER w AS posts, sum(h.threads) OVER w AS threads, sum(h.likes_received) OVER w AS likes_received
	FROM health_members h
	WINDOW w AS (PARTITION BY date_trunc('month', h.day::timestamp), h.member_id ORDER BY h.day)
) r
GROUP BY 1, 2`
)

// healthTables are the rollups kept by day, all cleared and computed again
// together for a run of days.
var healthTables = []string{"health_days", "health_terms", "health_members", "health_review_days",
	"health_review_latency", "health_rule_days", "health_report_days", "health_unanswered"}

// The most active members of each period offered ($2 or $5: the numbers of
// days) ending today ($1 or $3): built from health_members, or adjusted by
// the rows of the days from $1 to $2 that fall in each window, subtracted
// ($4 = -1) before they are computed again and added ($4 = 1) after.
const (
	buildHealthWindows = `
INSERT INTO health_member_windows (days, member_id, posts, threads, likes_received)
SELECT w.days, h.member_id, sum(h.posts), sum(h.threads), sum(h.likes_received)
FROM unnest($2::int[]) AS w(days) JOIN health_members h ON h.day BETWEEN $1::date - w.days + 1 AND $1::date
GROUP BY 1, 2`

	// The changes are gathered in a temporary table, then only those that
	// do not cancel out (the members who posted or were liked since the
	// last run) are applied.
	prepareHealthWindowChanges = `
CREATE TEMPORARY TABLE IF NOT EXISTS health_window_changes (
	days integer, member_id bigint, posts bigint, threads bigint, likes_received bigint
) ON COMMIT DROP`

	adjustHealthWindows = `
INSERT INTO health_window_changes (days, member_id, posts, threads, likes_received)
SELECT x.days, h.member_id, $4 * h.posts, $4 * h.threads, $4 * h.likes_received
FROM unnest($5::int[]) AS x(days)
JOIN health_members h ON h.day BETWEEN greatest($1::date, $3::date - x.days + 1) AND least($2::date, $3::date)`

	applyHealthWindowChanges = `
INSERT INTO health_member_windows AS w (days, member_id, posts, threads, likes_received)
SELECT c.days, c.member_id, sum(c.posts), sum(c.threads), sum(c.likes_received)
FROM health_window_changes c JOIN members m ON m.id = c.member_id
GROUP BY 1, 2
HAVING sum(c.posts) <> 0 OR sum(c.threads) <> 0 OR sum(c.likes_received) <> 0
ORDER BY 1, 2
ON CONFLICT (days, member_id) DO UPDATE SET posts = w.posts + EXCLUDED.posts, threads = w.threads + EXCLUDED.threads,
	likes_received = w.likes_received + EXCLUDED.likes_received`
)

// healthState is the job's bookmark (health_state's one row).
type healthState struct {
	TimeZone      string         `db:"time_zone"`
	Terms         pq.StringArray `db:"terms"`
	ActivitySince *time.Time     `db:"activity_since"`
	BackfillFrom  *time.Time     `db:"backfill_from"`
	WindowTo      *time.Time     `db:"window_to"`
	// MonthsKept is whether health_member_months is up to date with the
	// days: this release's job ran last (months_at = computed_at).
	MonthsKept bool `db:"months_kept"`
}

// HealthRollupJob brings the rollups up to date (the job's handler); while
// history is being backfilled, it goes on, a stretch a transaction, for a
// bounded number of stretches.
func (db *DB) HealthRollupJob(ctx context.Context, _ *Job) error {
	for range healthBackfillRuns {
		if err := db.RollupHealth(ctx, time.Now()); err != nil {
			return err
		}
		var pending bool
		if err := db.pool.GetContext(ctx, &pending, `SELECT backfill_from IS NOT NULL FROM health_state`); err != nil {
			return Internal("reading the health rollups' state", err)
		}
		if !pending {
			return nil
		}
	}
	return nil
}

// healthBackfillRuns bounds one job's stretches of history (about 25 years).
const healthBackfillRuns = 100

// RollupHealth brings the rollups up to date at now: it computes again
// today and yesterday (local days), the days of the threads that had
// activity since the last run (a late first response changes its thread's
// day), the days marked by a change of status, and the next stretch of
// history not computed yet. A change of time zone starts over.
func (db *DB) RollupHealth(ctx context.Context, now time.Time) error {
	st, err := db.Settings(ctx)
	if err != nil {
		return err
	}
	tz := st.TimeZone
	if !validTimeZone(tz) {
		tz = "UTC"
	}
	loc := st.Location()
	today := localDay(now, loc)
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var s healthState
		if err := tx.GetContext(ctx, &s, `
SELECT time_zone, terms, activity_since, backfill_from, window_to,
       coalesce(months_at = computed_at, false) AS months_kept
FROM health_state FOR UPDATE`); err != nil {
			return Internal("reading the health rollups' state", err)
		}
		terms := st.ReputationTerms
		if terms == nil {
			terms = []string{}
		}
		if s.TimeZone != tz || !slices.Equal(s.Terms, terms) {
			// Days cut elsewhere, or other terms: everything is computed again.
			for _, table := range append(healthTables, "health_member_windows", "health_member_months") {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
					return Internal("clearing the health rollups", err)
				}
			}
			var first *time.Time
			if err := tx.GetContext(ctx, &first, `
SELECT (least((SELECT min(created_at) FROM posts), (SELECT min(created_at) FROM members)) AT TIME ZONE $1)::date`, tz); err != nil {
				return Internal("finding the forum's first day", err)
			}
			s = healthState{TimeZone: tz, Terms: terms, BackfillFrom: first, MonthsKept: true}
		}
		var ranges [][2]time.Time
		backfilling := false
		if s.BackfillFrom != nil {
			// The next stretch of history: the days before the one of the
			// healthBackfillPosts-th post to come, so that each statement
			// handles a bounded number of posts however busy the forum.
			from := s.BackfillFrom.UTC()
			to := from.AddDate(0, 0, healthBackfillDays-1)
			var busy *time.Time
			if err := tx.GetContext(ctx, &busy, `
SELECT (created_at AT TIME ZONE $1)::date - 1 FROM posts
WHERE created_at >= ($2::date)::timestamp AT TIME ZONE $1
ORDER BY created_at OFFSET $3 LIMIT 1`, tz, from.Format(time.DateOnly), healthBackfillPosts); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return Internal("finding the next stretch of history", err)
			}
			if busy != nil && busy.UTC().Before(to) {
				to = busy.UTC()
			}
			if to.Before(from) {
				to = from
			}
			if !to.Before(today) {
				to = today
				s.BackfillFrom = nil
			} else {
				next := to.AddDate(0, 0, 1)
				s.BackfillFrom = &next
				backfilling = true
			}
			ranges = append(ranges, [2]time.Time{from, to})
		}
		// The recent days, those marked and those of the threads with new
		// replies are computed once the backfill is over (the marks wait
		// until then).
		days := map[time.Time]bool{}
		if !backfilling {
			days[today], days[today.AddDate(0, 0, -1)] = true, true
			var marked []time.Time
			// The marks of health_redo are those of health_dirty too, unless
			// a job that does not know every table (the previous release's)
			// cleared health_dirty meanwhile.
			if err := tx.SelectContext(ctx, &marked, `
WITH d AS (DELETE FROM health_dirty RETURNING at), r AS (DELETE FROM health_redo RETURNING at)
SELECT DISTINCT (at AT TIME ZONE $1)::date FROM (SELECT at FROM d UNION ALL SELECT at FROM r) x`, tz); err != nil {
				return Internal("reading the days to compute again", err)
			}
			for _, d := range marked {
				days[d] = true
			}
			if s.ActivitySince != nil {
				// The threads whose first 24 hours ended since the last run (of
				// yesterday or today, unless the job did not run for a while).
				since := localDay(s.ActivitySince.Add(-24*time.Hour), loc)
				if oldest := today.AddDate(0, 0, -healthBackfillDays); since.Before(oldest) {
					since = oldest
				}
				for d := since; d.Before(today); d = d.AddDate(0, 0, 1) {
					days[d] = true
				}
				// A margin for the transactions that committed after the last
				// run had looked.
				var active []time.Time
				if err := tx.SelectContext(ctx, &active, `
SELECT DISTINCT (created_at AT TIME ZONE $1)::date FROM threads
WHERE last_post_at >= $2::timestamptz - interval '10 minutes'`, tz, *s.ActivitySince); err != nil {
					return Internal("finding the threads with new replies", err)
				}
				for _, d := range active {
					days[d] = true
				}
			}
		}
		ranges = append(ranges, dayRanges(days)...)
		// The windows of the most active members end today: built again
		// when the day changed, else kept as the days are computed again.
		rebuild := s.WindowTo == nil || !s.WindowTo.UTC().Equal(today)
		windows := pq.Array(DashboardPeriods)
		if !rebuild {
			if _, err := tx.ExecContext(ctx, prepareHealthWindowChanges); err != nil {
				return Internal("keeping the most active members", err)
			}
		}
		// The months are kept as the days change, or summed again at the
		// end when another job changed days without them.
		keepMonths, sumMonths := s.MonthsKept, !s.MonthsKept
		if keepMonths {
			if _, err := tx.ExecContext(ctx, prepareHealthMonthChanges); err != nil {
				return Internal("keeping the most active members by month", err)
			}
		}
		for _, r := range ranges {
			from, to := r[0].Format(time.DateOnly), r[1].Format(time.DateOnly)
			if !rebuild {
				if _, err := tx.ExecContext(ctx, adjustHealthWindows, from, to, today.Format(time.DateOnly), -1, windows); err != nil {
					return Internal("keeping the most active members", err)
				}
			}
			if keepMonths {
				if _, err := tx.ExecContext(ctx, adjustHealthMonths, from, to); err != nil {
					return Internal("keeping the most active members by month", err)
				}
			}
			for _, table := range healthTables {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE day BETWEEN $1::date AND $2::date`, from, to); err != nil {
					return Internal("clearing health rollups", err)
				}
			}
			for _, q := range []string{rollupHealthReview, rollupHealthLatency, rollupHealthRules, rollupHealthReports} {
				if _, err := tx.ExecContext(ctx, q, tz, from, to); err != nil {
					return Internal("computing the moderation rollups", err)
				}
			}
			if _, err := tx.ExecContext(ctx, rollupHealthUnanswered, tz, from, to, now); err != nil {
				return Internal("listing the threads without a response", err)
			}
			if _, err := tx.ExecContext(ctx, rollupHealthMembers, tz, r[0].Format(time.DateOnly), r[1].Format(time.DateOnly)); err != nil {
				return Internal("counting the members' posts", err)
			}
			if !rebuild {
				if _, err := tx.ExecContext(ctx, adjustHealthWindows, from, to, today.Format(time.DateOnly), 1, windows); err != nil {
					return Internal("keeping the most active members", err)
				}
			}
			if keepMonths {
				if _, err := tx.ExecContext(ctx, adjustHealthMonths, from, to); err != nil {
					return Internal("keeping the most active members by month", err)
				}
			}
			if len(terms) > 0 {
				if _, err := tx.ExecContext(ctx, rollupHealthTerms, tz, r[0].Format(time.DateOnly), r[1].Format(time.DateOnly), pq.Array(terms)); err != nil {
					return Internal("counting the mentions of terms", err)
				}
			}
			if _, err := tx.ExecContext(ctx, rollupHealthDays, tz, r[0].Format(time.DateOnly), r[1].Format(time.DateOnly)); err != nil {
				return Internal("computing the health rollups", err)
			}
		}
		if !rebuild {
			if _, err := tx.ExecContext(ctx, applyHealthWindowChanges); err != nil {
				return Internal("keeping the most active members", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, `DELETE FROM health_member_windows`); err != nil {
				return Internal("clearing the most active members", err)
			}
			if _, err := tx.ExecContext(ctx, buildHealthWindows, today.Format(time.DateOnly), windows); err != nil {
				return Internal("summing the most active members", err)
			}
		}
		if keepMonths {
			for _, q := range []string{applyHealthMonthChanges, pruneHealthMonths} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return Internal("keeping the most active members by month", err)
				}
			}
		} else if sumMonths {
			for _, q := range []string{`DELETE FROM health_member_months`, buildHealthMonths} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return Internal("summing the most active members by month", err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, recordHealthQueue, today.Format(time.DateOnly), now); err != nil {
			return Internal("recording the review queue", err)
		}
		if err := foldTrafficReaders(ctx, tx, today.Format(time.DateOnly)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE health_state SET time_zone = $1, activity_since = CASE WHEN $6 THEN activity_since ELSE $2 END, backfill_from = $3,
	computed_at = $2, months_at = $2, terms = $4, window_to = $5`,
			tz, now, s.BackfillFrom, pq.Array(terms), today.Format(time.DateOnly), backfilling); err != nil {
			return Internal("saving the health rollups' state", err)
		}
		return nil
	})
}

// localDay is the date (at UTC midnight, as PostgreSQL's date scans) of t
// in loc.
func localDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayRanges groups days into runs of consecutive days, oldest first.
func dayRanges(days map[time.Time]bool) [][2]time.Time {
	sorted := make([]time.Time, 0, len(days))
	for d := range days {
		sorted = append(sorted, d.UTC())
	}
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	var out [][2]time.Time
	for _, d := range sorted {
		if n := len(out); n > 0 && out[n-1][1].AddDate(0, 0, 1).Equal(d) {
			out[n-1][1] = d
			continue
		}
		out = append(out, [2]time.Time{d, d})
	}
	return out
}
