package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The dashboard's response and moderation lists. The rules' and reports'
// figures, the queue over time and the threads left without a response
// come from the health job's rollups (forum/health.go); the actions by
// moderator from the moderation log of the period, through its time index.

// UnansweredThread is a thread of the period without a response after 24
// hours: the list to act on.
type UnansweredThread struct {
	ID        int64     `db:"id" json:"id"`
	Title     string    `db:"title" json:"title"`
	Slug      string    `db:"slug" json:"slug"`
	Category  string    `db:"category" json:"category"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// RuleFiring is how often a rule held or flagged a post over the period,
// and what moderators made of it: Overturned items were approved or
// dismissed, Upheld ones acted on.
type RuleFiring struct {
	RuleID     int64  `db:"rule_id" json:"rule_id"`
	Name       string `db:"name" json:"name"`
	Fired      int    `db:"fired" json:"fired"`
	Upheld     int    `db:"upheld" json:"upheld"`
	Overturned int    `db:"overturned" json:"overturned"`
}

// Precision is the share (0–1) of the rule's decided items that the
// moderators upheld; -1 before any was decided.
func (r RuleFiring) Precision() float64 {
	if r.Upheld+r.Overturned == 0 {
		return -1
	}
	return float64(r.Upheld) / float64(r.Upheld+r.Overturned)
}

// ReportOutcomes are the reports of one reason over the period.
type ReportOutcomes struct {
	Reason    string `db:"reason" json:"reason"`
	Total     int    `db:"total" json:"total"`
	Agreed    int    `db:"agreed" json:"agreed"`
	Dismissed int    `db:"dismissed" json:"dismissed"`
}

// QueueDay is the review queue's highest size and oldest item's age on a
// day, as the rollup job saw them.
type QueueDay struct {
	Day           time.Time `db:"day"`
	Size          int       `db:"size_max"`
	OldestSeconds int64     `db:"oldest_seconds_max"`
}

// ModeratorActions is how many entries of the moderation log a staff
// member wrote over the period.
type ModeratorActions struct {
	ID       int64  `db:"id" json:"id"`
	Username string `db:"username" json:"username"`
	Actions  int    `db:"actions" json:"actions"`
	Reviews  int    `db:"reviews" json:"reviews"`
}

const (
	// The newest threads of the period left without a response 24 hours
	// after they were opened (at now, $3), from the job's list, checked
	// again against the thread's status.
	dashboardUnanswered = `
SELECT t.id, t.title, t.slug, c.name AS category, t.created_at
FROM health_unanswered u JOIN threads t ON t.id = u.thread_id JOIN categories c ON c.id = t.category_id
WHERE u.created_at >= $1 AND u.created_at < least($2, $3::timestamptz - interval '24 hours') AND t.status = 'published'
ORDER BY u.created_at DESC, u.thread_id DESC
LIMIT 20`

	// Per rule, with its latest name.
	dashboardRules = `
SELECT rule_id, (array_agg(name ORDER BY day DESC))[1] AS name, sum(fired) AS fired,
       sum(upheld) AS upheld, sum(overturned) AS overturned
FROM health_rule_days WHERE day BETWEEN $1::date AND $2::date
GROUP BY rule_id
ORDER BY fired DESC, rule_id`

	dashboardReportOutcomes = `
SELECT reason, sum(total) AS total, sum(agreed) AS agreed, sum(dismissed) AS dismissed
FROM health_report_days WHERE day BETWEEN $1::date AND $2::date
GROUP BY reason ORDER BY total DESC, reason`

	// The days that have rows (fillDays adds the others).
	dashboardQueueDays = `
SELECT day::timestamp AT TIME ZONE 'UTC' AS day, size_max, oldest_seconds_max
FROM health_queue WHERE day BETWEEN $1::date AND $2::date
ORDER BY day`

	dashboardModerators = `
SELECT m.id, m.username, count(*) AS actions, count(*) FILTER (WHERE l.action = $3) AS reviews
FROM mod_log l JOIN members m ON m.id = l.actor_id
WHERE l.at >= $1 AND l.at < $2
GROUP BY m.id ORDER BY actions DESC, m.id
LIMIT 20`
)

func (d *Dashboard) loadModeration(ctx context.Context, tx *sqlx.Tx) error {
	d.Unanswered, d.Rules, d.ReportOutcomes, d.Moderators = []UnansweredThread{}, []RuleFiring{}, []ReportOutcomes{}, []ModeratorActions{}
	if err := tx.SelectContext(ctx, &d.Unanswered, dashboardUnanswered, d.From, d.To, d.Now); err != nil {
		return Internal("listing the threads without a response", err)
	}
	from, to := d.Period.From.Format(time.DateOnly), d.Period.To.Format(time.DateOnly)
	if err := tx.SelectContext(ctx, &d.Rules, dashboardRules, from, to); err != nil {
		return Internal("measuring the rules", err)
	}
	if err := tx.SelectContext(ctx, &d.ReportOutcomes, dashboardReportOutcomes, from, to); err != nil {
		return Internal("counting report outcomes", err)
	}
	if err := tx.SelectContext(ctx, &d.QueueDays, dashboardQueueDays, d.Period.From.Format(time.DateOnly), d.Period.To.Format(time.DateOnly)); err != nil {
		return Internal("reading the queue over time", err)
	}
	d.QueueDays = fillDays(d.Period, d.QueueDays, func(q QueueDay) time.Time { return q.Day }, func(t time.Time) QueueDay { return QueueDay{Day: t} })
	if err := tx.SelectContext(ctx, &d.Moderators, dashboardModerators, d.From, d.To, LogReviewResolve); err != nil {
		return Internal("counting the moderators' actions", err)
	}
	return nil
}

// TermMentions is how many posts mentioned a term over the period and the
// previous one.
type TermMentions struct {
	Term     string `db:"term" json:"term"`
	Posts    int    `db:"posts" json:"posts"`
	Previous int    `db:"previous" json:"previous"`
}

// TermDay is the posts of a day that mention any of the terms (a post
// mentioning two counts twice).
type TermDay struct {
	Day   time.Time `db:"day"`
	Posts int       `db:"posts"`
}

// The terms are the current setting's: a change rebuilds the rollups.
const (
	dashboardTerms = `
SELECT x.term,
       coalesce((SELECT sum(posts) FROM health_terms h WHERE h.term = x.term AND h.day BETWEEN $2::date AND $3::date), 0) AS posts,
       coalesce((SELECT sum(posts) FROM health_terms h WHERE h.term = x.term AND h.day BETWEEN $4::date AND $5::date), 0) AS previous
FROM unnest($1::text[]) WITH ORDINALITY AS x(term, n)
ORDER BY x.n`

	dashboardTermDays = `
SELECT day::timestamp AT TIME ZONE 'UTC' AS day, sum(posts) AS posts
FROM health_terms WHERE day BETWEEN $1::date AND $2::date
GROUP BY day ORDER BY day`
)

// HeldShare and RemovedShare are the shares (0–1) of the posts written
// over the totals (kept and removed) that were held for review, or removed
// by a moderator; -1 without posts.
func (t HealthTotals) HeldShare() float64    { return share(t.Held, t.Posts+t.Removed) }
func (t HealthTotals) RemovedShare() float64 { return share(t.Removed, t.Posts+t.Removed) }

func share(n, of int) float64 {
	if of == 0 {
		return -1
	}
	return float64(n) / float64(of)
}

func (d *Dashboard) loadReputation(ctx context.Context, tx *sqlx.Tx, terms []string) error {
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	d.Terms = []TermMentions{}
	if err := tx.SelectContext(ctx, &d.Terms, dashboardTerms, pq.Array(terms), date(d.Period.From), date(d.Period.To),
		date(d.Prior.From), date(d.Prior.To)); err != nil {
		return Internal("counting the mentions of terms", err)
	}
	if err := tx.SelectContext(ctx, &d.TermDays, dashboardTermDays, date(d.Period.From), date(d.Period.To)); err != nil {
		return Internal("counting the mentions of terms", err)
	}
	d.TermDays = fillDays(d.Period, d.TermDays, func(t TermDay) time.Time { return t.Day }, func(t time.Time) TermDay { return TermDay{Day: t} })
	return nil
}
