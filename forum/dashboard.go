package forum

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// DashboardDays is the dashboard's period when none is chosen.
const DashboardDays = 30

// DashboardPeriods are the periods offered (days, ending today).
var DashboardPeriods = []int{7, 30, 90, 365}

// dashboardMaxDays bounds a chosen range (ten years).
const dashboardMaxDays = 3660

// Period is a run of local days, From and To included; the dates are
// held at UTC midnight (as PostgreSQL's date scans). Days is the preset
// chosen (7, 30…), 0 for a range.
type Period struct {
	From, To time.Time
	Days     int
}

// Len is the number of days of the period.
func (p Period) Len() int { return int(p.To.Sub(p.From)/(24*time.Hour)) + 1 }

// Previous is the period of the same length just before.
func (p Period) Previous() Period {
	n := p.Len()
	return Period{From: p.From.AddDate(0, 0, -n), To: p.From.AddDate(0, 0, -1), Days: p.Days}
}

// ParsePeriod reads the period chosen: a range when from and to (dates,
// YYYY-MM-DD) are given, else days (7, 30, 90 or 365; 30 when empty),
// ending today (a local date).
func ParsePeriod(days, from, to string, today time.Time) (Period, error) {
	bad := Errorf(EINVALID, "admin.dashboard_period_invalid", map[string]any{"Max": dashboardMaxDays})
	if from != "" || to != "" {
		f, err1 := time.Parse(time.DateOnly, from)
		t, err2 := time.Parse(time.DateOnly, to)
		if err1 != nil || err2 != nil || t.Before(f) || t.After(today) {
			return Period{}, bad.OnField("from")
		}
		p := Period{From: f, To: t}
		if p.Len() > dashboardMaxDays {
			return Period{}, bad.OnField("from")
		}
		return p, nil
	}
	n := DashboardDays
	if days != "" {
		v, err := strconv.Atoi(days)
		if err != nil || !slices.Contains(DashboardPeriods, v) {
			return Period{}, bad.OnField("period")
		}
		n = v
	}
	return Period{From: today.AddDate(0, 0, -(n - 1)), To: today, Days: n}, nil
}

// Dashboard is what the community manager watches: is the community alive
// (engagement), are newcomers answered (response time), is the moderation
// keeping up (moderation), and who carries the conversation. The period's
// figures come from the daily rollups (forum/health.go), each with the
// previous period's to compare.
type Dashboard struct {
	Now        time.Time
	Location   *time.Location
	Period     Period
	Prior      Period
	From, To   time.Time  // the period's instants: From's local midnight to the end of To (at most now)
	ComputedAt *time.Time // when the rollups were last brought up to date

	// Engagement: members who visited in the last 1, 7 and 30 days.
	Active1, Active7, Active30 int

	Current, Previous HealthTotals
	Days              []DayActivity    // one entry a day of the period, oldest first
	Categories        []CategoryHealth // the period's figures by category, busiest first

	// Moderation: review items created in the period and the median time
	// to first seen, claimed and resolved; the queue now, by kind.
	ReviewItems         int
	ReviewSeenMedian    *time.Duration
	ReviewClaimMedian   *time.Duration
	ReviewResolveMedian *time.Duration
	Queue               map[string]int // pending review items by kind
	QueueSize           int

	TopContributors []Contributor

	// Response and moderation lists (forum/dashboard_moderation.go).
	Unanswered     []UnansweredThread
	Rules          []RuleFiring
	ReportOutcomes []ReportOutcomes
	QueueDays      []QueueDay
	Moderators     []ModeratorActions

	// Reputation: mentions of the terms chosen in the settings.
	Terms    []TermMentions
	TermDays []TermDay

	// Traffic and reach (forum/traffic.go).
	TrafficDays              []TrafficDay
	Traffic, PreviousTraffic TrafficTotals
	TopThreads               []Viewed
	TopCategories            []Viewed
	Referrers                []Referrer
}

