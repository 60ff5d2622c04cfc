package forum_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A range's pieces (whole months, windows, days added or taken away) sum
// to each of its days once and to no other day that has rows, whatever
// its edges: month ends, leap days, before the first rollup or after the
// last, around the windows' end. The cheapest plan is kept.
func TestRangePiecesCoverEachDayOnce(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	check := func(f, t0, lo, hi time.Time, end *time.Time, months bool) (int, int, int) {
		t.Helper()
		weights, runs, w, cost := forum.RangePlan(f, t0, lo, hi, end, months)
		for x, got := range weights {
			want := 0
			if !x.Before(f) && !x.After(t0) {
				want = 1
			}
			if got != want {
				t.Fatalf("range %s…%s (rows %s…%s, windows to %v, months %v): day %s weighs %d, want %d",
					f.Format(time.DateOnly), t0.Format(time.DateOnly), lo.Format(time.DateOnly), hi.Format(time.DateOnly),
					end, months, x.Format(time.DateOnly), got, want)
			}
		}
		return runs, w, cost
	}
	lo, hi := day("2026-09-28"), day("2026-12-07")
	end := hi
	// The bench forum's 365-day range to yesterday: a window that holds
	// all its rows (the smallest: 90 days) less today's day.
	if runs, w, cost := check(day("2025-12-08"), day("2026-12-06"), lo, hi, &end, true); w != 90 || runs != 1 || cost != 6+1 {
		t.Errorf("365 days to yesterday: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	// 15 October to 20 November: a run of each month.
	if runs, w, cost := check(day("2026-10-15"), day("2026-11-20"), lo, hi, &end, true); w != 0 || runs != 2 || cost != 8+8 {
		t.Errorf("15 October to 20 November: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	// 30 September to 1 December: the 90 days less 28…29 September and
	// 2…7 December rather than a day, two months and a day.
	if runs, w, cost := check(day("2026-09-30"), day("2026-12-01"), lo, hi, &end, true); w != 90 || runs != 2 || cost != 6+2+6 {
		t.Errorf("30 September to 1 December: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	// Without the months (another job ran last), days, or a window less
	// days.
	if runs, w, cost := check(day("2026-10-15"), day("2026-11-20"), lo, hi, nil, false); w != 0 || runs != 1 || cost != 37 {
		t.Errorf("15 October to 20 November, days only: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	if runs, w, cost := check(day("2026-10-01"), day("2026-12-06"), lo, hi, &end, false); w != 90 || runs != 2 || cost != 6+3+1 {
		t.Errorf("1 October to 6 December, days only: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	rng := rand.New(rand.NewPCG(25, 61))
	base := day("2023-01-01")
	for range 3000 {
		lo := base.AddDate(0, 0, rng.IntN(800))
		hi := lo.AddDate(0, 0, rng.IntN(800))
		f := base.AddDate(0, 0, rng.IntN(1800))
		t0 := f.AddDate(0, 0, rng.IntN(400))
		var e *time.Time
		if rng.IntN(4) > 0 {
			x := hi.AddDate(0, 0, rng.IntN(3)-1)
			e = &x
		}
		check(f, t0, lo, hi, e, rng.IntN(5) > 0)
	}
}

// The most active members of chosen ranges, on a fixture with known
// numbers, whose days are cut at midnight in Paris (the forum's time
// zone, UTC+1 in winter 2033) and whose ranges cross months: a post at
// 23:30 UTC on 31 January is one of 1 February. Each range is read from
// the pieces the dashboard chooses (months' running totals, a window), and
// again from the days alone, as while another job ran last.
func TestDashboardRangesOnAKnownFixture(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	now := time.Date(2033, 3, 5, 12, 0, 0, 0, time.UTC)
	paris, _ := time.LoadLocation("Europe/Paris")
	staff := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 2))
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cat := forumtest.MustCategory(t, db)
	var thread int64
	number := 0
	post := func(author *forum.Member, at time.Time, likes int) int64 {
		t.Helper()
		number++
		var id int64
		if number == 1 {
			if err := db.SQL().GetContext(ctx, &thread, `INSERT INTO threads (category_id, author_id, title, slug, created_at, last_post_at)
				VALUES ($1, $2, 'Fil', 'fil', $3, $3) RETURNING id`, cat.ID, author.ID, at); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at, like_count)
			VALUES ($1, $2, $3, 'x', '<p>x</p>', $4, $5) RETURNING id`, thread, number, author.ID, at, likes); err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE threads SET last_post_at = greatest(last_post_at, $2), post_count = $3 WHERE id = $1`, thread, at, number)
		return id
	}
	x := forumtest.MustMember(t, db, forum.RoleMember, 1)
	y := forumtest.MustMember(t, db, forum.RoleMember, 1)
	z := forumtest.MustMember(t, db, forum.RoleMember, 1)
	utc := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2033, month, day, hour, minute, 0, 0, time.UTC)
	}
	post(y, utc(1, 31, 22, 50), 0)           // 23:50 on 31 January in Paris (y opens the thread)
	post(x, utc(1, 31, 23, 30), 0)           // 00:30 on 1 February in Paris
	post(y, utc(2, 3, 10, 0), 0)             // 3 February
	post(y, utc(2, 15, 10, 0), 2)            // 15 February
	deleted := post(y, utc(2, 15, 11, 0), 0) // deleted later
	post(y, utc(2, 15, 12, 0), 0)            //
	post(x, utc(2, 27, 22, 30), 1)           // 23:30 on 27 February in Paris
	post(z, utc(2, 28, 10, 0), 0)            // 28 February
	post(x, utc(2, 28, 23, 10), 0)           // 00:10 on 1 March in Paris
	post(y, utc(3, 2, 9, 0), 0)              // 2 March
	late := post(z, utc(3, 3, 9, 0), 0)      // 3 March, deleted later
	post(z, utc(3, 5, 9, 0), 0)              // today, 5 March

	// The previous release's job may have run: the whole history is
	// computed again, as the months are summed again.
	rollupUntilDone(t, db, now)
	top := func(from, to string, at time.Time) string {
		t.Helper()
		p, err := forum.ParsePeriod("", from, to, forum.TodayIn(at, paris))
		if err != nil {
			t.Fatal(err)
		}
		d, err := db.Dashboard(staff, at, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range d.TopContributors {
			switch c.ID {
			case x.ID:
				out = append(out, fmt.Sprintf("x:%d/%d/%d", c.Posts, c.Threads, c.LikesReceived))
			case y.ID:
				out = append(out, fmt.Sprintf("y:%d/%d/%d", c.Posts, c.Threads, c.LikesReceived))
			case z.ID:
				out = append(out, fmt.Sprintf("z:%d/%d/%d", c.Posts, c.Threads, c.LikesReceived))
			}
		}
		return strings.Join(out, " ")
	}
	// The ranges and their most active members: posts/threads/likes.
	ranges := [][2]string{
		{"2033-01-31", "2033-02-27"}, // January's last day, February but its last
		{"2033-02-01", "2033-03-01"}, // February and 1 March (a tie on posts: likes)
		{"2033-02-28", "2033-03-04"}, // 28 February to 4 March
		{"2032-03-06", "2033-03-04"}, // 365 days to yesterday: a window less today
		{"2033-02-28", "2033-02-28"}, // a single day, a month's last
		{"2033-02-10", "2033-02-27"}, // a month's row less its days before the 10th
	}
	check := func(when string, at time.Time, want ...string) {
		t.Helper()
		for i, r := range ranges {
			if got := top(r[0], r[1], at); got != want[i] {
				t.Errorf("%s, %s…%s: %s, want %s", when, r[0], r[1], got, want[i])
			}
		}
	}
	kept := func(when string) {
		t.Helper()
		if n := forum.HealthMonthsDiffer(t, db); n != 0 {
			t.Errorf("%s: %d rows of the months differ from the days", when, n)
		}
	}
	check("from the months and windows", now,
		"y:5/1/2 x:2/0/1", "y:4/0/2 x:3/0/1 z:1/0/0", "z:2/0/0 x:1/0/0 y:1/0/0", "y:6/1/2 x:3/0/1 z:2/0/0", "z:1/0/0", "y:3/0/2 x:1/0/1")
	kept("summed")

	// y's post of 15 February is deleted: the job computes that day again
	// and y's February keeps its 3rd.
	exec(`UPDATE posts SET status = 'deleted', removal = 'author' WHERE id = $1`, deleted)
	if err := db.RollupHealth(ctx, now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("after a deletion", now.Add(5*time.Minute),
		"y:4/1/2 x:2/0/1", "y:3/0/2 x:3/0/1 z:1/0/0", "z:2/0/0 x:1/0/0 y:1/0/0", "y:5/1/2 x:3/0/1 z:2/0/0", "z:1/0/0", "y:2/0/2 x:1/0/1")
	kept("after a deletion")

	// The previous release's job runs (as in a rolling upgrade): z's post
	// of 3 March is deleted, it computes that day again without the
	// months and clears the marks it knows. Until this release's job runs
	// again, the dashboard reads days; then the months are summed again.
	exec(`UPDATE posts SET status = 'deleted', removal = 'author' WHERE id = $1`, late)
	later := now.Add(10 * time.Minute)
	if err := db.RollupHealthAsPreviousRelease(ctx, later); err != nil {
		t.Fatal(err)
	}
	after := []string{"y:4/1/2 x:2/0/1", "y:3/0/2 x:3/0/1 z:1/0/0", "x:1/0/0 y:1/0/0 z:1/0/0", "y:5/1/2 x:3/0/1 z:1/0/0", "z:1/0/0", "y:2/0/2 x:1/0/1"}
	check("after the previous release's job, from the days", later, after...)
	if err := db.RollupHealth(ctx, later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("after this release's job again", later.Add(time.Minute), after...)
	kept("after this release's job again")
	var months int
	if err := db.SQL().GetContext(ctx, &months, `SELECT count(*) FROM health_member_months WHERE member_id IN ($1, $2, $3)`, x.ID, y.ID, z.ID); err != nil {
		t.Fatal(err)
	}
	if months != 7 { // x: Feb, Mar; y: Jan, Feb, Mar; z: Feb, Mar
		t.Errorf("%d months of x, y and z kept, want 7", months)
	}
}

// A change marked while the previous release's job runs (a rolling
// upgrade) is computed again by this release's in every table, those the
// previous release does not know included: that job clears the marks it
// knows (health_dirty), not those of health_redo. The previous release
// here knows the days, terms and members only, not the rule firings the
// test reads: only health_redo can bring their day back.
func TestHealthMarksSurviveThePreviousReleasesJob(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	now := time.Date(2034, 6, 20, 12, 0, 0, 0, time.UTC)
	rollupUntilDone(t, db, now)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	author := forumtest.MustMember(t, db, forum.RoleMember, 1)
	cat := forumtest.MustCategory(t, db)
	at := time.Date(2034, 6, 10, 10, 0, 0, 0, time.UTC)
	var thread, post int64
	if err := db.SQL().GetContext(ctx, &thread, `INSERT INTO threads (category_id, author_id, title, slug, created_at, last_post_at)
		VALUES ($1, $2, 'Fil', 'fil', $3, $3) RETURNING id`, cat.ID, author.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().GetContext(ctx, &post, `INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at)
		VALUES ($1, 1, $2, 'x', '<p>x</p>', $3) RETURNING id`, thread, author.ID, at); err != nil {
		t.Fatal(err)
	}
	var item int64
	if err := db.SQL().GetContext(ctx, &item, `INSERT INTO review_items (kind, post_id, created_at, reasons)
		VALUES ('flagged', $1, $2, '[{"rule": {"id": 951, "name": "Liens"}, "action": "flag", "key": "k"}]') RETURNING id`, post, at); err != nil {
		t.Fatal(err)
	}
	// The 10th is computed (a stretch of history the job is told to redo).
	exec(`INSERT INTO health_redo (at) VALUES ($1)`, at)
	if err := db.RollupHealth(ctx, now); err != nil {
		t.Fatal(err)
	}
	// The item is dismissed, the previous release's job runs, then this
	// release's.
	exec(`UPDATE review_items SET status = 'resolved', resolution = 'dismiss', resolved_at = created_at + interval '2 hours' WHERE id = $1`, item)
	if err := db.RollupHealthAsPreviousRelease(ctx, now.Add(time.Minute), "health_days", "health_terms", "health_members"); err != nil {
		t.Fatal(err)
	}
	if err := db.RollupHealth(ctx, now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var overturned int
	if err := db.SQL().GetContext(ctx, &overturned, `SELECT coalesce(sum(overturned), 0) FROM health_rule_days WHERE rule_id = 951`); err != nil {
		t.Fatal(err)
	}
	if overturned != 1 {
		t.Errorf("rule 951 overturned %d times, want 1 (the dismissal marked while the previous release's job ran)", overturned)
	}
}

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
			// Their last activity is left long past: threads active in 2036
			// would head the latest lists other tests read.
			if err := db.SQL().GetContext(ctx, &thread, `INSERT INTO threads (category_id, author_id, title, slug, created_at, last_post_at)
				VALUES ($1, $2, 'Fil', 'fil', $3, '2000-01-01') RETURNING id`, cat.ID, author, at); err != nil {
				t.Fatal(err)
			}
			number = 0
		}
		number++
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, created_at, like_count)
			VALUES ($1, $2, $3, 'x', '<p>x</p>', $4, $5)`, thread, number, author, at, rng.IntN(3)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE threads SET post_count = $2 WHERE id = $1`, thread, number); err != nil {
			t.Fatal(err)
		}
	}
	rollupUntilDone(t, db, now)
	paris, _ := time.LoadLocation("Europe/Paris")
	today := forum.TodayIn(now, paris)
	check := func(when string, from, to time.Time) {
		t.Helper()
		d := dashboardBetween(t, db, staff, now, today, from, to)
		f, l := from.Format(time.DateOnly), to.Format(time.DateOnly)
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
	// Ranges whose edges fall next to the ends of the months' quarters
	// (days 7, 14 and 21), where their bounds change.
	for _, day := range []int{6, 7, 8, 13, 14, 15, 20, 21, 22, 23} {
		from := time.Date(2036, time.Month(1+rng.IntN(3)), day, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(0, 0, 9+rng.IntN(40))
		if to.After(today) {
			to = today
		}
		ranges = append(ranges, [2]time.Time{from, to})
		to = time.Date(2036, time.Month(2+rng.IntN(2)), day, 0, 0, 0, 0, time.UTC)
		ranges = append(ranges, [2]time.Time{to.AddDate(0, 0, -(9 + rng.IntN(40))), to})
	}
	// Ranges of whole quarters, whose bounds are the posts themselves:
	// the members are told apart by their exact posts alone.
	for _, q := range [][4]int{{1, 1, 1, 14}, {1, 8, 1, 31}, {1, 15, 2, 7}, {1, 22, 2, 21}, {2, 1, 2, 21}, {2, 8, 3, 14},
		{2, 15, 3, 7}, {2, 22, 3, 31}, {3, 1, 3, 14}, {3, 8, 4, 7}, {3, 15, 3, 31}, {1, 1, 3, 31}} {
		ranges = append(ranges, [2]time.Time{time.Date(2036, time.Month(q[0]), q[1], 0, 0, 0, 0, time.UTC),
			time.Date(2036, time.Month(q[2]), q[3], 0, 0, 0, 0, time.UTC)})
	}
	for _, r := range ranges {
		check("from the months and windows", r[0], r[1])
	}
	// A window less days read from a depth of 1, certain only once it
	// grew.
	forum.SetWindowLessFirstDepth(t, 1)
	for _, r := range ranges {
		check("from the months and windows, depth 1", r[0], r[1])
	}
	forum.SetWindowLessFirstDepth(t, forum.WindowLessFirstDepth)
	// Ranges read from the months' bounds (no window near them): most of
	// the random ones. L found from the exact posts of ten members, the
	// fewest that give one, and of every member.
	var lo, hi, end time.Time
	if err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT min(day) FROM health_members), (SELECT max(day) FROM health_members), window_to FROM health_state`).Scan(&lo, &hi, &end); err != nil {
		t.Fatal(err)
	}
	bounded := 0
	for _, r := range ranges {
		if forum.RangeReadsBounds(r[0], r[1], lo.UTC(), hi.UTC(), &end, true) {
			bounded++
		}
	}
	if bounded < 30 {
		t.Errorf("%d of %d ranges read from the months' bounds, want 30 or more", bounded, len(ranges))
	}
	// Each month's bounds hold the posts of every run of its days.
	var rows []struct {
		Days   pq.Int64Array `db:"days"`
		Posts  pq.Int64Array `db:"posts"`
		Bounds pq.Int64Array `db:"bounds"`
	}
	if err := db.SQL().SelectContext(ctx, &rows, `
		SELECT days, posts, ARRAY[0, posts_to_7, posts_to_14, posts_to_21, posts_total] AS bounds
		FROM health_member_months WHERE month >= '2036-01-01'`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for a := 1; a <= 31; a++ {
			for b := a; b <= 31; b++ {
				exact := int64(0)
				for i, d := range r.Days {
					if int(d) >= a && int(d) <= b {
						exact += r.Posts[i]
						if i > 0 {
							exact -= r.Posts[i-1]
						}
					}
				}
				before, last := forum.QuartersAround(a, b)
				if bound := r.Bounds[last] - r.Bounds[before]; bound < exact {
					t.Fatalf("days %d to %d of %v: bound %d, posts %d", a, b, r, bound, exact)
				}
			}
		}
	}
	for _, depth := range []int{10, len(members) + 10} {
		forum.SetRangeBoundDepth(t, depth)
		for _, r := range ranges {
			check(fmt.Sprintf("from the months' bounds, depth %d", depth), r[0], r[1])
		}
	}
	forum.SetRangeBoundDepth(t, forum.RangeBoundDepth)
	// The bounds of every month grouped by member, as past three months.
	forum.SetBoundJoinedMonths(t, 0)
	for _, r := range ranges {
		check("from the months' bounds, grouped", r[0], r[1])
	}
	forum.SetBoundJoinedMonths(t, 3)
	// The previous release's job ran last: the ranges are read from days.
	if err := db.RollupHealthAsPreviousRelease(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, r := range ranges[:8] {
		check("from the days", r[0], r[1])
	}
}

// dashboardBetween is the dashboard of the days from to to (inclusive), as
// staff reads it at now.
func dashboardBetween(t *testing.T, db *forum.DB, staff context.Context, now, today, from, to time.Time) *forum.Dashboard {
	t.Helper()
	p, err := forum.ParsePeriod("", from.Format(time.DateOnly), to.Format(time.DateOnly), today)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Dashboard(staff, now, p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
