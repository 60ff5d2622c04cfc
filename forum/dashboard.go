package forum

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
)

// DashboardDays is the window of the community-health dashboard: every
// figure looks at the last 30 days at most, so that it stays fast on a
// forum of any age.
const DashboardDays = 30

// Dashboard is what the community manager watches: is the community alive
// (engagement), are newcomers answered (response time), is the moderation
// keeping up (moderation), and who carries the conversation.
type Dashboard struct {
	Now  time.Time
	From time.Time // start of the window (UTC midnight, DashboardDays ago)

	// Engagement: members who visited in the last 1, 7 and 30 days.
	Active1, Active7, Active30 int
	NewMembers7, NewMembers30  int
	Posts30, Threads30         int
	Days                       []DayActivity // DashboardDays entries, oldest first

	// Response time, over the threads opened in the window: the median
	// time to a first reply by someone else, and how many threads opened
	// more than 24 hours ago got none within 24 hours.
	FirstReplyMedian  *time.Duration
	Unanswered24h     int
	AnswerableThreads int // threads old enough to count in Unanswered24h

	// Moderation: review items created in the window and the median time
	// to first seen, claimed and resolved; the queue now, by kind.
	ReviewItems30       int
	ReviewSeenMedian    *time.Duration
	ReviewClaimMedian   *time.Duration
	ReviewResolveMedian *time.Duration
	Queue               map[string]int // pending review items by kind
	QueueSize           int
	Reports30           int

	TopContributors []Contributor
}

// DayActivity is one day of the dashboard's charts.
type DayActivity struct {
	Day        time.Time `db:"day"`
	Posts      int       `db:"posts"`
	Threads    int       `db:"threads"`
	NewMembers int       `db:"new_members"`
	Reports    int       `db:"reports"`
}

// Contributor is one of the most active members of the window.
type Contributor struct {
	ID            int64  `db:"id"`
	Username      string `db:"username"`
	Posts         int    `db:"posts"`
	Threads       int    `db:"threads"`
	LikesReceived int    `db:"likes_received"`
}

// UnansweredShare is the share (0–1) of answerable threads left without a
// reply for 24 hours; -1 when there is none to judge.
func (d *Dashboard) UnansweredShare() float64 {
	if d.AnswerableThreads == 0 {
		return -1
	}
	return float64(d.Unanswered24h) / float64(d.AnswerableThreads)
}

// Days are UTC days. The first two queries take now ($1), the others the
// start of the window ($1) and now ($2).
const (
	dashboardActive = `
SELECT count(DISTINCT member_id) FILTER (WHERE last_at >= $1::timestamptz - interval '1 day') AS active1,
       count(DISTINCT member_id) FILTER (WHERE last_at >= $1::timestamptz - interval '7 days') AS active7,
       count(DISTINCT member_id) FILTER (WHERE last_at >= $1::timestamptz - interval '30 days') AS active30
FROM member_visits
WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date - 30 AND last_at <= $1`

	dashboardNewMembers = `
SELECT count(*) FILTER (WHERE created_at >= $1::timestamptz - interval '7 days') AS new7,
       count(*) AS new30
FROM members
WHERE created_at >= $1::timestamptz - interval '30 days' AND created_at <= $1`

	dashboardDays = `
WITH days AS (
	SELECT d::date AS day
	FROM generate_series(($1::timestamptz AT TIME ZONE 'UTC')::date, ($2::timestamptz AT TIME ZONE 'UTC')::date, interval '1 day') AS d
), p AS (
	SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM posts
	WHERE created_at >= $1 AND created_at <= $2 AND status <> 'deleted' GROUP BY 1
), t AS (
	SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM threads
	WHERE created_at >= $1 AND created_at <= $2 AND status <> 'deleted' GROUP BY 1
), m AS (
	SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM members
	WHERE created_at >= $1 AND created_at <= $2 GROUP BY 1
), r AS (
	SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM reports
	WHERE created_at >= $1 AND created_at <= $2 GROUP BY 1
)
SELECT days.day::timestamp AT TIME ZONE 'UTC' AS day, coalesce(p.n, 0) AS posts, coalesce(t.n, 0) AS threads,
       coalesce(m.n, 0) AS new_members, coalesce(r.n, 0) AS reports
FROM days LEFT JOIN p USING (day) LEFT JOIN t USING (day) LEFT JOIN m USING (day) LEFT JOIN r USING (day)
ORDER BY days.day`

	// A thread's first reply is the earliest published post of someone
	// other than its author.
	dashboardFirstReply = `
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM fr.at - t.created_at)) AS median_seconds,
       count(*) FILTER (WHERE t.created_at <= $2::timestamptz - interval '24 hours') AS answerable,
       count(*) FILTER (WHERE t.created_at <= $2::timestamptz - interval '24 hours'
                        AND (fr.at IS NULL OR fr.at > t.created_at + interval '24 hours')) AS unanswered
FROM threads t
LEFT JOIN LATERAL (
	SELECT min(p.created_at) AS at FROM posts p
	WHERE p.thread_id = t.id AND p.number > 1 AND p.status = 'published'
	  AND p.author_id IS DISTINCT FROM t.author_id AND p.created_at <= $2
) fr ON true
WHERE t.created_at >= $1 AND t.created_at <= $2 AND t.status = 'published'`

	dashboardReview = `
SELECT count(*) AS items,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_seen_at - created_at)) AS seen,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_at - created_at)) AS claimed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at)) AS resolved
FROM review_items
WHERE created_at >= $1 AND created_at <= $2`

	dashboardQueue = `SELECT kind, count(*) AS n FROM review_items WHERE status = 'pending' GROUP BY kind`

	dashboardContributors = `
SELECT m.id, m.username, count(*) AS posts, count(*) FILTER (WHERE p.number = 1) AS threads,
       coalesce(sum(p.like_count), 0) AS likes_received
FROM posts p JOIN members m ON m.id = p.author_id
WHERE p.created_at >= $1 AND p.created_at <= $2 AND p.status = 'published'
GROUP BY m.id, m.username
ORDER BY posts DESC, likes_received DESC, m.id
LIMIT 10`
)