// HealthTotals are a period's sums of the daily rollups. A thread counts
// in the day it was opened; Settled* count only the threads opened two
// days or more before the rollup (old enough to have had 24 hours).
type HealthTotals struct {
	Posts             int   `db:"posts" json:"posts"`
	Threads           int   `db:"threads" json:"threads"`
	SignUps           int   `db:"signups" json:"signups"`
	Reports           int   `db:"reports" json:"reports"`
	Held              int   `db:"held" json:"held"`
	Removed           int   `db:"removed" json:"removed"`
	Answerable        int   `db:"answerable" json:"answerable"`
	Answered          int   `db:"answered" json:"answered"`
	ResponseSeconds   int64 `db:"response_seconds" json:"-"`
	StaffAnswered     int   `db:"staff_answered" json:"staff_answered"`
	StaffSeconds      int64 `db:"staff_response_seconds" json:"-"`
	SettledAnswerable int   `db:"settled_answerable" json:"settled_answerable"`
	SettledAnswered24 int   `db:"settled_answered_24h" json:"-"`
}

// MeanFirstResponse is the mean time from a thread's opening to its first
// response by someone else; nil when no thread was answered.
func (t HealthTotals) MeanFirstResponse() *time.Duration {
	if t.Answered == 0 {
		return nil
	}
	d := (time.Duration(t.ResponseSeconds) * time.Second / time.Duration(t.Answered)).Round(time.Second)
	return &d
}

// MeanStaffResponse is the mean time from a thread's opening to the first
// response of a moderator or an administrator; nil when staff answered none.
func (t HealthTotals) MeanStaffResponse() *time.Duration {
	if t.StaffAnswered == 0 {
		return nil
	}
	d := (time.Duration(t.StaffSeconds) * time.Second / time.Duration(t.StaffAnswered)).Round(time.Second)
	return &d
}

// Unanswered24h is how many of the settled threads got no response within
// 24 hours.
func (t HealthTotals) Unanswered24h() int { return t.SettledAnswerable - t.SettledAnswered24 }

// UnansweredShare is the share (0–1) of settled threads left without a
// response for 24 hours; -1 when there is none to judge.
func (t HealthTotals) UnansweredShare() float64 {
	if t.SettledAnswerable == 0 {
		return -1
	}
	return float64(t.Unanswered24h()) / float64(t.SettledAnswerable)
}

// Change is the change from prev to cur in percent; nil when prev is 0.
func Change(cur, prev float64) *float64 {
	if prev == 0 {
		return nil
	}
	c := (cur - prev) / prev * 100
	return &c
}

// DayActivity is one day of the dashboard's charts.
type DayActivity struct {
	Day        time.Time `db:"day"`
	Posts      int       `db:"posts"`
	Threads    int       `db:"threads"`
	NewMembers int       `db:"new_members"`
	Reports    int       `db:"reports"`
	Held       int       `db:"held"`
	Removed    int       `db:"removed"`
}

// CategoryHealth is a category's figures over the period.
type CategoryHealth struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
	Slug string `db:"slug"`
	HealthTotals
}

// Contributor is one of the most active members of the window.
type Contributor struct {
	ID            int64  `db:"id"`
	Username      string `db:"username"`
	Posts         int    `db:"posts"`
	Threads       int    `db:"threads"`
	LikesReceived int    `db:"likes_received"`
}

