package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The dashboard's figures on a fixture with known numbers. The window ends
// in 2031, so that the rows other tests create now fall outside it; the
// queue (not windowed) is compared before and after.
func TestDashboardFiguresOnAKnownFixture(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	now := time.Date(2031, 3, 15, 12, 0, 0, 0, time.UTC)
	staff := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 2))
	before, err := db.Dashboard(staff, now)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	member := func(created, lastVisit time.Duration) *forum.Member {
		m := forumtest.MustMember(t, db, forum.RoleMember, 1)
		exec(`UPDATE members SET created_at = $2 WHERE id = $1`, m.ID, now.Add(-created))
		exec(`INSERT INTO member_visits (member_id, day, first_at, last_at) VALUES ($1, ($2::timestamptz AT TIME ZONE 'UTC')::date, $2, $2)`, m.ID, now.Add(-lastVisit))
		return m
	}
	a := member(40*24*time.Hour, 2*time.Hour)     // old member, visited today
	b := member(3*24*time.Hour, 3*24*time.Hour)   // joined 3 days ago
	c := member(10*24*time.Hour, 20*24*time.Hour) // joined 10 days ago
	d := member(2*time.Hour, 40*24*time.Hour)     // last visit outside the window
	cat := forumtest.MustCategory(t, db)

	thread := func(author *forum.Member, ago time.Duration) (int64, time.Time) {
		at := now.Add(-ago)
		var id int64
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO threads (category_id, author_id, title, slug, created_at, last_post_at)
			VALUES ($1, $2, 'Fil', 'fil', $3, $3) RETURNING id`, cat.ID, author.ID, at); err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at) VALUES ($1, 1, $2, 'x', '<p>x</p>', $3)`, id, author.ID, at)
		return id, at
	}
	reply := func(thread int64, number int, author *forum.Member, at time.Time, likes int) int64 {
		var id int64
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at, like_count)
			VALUES ($1, $2, $3, 'x', '<p>x</p>', $4, $5) RETURNING id`, thread, number, author.ID, at, likes); err != nil {
			t.Fatal(err)
		}
		return id
	}
	t1, at1 := thread(a, 5*24*time.Hour)
	reply(t1, 2, a, at1.Add(time.Hour), 0) // the author's own reply does not count
	reply(t1, 3, b, at1.Add(2*time.Hour), 5)
	t2, at2 := thread(b, 4*24*time.Hour)
	reply(t2, 2, c, at2.Add(6*time.Hour), 0)
	t3, _ := thread(c, 3*24*time.Hour) // never answered
	t4, at4 := thread(a, 2*24*time.Hour)
	reply(t4, 2, b, at4.Add(30*time.Hour), 0) // answered, but after 24 hours
	thread(d, time.Hour)                      // too recent to judge

	var p3 int64
	if err := db.SQL().GetContext(ctx, &p3, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, t3); err != nil {
		t.Fatal(err)
	}
	var p4 int64
	if err := db.SQL().GetContext(ctx, &p4, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, t4); err != nil {
		t.Fatal(err)
	}
	item := now.Add(-2 * 24 * time.Hour)
	exec(`INSERT INTO review_items (kind, post_id, status, created_at, first_seen_at, claimed_at, resolved_at)
		VALUES ('flagged', $1, 'resolved', $2, $3, $4, $5)`, p3, item, item.Add(10*time.Minute), item.Add(20*time.Minute), item.Add(time.Hour))
	item = now.Add(-24 * time.Hour)
	exec(`INSERT INTO review_items (kind, post_id, created_at, first_seen_at) VALUES ('held', $1, $2, $3)`, p4, item, item.Add(30*time.Minute))

	got, err := db.Dashboard(staff, now)
	if err != nil {
		t.Fatal(err)
	}
	dur := func(p *time.Duration) time.Duration {
		if p == nil {
			return -1
		}
		return *p
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"active 1 day", got.Active1, 1},
		{"active 7 days", got.Active7, 2},
		{"active 30 days", got.Active30, 3},
		{"new members 7 days", got.NewMembers7, 2},
		{"new members 30 days", got.NewMembers30, 3},
		{"posts", got.Posts30, 9},
		{"threads", got.Threads30, 5},
		{"days", len(got.Days), forum.DashboardDays},
		{"first reply median", dur(got.FirstReplyMedian), 6 * time.Hour},
		{"answerable threads", got.AnswerableThreads, 4},
		{"unanswered after 24 h", got.Unanswered24h, 2},
		{"unanswered share", got.UnansweredShare(), 0.5},
		{"review items", got.ReviewItems30, 2},
		{"seen median", dur(got.ReviewSeenMedian), 20 * time.Minute},
		{"claim median", dur(got.ReviewClaimMedian), 20 * time.Minute},
		{"resolve median", dur(got.ReviewResolveMedian), time.Hour},
		{"held in the queue", got.Queue["held"] - before.Queue["held"], 1},
		{"queue size", got.QueueSize - before.QueueSize, 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	perDay := map[string]int{}
	for _, day := range got.Days {
		perDay[day.Day.Format("2006-01-02")] = day.Posts
	}
	if perDay["2031-03-10"] != 3 || perDay["2031-03-11"] != 2 || perDay["2031-03-15"] != 1 {
		t.Errorf("posts per day: %v", perDay)
	}
	var names []string
	for _, c := range got.TopContributors {
		names = append(names, c.Username)
	}
	want := []string{b.Username, a.Username, c.Username, d.Username}
	if len(names) != len(want) {
		t.Fatalf("top contributors %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("top contributors %v, want %v", names, want)
			break
		}
	}
	if got.TopContributors[0].LikesReceived != 5 || got.TopContributors[0].Posts != 3 || got.TopContributors[1].Threads != 2 {
		t.Errorf("contributor figures: %+v", got.TopContributors[:2])
	}

	if _, err := db.Dashboard(forumtest.As(a), now); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a member sees the dashboard: %v", err)
	}
}