// Dashboard computes the community-health figures at now (staff only).
func (db *DB) Dashboard(ctx context.Context, now time.Time) (*Dashboard, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	now = now.UTC()
	d := &Dashboard{Now: now, From: now.Truncate(24*time.Hour).AddDate(0, 0, -(DashboardDays - 1)), Queue: map[string]int{}}
	// One read-only snapshot: the figures agree with each other.
	tx, err := db.pool.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, Internal("starting a transaction", err)
	}
	defer tx.Rollback()
	if err := d.load(ctx, tx); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dashboard) load(ctx context.Context, tx *sqlx.Tx) error {
	var active struct {
		A1  int `db:"active1"`
		A7  int `db:"active7"`
		A30 int `db:"active30"`
	}
	if err := tx.GetContext(ctx, &active, dashboardActive, d.Now); err != nil {
		return Internal("counting active members", err)
	}
	d.Active1, d.Active7, d.Active30 = active.A1, active.A7, active.A30
	var joined struct {
		N7  int `db:"new7"`
		N30 int `db:"new30"`
	}
	if err := tx.GetContext(ctx, &joined, dashboardNewMembers, d.Now); err != nil {
		return Internal("counting new members", err)
	}
	d.NewMembers7, d.NewMembers30 = joined.N7, joined.N30

	if err := tx.SelectContext(ctx, &d.Days, dashboardDays, d.From, d.Now); err != nil {
		return Internal("counting activity per day", err)
	}
	for _, day := range d.Days {
		d.Posts30 += day.Posts
		d.Threads30 += day.Threads
		d.Reports30 += day.Reports
	}

	var reply struct {
		Median     *float64 `db:"median_seconds"`
		Answerable int      `db:"answerable"`
		Unanswered int      `db:"unanswered"`
	}
	if err := tx.GetContext(ctx, &reply, dashboardFirstReply, d.From, d.Now); err != nil {
		return Internal("measuring response times", err)
	}
	d.FirstReplyMedian, d.AnswerableThreads, d.Unanswered24h = seconds(reply.Median), reply.Answerable, reply.Unanswered

	var review struct {
		Items    int      `db:"items"`
		Seen     *float64 `db:"seen"`
		Claimed  *float64 `db:"claimed"`
		Resolved *float64 `db:"resolved"`
	}
	if err := tx.GetContext(ctx, &review, dashboardReview, d.From, d.Now); err != nil {
		return Internal("measuring the review queue", err)
	}
	d.ReviewItems30 = review.Items
	d.ReviewSeenMedian, d.ReviewClaimMedian, d.ReviewResolveMedian = seconds(review.Seen), seconds(review.Claimed), seconds(review.Resolved)

	var queue []struct {
		Kind string `db:"kind"`
		N    int    `db:"n"`
	}
	if err := tx.SelectContext(ctx, &queue, dashboardQueue); err != nil {
		return Internal("counting the review queue", err)
	}
	for _, q := range queue {
		d.Queue[q.Kind] = q.N
		d.QueueSize += q.N
	}
	d.TopContributors = []Contributor{}
	if err := tx.SelectContext(ctx, &d.TopContributors, dashboardContributors, d.From, d.Now); err != nil {
		return Internal("listing top contributors", err)
	}
	return nil
}

func seconds(s *float64) *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s * float64(time.Second)).Round(time.Second)
	return &d
}