// The rollups' queries take the period's first and last days ($1, $2);
// the totals also the last settled day ($3).
const (
	dashboardActive = `
SELECT count(DISTINCT member_id) FILTER (WHERE last_at >= $1::timestamptz - interval '1 day') AS active1,
       count(DISTINCT member_id) FILTER (WHERE last_at >= $1::timestamptz - interval '7 days') AS active7,
       count(DISTINCT member_id) FILTER (WHERE last_at >= $1::timestamptz - interval '30 days') AS active30
FROM member_visits
WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date - 30 AND last_at <= $1`

	healthSums = `coalesce(sum(posts), 0) AS posts, coalesce(sum(threads), 0) AS threads,
       coalesce(sum(signups), 0) AS signups, coalesce(sum(reports), 0) AS reports,
       coalesce(sum(held), 0) AS held, coalesce(sum(removed), 0) AS removed,
       coalesce(sum(answerable), 0) AS answerable, coalesce(sum(answered), 0) AS answered,
       coalesce(sum(response_seconds), 0) AS response_seconds,
       coalesce(sum(staff_answered), 0) AS staff_answered, coalesce(sum(staff_response_seconds), 0) AS staff_response_seconds,
       coalesce(sum(answerable) FILTER (WHERE day <= $3::date), 0) AS settled_answerable,
       coalesce(sum(answered_24h) FILTER (WHERE day <= $3::date), 0) AS settled_answered_24h`

	dashboardTotals = `SELECT ` + healthSums + ` FROM health_days WHERE day BETWEEN $1::date AND $2::date`

	dashboardCategories = `
SELECT c.id, c.name, c.slug, ` + healthSums + `
FROM health_days h JOIN categories c ON c.id = h.category_id
WHERE h.day BETWEEN $1::date AND $2::date
GROUP BY c.id
ORDER BY posts DESC, c.position, c.name`

	// The days that have rows: the others are added as zeros (fillDays),
	// so that a long period reads what it holds, not a row per day.
	dashboardDays = `
SELECT h.day::timestamp AT TIME ZONE 'UTC' AS day, sum(h.posts) AS posts, sum(h.threads) AS threads,
       sum(h.signups) AS new_members, sum(h.reports) AS reports, sum(h.held) AS held, sum(h.removed) AS removed
FROM health_days h WHERE h.day BETWEEN $1::date AND $2::date
GROUP BY h.day ORDER BY h.day`

	// The review items of the period and their latencies, from the daily
	// histograms: each stage's rounded seconds with how many items took
	// them, shortest first.
	dashboardReviewItems = `SELECT coalesce(sum(items), 0) FROM health_review_days WHERE day BETWEEN $1::date AND $2::date`

	dashboardReviewLatency = `
SELECT stage, seconds, sum(items) AS items
FROM health_review_latency WHERE day BETWEEN $1::date AND $2::date
GROUP BY stage, seconds ORDER BY stage, seconds`

	dashboardQueue = `SELECT kind, count(*) AS n FROM review_items WHERE status = 'pending' GROUP BY kind`

	// The most active members of a period offered ending on the job's
	// last day ($1: its number of days), from the windows the job keeps;
	// those of other periods are summed from pieces
	// (forum/dashboard_ranges.go).
	dashboardContributorsWindow = `
SELECT m.id, m.username, w.posts, w.threads, w.likes_received
FROM health_member_windows w JOIN members m ON m.id = w.member_id
WHERE w.days = $1 AND w.posts > 0
ORDER BY w.posts DESC, w.likes_received DESC, w.member_id
LIMIT 10`
)

// Dashboard computes the community-health figures of period at now
// (staff only).
func (db *DB) Dashboard(ctx context.Context, now time.Time, period Period) (*Dashboard, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	st, err := db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	loc := st.Location()
	d := &Dashboard{Now: now.UTC(), Location: loc, Period: period, Prior: period.Previous(), Queue: map[string]int{}}
	d.From = localMidnight(period.From, loc)
	d.To = localMidnight(period.To.AddDate(0, 0, 1), loc)
	if d.To.After(d.Now) {
		d.To = d.Now
	}
	// One read-only snapshot: the figures agree with each other.
	tx, err := db.pool.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, Internal("starting a transaction", err)
	}
	defer tx.Rollback()
	if err := d.load(ctx, tx); err != nil {
		return nil, err
	}
	if err := d.loadReputation(ctx, tx, st.ReputationTerms); err != nil {
		return nil, err
	}
	return d, nil
}

// TodayIn is today's date in loc, as Period holds dates.
func TodayIn(now time.Time, loc *time.Location) time.Time { return localDay(now, loc) }

