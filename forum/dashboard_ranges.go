package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The most active members of any range of days, in bounded work. Summing
// health_members over the range reads a row per member and day (870,000
// rows for the 70 days of the 1M-post bench forum); instead the range is
// written as a signed sum of pieces the health job keeps, whichever reads
// the fewest:
//
//   - the runs of days it has in each month it touches, each one row per
//     member of health_member_months (running totals over the month's
//     days, so that 15 to 31 October is the member's October total to the
//     31st less that to the 14th);
//   - or one of the windows ending on the job's last day
//     (health_member_windows: 7, 30, 90 or 365 days), with the runs of
//     days between its edges and the range's added or taken away: the
//     year to yesterday is a window that holds it less today.
//
// A month's row, or a window's, is read for each member who posted over
// it, a day's for those who posted that day (a quarter as many on the
// bench forums, where most members post every week), and a month's row
// costs twice a day's (its arrays): a run of up to a week is read from
// health_members, a longer one from the months, and the plan that reads
// the least is kept. Days without
// any rollup (before the forum's first post, after the job's last run)
// count for nothing: the pieces are clamped to the days that have rows.
// Every figure stays exact, as counts are summed and subtracted. When the
// months are not up to date (a job that does not know them ran last, in a
// rolling upgrade), the runs of days are read from health_members.

// The costs of reading a piece, in days of health_members, as measured
// on the 1M-post bench forum (12,000 members a day, 50,000 a month): a
// month's running totals 80 ms, a window 62 ms, 7 days 70 ms.
const (
	rangeDayCost    = 1
	rangeMonthCost  = 8
	rangeWindowCost = 6
)

// rangeDays is a run of days, From and To included, added (Sign 1) or
// taken away (-1): of health_members, or within one month of
// health_member_months (Monthly).
type rangeDays struct {
	From, To time.Time
	Sign     int
	Monthly  bool
}

// rangePieces is a range written as a signed sum of rollups: runs of days
// and a window. Daily plans read no month (they are not up to date).
type rangePieces struct {
	Runs       []rangeDays
	Daily      bool
	Window     int // a window's number of days, 0 for none
	WindowSign int
	Cost       int // rows read, in days' rows
}

func daysBetween(a, b time.Time) int { return int(b.Sub(a)/(24*time.Hour)) + 1 }

