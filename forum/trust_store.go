package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// JobTrustPromotion is the kind of the periodic promotion job.
const JobTrustPromotion = "trust.promote"

// TrustPromotionEvery is how often the promotion job runs.
const TrustPromotionEvery = time.Hour

const upsertVisit = `
INSERT INTO member_visits (member_id, day, first_at, last_at) VALUES ($1, $2, $3, $3)
ON CONFLICT (member_id, day) DO UPDATE SET
	active_seconds = member_visits.active_seconds + CASE
		WHEN EXCLUDED.last_at > member_visits.last_at AND EXCLUDED.last_at - member_visits.last_at <= interval '30 minutes'
		THEN extract(epoch FROM EXCLUDED.last_at - member_visits.last_at)::integer ELSE 0 END,
	last_at = greatest(member_visits.last_at, EXCLUDED.last_at)`

// RecordVisit notes that a member was on the site at now: one row per member
// and day (UTC), whose active time grows with each call that follows the
// previous one within 30 minutes. The server calls it at most every few
// minutes per member.
func (db *DB) RecordVisit(ctx context.Context, memberID int64, now time.Time) error {
	day := now.UTC().Format(time.DateOnly)
	_, err := db.pool.ExecContext(ctx, upsertVisit, memberID, day, now)
	return Internal("recording a visit", err)
}

// selectTrustActivity measures the activity kept in Palabre's own tables
// for every member the job may move: active, not locked, below TL4. $1 is
// the start of the TL3 period, $2 the start of the clean-record window.
const selectTrustActivity = `
SELECT m.id, m.trust_level, m.trust_promoted_at,
	coalesce(v.days, 0) AS days_visited, coalesce(v.seconds, 0) / 60 AS minutes_spent,
	coalesce(v.period_days, 0) AS period_days_visited,
	coalesce(r.topics, 0) AS topics_replied_to, coalesce(r.period_topics, 0) AS period_topics_replied_to,
	0 AS topics_entered, 0 AS posts_read, 0 AS likes_given, 0 AS likes_received,
	0 AS period_topics_entered, 0 AS period_posts_read, 0 AS period_likes_given, 0 AS period_likes_received,
	EXISTS (SELECT 1 FROM sanctions s WHERE s.member_id = m.id AND s.kind <> 'warning' AND s.created_at >= $2) AS recently_sanctioned
FROM members m
LEFT JOIN LATERAL (
	SELECT count(*) AS days, sum(active_seconds) AS seconds, count(*) FILTER (WHERE day >= $1::date) AS period_days
	FROM member_visits WHERE member_id = m.id) v ON true
LEFT JOIN LATERAL (
	SELECT count(DISTINCT thread_id) AS topics, count(DISTINCT thread_id) FILTER (WHERE created_at >= $1) AS period_topics
	FROM posts WHERE author_id = m.id AND number > 1 AND status = 'published') r ON true
WHERE m.status = 'active' AND NOT m.trust_level_locked AND m.trust_level < 4
ORDER BY m.id`

const selectTrustPeriod = `
SELECT (SELECT count(*) FROM threads WHERE status = 'published' AND created_at >= $1) AS topics,
       (SELECT count(*) FROM posts WHERE status = 'published' AND created_at >= $1) AS posts`

// optionalSource is activity kept in a table another part of Palabre owns
// (likes and read states, issue 4): read when the table exists with the
// columns the query needs, counted as zero otherwise.
type optionalSource struct {
	table   string
	columns []string
	query   string // member_id, total, in_period ($1: start of the period)
	set     func(a *TrustActivity, total, inPeriod int)
}

var optionalSources = []optionalSource{
	{"read_states", []string{"member_id", "thread_id", "updated_at"},
		`SELECT member_id, count(*), count(*) FILTER (WHERE updated_at >= $1) FROM read_states GROUP BY member_id`,
		func(a *TrustActivity, total, p int) { a.TopicsEntered, a.PeriodTopicsEntered = total, p }},
	{"read_states", []string{"member_id", "last_read_number", "updated_at"},
		`SELECT member_id, coalesce(sum(last_read_number), 0), coalesce(sum(last_read_number) FILTER (WHERE updated_at >= $1), 0)
		FROM read_states GROUP BY member_id`,
		func(a *TrustActivity, total, p int) { a.PostsRead, a.PeriodPostsRead = total, p }},
	{"likes", []string{"member_id", "post_id", "created_at"},
		`SELECT member_id, count(*), count(*) FILTER (WHERE created_at >= $1) FROM likes GROUP BY member_id`,
		func(a *TrustActivity, total, p int) { a.LikesGiven, a.PeriodLikesGiven = total, p }},
	{"likes", []string{"member_id", "post_id", "created_at"},
		`SELECT p.author_id, count(*), count(*) FILTER (WHERE l.created_at >= $1)
		FROM likes l JOIN posts p ON p.id = l.post_id WHERE p.author_id IS NOT NULL GROUP BY p.author_id`,
		func(a *TrustActivity, total, p int) { a.LikesReceived, a.PeriodLikesReceived = total, p }},
}

const countColumns = `
SELECT count(*) FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 AND column_name = ANY($2)`

