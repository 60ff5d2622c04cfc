package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// benchModerators are the staff members whose work the seed's moderation
// history records, beside bench_admin.
const benchModerators = 6

// reviewEvery picks the posts that went through the review queue: one in
// reviewEvery (4,000 of the 1M-post forum's).
const reviewEvery = 250

// pendingItems is how many items wait in the queue when the seed is made.
const pendingItems = 25

// benchRules are the rules the review items name. They are disabled, so
// that the posts the scenarios write go through the same pipeline as
// before.
var benchRules = []struct{ name, kind, action string }{
	{"Liens vers des sites inconnus", "links", "hold"},
	{"Premiers messages des nouveaux membres", "new_members", "hold"},
	{"Vocabulaire injurieux", "words", "hold"},
	{"Mots surveillés", "words", "flag"},
	{"Mentions en série", "mentions", "flag"},
	{"Messages en double", "duplicates", "flag"},
	{"Rythme de publication", "rate", "flag"},
	{"Publicité", "words", "hold"},
}

// seedModeration gives the forum what its moderators would have left:
// review items on one post in reviewEvery (held or flagged by rules,
// reported by members), seen, claimed and resolved after realistic delays
// (a few left pending), the reports of the reported ones, and the
// moderation log of a year (each resolution, and the other actions of
// the staff). Once, in one transaction: a seed that has review items is
// left as it is. The posts keep their status (the other scenarios read
// them as they were seeded): only the dashboard reads this history.
func seedModeration(ctx context.Context, db *forum.DB) error {
	var have bool
	if err := db.GetContext(ctx, &have, `SELECT EXISTS (SELECT 1 FROM review_items)`); err != nil || have {
		return err
	}
	sys := forum.WithSystem(ctx)
	var staff []int64
	for i := range benchModerators + 1 {
		name, role := fmt.Sprintf("bench_mod%d", i), forum.RoleModerator
		if i == benchModerators {
			name, role = "bench_admin", forum.RoleAdmin
		}
		m, err := db.MemberByUsername(ctx, name)
		if err != nil {
			if m, err = db.CreateMember(sys, forum.NewMember{Username: name, Email: name + "@example.org",
				Password: "bench password 2026", Role: role, TrustLevel: forum.TrustLeader}); err != nil {
				return fmt.Errorf("bench moderator %s: %w", name, err)
			}
		}
		staff = append(staff, m.ID)
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return seedModerationTx(ctx, tx, staff) })
}

