package forum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The most active members of a range read from the months alone (no
// window of the job ends near it), in two steps
// (migrations/0067_health_month_quarters.up.sql). Each month's row keeps
// its member's running totals at the ends of the month's quarters (days
// 7, 14 and 21, and the total), from which PostgreSQL derives columns
// that an index holds beside the keys: the posts of a run of days are at
// most those of the quarters that hold it, so that every member's bound
// over the range is read from the index, without the rows' arrays (on a
// million-post forum where every member posts every week, 31 days read
// bounds over 35 to 42 days). Then the members with the highest bounds
// have their exact posts read, from their own rows: the tenth of these
// posts, L, is had by ten members at least, so that a member with fewer
// cannot be in the list; those whose bound reaches L are the only
// candidates, and their exact figures decide. Exact whatever the depth:
// it only makes L closer to the tenth's posts, and the candidates fewer.

// rangeBoundDepth is how many members of the highest bounds have their
// exact posts read to find L (tests make it smaller).
var rangeBoundDepth = 50

// dashboardContributorsBounded lists the most active members of runs of
// days within months ($1: each month's first day; $2, $3: the run's first
// and last days of the month), from the $4 highest bounds (b, written by
// boundsOfMonths).
const dashboardContributorsBounded = `
WITH x AS (
	SELECT * FROM unnest($1::date[], $2::smallint[], $3::smallint[]) AS x(month, lo, hi)
), b AS MATERIALIZED (
	{{bounds}}
), l AS (
	SELECT CASE WHEN count(*) = 10 THEN min(posts) ELSE 1 END AS posts FROM (
		SELECT e.posts FROM (SELECT member_id FROM b ORDER BY bound DESC LIMIT $4) c CROSS JOIN LATERAL (
			SELECT sum(coalesce(h.posts[width_bucket(x.hi, h.days)], 0) - coalesce(h.posts[width_bucket(x.lo - 1::smallint, h.days)], 0)) AS posts
			FROM x JOIN health_member_months h ON h.month = x.month AND h.member_id = c.member_id
		) e
		ORDER BY e.posts DESC LIMIT 10
	) t
), t AS (
	SELECT b.member_id, e.posts, e.threads, e.likes_received
	FROM l JOIN b ON b.bound >= l.posts CROSS JOIN LATERAL (
		SELECT sum(coalesce(h.posts[k.hi], 0) - coalesce(h.posts[k.lo], 0)) AS posts,
		       sum(coalesce(h.threads[k.hi], 0) - coalesce(h.threads[k.lo], 0)) AS threads,
		       sum(coalesce(h.likes_received[k.hi], 0) - coalesce(h.likes_received[k.lo], 0)) AS likes_received
		FROM x JOIN health_member_months h ON h.month = x.month AND h.member_id = b.member_id
		CROSS JOIN LATERAL (SELECT width_bucket(x.lo - 1::smallint, h.days) AS lo, width_bucket(x.hi, h.days) AS hi) k
	) e
	WHERE e.posts > 0
	ORDER BY e.posts DESC, e.likes_received DESC, b.member_id
	LIMIT 10
)
SELECT m.id, m.username, t.posts, t.threads, t.likes_received
FROM t JOIN members m ON m.id = t.member_id
ORDER BY t.posts DESC, t.likes_received DESC, m.id`

// quarterTotals are the columns of a member's running total at the end of
// none, one, two, three or four of the month's quarters.
var quarterTotals = [5]string{"0", "h.posts_to_7", "h.posts_to_14", "h.posts_to_21", "h.posts_total"}

// boundsOfMonths sums the bounds of every member over the days from a to
// b of each month of $1 in turn (the quarters that hold them): a branch a
// month, each written with the columns it needs, joined by member (a
// hash join per month, where a CASE on every row and a grouping made the
// statement half as long again), or grouped by member past
// boundJoinedMonths months (a hash table for each join would hold every
// member again). The text is made of quarterTotals alone.
func boundsOfMonths(days [][2]int) string {
	joined := len(days) <= boundJoinedMonths
	var sum, from strings.Builder
	for i, d := range days {
		before, last := quartersAround(d[0], d[1])
		bound := quarterTotals[last]
		if before > 0 {
			bound += " - " + quarterTotals[before]
		}
		branch := fmt.Sprintf("SELECT h.member_id, %s AS bound FROM health_member_months h WHERE h.month = ($1::date[])[%d]", bound, i+1)
		switch {
		case !joined && i > 0:
			from.WriteString(" UNION ALL ")
			fallthrough
		case !joined:
			from.WriteString(branch)
		case i > 0:
			fmt.Fprintf(&sum, " + coalesce(m%d.bound, 0)", i+1)
			fmt.Fprintf(&from, " FULL JOIN (%s) m%d USING (member_id)", branch, i+1)
		default:
			sum.WriteString("coalesce(m1.bound, 0)")
			fmt.Fprintf(&from, "(%s) m1", branch)
		}
	}
	if !joined {
		return "SELECT member_id, sum(bound) AS bound FROM (" + from.String() + ") s GROUP BY member_id"
	}
	return "SELECT member_id, " + sum.String() + " AS bound FROM " + from.String()
}

// boundJoinedMonths is how many months' bounds are joined at most (tests
// make it smaller): a range of up to 31 days touches three.
var boundJoinedMonths = 3

// monthQuarters are the days that end a month's first three quarters.
var monthQuarters = [3]int{7, 14, 21}

// quartersAround gives the quarters that hold the days from a to b of a
// month: how many quarters end before a (0 to 3), and the quarter b is in
// (1 to 4).
func quartersAround(a, b int) (before, last int) {
	last = 1
	for _, end := range monthQuarters {
		if end < a {
			before++
		}
		if end < b {
			last++
		}
	}
	return before, last
}

// boundedContributors lists the most active members of the days from f to
// t, which have rows, from the months they touch.
func boundedContributors(ctx context.Context, tx *sqlx.Tx, f, t time.Time) ([]Contributor, error) {
	var months []string
	var lo, hi []int64
	var days [][2]int
	eachMonth(f, t, func(ms, a, b time.Time) {
		months = append(months, ms.Format(time.DateOnly))
		lo, hi = append(lo, int64(a.Day())), append(hi, int64(b.Day()))
		days = append(days, [2]int{a.Day(), b.Day()})
	})
	q := strings.Replace(dashboardContributorsBounded, "{{bounds}}", boundsOfMonths(days), 1)
	out := []Contributor{}
	if err := tx.SelectContext(ctx, &out, q, pq.Array(months), pq.Array(lo), pq.Array(hi), rangeBoundDepth); err != nil {
		return nil, Internal("listing top contributors", err)
	}
	return out, nil
}