// localMidnight is the instant a date (held at UTC midnight) starts in loc.
func localMidnight(day time.Time, loc *time.Location) time.Time {
	y, m, dd := day.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc).UTC()
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
	var state struct {
		ComputedAt *time.Time `db:"computed_at"`
		WindowTo   *time.Time `db:"window_to"`
	}
	if err := tx.GetContext(ctx, &state, `SELECT computed_at, window_to FROM health_state`); err != nil {
		return Internal("reading the health rollups' state", err)
	}
	d.ComputedAt = state.ComputedAt
	settled := localDay(d.Now, d.Location).AddDate(0, 0, -2)
	if d.ComputedAt != nil {
		settled = localDay(*d.ComputedAt, d.Location).AddDate(0, 0, -2)
	}
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	if err := tx.GetContext(ctx, &d.Current, dashboardTotals, date(d.Period.From), date(d.Period.To), date(settled)); err != nil {
		return Internal("summing the period's rollups", err)
	}
	if err := tx.GetContext(ctx, &d.Previous, dashboardTotals, date(d.Prior.From), date(d.Prior.To), date(settled)); err != nil {
		return Internal("summing the previous period's rollups", err)
	}
	d.Categories = []CategoryHealth{}
	if err := tx.SelectContext(ctx, &d.Categories, dashboardCategories, date(d.Period.From), date(d.Period.To), date(settled)); err != nil {
		return Internal("summing the rollups by category", err)
	}
	if err := tx.SelectContext(ctx, &d.Days, dashboardDays, date(d.Period.From), date(d.Period.To)); err != nil {
		return Internal("reading activity per day", err)
	}
	d.Days = fillDays(d.Period, d.Days, func(a DayActivity) time.Time { return a.Day }, func(t time.Time) DayActivity { return DayActivity{Day: t} })

	if err := tx.GetContext(ctx, &d.ReviewItems, dashboardReviewItems, date(d.Period.From), date(d.Period.To)); err != nil {
		return Internal("counting the review items", err)
	}
	var latencies []latencyCount
	if err := tx.SelectContext(ctx, &latencies, dashboardReviewLatency, date(d.Period.From), date(d.Period.To)); err != nil {
		return Internal("measuring the review queue", err)
	}
	d.ReviewSeenMedian = histogramMedian(latencies, "seen")
	d.ReviewClaimMedian = histogramMedian(latencies, "claimed")
	d.ReviewResolveMedian = histogramMedian(latencies, "resolved")

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
	if d.Period.Days != 0 && state.WindowTo != nil && state.WindowTo.UTC().Equal(d.Period.To) {
		if err := tx.SelectContext(ctx, &d.TopContributors, dashboardContributorsWindow, d.Period.Days); err != nil {
			return Internal("listing top contributors", err)
		}
	} else {
		top, err := rangeContributors(ctx, tx, d.Period.From, d.Period.To)
		if err != nil {
			return err
		}
		d.TopContributors = top
	}
	if err := d.loadModeration(ctx, tx); err != nil {
		return err
	}
	return d.loadTraffic(ctx, tx)
}

// fillDays gives a value to each day of p, oldest first: the row of rows
// (sorted by day) of that day, or empty's.
func fillDays[T any](p Period, rows []T, day func(T) time.Time, empty func(time.Time) T) []T {
	out := make([]T, 0, p.Len())
	i := 0
	for t := p.From; !t.After(p.To); t = t.AddDate(0, 0, 1) {
		for i < len(rows) && day(rows[i]).Before(t) {
			i++
		}
		if i < len(rows) && day(rows[i]).Equal(t) {
			out = append(out, rows[i])
			continue
		}
		out = append(out, empty(t))
	}
	return out
}

// latencyCount is a bar of a latency histogram: how many items took
// Seconds at a stage.
type latencyCount struct {
	Stage   string `db:"stage"`
	Seconds int64  `db:"seconds"`
	Items   int64  `db:"items"`
}

// histogramMedian is the median of stage's latencies (as percentile_cont
// computes it: the middle value, or the mean of the two middle ones), from
// bars sorted by stage then seconds; nil without any.
func histogramMedian(bars []latencyCount, stage string) *time.Duration {
	var own []latencyCount
	var n int64
	for _, b := range bars {
		if b.Stage == stage && b.Items > 0 {
			own = append(own, b)
			n += b.Items
		}
	}
	if n == 0 {
		return nil
	}
	// at is the value of rank k (from 0) in the sorted latencies.
	at := func(k int64) int64 {
		for _, b := range own {
			if k < b.Items {
				return b.Seconds
			}
			k -= b.Items
		}
		return own[len(own)-1].Seconds
	}
	lo, hi := at((n-1)/2), at(n/2)
	d := (time.Duration(lo+hi) * time.Second / 2).Round(time.Second)
	return &d
}
