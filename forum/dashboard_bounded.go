package forum

import (
	"context"
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
// and last days of the month), from the $4 highest bounds (b: boundsJoined
// or boundsGrouped, with their parameters $5 to $7).
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

// A member's bound over the days of one month is their running total at
// the end of the last quarter the days reach, less the total at the end of
// the quarters before them (quartersAround): $5 and $6 hold, for each
// month of $1, the number of quarters before and the last quarter. The
// statements are planned with their parameters' values, to which
// PostgreSQL reduces each CASE below: each month's branch reads the two
// index columns it needs, where a CASE evaluated on every row made the
// statement half as long again.

// boundsJoined sums the bounds of up to three months ($1[1] to $1[3], a
// missing month reading nothing) joined by member: a hash join per month.
const boundsJoined = `
SELECT member_id, coalesce(m1.bound, 0) + coalesce(m2.bound, 0) + coalesce(m3.bound, 0) AS bound
FROM (
	SELECT h.member_id,
		CASE ($6::int[])[1] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE h.posts_total END
		- CASE ($5::int[])[1] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE 0 END AS bound
	FROM health_member_months h WHERE h.month = ($1::date[])[1]
) m1 FULL JOIN (
	SELECT h.member_id,
		CASE ($6::int[])[2] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE h.posts_total END
		- CASE ($5::int[])[2] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE 0 END AS bound
	FROM health_member_months h WHERE h.month = ($1::date[])[2]
) m2 USING (member_id) FULL JOIN (
	SELECT h.member_id,
		CASE ($6::int[])[3] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE h.posts_total END
		- CASE ($5::int[])[3] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE 0 END AS bound
	FROM health_member_months h WHERE h.month = ($1::date[])[3]
) m3 USING (member_id)`

// boundsGrouped sums the bounds of any number of months grouped by
// member (a hash table for each join would hold every member again): the
// first and the last month by their quarters, and the whole months between
// them ($7) by their totals.
const boundsGrouped = `
SELECT member_id, sum(bound) AS bound FROM (
	SELECT h.member_id,
		CASE ($6::int[])[1] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE h.posts_total END
		- CASE ($5::int[])[1] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE 0 END AS bound
	FROM health_member_months h WHERE h.month = ($1::date[])[1]
	UNION ALL
	SELECT h.member_id,
		CASE ($6::int[])[cardinality($6::int[])] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE h.posts_total END
		- CASE ($5::int[])[cardinality($5::int[])] WHEN 1 THEN h.posts_to_7 WHEN 2 THEN h.posts_to_14 WHEN 3 THEN h.posts_to_21 ELSE 0 END AS bound
	FROM health_member_months h WHERE h.month = ($1::date[])[cardinality($1::date[])] AND cardinality($1::date[]) > 1
	UNION ALL
	SELECT h.member_id, h.posts_total FROM health_member_months h WHERE h.month = ANY ($7::date[])
) s GROUP BY member_id`

// boundJoinedMonths is how many months' bounds are joined at most, up to
// the three boundsJoined holds (tests make it smaller): a range of up to 31
// days touches three.
var boundJoinedMonths = 3

// The statement in its two forms.
var (
	dashboardContributorsBoundsJoined  = strings.Replace(dashboardContributorsBounded, "{{bounds}}", boundsJoined, 1)
	dashboardContributorsBoundsGrouped = strings.Replace(dashboardContributorsBounded, "{{bounds}}", boundsGrouped, 1)
)

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
	var lo, hi, before, last []int64
	eachMonth(f, t, func(ms, a, b time.Time) {
		months = append(months, ms.Format(time.DateOnly))
		lo, hi = append(lo, int64(a.Day())), append(hi, int64(b.Day()))
		q, r := quartersAround(a.Day(), b.Day())
		before, last = append(before, int64(q)), append(last, int64(r))
	})
	args := []any{pq.Array(months), pq.Array(lo), pq.Array(hi), rangeBoundDepth, pq.Array(before), pq.Array(last)}
	q := dashboardContributorsBoundsJoined
	if len(months) > boundJoinedMonths {
		// The whole months between the first and the last.
		middle := []string{}
		if len(months) > 2 {
			middle = months[1 : len(months)-1]
		}
		q, args = dashboardContributorsBoundsGrouped, append(args, pq.Array(middle))
	}
	out := []Contributor{}
	if err := tx.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, Internal("listing top contributors", err)
	}
	return out, nil
}
