package forum_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// rollupUntilDone runs the health job at now until its backfill of history
// is over, as the periodic job would over a few runs.
func rollupUntilDone(t *testing.T, db *forum.DB, now time.Time) {
	t.Helper()
	for range 1000 {
		if err := db.RollupHealth(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		var done bool
		if err := db.SQL().GetContext(context.Background(), &done, `SELECT backfill_from IS NULL FROM health_state`); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
	}
	t.Fatal("the health backfill never ends")
}

// The dashboard's figures on a fixture with known numbers, read from the
// rollups the job keeps. The period ends in 2031, so that the rows other
// tests create now fall outside it; the queue (not windowed) is compared
// before and after. Days are cut at midnight in Paris (UTC+1 in March
// 2031): a thread opened at 23:30 UTC on the 8th belongs to the 9th.
func TestDashboardFiguresOnAKnownFixture(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	now := time.Date(2031, 3, 15, 12, 0, 0, 0, time.UTC)
	paris, _ := time.LoadLocation("Europe/Paris")
	period, err := forum.ParsePeriod("7", "", "", forum.TodayIn(now, paris))
	if err != nil {
		t.Fatal(err)
	}
	if got := period.From.Format(time.DateOnly) + "/" + period.To.Format(time.DateOnly); got != "2031-03-09/2031-03-15" {
		t.Fatalf("period %s", got)
	}
	moderator := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	staff := forumtest.As(moderator)
	before, err := db.Dashboard(staff, now, period)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	memberAt := func(created time.Time, lastVisit time.Duration) *forum.Member {
		m := forumtest.MustMember(t, db, forum.RoleMember, 1)
		exec(`UPDATE members SET created_at = $2 WHERE id = $1`, m.ID, created)
		exec(`INSERT INTO member_visits (member_id, day, first_at, last_at) VALUES ($1, ($2::timestamptz AT TIME ZONE 'UTC')::date, $2, $2)`, m.ID, now.Add(-lastVisit))
		return m
	}
	a := memberAt(now.Add(-40*24*time.Hour), 2*time.Hour)                         // old member, visited today
	b := memberAt(now.Add(-3*24*time.Hour), 3*24*time.Hour)                       // joined in the period
	c := memberAt(now.Add(-10*24*time.Hour), 20*24*time.Hour)                     // joined in the previous period
	exec(`UPDATE members SET role = 'moderator' WHERE id = $1`, c.ID)             // staff: their response counts as staff's too
	d := memberAt(now.Add(-2*time.Hour), 40*24*time.Hour)                         // joined today
	e := memberAt(time.Date(2031, 3, 8, 23, 10, 0, 0, time.UTC), 30*24*time.Hour) // 00:10 on the 9th in Paris
	cat := forumtest.MustCategory(t, db)

	thread := func(author *forum.Member, at time.Time) int64 {
		var id int64
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO threads (category_id, author_id, title, slug, created_at, last_post_at)
			VALUES ($1, $2, 'Fil', 'fil', $3, $3) RETURNING id`, cat.ID, author.ID, at); err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at) VALUES ($1, 1, $2, 'x', '<p>x</p>', $3)`, id, author.ID, at)
		return id
	}
	reply := func(thread int64, number int, author *forum.Member, at time.Time, likes int) int64 {
		var id int64
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at, like_count)
			VALUES ($1, $2, $3, 'x', '<p>x</p>', $4, $5) RETURNING id`, thread, number, author.ID, at, likes); err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE threads SET last_post_at = greatest(last_post_at, $2), post_count = $3 WHERE id = $1`, thread, at, number)
		return id
	}
	at1 := now.Add(-5 * 24 * time.Hour)
	t1 := thread(a, at1)
	reply(t1, 2, a, at1.Add(time.Hour), 0) // the author's own reply is no response
	bReply := reply(t1, 3, b, at1.Add(2*time.Hour), 5)
	at2 := now.Add(-4 * 24 * time.Hour)
	t2 := thread(b, at2)
	removed := reply(t2, 2, d, at2.Add(time.Hour), 0) // removed by a moderator: no response
	exec(`UPDATE posts SET status = 'deleted', removal = 'moderator' WHERE id = $1`, removed)
	reply(t2, 3, c, at2.Add(6*time.Hour), 0)
	at3 := now.Add(-3 * 24 * time.Hour)
	t3 := thread(c, at3)
	deleted := reply(t3, 2, a, at3.Add(time.Hour), 0) // deleted by its author: no response
	exec(`UPDATE posts SET status = 'deleted', removal = 'author' WHERE id = $1`, deleted)
	at4 := now.Add(-2 * 24 * time.Hour)
	t4 := thread(a, at4)
	reply(t4, 2, b, at4.Add(30*time.Hour), 0)                      // answered, but after 24 hours
	thread(d, now.Add(-time.Hour))                                 // too recent to judge
	t6 := thread(e, time.Date(2031, 3, 8, 23, 30, 0, 0, time.UTC)) // 00:30 on the 9th in Paris: in the period, never answered
	t7 := thread(e, time.Date(2031, 3, 8, 22, 30, 0, 0, time.UTC)) // 23:30 on the 8th in Paris: the previous period

	var p3, p4 int64
	if err := db.SQL().GetContext(ctx, &p3, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, t3); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().GetContext(ctx, &p4, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, t4); err != nil {
		t.Fatal(err)
	}
	item := now.Add(-2 * 24 * time.Hour)
	var flagged int64
	if err := db.SQL().GetContext(ctx, &flagged, `INSERT INTO review_items (kind, post_id, status, created_at, first_seen_at, claimed_at, resolved_at)
		VALUES ('flagged', $1, 'resolved', $2, $3, $4, $5) RETURNING id`, p3, item, item.Add(10*time.Minute), item.Add(20*time.Minute), item.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO reports (reporter_id, post_id, review_item_id, reason, weight, created_at) VALUES ($1, $2, $3, 'spam', 1, $4)`, b.ID, p3, flagged, item)
	exec(`INSERT INTO reports (reporter_id, post_id, review_item_id, reason, weight, created_at, outcome) VALUES ($1, $2, $3, 'spam', 1, $4, 'agreed')`, c.ID, p3, flagged, item)
	exec(`INSERT INTO reports (reporter_id, post_id, review_item_id, reason, weight, created_at, outcome) VALUES ($1, $2, $3, 'off_topic', 1, $4, 'dismissed')`, d.ID, p3, flagged, item)
	// Rule 901 flagged p3 (upheld: hidden), held p4 (pending) and held the
	// first post of thread 2 with rule 902 (overturned: approved).
	exec(`UPDATE review_items SET resolution = 'hide', reasons = '[{"rule": {"id": 901, "name": "Liens"}, "action": "flag", "key": "k"}]' WHERE id = $1`, flagged)
	item = now.Add(-24 * time.Hour)
	exec(`INSERT INTO review_items (kind, post_id, created_at, first_seen_at, reasons) VALUES ('held', $1, $2, $3,
		'[{"rule": {"id": 901, "name": "Liens"}, "action": "hold", "key": "k"}]')`, p4, item, item.Add(30*time.Minute))
	var p2 int64
	if err := db.SQL().GetContext(ctx, &p2, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, t2); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO review_items (kind, post_id, status, resolution, created_at, reasons) VALUES ('held', $1, 'resolved', 'approve', $2,
		'[{"rule": {"id": 901, "name": "Liens"}, "action": "hold", "key": "k"}, {"rule": {"id": 902, "name": "Nouveaux"}, "action": "hold", "key": "k"}]')`,
		p2, at2.Add(time.Minute))
	// Rule 903 flagged a post at 23:59 on the 8th in Paris (the previous
	// period) and another at 00:01 on the 9th (this one), both dismissed;
	// their reports fall on the same days. Rule 904 flagged p3 on the 12th,
	// still pending, with a report not decided yet.
	rule903 := `[{"rule": {"id": 903, "name": "Majuscules"}, "action": "flag", "key": "k"}]`
	for _, at := range []time.Time{time.Date(2031, 3, 8, 22, 59, 0, 0, time.UTC), time.Date(2031, 3, 8, 23, 1, 0, 0, time.UTC)} {
		var id int64
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO review_items (kind, post_id, status, resolution, created_at, resolved_at, reasons)
			VALUES ('flagged', $1, 'resolved', 'dismiss', $2, $3, $4) RETURNING id`, p2, at, at.Add(3*time.Hour), rule903); err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO reports (reporter_id, post_id, review_item_id, reason, weight, created_at, outcome) VALUES ($1, $2, $3, 'illegal', 1, $4, 'dismissed')`, a.ID, p2, id, at)
	}
	var pending int64
	if err := db.SQL().GetContext(ctx, &pending, `INSERT INTO review_items (kind, post_id, created_at, reasons)
		VALUES ('flagged', $1, $2, '[{"rule": {"id": 904, "name": "Mots"}, "action": "flag", "key": "k"}]') RETURNING id`, p3, at3); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO reports (reporter_id, post_id, review_item_id, reason, weight, created_at) VALUES ($1, $2, $3, 'inappropriate', 1, $4)`, a.ID, p3, pending, at3)
	exec(`INSERT INTO mod_log (at, actor_id, action, target_type) VALUES ($1, $2, 'review.resolve', 'review_item'), ($1, $2, 'post.hide', 'post')`,
		now.Add(-time.Hour), moderator.ID)

	// Reputation: the posts that mention the term, whatever the case.
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	if _, err := db.UpdateSettings(admin, map[string]json.RawMessage{"reputation_terms": json.RawMessage(`["Palabre", " palabre ", "Agora"]`)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.UpdateSettings(admin, map[string]json.RawMessage{"reputation_terms": json.RawMessage(`[]`)}); err != nil {
			t.Error(err)
		}
	})
	exec(`UPDATE posts SET body_markdown = 'Vive PALABRE !' WHERE id IN ($1, $2)`, p2, p3)
	exec(`UPDATE posts SET body_markdown = 'palabre, agora' WHERE thread_id = $1`, t7)

	// History is computed in stretches of a few posts (50,000 on a live
	// forum): the days of a stretch's edges count once.
	forum.SetHealthBackfillPosts(t, 2)
	rollupUntilDone(t, db, now)
	got, err := db.Dashboard(staff, now, period)
	if err != nil {
		t.Fatal(err)
	}
	dur := func(p *time.Duration) time.Duration {
		if p == nil {
			return -1
		}
		return *p
	}
	pct := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	cur, prev := got.Current, got.Previous
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"active 1 day", got.Active1, 1},
		{"active 7 days", got.Active7, 2},
		{"active 30 days", got.Active30, 4},
		{"sign-ups", cur.SignUps, 3},
		{"sign-ups before", prev.SignUps, 1},
		{"posts", cur.Posts, 10},
		{"posts before", prev.Posts, 1},
		{"posts change", pct(forum.Change(float64(cur.Posts), float64(prev.Posts))), 900.0},
		{"threads", cur.Threads, 6},
		{"threads before", prev.Threads, 1},
		{"answered threads", cur.Answered, 3},
		{"mean first response", dur(cur.MeanFirstResponse()), (2 + 6 + 30) * time.Hour / 3},
		{"settled threads", cur.SettledAnswerable, 5},
		{"unanswered after 24 h", cur.Unanswered24h(), 3},
		{"unanswered share", cur.UnansweredShare(), 0.6},
		{"staff answered", cur.StaffAnswered, 1},
		{"mean staff response", dur(cur.MeanStaffResponse()), 6 * time.Hour},
		{"reports", cur.Reports, 5},
		{"held", cur.Held, 2},
		{"removed", cur.Removed, 1},
		{"days", len(got.Days), 7},
		{"categories", len(got.Categories), 1},
		{"review items", got.ReviewItems, 5},
		{"seen median", dur(got.ReviewSeenMedian), 20 * time.Minute},
		{"claim median", dur(got.ReviewClaimMedian), 20 * time.Minute},
		{"resolve median", dur(got.ReviewResolveMedian), 2 * time.Hour}, // 1 h and 3 h
		{"held in the queue", got.Queue["held"] - before.Queue["held"], 1},
		{"queue size", got.QueueSize - before.QueueSize, 2},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(got.Categories) == 1 && (got.Categories[0].ID != cat.ID || got.Categories[0].Posts != 10 || got.Categories[0].Answered != 3) {
		t.Errorf("category figures: %+v", got.Categories[0])
	}
	if len(got.Terms) != 2 || got.Terms[0] != (forum.TermMentions{Term: "Palabre", Posts: 2, Previous: 1}) ||
		got.Terms[1] != (forum.TermMentions{Term: "Agora", Posts: 0, Previous: 1}) {
		t.Errorf("mentions: %+v", got.Terms)
	}
	if cur.HeldShare() != 2.0/11 || cur.RemovedShare() != 1.0/11 {
		t.Errorf("held %v and removed %v shares, want 2/11 and 1/11", cur.HeldShare(), cur.RemovedShare())
	}
	var unanswered []int64
	for _, u := range got.Unanswered {
		unanswered = append(unanswered, u.ID)
	}
	if len(unanswered) != 3 || unanswered[0] != t4 || unanswered[1] != t3 {
		t.Errorf("threads without a response after 24 h: %v, want %d, %d and the one of the 9th", unanswered, t4, t3)
	}
	rules := map[int64]forum.RuleFiring{}
	for _, r := range got.Rules {
		rules[r.RuleID] = r
	}
	if r := rules[901]; r.Fired != 3 || r.Upheld != 1 || r.Overturned != 1 || r.Precision() != 0.5 || r.Name != "Liens" {
		t.Errorf("rule 901: %+v", r)
	}
	if r := rules[902]; r.Fired != 1 || r.Overturned != 1 || r.Precision() != 0 {
		t.Errorf("rule 902: %+v", r)
	}
	if r := rules[903]; r.Fired != 1 || r.Overturned != 1 || r.Upheld != 0 || r.Name != "Majuscules" {
		t.Errorf("rule 903 (once on each side of midnight in Paris): %+v", r)
	}
	if r := rules[904]; r.Fired != 1 || r.Overturned != 0 || r.Upheld != 0 || r.Precision() != -1 {
		t.Errorf("rule 904 (pending): %+v", r)
	}
	outcomes := map[string]forum.ReportOutcomes{}
	for _, o := range got.ReportOutcomes {
		outcomes[o.Reason] = o
	}
	if o := outcomes["spam"]; o.Total != 2 || o.Agreed != 1 || o.Dismissed != 0 {
		t.Errorf("spam reports: %+v", o)
	}
	if o := outcomes["off_topic"]; o.Total != 1 || o.Dismissed != 1 {
		t.Errorf("off-topic reports: %+v", o)
	}
	if o := outcomes["illegal"]; o.Total != 1 || o.Dismissed != 1 {
		t.Errorf("illegal reports (once on each side of midnight in Paris): %+v", o)
	}
	if o := outcomes["inappropriate"]; o.Total != 1 || o.Agreed != 0 || o.Dismissed != 0 {
		t.Errorf("inappropriate reports (pending): %+v", o)
	}
	if len(got.QueueDays) != 7 || got.QueueDays[6].Size < 1 || got.QueueDays[6].OldestSeconds < 24*3600 || got.QueueDays[5].Size != 0 {
		t.Errorf("queue over time: %+v", got.QueueDays)
	}
	if len(got.Moderators) != 1 || got.Moderators[0].ID != moderator.ID || got.Moderators[0].Actions != 2 || got.Moderators[0].Reviews != 1 {
		t.Errorf("actions by moderator: %+v", got.Moderators)
	}
	perDay := map[string]int{}
	for _, day := range got.Days {
		perDay[day.Day.Format(time.DateOnly)] = day.Posts
	}
	for day, n := range map[string]int{"2031-03-09": 1, "2031-03-10": 3, "2031-03-11": 2, "2031-03-12": 1, "2031-03-13": 1, "2031-03-14": 1, "2031-03-15": 1} {
		if perDay[day] != n {
			t.Errorf("posts per day: %v", perDay)
			break
		}
	}
	var names []string
	for _, c := range got.TopContributors {
		names = append(names, c.Username)
	}
	want := []string{b.Username, a.Username, c.Username, d.Username, e.Username}
	if len(names) != len(want) {
		t.Fatalf("top contributors %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("top contributors %v, want %v", names, want)
			break
		}
	}

	// The job keeps the rollups incrementally: the first response of
	// thread 1 (the 10th) is deleted, which marks its day; thread 3 (the
	// 12th) is answered late, which its activity tells; the thread of the
	// 9th is deleted; rule 904's item (the 12th) is dismissed 5 hours after
	// it was raised, and its report with it. None of these days is today's
	// nor yesterday's, which every run computes.
	exec(`UPDATE posts SET status = 'deleted', removal = 'author' WHERE id = $1`, bReply)
	reply(t3, 3, a, now.Add(time.Hour), 0)
	exec(`UPDATE threads SET status = 'deleted' WHERE id = $1`, t6)
	exec(`UPDATE review_items SET status = 'resolved', resolution = 'dismiss', resolved_at = created_at + interval '5 hours' WHERE id = $1`, pending)
	exec(`UPDATE reports SET outcome = 'dismissed' WHERE review_item_id = $1`, pending)
	later := now.Add(2 * time.Hour)
	if err := db.RollupHealth(ctx, later); err != nil {
		t.Fatal(err)
	}
	got, err = db.Dashboard(staff, later, period)
	if err != nil {
		t.Fatal(err)
	}
	cur = got.Current
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"posts", cur.Posts, 10},
		{"answered threads", cur.Answered, 3},
		{"mean first response", dur(cur.MeanFirstResponse()), (6 + 73 + 30) * time.Hour / 3},
		{"unanswered after 24 h", cur.Unanswered24h(), 3},
		{"resolve median", dur(got.ReviewResolveMedian), 3 * time.Hour}, // 1 h, 3 h and 5 h
		{"rule 904 overturned", ruleOf(got, 904).Overturned, 1},
		{"rule 904 precision", ruleOf(got, 904).Precision(), 0.0},
		{"inappropriate reports dismissed", reasonOf(got, "inappropriate").Dismissed, 1},
	} {
		if c.got != c.want {
			t.Errorf("after changes: %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	unanswered = nil
	for _, u := range got.Unanswered {
		unanswered = append(unanswered, u.ID)
	}
	if len(unanswered) != 3 || unanswered[0] != t4 || unanswered[1] != t3 || unanswered[2] != t1 {
		t.Errorf("after changes, threads without a response after 24 h: %v, want %d, %d, %d", unanswered, t4, t3, t1)
	}
	// The most active members of the 7 days, from the window the job keeps
	// (b's liked reply is gone, a replied today), and of the same days
	// chosen as a range, summed from the days.
	rangeOf, err := forum.ParsePeriod("", period.From.Format(time.DateOnly), period.To.Format(time.DateOnly), forum.TodayIn(later, paris))
	if err != nil {
		t.Fatal(err)
	}
	asRange, err := db.Dashboard(staff, later, rangeOf)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*forum.Dashboard{got, asRange} {
		names = nil
		for _, c := range g.TopContributors {
			names = append(names, fmt.Sprintf("%s:%d", c.Username, c.Posts))
		}
		want := fmt.Sprint([]string{a.Username + ":4", b.Username + ":2", c.Username + ":2", d.Username + ":1", e.Username + ":1"})
		if fmt.Sprint(names) != want {
			t.Errorf("after changes, top contributors of %d days %v, want %v", g.Period.Days, names, want)
		}
	}

	if _, err := db.Dashboard(forumtest.As(a), now, period); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a member sees the dashboard: %v", err)
	}
}

func TestParseDashboardPeriod(t *testing.T) {
	today := time.Date(2031, 3, 15, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		days, from, to string
		want, prev     string // "" for an error
	}{
		{"", "", "", "2031-02-14/2031-03-15", "2031-01-15/2031-02-13"},
		{"7", "", "", "2031-03-09/2031-03-15", "2031-03-02/2031-03-08"},
		{"365", "", "", "2030-03-16/2031-03-15", "2029-03-16/2030-03-15"},
		{"", "2031-03-01", "2031-03-10", "2031-03-01/2031-03-10", "2031-02-19/2031-02-28"},
		{"", "2031-03-10", "2031-03-10", "2031-03-10/2031-03-10", "2031-03-09/2031-03-09"},
		{"12", "", "", "", ""},
		{"abc", "", "", "", ""},
		{"", "2031-03-10", "2031-03-01", "", ""},
		{"", "2031-03-10", "2031-03-16", "", ""},
		{"", "2031-03-10", "", "", ""},
		{"", "2001-01-01", "2031-03-10", "", ""},
	} {
		p, err := forum.ParsePeriod(c.days, c.from, c.to, today)
		if c.want == "" {
			if forum.ErrorCode(err) != forum.EINVALID {
				t.Errorf("%q %q %q: %v, want EINVALID", c.days, c.from, c.to, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %q %q: %v", c.days, c.from, c.to, err)
			continue
		}
		span := func(p forum.Period) string { return p.From.Format(time.DateOnly) + "/" + p.To.Format(time.DateOnly) }
		if span(p) != c.want || span(p.Previous()) != c.prev {
			t.Errorf("%q %q %q: %s then %s, want %s then %s", c.days, c.from, c.to, span(p), span(p.Previous()), c.want, c.prev)
		}
	}
}

func ruleOf(d *forum.Dashboard, id int64) forum.RuleFiring {
	for _, r := range d.Rules {
		if r.RuleID == id {
			return r
		}
	}
	return forum.RuleFiring{}
}

func reasonOf(d *forum.Dashboard, reason string) forum.ReportOutcomes {
	for _, o := range d.ReportOutcomes {
		if o.Reason == reason {
			return o
		}
	}
	return forum.ReportOutcomes{}
}
