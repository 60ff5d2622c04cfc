package forum_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// visits gives m one visit a day for days days up to today, each with
// minutes of activity.
func visits(t *testing.T, db *forum.DB, m *forum.Member, days, minutes int) {
	t.Helper()
	_, err := db.SQL().ExecContext(context.Background(), `
		INSERT INTO member_visits (member_id, day, active_seconds)
		SELECT $1, current_date - g, $3 * 60 FROM generate_series(0, $2 - 1) g`, m.ID, days, minutes)
	if err != nil {
		t.Fatal(err)
	}
}

// replies makes m reply in n distinct threads.
func replies(t *testing.T, db *forum.DB, m *forum.Member, n int) {
	t.Helper()
	cat := forumtest.MustCategory(t, db)
	for range n {
		_, err := db.SQL().ExecContext(context.Background(), `
			WITH t AS (INSERT INTO threads (category_id, title, slug, post_count) VALUES ($1, 'Sujet', 'sujet', 2) RETURNING id)
			INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html)
			SELECT id, 1, NULL::bigint, 'Question', '<p>Question</p>' FROM t
			UNION ALL SELECT id, 2, $2, 'Réponse', '<p>Réponse</p>' FROM t`, cat.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func tableExists(t *testing.T, db *forum.DB, name string) bool {
	var ok bool
	if err := db.SQL().GetContext(context.Background(), &ok, `SELECT to_regclass($1) IS NOT NULL`, name); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestPromotionJobRaisesLevelsFromActivity(t *testing.T) {
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	// Read states and likes belong to another part of Palabre: their
	// thresholds are set to zero here so that the test does not depend on it.
	patch := map[string]json.RawMessage{}
	for _, k := range []string{"tl1_requires_topics_entered", "tl1_requires_read_posts", "tl2_requires_topics_entered",
		"tl2_requires_read_posts", "tl2_requires_likes_received", "tl2_requires_likes_given", "tl3_requires_topics_viewed",
		"tl3_requires_posts_read", "tl3_requires_likes_given", "tl3_requires_likes_received"} {
		patch[k] = json.RawMessage("0")
	}
	before, _ := db.Settings(sys)
	if _, err := db.UpdateSettings(sys, patch); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		restore := map[string]json.RawMessage{}
		b, _ := json.Marshal(before)
		if err := json.Unmarshal(b, &restore); err != nil {
			t.Fatal(err)
		}
		for k := range restore {
			if _, ok := patch[k]; !ok {
				delete(restore, k)
			}
		}
		if _, err := db.UpdateSettings(sys, restore); err != nil {
			t.Fatal(err)
		}
	})

	newbie := forumtest.MustMember(t, db, forum.RoleMember, 0) // 15 minutes: TL1
	visits(t, db, newbie, 1, 15)
	idle := forumtest.MustMember(t, db, forum.RoleMember, 0) // 5 minutes: stays
	visits(t, db, idle, 1, 5)
	basic := forumtest.MustMember(t, db, forum.RoleMember, 1) // TL2 needs 15 days, 60 min, 3 topics replied
	visits(t, db, basic, 16, 5)
	replies(t, db, basic, 3)
	almost := forumtest.MustMember(t, db, forum.RoleMember, 1) // 2 topics replied: stays
	visits(t, db, almost, 16, 5)
	replies(t, db, almost, 2)
	fast := forumtest.MustMember(t, db, forum.RoleMember, 0) // everything at once: 0 → 2
	visits(t, db, fast, 20, 10)
	replies(t, db, fast, 3)
	regular := forumtest.MustMember(t, db, forum.RoleMember, 2) // 50 days, 10 topics replied: TL3
	visits(t, db, regular, 50, 5)
	replies(t, db, regular, 10)
	sanctioned := forumtest.MustMember(t, db, forum.RoleMember, 2) // same, but silenced recently
	visits(t, db, sanctioned, 50, 5)
	replies(t, db, sanctioned, 10)
	if _, err := db.Silence(sys, sanctioned.ID, "Spam", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	locked := forumtest.MustMember(t, db, forum.RoleMember, 0) // active, but an admin set the level
	visits(t, db, locked, 20, 10)
	if err := db.SetTrustLevel(sys, locked.ID, 0); err != nil {
		t.Fatal(err)
	}
	leader := forumtest.MustMember(t, db, forum.RoleMember, 4) // never moved by the job
	lapsed := forumtest.MustMember(t, db, forum.RoleMember, 3) // promoted to TL3 a month ago, inactive since
	if _, err := db.SQL().ExecContext(sys, `UPDATE members SET trust_promoted_at = now() - interval '30 days' WHERE id = $1`, lapsed.ID); err != nil {
		t.Fatal(err)
	}
	handSet := forumtest.MustMember(t, db, forum.RoleMember, 3) // TL3 from its creation: never demoted

	r := &forum.JobRunner{DB: db, Handlers: map[string]forum.JobHandler{forum.JobTrustPromotion: db.TrustPromotionJob},
		Periodic: []forum.PeriodicJob{{Kind: forum.JobTrustPromotion, Every: forum.TrustPromotionEvery}}}
	if _, err := db.EnqueueJob(sys, forum.NewJob{Kind: forum.JobTrustPromotion, UniqueKey: forum.JobTrustPromotion}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("job run: %d %v", n, err)
	}

	complete := tableExists(t, db, "likes") && tableExists(t, db, "read_states")
	lapsedWant := 3
	if complete {
		lapsedWant = 2
	}
	for _, c := range []struct {
		label string
		m     *forum.Member
		want  int
	}{
		{"newbie", newbie, 1}, {"idle", idle, 0}, {"basic", basic, 2}, {"almost", almost, 1}, {"fast", fast, 2},
		{"regular", regular, 3}, {"sanctioned", sanctioned, 2}, {"locked", locked, 0}, {"leader", leader, 4},
		{"lapsed", lapsed, lapsedWant}, {"hand-set", handSet, 3},
	} {
		if got := reload(t, db, c.m).TrustLevel; got != c.want {
			t.Errorf("%s: trust level %d, want %d", c.label, got, c.want)
		}
	}

	var logged int
	if err := db.SQL().GetContext(sys, &logged, `SELECT count(*) FROM mod_log WHERE action = 'member.trust_promote' AND target_id = ANY($1) AND actor_id IS NULL`,
		pq.Array([]int64{newbie.ID, basic.ID, fast.ID, regular.ID})); err != nil {
		t.Fatal(err)
	}
	if logged != 4 {
		t.Errorf("%d promotions logged, want 4", logged)
	}
	// A second run changes nothing more.
	if changes, err := db.PromoteTrustLevels(sys, time.Now()); err != nil {
		t.Fatal(err)
	} else {
		for _, c := range changes {
			for _, m := range []*forum.Member{newbie, idle, basic, almost, fast, regular, sanctioned, locked, leader, handSet} {
				if c.MemberID == m.ID {
					t.Errorf("second run moved %s: %+v", m.Username, c)
				}
			}
		}
	}
	// Only the system runs the job.
	if _, err := db.PromoteTrustLevels(forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, 4)), time.Now()); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("an admin ran the job: %v", err)
	}
}