func seedModerationTx(ctx context.Context, tx *sqlx.Tx, staff []int64) error {
	rng := rand.New(rand.NewPCG(25, 57))
	type rule struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		action string
	}
	var rules []rule
	for _, r := range benchRules {
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO rules (name, kind, action, enabled) VALUES ($1, $2, $3, false) RETURNING id`,
			r.name, r.kind, r.action); err != nil {
			return fmt.Errorf("seeding rules: %w", err)
		}
		rules = append(rules, rule{ID: id, Name: r.name, action: r.action})
	}
	var posts []struct {
		ID        int64     `db:"id"`
		Author    int64     `db:"author_id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := tx.SelectContext(ctx, &posts, `SELECT id, author_id, created_at FROM posts WHERE id % $1 = 7 AND author_id IS NOT NULL ORDER BY created_at, id`,
		reviewEvery); err != nil {
		return err
	}
	var members struct {
		Lo int64 `db:"lo"`
		Hi int64 `db:"hi"`
	}
	if err := tx.GetContext(ctx, &members, `SELECT min(id) AS lo, max(id) AS hi FROM members WHERE username_key LIKE 'membre%'`); err != nil {
		return err
	}
	// A moderator: some do most of the work.
	moderator := func() int64 { return staff[min(int(rng.ExpFloat64()*2), len(staff)-1)] }
	// A delay whose median is median, spread as a log-normal law.
	delay := func(median time.Duration) time.Duration {
		return time.Duration(float64(median) * math.Exp(rng.NormFloat64()))
	}
	type logEntry struct {
		at         time.Time
		actor      int64
		action     string
		targetType string
		target     int64
	}
	var log []logEntry
	reasonsOf := []string{"spam", "spam", "inappropriate", "off_topic", "off_topic", "guideline", "illegal", "other"}
	for i, p := range posts {
		kind := [...]string{"held", "flagged", "reported"}[rng.IntN(3)]
		created := p.CreatedAt.Add(time.Second)
		reasons := []byte("[]")
		if kind != "reported" {
			var picked []map[string]any
			for _, r := range rules {
				if (r.action == "hold") == (kind == "held") && rng.IntN(4) == 0 {
					picked = append(picked, map[string]any{"rule": r, "action": r.action, "key": "rule.bench"})
				}
			}
			if len(picked) == 0 {
				r := rules[rng.IntN(len(rules))]
				for (r.action == "hold") != (kind == "held") {
					r = rules[rng.IntN(len(rules))]
				}
				picked = append(picked, map[string]any{"rule": r, "action": r.action, "key": "rule.bench"})
			}
			reasons, _ = json.Marshal(picked)
		} else {
			created = p.CreatedAt.Add(delay(6 * time.Hour))
		}
		pending := i >= len(posts)-pendingItems
		var seen, claimed, resolved *time.Time
		var by *int64
		resolution, outcome := "", ""
		if !pending || rng.IntN(2) == 0 {
			s := created.Add(delay(15 * time.Minute))
			seen = &s
		}
		if !pending {
			m := moderator()
			by = &m
			r := seen.Add(delay(3 * time.Hour))
			if rng.IntN(10) < 7 {
				c := seen.Add(time.Duration(rng.IntN(600)) * time.Second)
				if c.After(r) {
					r = c
				}
				claimed = &c
			}
			resolved = &r
			switch {
			case kind == "held" && rng.IntN(100) < 55:
				resolution = "approve"
			case kind == "held":
				resolution = "reject"
			case rng.IntN(100) < 45:
				resolution, outcome = "dismiss", "dismissed"
			default:
				resolution, outcome = "hide", "agreed"
			}
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO review_items (kind, post_id, status, reasons, created_at, first_seen_at, claimed_at, claimed_by,
			                          resolved_at, resolved_by, resolution)
			VALUES ($1, $2, CASE WHEN $9::timestamptz IS NULL THEN 'pending' ELSE 'resolved' END, $3, $4, $5, $6,
			        CASE WHEN $6::timestamptz IS NULL THEN NULL ELSE $7::bigint END, $9, $7, $8)
			RETURNING id`, kind, p.ID, string(reasons), created, seen, claimed, by, resolution, resolved); err != nil {
			return fmt.Errorf("seeding review items: %w", err)
		}
		if kind != "held" && (kind == "reported" || rng.IntN(3) == 0) {
			for range 1 + rng.IntN(3) {
				reporter := members.Lo + rng.Int64N(members.Hi-members.Lo+1)
				if reporter == p.Author {
					continue
				}
				at := created.Add(time.Duration(rng.IntN(1800)) * time.Second)
				if resolved != nil && at.After(*resolved) {
					at = created
				}
				if _, err := tx.ExecContext(ctx, `
					INSERT INTO reports (reporter_id, post_id, review_item_id, reason, weight, outcome, created_at, resolved_at)
					VALUES ($1, $2, $3, $4, 1, $5, $6, $7)`,
					reporter, p.ID, id, reasonsOf[rng.IntN(len(reasonsOf))], outcome, at, resolved); err != nil {
					return fmt.Errorf("seeding reports: %w", err)
				}
			}
		}
		if resolved != nil {
			log = append(log, logEntry{*resolved, *by, string(forum.LogReviewResolve), "review_item", id})
			action := map[string]forum.LogAction{"approve": forum.LogPostApprove, "reject": forum.LogPostReject, "hide": forum.LogPostHide}[resolution]
			if action != "" {
				log = append(log, logEntry{*resolved, *by, string(action), "post", p.ID})
			}
		}
	}
	// The staff's other work over the year: warnings, edits, trust levels…
	others := []struct {
		action     forum.LogAction
		targetType string
	}{
		{forum.LogMemberWarning, "member"}, {forum.LogMemberSilence, "member"}, {forum.LogMemberSuspension, "member"},
		{forum.LogTrustPromote, "member"}, {forum.LogTrustLevel, "member"}, {forum.LogPostEdit, "post"},
		{forum.LogPostDelete, "post"}, {forum.LogPostRestore, "post"}, {forum.LogSanctionLift, "member"},
	}
	now := time.Now()
	for range 8000 {
		o := others[rng.IntN(len(others))]
		target := members.Lo + rng.Int64N(members.Hi-members.Lo+1)
		log = append(log, logEntry{now.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))), moderator(), string(o.action), o.targetType, target})
	}
	ats, actors, actions, types, targets := make([]string, len(log)), make([]int64, len(log)), make([]string, len(log)), make([]string, len(log)), make([]int64, len(log))
	for i, e := range log {
		ats[i], actors[i], actions[i], types[i], targets[i] = e.at.Format(time.RFC3339Nano), e.actor, e.action, e.targetType, e.target
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO mod_log (at, actor_id, action, target_type, target_id)
		SELECT * FROM unnest($1::text[]::timestamptz[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) ORDER BY 1`,
		pq.Array(ats), pq.Array(actors), pq.Array(actions), pq.Array(types), pq.Array(targets)); err != nil {
		return fmt.Errorf("seeding the moderation log: %w", err)
	}
	return nil
}
