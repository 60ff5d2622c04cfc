package forum_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The most active members of random ranges, found by summing each
// member's posts then the threads and likes of those as busy as the tenth
// (forum/dashboard_ranges.go), are those of a direct sum of the days'
// rows, on random posts with many ties on posts (the likes, then the ids,
// decide) and ranges read from months, windows less or plus days, and
// days alone (after the previous release's job ran). The posts fall in
// 2036, when no other test has any.
func TestRangeContributorsEqualADirectSum(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	staff := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 2))
	cat := forumtest.MustCategory(t, db)
	var members []int64
	for range 30 {
		members = append(members, forumtest.MustMember(t, db, forum.RoleMember, 1).ID)
	}
	rng := rand.New(rand.NewPCG(25, 61))
	first := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2036, 4, 20, 15, 0, 0, 0, time.UTC)
	var thread int64
	number := 0
	for at := first.Add(9 * time.Hour); at.Before(now); at = at.Add(time.Duration(2+rng.IntN(6)) * time.Hour) {
		author := members[rng.IntN(len(members))]
		if number == 0 || rng.IntN(12) == 0 {
			if err := db.SQL().GetContext(ctx, &thread, `INSERT INTO threads (category_id, author_id, title, slug, created_at, last_post_at)
				VALUES ($1, $2, 'Fil', 'fil', $3, $3) RETURNING id`, cat.ID, author, at); err != nil {
				t.Fatal(err)
			}
			number = 0
		}
		number++
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at, like_count)
			VALUES ($1, $2, $3, 'x', '<p>x</p>', $4, $5)`, thread, number, author, at, rng.IntN(3)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE threads SET last_post_at = $2, post_count = $3 WHERE id = $1`, thread, at, number); err != nil {
			t.Fatal(err)
		}
	}
	rollupUntilDone(t, db, now)
	paris, _ := time.LoadLocation("Europe/Paris")
	today := forum.TodayIn(now, paris)
	check := func(when string, from, to time.Time) {
		t.Helper()
		f, l := from.Format(time.DateOnly), to.Format(time.DateOnly)
		p, err := forum.ParsePeriod("", f, l, today)
		if err != nil {
			t.Fatal(err)
		}
		d, err := db.Dashboard(staff, now, p)
		if err != nil {
			t.Fatal(err)
		}
		want := []forum.Contributor{}
		if err := db.SQL().SelectContext(ctx, &want, `
			SELECT m.id, m.username, sum(h.posts) AS posts, sum(h.threads) AS threads, sum(h.likes_received) AS likes_received
			FROM health_members h JOIN members m ON m.id = h.member_id
			WHERE h.day BETWEEN $1::date AND $2::date
			GROUP BY m.id HAVING sum(h.posts) > 0
			ORDER BY posts DESC, likes_received DESC, m.id LIMIT 10`, f, l); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d.TopContributors, want) {
			t.Errorf("%s, %s…%s: most active\n%v\nwant\n%v", when, f, l, d.TopContributors, want)
		}
	}
	ranges := [][2]time.Time{
		{first, today.AddDate(0, 0, -1)}, // to yesterday: a window less today
		{time.Date(2036, 1, 16, 0, 0, 0, 0, time.UTC), time.Date(2036, 2, 15, 0, 0, 0, 0, time.UTC)}, // across months
		{time.Date(2036, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2036, 2, 29, 0, 0, 0, 0, time.UTC)},  // a leap month, whole
		{time.Date(2036, 3, 30, 0, 0, 0, 0, time.UTC), time.Date(2036, 4, 18, 0, 0, 0, 0, time.UTC)}, // the 30-day window less and plus days
	}
	for range 30 {
		from := first.AddDate(0, 0, rng.IntN(115)-5)
		to := from.AddDate(0, 0, rng.IntN(60))
		if to.After(today) {
			to = today
		}
		ranges = append(ranges, [2]time.Time{from, to})
	}
	for _, r := range ranges {
		check("from the months and windows", r[0], r[1])
	}
	// The previous release's job ran last: the ranges are read from days.
	forum.RunHealthAsPreviousRelease(t, true)
	if err := db.RollupHealth(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	forum.RunHealthAsPreviousRelease(t, false)
	for _, r := range ranges[:8] {
		check("from the days", r[0], r[1])
	}
}
