package forum_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The most read threads and the referrers of a period, found from the
// months' most read and bounds (forum/traffic_top.go), are those of a
// direct sum of the days' rows, for random periods over random views: a
// long tail some months, views spread evenly with many ties others (the
// depth must grow until the months' lists are read whole), threads that
// are not published, days flushed twice (the months' trigger on
// updates). The views fall in 2040 and 2041, when no other test has any.
func TestTopViewedEqualsADirectSum(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	staff := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 2))
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 1)
	// Their last activity is left long past, out of the latest lists
	// other tests read.
	var threads []int64
	for i := range 1000 {
		status := "published"
		if i%37 == 5 {
			status = "deleted"
		}
		var id int64
		if err := db.SQL().GetContext(ctx, &id, `INSERT INTO threads (category_id, author_id, title, slug, status, created_at, last_post_at)
			VALUES ($1, $2, $3, 'fil', $4, now(), '2000-01-01') RETURNING id`, cat.ID, author.ID, fmt.Sprintf("Fil %d", i), status); err != nil {
			t.Fatal(err)
		}
		threads = append(threads, id)
	}
	rng := rand.New(rand.NewPCG(25, 65))
	first := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2041, 2, 20, 0, 0, 0, 0, time.UTC)
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		// Months alternate: a long tail, then views spread evenly.
		tail := day.Month()%2 == 0
		zipf := rand.NewZipf(rng, 1.3, 1, uint64(len(threads)-1))
		for range 1 + rng.IntN(2) { // some days flushed twice
			b := forum.NewTrafficBatch(day)
			for range 60 + rng.IntN(60) {
				i := rng.IntN(len(threads))
				if tail {
					i = int(zipf.Uint64())
				}
				b.Views[forum.ViewAnonymous]++
				b.Threads[threads[i]]++
				if tail {
					b.Referrers[fmt.Sprintf("site%d.example", zipf.Uint64()%60)]++
				} else {
					b.Referrers[fmt.Sprintf("site%d.example", rng.IntN(60))]++
				}
			}
			if err := db.FlushTraffic(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	var differ int
	if err := db.SQL().GetContext(ctx, &differ, `
		SELECT count(*) FROM (
			SELECT date_trunc('month', day::timestamp)::date AS month, thread_id, sum(views) AS views FROM traffic_threads GROUP BY 1, 2
		) d FULL JOIN traffic_thread_months m USING (month, thread_id) WHERE d.views IS DISTINCT FROM m.views`); err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Fatalf("%d months of thread views differ from their days", differ)
	}
	direct := func(from, to string) ([]forum.Viewed, []forum.Referrer) {
		t.Helper()
		threads, refs := []forum.Viewed{}, []forum.Referrer{}
		if err := db.SQL().SelectContext(ctx, &threads, `
			SELECT t.id, t.title, t.slug, sum(v.views) AS views
			FROM traffic_threads v JOIN threads t ON t.id = v.thread_id
			WHERE v.day BETWEEN $1::date AND $2::date AND t.status = 'published'
			GROUP BY t.id ORDER BY views DESC, t.id LIMIT 10`, from, to); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().SelectContext(ctx, &refs, `
			SELECT domain, sum(views) AS views FROM traffic_referrers
			WHERE day BETWEEN $1::date AND $2::date
			GROUP BY domain ORDER BY views DESC, domain LIMIT 10`, from, to); err != nil {
			t.Fatal(err)
		}
		return threads, refs
	}
	now := time.Date(2041, 2, 20, 12, 0, 0, 0, time.UTC)
	today := forum.TodayIn(now, time.UTC)
	checkAt := func(from, to time.Time) {
		t.Helper()
		d := dashboardBetween(t, db, staff, now, today, from, to)
		f, l := from.Format(time.DateOnly), to.Format(time.DateOnly)
		threads, refs := direct(f, l)
		if !reflect.DeepEqual(d.TopThreads, threads) {
			t.Errorf("%s…%s: most read threads\n%v\nwant\n%v", f, l, d.TopThreads, threads)
		}
		if !reflect.DeepEqual(d.Referrers, refs) {
			t.Errorf("%s…%s: referrers\n%v\nwant\n%v", f, l, d.Referrers, refs)
		}
	}
	// Each period is read at the first depth of the dashboard, and
	// starting from a depth of 1, where the list is certain only after
	// growing several times.
	check := func(from, to time.Time) {
		t.Helper()
		for _, depth := range []int{0, 1} {
			if depth > 0 {
				forum.SetTopViewedFirstDepth(t, depth)
			}
			checkAt(from, to)
		}
		forum.SetTopViewedFirstDepth(t, forum.TopViewedFirstDepth)
	}
	check(first, last)                                                                                 // every month, whole but the last
	check(time.Date(2040, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 3, 31, 0, 0, 0, 0, time.UTC))   // an even month, whole
	check(time.Date(2040, 3, 16, 0, 0, 0, 0, time.UTC), time.Date(2040, 4, 15, 0, 0, 0, 0, time.UTC))  // across months
	check(time.Date(2039, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2039, 12, 31, 0, 0, 0, 0, time.UTC)) // no views
	for i := range 60 {
		// Short periods (their months' most read are seldom theirs) and
		// long ones.
		from := first.AddDate(0, 0, rng.IntN(420)-10)
		to := from.AddDate(0, 0, rng.IntN(12))
		if i%3 == 0 {
			to = from.AddDate(0, 0, rng.IntN(120))
		}
		if to.After(today) {
			to = today
		}
		check(from, to)
	}
}