func TestAdminsSetTrustLevelsByHand(t *testing.T) {
	db := forumtest.DB(t)
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	if err := db.SetTrustLevel(forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 4)), m.ID, 4); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("moderator sets a trust level: %v", err)
	}
	if err := db.SetTrustLevel(admin, m.ID, 5); forum.ErrorCode(err) != forum.EINVALID {
		t.Errorf("level 5: %v", err)
	}
	if err := db.SetTrustLevel(admin, m.ID, 4); err != nil {
		t.Fatal(err)
	}
	var locked bool
	if err := db.SQL().GetContext(context.Background(), &locked, `SELECT trust_level_locked FROM members WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if reload(t, db, m).TrustLevel != 4 || !locked {
		t.Errorf("hand-set level not locked")
	}
	if err := db.UnlockTrustLevel(admin, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().GetContext(context.Background(), &locked, `SELECT trust_level_locked FROM members WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if locked || reload(t, db, m).TrustLevel != 4 {
		t.Errorf("unlock changed the level or kept the lock")
	}
}

func TestVisitsCountDaysAndActiveTime(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	day := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, at := range []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 3 * time.Hour, 3*time.Hour + 4*time.Minute} {
		if err := db.RecordVisit(ctx, m.ID, day.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RecordVisit(ctx, m.ID, day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Day     time.Time `db:"day"`
		Seconds int       `db:"active_seconds"`
	}
	if err := db.SQL().SelectContext(ctx, &rows, `SELECT day, active_seconds FROM member_visits WHERE member_id = $1 ORDER BY day`, m.ID); err != nil {
		t.Fatal(err)
	}
	// 10 minutes, then a gap of nearly three hours that does not count, then 4.
	if len(rows) != 2 || rows[0].Seconds != 14*60 || rows[1].Seconds != 0 {
		t.Errorf("visits: %+v", rows)
	}
}

func TestTrustSettingsAreValidated(t *testing.T) {
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	for k, v := range map[string]string{
		"tl1_requires_read_posts":     "-1",
		"tl3_time_period":             "0",
		"tl3_requires_days_visited":   "101",
		"tl3_requires_posts_read":     "101",
		"tl2_requires_days_visited":   `"15"`,
		"tl3_promotion_min_duration":  "-3",
		"tl3_requires_topics_viewed":  "-1",
		"tl2_requires_likes_received": "-2",
	} {
		_, err := db.UpdateSettings(sys, map[string]json.RawMessage{k: json.RawMessage(v)})
		if fe := forum.AsError(err); err == nil || fe.Code != forum.EINVALID || fe.Field != k {
			t.Errorf("%s = %s: %v", k, v, err)
		}
	}
}