// TrustActivities measures every member the promotion job may move, at now;
// complete is false when a source of activity does not exist yet.
func (db *DB) TrustActivities(ctx context.Context, s *Settings, now time.Time) (acts []TrustActivity, period trustPeriod, complete bool, err error) {
	periodStart := now.Add(-time.Duration(s.TL3PeriodDays) * 24 * time.Hour)
	if err = db.pool.SelectContext(ctx, &acts, selectTrustActivity, periodStart, now.Add(-tl3CleanRecord)); err != nil {
		return nil, period, false, Internal("measuring activity", err)
	}
	if err = db.pool.GetContext(ctx, &period, selectTrustPeriod, periodStart); err != nil {
		return nil, period, false, Internal("measuring activity", err)
	}
	byID := make(map[int64]*TrustActivity, len(acts))
	for i := range acts {
		byID[acts[i].MemberID] = &acts[i]
	}
	complete = true
	for _, src := range optionalSources {
		var n int
		if err = db.pool.GetContext(ctx, &n, countColumns, src.table, stringArray(src.columns...)); err != nil {
			return nil, period, false, Internal("inspecting the schema", err)
		}
		if n != len(src.columns) {
			complete = false
			continue
		}
		rows, qerr := db.pool.QueryContext(ctx, src.query, periodStart)
		if qerr != nil {
			return nil, period, false, Internal("measuring activity in "+src.table, qerr)
		}
		for rows.Next() {
			var id int64
			var total, inPeriod int
			if err = rows.Scan(&id, &total, &inPeriod); err != nil {
				rows.Close()
				return nil, period, false, Internal("measuring activity in "+src.table, err)
			}
			if a := byID[id]; a != nil {
				src.set(a, total, inPeriod)
			}
		}
		rows.Close()
		if err = rows.Err(); err != nil {
			return nil, period, false, Internal("measuring activity in "+src.table, err)
		}
	}
	return acts, period, complete, nil
}

// TrustChange is one level the promotion job changed.
type TrustChange struct {
	MemberID int64
	From, To int
}

const applyAutomaticTrust = `
UPDATE members SET trust_level = $3,
	trust_promoted_at = CASE WHEN $3 > trust_level THEN now() ELSE NULL END
WHERE id = $1 AND trust_level = $2 AND NOT trust_level_locked AND status = 'active'`

// PromoteTrustLevels moves every member to the level their activity earns
// (the system only): see trust.go for the rules. Each change is written to
// the moderation log with the activity that justified it.
func (db *DB) PromoteTrustLevels(ctx context.Context, now time.Time) ([]TrustChange, error) {
	if !ActorFrom(ctx).System {
		return nil, Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	s, err := db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	acts, period, complete, err := db.TrustActivities(ctx, s, now)
	if err != nil {
		return nil, err
	}
	var changes []TrustChange
	for i := range acts {
		a := &acts[i]
		to := s.targetLevel(a, period, complete, now)
		if to == a.TrustLevel {
			continue
		}
		changed := false
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, applyAutomaticTrust, a.MemberID, a.TrustLevel, to)
			if err != nil {
				return Internal("changing a trust level", err)
			}
			// An admin may have set the level meanwhile: theirs stands.
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			changed = true
			action := LogTrustPromote
			if to < a.TrustLevel {
				action = LogTrustDemote
			}
			return LogTx(ctx, tx, LogEntry{Action: action, TargetType: "member", TargetID: &a.MemberID,
				Before: map[string]any{"trust_level": a.TrustLevel},
				After:  map[string]any{"trust_level": to, "activity": a}})
		})
		if err != nil {
			return changes, err
		}
		if changed {
			changes = append(changes, TrustChange{MemberID: a.MemberID, From: a.TrustLevel, To: to})
		}
	}
	return changes, nil
}

// TrustPromotionJob is the job handler of JobTrustPromotion.
func (db *DB) TrustPromotionJob(ctx context.Context, _ *Job) error {
	_, err := db.PromoteTrustLevels(ctx, time.Now())
	return err
}

// SetTrustLevel sets a member's trust level by hand (admins only) and locks
// it: the promotion job no longer touches it.
func (db *DB) SetTrustLevel(ctx context.Context, memberID int64, level int) error {
	return db.changeTrustByHand(ctx, memberID, &level)
}

// UnlockTrustLevel hands a member's trust level back to the promotion job
// (admins only).
func (db *DB) UnlockTrustLevel(ctx context.Context, memberID int64) error {
	return db.changeTrustByHand(ctx, memberID, nil)
}

func (db *DB) changeTrustByHand(ctx context.Context, memberID int64, level *int) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	if err := checkTrustLevel(level); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return changeTrustTx(ctx, tx, memberID, level) })
}

// checkTrustLevel is what changeTrustByHand refuses before it stores anything.
func checkTrustLevel(level *int) error {
	if level != nil && (*level < TrustNew || *level > TrustLeader) {
		return Errorf(EINVALID, "member.trust_level_invalid", nil).OnField("trust_level")
	}
	return nil
}

func changeTrustTx(ctx context.Context, tx *sqlx.Tx, memberID int64, level *int) error {
	target, err := lockTarget(ctx, tx, memberID)
	if err != nil {
		return err
	}
	var locked bool
	if err := tx.GetContext(ctx, &locked, `SELECT trust_level_locked FROM members WHERE id = $1`, memberID); err != nil {
		return Internal("reading a trust level", err)
	}
	after := map[string]any{"trust_level": target.TrustLevel, "locked": false}
	q, args := `UPDATE members SET trust_level_locked = false WHERE id = $1`, []any{memberID}
	if level != nil {
		after = map[string]any{"trust_level": *level, "locked": true}
		q, args = `UPDATE members SET trust_level = $2, trust_level_locked = true, trust_promoted_at = NULL WHERE id = $1`, []any{memberID, *level}
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return Internal("setting a trust level", err)
	}
	return LogTx(ctx, tx, LogEntry{Action: LogTrustLevel, TargetType: "member", TargetID: &memberID,
		Before: map[string]any{"trust_level": target.TrustLevel, "locked": locked}, After: after})
}
