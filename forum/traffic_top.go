package forum

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The most read threads and the referrers of a period, in bounded work
// (migrations/0065_traffic_months.up.sql). Adding up the period's rows of
// traffic_threads reads a row per thread and day read, about 17,000 a day
// on the bench forum: six million for a year. Instead, each month the
// period touches gives its most read threads through an index on the
// months' totals (traffic_thread_months), down to a depth: the threads
// found are the candidates, whose exact views over the period are summed
// (whole months from their totals, the days of a month cut by the
// period's edges from their own rows), and a thread not found has at most
// the sum, over the months, of the least views taken from each (a
// month's total bounds any of its days). When the last of the top ten
// candidates has more, no other thread can reach the list; otherwise the
// depth grows. The figures are exact whatever the depth: it only decides
// how many candidates are summed. Page views follow a long tail (a few
// threads are read far more than the others), so a depth of a few dozen
// is enough; on a forum read evenly, the depth grows until the months'
// lists are read whole, which is the sum of every row, as before.

// topViewedFirstDepth is the first depth read in each month's list (tests
// make it smaller), and topViewedGrowth how much it grows each time it is
// not enough.
var topViewedFirstDepth = 40

const topViewedGrowth = 4

// topViewedCTE gathers, for a period given as its months ($1: each month's
// first day; $2, $3: the period's first and last days within it; $4:
// whether it covers the month whole) and a depth ($5), the candidates
// (c), each month's least views taken (b.views: 0 when the month's list
// was read whole) and the candidates' exact views over the period (e).
const topViewedCTE = `
WITH m AS (
	SELECT * FROM unnest($1::date[], $2::date[], $3::date[], $4::bool[]) AS m(month, lo, hi, whole)
), top AS (
	SELECT m.month, x.key, x.views
	FROM m CROSS JOIN LATERAL (
		SELECT t.{{key}} AS key, t.views FROM {{months}} t WHERE t.month = m.month ORDER BY t.views DESC LIMIT $5
	) x
), b AS (
	SELECT coalesce(sum(CASE WHEN n < $5 THEN 0 ELSE least_views END), 0) AS views
	FROM (SELECT m.month, count(top.key) AS n, min(top.views) AS least_views FROM m LEFT JOIN top USING (month) GROUP BY m.month) l
), e AS MATERIALIZED (
	SELECT c.key, coalesce(sum(v.views), 0) AS views
	FROM (SELECT DISTINCT key FROM top) c
	LEFT JOIN LATERAL (
		SELECT t.views FROM m JOIN {{months}} t ON t.month = m.month AND t.{{key}} = c.key WHERE m.whole
		UNION ALL
		SELECT v.views FROM m JOIN {{days}} v ON v.{{key}} = c.key AND v.day BETWEEN m.lo AND m.hi WHERE NOT m.whole
	) v ON true
	GROUP BY c.key
)`

// The top ten and the bound of the threads not among the candidates:
// one row with the bound alone when no candidate qualifies.
var (
	dashboardTopThreadsRange = expand(topViewedCTE, "thread_id", "traffic_thread_months", "traffic_threads") + `
SELECT b.views AS bound, r.id, r.title, r.slug, r.views
FROM b LEFT JOIN LATERAL (
	SELECT t.id, t.title, t.slug, e.views
	FROM e JOIN threads t ON t.id = e.key
	WHERE t.status = 'published' AND e.views > 0
	ORDER BY e.views DESC, t.id
	LIMIT 10
) r ON true
ORDER BY r.views DESC, r.id`

	dashboardReferrersRange = expand(topViewedCTE, "domain", "traffic_referrer_months", "traffic_referrers") + `
SELECT b.views AS bound, r.key AS title, r.views
FROM b LEFT JOIN LATERAL (
	SELECT e.key, e.views FROM e WHERE e.views > 0 ORDER BY e.views DESC, e.key LIMIT 10
) r ON true
ORDER BY r.views DESC, r.key`
)

func expand(q, key, months, days string) string {
	r := strings.NewReplacer("{{key}}", key, "{{months}}", months, "{{days}}", days)
	return r.Replace(q)
}

// topViewedRow is a row of the queries above: a candidate (nil fields for
// none) and the bound.
type topViewedRow struct {
	Bound int64   `db:"bound"`
	ID    *int64  `db:"id"`
	Title *string `db:"title"`
	Slug  *string `db:"slug"`
	Views *int64  `db:"views"`
}

// periodMonths writes the days from f to t as the months they touch:
// each month's first day, the days of the period within it, and whether
// those are the whole month.
func periodMonths(f, t time.Time) (months, lo, hi []string, whole []bool) {
	eachMonth(f, t, func(ms, a, b time.Time) {
		months = append(months, ms.Format(time.DateOnly))
		lo, hi = append(lo, a.Format(time.DateOnly)), append(hi, b.Format(time.DateOnly))
		whole = append(whole, a.Equal(ms) && b.Equal(ms.AddDate(0, 1, -1)))
	})
	return months, lo, hi, whole
}

// topViewed runs q (dashboardTopThreadsRange or dashboardReferrersRange)
// over the days from f to t, deeper until its list is certain.
func topViewed(ctx context.Context, tx *sqlx.Tx, q string, f, t time.Time) ([]topViewedRow, error) {
	months, lo, hi, whole := periodMonths(f, t)
	for depth := topViewedFirstDepth; ; depth *= topViewedGrowth {
		var rows []topViewedRow
		if err := tx.SelectContext(ctx, &rows, q, pq.Array(months), pq.Array(lo), pq.Array(hi), pq.Array(whole), depth); err != nil {
			return nil, err
		}
		out := rows[:0]
		for _, r := range rows {
			if r.Views != nil {
				out = append(out, r)
			}
		}
		// The list is certain when no thread left out can reach it: the
		// bound is 0 (every list read whole) or below the last of ten
		// (strictly: a thread left out with as many views could come
		// first by its id).
		bound := rows[0].Bound
		if bound == 0 || (len(out) == 10 && *out[9].Views > bound) {
			return out, nil
		}
	}
}

// loadTopViewed lists the period's most read threads and its referrers.
func (d *Dashboard) loadTopViewed(ctx context.Context, tx *sqlx.Tx) error {
	rows, err := topViewed(ctx, tx, dashboardTopThreadsRange, d.Period.From, d.Period.To)
	if err != nil {
		return Internal("listing the most read threads", err)
	}
	d.TopThreads = make([]Viewed, 0, len(rows))
	for _, r := range rows {
		d.TopThreads = append(d.TopThreads, Viewed{ID: *r.ID, Title: *r.Title, Slug: *r.Slug, Views: *r.Views})
	}
	if rows, err = topViewed(ctx, tx, dashboardReferrersRange, d.Period.From, d.Period.To); err != nil {
		return Internal("listing referrers", err)
	}
	d.Referrers = make([]Referrer, 0, len(rows))
	for _, r := range rows {
		d.Referrers = append(d.Referrers, Referrer{Domain: *r.Title, Views: *r.Views})
	}
	return nil
}