func maxDay(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minDay(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// add writes the days from a to b with sign, those from lo to hi only
// (the others have no rows): in each month they touch, a run of the month
// or of its days, whichever reads fewer rows; days only when daily.
func (p *rangePieces) add(a, b, lo, hi time.Time, sign int) {
	a, b = maxDay(a, lo), minDay(b, hi)
	if a.After(b) {
		return
	}
	if p.Daily {
		p.Runs = append(p.Runs, rangeDays{From: a, To: b, Sign: sign})
		p.Cost += daysBetween(a, b) * rangeDayCost
		return
	}
	eachMonth(a, b, func(_, from, to time.Time) {
		r := rangeDays{From: from, To: to, Sign: sign}
		if days := daysBetween(r.From, r.To) * rangeDayCost; days <= rangeMonthCost {
			p.Cost += days
		} else {
			r.Monthly = true
			p.Cost += rangeMonthCost
		}
		p.Runs = append(p.Runs, r)
	})
}

// eachMonth calls fn for each month the days from a to b touch, oldest
// first, with the month's first day and the days of the span within it.
func eachMonth(a, b time.Time, fn func(month, from, to time.Time)) {
	for ms := time.Date(a.Year(), a.Month(), 1, 0, 0, 0, 0, time.UTC); !ms.After(b); ms = ms.AddDate(0, 1, 0) {
		fn(ms, maxDay(ms, a), minDay(ms.AddDate(0, 1, -1), b))
	}
}

// planRange writes the days from f to t (a period), knowing that rows
// exist from lo to hi only, that the windows end on end (nil: none kept)
// and whether the months are kept (else days are read).
func planRange(f, t, lo, hi time.Time, end *time.Time, months bool) rangePieces {
	best := rangePieces{Daily: !months}
	best.add(f, t, lo, hi, 1)
	if end == nil {
		return best
	}
	e := end.UTC()
	for _, w := range DashboardPeriods {
		ws := e.AddDate(0, 0, -(w - 1))
		p := rangePieces{Daily: !months, Window: w, WindowSign: 1, Cost: rangeWindowCost}
		p.add(f, ws.AddDate(0, 0, -1), lo, hi, 1)
		p.add(ws, f.AddDate(0, 0, -1), lo, hi, -1)
		p.add(t.AddDate(0, 0, 1), e, lo, hi, -1)
		p.add(e.AddDate(0, 0, 1), t, lo, hi, 1)
		if p.Cost < best.Cost {
			best = p
		}
	}
	return best
}

const (
	// The days that have rows, and whether the months are up to date
	// with them (else the days are read instead).
	dashboardRangeBounds = `
SELECT (SELECT min(day) FROM health_members) AS lo, (SELECT max(day) FROM health_members) AS hi,
       coalesce(months_at = computed_at, false) AS months_kept, window_to
FROM health_state`

	// The pieces' rows, signed, summed per member: $1–$3 runs of days
	// (first, last, sign) of health_members, $4–$7 runs of days within a
	// month (its first day, first and last day of the month, sign) of
	// health_member_months: the running total to the last day on or before
	// the run's last, less that to the last day before its first (0 when
	// none, element 0 being NULL), and $8–$9 a window (days, sign). The
	// posts of every member first (p); then, for the members with as many
	// posts as the tenth or more (c: the ten are among them whatever their
	// likes), the threads and likes that order them, from their own rows.
	// Reading a month's arrays costs more than its row: one of the three
	// for each member instead of all, the list is found in a third of the
	// time. The months are named to the planner (ANY), so that it reads
	// theirs alone, not every month to join them.
	dashboardContributorsRange = `
WITH d AS (
	SELECT * FROM unnest($1::date[], $2::date[], $3::int[]) AS d(lo, hi, sign)
), x AS (
	SELECT * FROM unnest($4::date[], $5::smallint[], $6::smallint[], $7::int[]) AS x(month, lo, hi, sign)
), p AS MATERIALIZED (
	SELECT member_id, sum(posts) AS posts FROM (
		SELECT h.member_id, d.sign * h.posts AS posts
		FROM d JOIN health_members h ON h.day BETWEEN d.lo AND d.hi
		UNION ALL
		SELECT h.member_id, x.sign * (coalesce(h.posts[width_bucket(x.hi, h.days)], 0) - coalesce(h.posts[width_bucket(x.lo - 1::smallint, h.days)], 0))
		FROM x JOIN health_member_months h ON h.month = x.month
		WHERE h.month = ANY ($4::date[])
		UNION ALL
		SELECT w.member_id, $9 * w.posts FROM health_member_windows w WHERE w.days = $8
	) s
	GROUP BY member_id
	HAVING sum(posts) > 0
), c AS (
	SELECT member_id, posts FROM p
	WHERE posts >= coalesce((SELECT posts FROM p ORDER BY posts DESC LIMIT 1 OFFSET 9), 1)
), t AS (
	SELECT c.member_id, c.posts, coalesce(sum(e.threads), 0) AS threads, coalesce(sum(e.likes_received), 0) AS likes_received
	FROM c LEFT JOIN LATERAL (
		SELECT d.sign * h.threads AS threads, d.sign * h.likes_received AS likes_received
		FROM d CROSS JOIN generate_series(d.lo, d.hi, interval '1 day') AS g(day)
		JOIN health_members h ON h.day = g.day::date AND h.member_id = c.member_id
		UNION ALL
		SELECT x.sign * (coalesce(h.threads[b.hi], 0) - coalesce(h.threads[b.lo], 0)),
		       x.sign * (coalesce(h.likes_received[b.hi], 0) - coalesce(h.likes_received[b.lo], 0))
		FROM x JOIN health_member_months h ON h.month = x.month AND h.member_id = c.member_id
		CROSS JOIN LATERAL (SELECT width_bucket(x.lo - 1::smallint, h.days) AS lo, width_bucket(x.hi, h.days) AS hi) b
		UNION ALL
		SELECT $9 * w.threads, $9 * w.likes_received FROM health_member_windows w WHERE w.days = $8 AND w.member_id = c.member_id
	) e ON true
	GROUP BY c.member_id, c.posts
	ORDER BY c.posts DESC, likes_received DESC, c.member_id
	LIMIT 10
)
SELECT m.id, m.username, t.posts, t.threads, t.likes_received
FROM t JOIN members m ON m.id = t.member_id
ORDER BY t.posts DESC, t.likes_received DESC, m.id`
	// A window less runs of days ($1–$9 as above; $10: a depth): the
	// window's first members by posts (c), the posts of the last (b.bound,
	// 0 when the window has fewer), and their exact figures, from their
	// own rows (t). One row with the bound alone when none qualifies.
	dashboardContributorsWindowLess = `
WITH d AS (
	SELECT * FROM unnest($1::date[], $2::date[], $3::int[]) AS d(lo, hi, sign)
), x AS (
	SELECT * FROM unnest($4::date[], $5::smallint[], $6::smallint[], $7::int[]) AS x(month, lo, hi, sign)
), c AS MATERIALIZED (
	SELECT member_id, posts FROM health_member_windows WHERE days = $8
	ORDER BY posts DESC, likes_received DESC, member_id LIMIT $10
), b AS (
	SELECT CASE WHEN count(*) < $10 THEN 0 ELSE min(posts) END AS bound FROM c
), t AS (
	SELECT c.member_id, sum(e.posts) AS posts, sum(e.threads) AS threads, sum(e.likes_received) AS likes_received
	FROM c CROSS JOIN LATERAL (
		SELECT $9 * w.posts AS posts, $9 * w.threads AS threads, $9 * w.likes_received AS likes_received
		FROM health_member_windows w WHERE w.days = $8 AND w.member_id = c.member_id
		UNION ALL
		SELECT d.sign * h.posts, d.sign * h.threads, d.sign * h.likes_received
		FROM d CROSS JOIN generate_series(d.lo, d.hi, interval '1 day') AS g(day)
		JOIN health_members h ON h.day = g.day::date AND h.member_id = c.member_id
		UNION ALL
		SELECT x.sign * (coalesce(h.posts[b.hi], 0) - coalesce(h.posts[b.lo], 0)),
		       x.sign * (coalesce(h.threads[b.hi], 0) - coalesce(h.threads[b.lo], 0)),
		       x.sign * (coalesce(h.likes_received[b.hi], 0) - coalesce(h.likes_received[b.lo], 0))
		FROM x JOIN health_member_months h ON h.month = x.month AND h.member_id = c.member_id
		CROSS JOIN LATERAL (SELECT width_bucket(x.lo - 1::smallint, h.days) AS lo, width_bucket(x.hi, h.days) AS hi) b
	) e
	GROUP BY c.member_id
	HAVING sum(e.posts) > 0
	ORDER BY posts DESC, likes_received DESC, c.member_id
	LIMIT 10
)
SELECT b.bound, r.id, r.username, r.posts, r.threads, r.likes_received
FROM b LEFT JOIN LATERAL (
	SELECT m.id, m.username, t.posts, t.threads, t.likes_received FROM t JOIN members m ON m.id = t.member_id
) r ON true
ORDER BY r.posts DESC, r.likes_received DESC, r.id`
)

// rangeContributors lists the most active members of the days from f to
// t, from the pieces planRange chooses.
func rangeContributors(ctx context.Context, tx *sqlx.Tx, f, t time.Time) ([]Contributor, error) {
	var b struct {
		Lo         *time.Time `db:"lo"`
		Hi         *time.Time `db:"hi"`
		MonthsKept bool       `db:"months_kept"`
		WindowTo   *time.Time `db:"window_to"`
	}
	if err := tx.GetContext(ctx, &b, dashboardRangeBounds); err != nil {
		return nil, Internal("reading the health rollups' state", err)
	}
	out := []Contributor{}
	if b.Lo == nil || b.Hi == nil {
		return out, nil
	}
	p := planRange(f, t, b.Lo.UTC(), b.Hi.UTC(), b.WindowTo, b.MonthsKept)
	if p.readsBounds() {
		return boundedContributors(ctx, tx, maxDay(f, b.Lo.UTC()), minDay(t, b.Hi.UTC()))
	}
	var dayFrom, dayTo, months []string
	var daySign, lo, hi, monthSign []int64
	for _, r := range p.Runs {
		if !r.Monthly {
			dayFrom = append(dayFrom, r.From.Format(time.DateOnly))
			dayTo = append(dayTo, r.To.Format(time.DateOnly))
			daySign = append(daySign, int64(r.Sign))
			continue
		}
		months = append(months, time.Date(r.From.Year(), r.From.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		lo, hi = append(lo, int64(r.From.Day())), append(hi, int64(r.To.Day()))
		monthSign = append(monthSign, int64(r.Sign))
	}
	args := []any{pq.Array(dayFrom), pq.Array(dayTo), pq.Array(daySign),
		pq.Array(months), pq.Array(lo), pq.Array(hi), pq.Array(monthSign), p.Window, p.WindowSign}
	if p.subtractsFromWindow() {
		return windowLessContributors(ctx, tx, args)
	}
	if err := tx.SelectContext(ctx, &out, dashboardContributorsRange, args...); err != nil {
		return nil, Internal("listing top contributors", err)
	}
	return out, nil
}

// readsBounds reports whether the plan reads months alone, one of them
// at least for a run longer than a week: the months' bounds then find the
// list in less (forum/dashboard_bounded.go). Runs of a few days read
// fewer rows of days than of months.
func (p rangePieces) readsBounds() bool {
	if p.Daily || p.Window != 0 {
		return false
	}
	for _, r := range p.Runs {
		if r.Monthly {
			return true
		}
	}
	return false
}

// subtractsFromWindow reports whether the plan is a window less runs of
// days: a member has then at most their window's posts.
func (p rangePieces) subtractsFromWindow() bool {
	if p.Window == 0 || p.WindowSign != 1 {
		return false
	}
	for _, r := range p.Runs {
		if r.Sign != -1 {
			return false
		}
	}
	return true
}

// windowLessContributors lists the most active members of a window less
// runs of days (the year to yesterday: a window less today), reading the
// window's members by their posts through its index, down to a depth:
// those read have their exact figures computed; one not read has at most
// the posts of the last read, so when the tenth has more, the list is
// certain, else the depth grows. Exact whatever the depth.
func windowLessContributors(ctx context.Context, tx *sqlx.Tx, args []any) ([]Contributor, error) {
	for depth := windowLessFirstDepth; ; depth *= 4 {
		var rows []struct {
			Bound         int64   `db:"bound"`
			ID            *int64  `db:"id"`
			Username      *string `db:"username"`
			Posts         *int    `db:"posts"`
			Threads       *int    `db:"threads"`
			LikesReceived *int    `db:"likes_received"`
		}
		if err := tx.SelectContext(ctx, &rows, dashboardContributorsWindowLess, append(args, depth)...); err != nil {
			return nil, Internal("listing top contributors", err)
		}
		out := []Contributor{}
		for _, r := range rows {
			if r.ID != nil {
				out = append(out, Contributor{ID: *r.ID, Username: *r.Username, Posts: *r.Posts, Threads: *r.Threads, LikesReceived: *r.LikesReceived})
			}
		}
		if bound := rows[0].Bound; bound == 0 || (len(out) == 10 && int64(out[9].Posts) > bound) {
			return out, nil
		}
	}
}

// windowLessFirstDepth is the first depth read in the window (tests make
// it smaller).
var windowLessFirstDepth = 40
