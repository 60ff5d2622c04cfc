package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/palabre/palabre/forum"
)

// trafficDays is how much page-view history the seed gives the forum: a
// year to yesterday, so that the dashboard's 365-day figures read a
// year's rows (its posts span fewer days, as if older ones were purged).
const trafficDays = 365

// The day's views, before the weekly cycle and the year's growth: thread
// pages read by people (evergreen threads and the week's trending ones),
// crawlers going through every thread, category pages and the others
// (home, latest, search, profiles).
const (
	trafficEvergreenViews = 60_000
	trafficTrendingViews  = 30_000
	trafficCrawlerViews   = 8_000
	trafficCategoryViews  = 8_000
	trafficOtherViews     = 20_000
)

// seedTraffic gives the forum a year of page views to yesterday, as the
// server's counters would have added them (forum.FlushTraffic, a day at
// a time): thread views with a long tail (a Zipf law over the threads, the
// evergreen ones and each week's trending ones, and crawlers reading
// every thread alike), category pages, referrers (search engines, social
// networks, a long tail of sites) and the unique readers of each past day
// as the health job leaves them once it has counted their hashes. A day
// already written is not written again: the step resumes after the last
// day it wrote, so it can fill a seed made before it, and extends the
// history to yesterday when a seed is used days later.
func seedTraffic(ctx context.Context, db *forum.DB) error {
	st, err := db.Settings(ctx)
	if err != nil {
		return err
	}
	today := forum.TodayIn(time.Now(), st.Location())
	first := today.AddDate(0, 0, -trafficDays)
	var last *time.Time
	if err := db.SQL().GetContext(ctx, &last, `SELECT max(day)::timestamp AT TIME ZONE 'UTC' FROM traffic_days WHERE day < $1::date`,
		today.Format(time.DateOnly)); err != nil {
		return fmt.Errorf("reading the traffic seeded: %w", err)
	}
	if last != nil && !last.UTC().Before(first) {
		first = last.UTC().AddDate(0, 0, 1)
	}
	if first.Before(today) {
		if err := seedTrafficDays(ctx, db, first, today); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO traffic_readers_days (day, readers)
		SELECT day, (sum(views) FILTER (WHERE kind <> 'crawler') / 6)::int FROM traffic_days WHERE day < $1::date GROUP BY day
		ON CONFLICT (day) DO NOTHING`, today.Format(time.DateOnly)); err != nil {
		return fmt.Errorf("counting the readers seeded: %w", err)
	}
	return nil
}

func seedTrafficDays(ctx context.Context, db *forum.DB, first, today time.Time) error {
	var threads []int64
	if err := db.SQL().SelectContext(ctx, &threads, `SELECT id FROM threads WHERE status = 'published' ORDER BY id`); err != nil {
		return err
	}
	var slugs []string
	if err := db.SQL().SelectContext(ctx, &slugs, `SELECT slug FROM categories ORDER BY position, id`); err != nil {
		return err
	}
	if len(threads) == 0 || len(slugs) == 0 {
		return nil
	}
	// Fixed orders of popularity: the evergreen threads, and the one each
	// week's trending threads are drawn along (shifted every week).
	rng := rand.New(rand.NewPCG(25, 65))
	evergreen := rng.Perm(len(threads))
	trending := rng.Perm(len(threads))
	domains := referrerDomains()
	start := time.Now()
	rows := 0
	for day := first; day.Before(today); day = day.AddDate(0, 0, 1) {
		b := trafficOfDay(day, today, threads, slugs, evergreen, trending, domains)
		if err := db.FlushTraffic(ctx, b); err != nil {
			return fmt.Errorf("seeding the views of %s: %w", day.Format(time.DateOnly), err)
		}
		rows += len(b.Threads)
	}
	fmt.Fprintf(os.Stderr, "benchseed: seeded the page views of %s to %s (%d thread-days) in %s\n",
		first.Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly), rows, time.Since(start).Round(time.Second))
	return nil
}

// trafficOfDay draws the views of day, the same whenever it is drawn.
func trafficOfDay(day, today time.Time, threads []int64, slugs []string, evergreen, trending []int, domains []string) *forum.TrafficBatch {
	rng := rand.New(rand.NewPCG(uint64(day.Unix()), 25))
	// Weekends are quieter; the forum grew by half over the year.
	scale := 1 - 0.5*float64(today.Sub(day))/float64(trafficDays*24*time.Hour)
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		scale *= 0.75
	}
	n := func(v int) int { return int(float64(v) * scale) }
	b := forum.NewTrafficBatch(day)
	human := func() string {
		if rng.IntN(10) < 4 {
			return forum.ViewMember
		}
		return forum.ViewAnonymous
	}
	// A referred view: most anonymous readers come from a search engine.
	refer := func(kind string, z *rand.Zipf) {
		if kind != forum.ViewAnonymous || rng.IntN(10) >= 3 {
			return
		}
		i := int(z.Uint64())
		b.Referrers[domains[i]]++
		if i < len(searchDomains) {
			b.SearchViews[kind]++
		}
	}
	zipf := func(s float64, n int) *rand.Zipf { return rand.NewZipf(rng, s, 1, uint64(n-1)) }
	zEver, zTrend, zRef := zipf(1.1, len(threads)), zipf(1.3, len(threads)), zipf(1.6, len(domains))
	shift := int(day.Unix()/(7*86400)) * 7919
	for range n(trafficEvergreenViews) {
		kind := human()
		b.Views[kind]++
		b.Threads[threads[evergreen[zEver.Uint64()]]]++
		refer(kind, zRef)
	}
	for range n(trafficTrendingViews) {
		kind := human()
		b.Views[kind]++
		b.Threads[threads[trending[(int(zTrend.Uint64())+shift)%len(threads)]]]++
		refer(kind, zRef)
	}
	for range n(trafficCrawlerViews) {
		b.Views[forum.ViewCrawler]++
		b.Threads[threads[rng.IntN(len(threads))]]++
	}
	zCat := zipf(1.1, len(slugs))
	for range n(trafficCategoryViews) {
		kind := human()
		b.Views[kind]++
		b.Categories[slugs[zCat.Uint64()]]++
		refer(kind, zRef)
	}
	for range n(trafficOtherViews) {
		kind := human()
		b.Views[kind]++
		refer(kind, zRef)
	}
	return b
}

// searchDomains are search engines, as the server tells them; the
// referrers' list starts with them.
var searchDomains = []string{"google.com", "google.fr", "bing.com", "duckduckgo.com", "qwant.com", "ecosia.org",
	"google.be", "google.ca", "yahoo.com", "startpage.com", "search.brave.com", "yandex.ru"}

// referrerDomains are the sites that send readers, most sending first:
// search engines, social networks and a long tail of blogs and forums.
func referrerDomains() []string {
	out := append([]string{}, searchDomains...)
	out = append(out, "facebook.com", "t.co", "linkedin.com", "reddit.com", "mastodon.social", "news.ycombinator.com",
		"lemmy.world", "l.instagram.com", "youtube.com", "wikipedia.org")
	for i := range 4000 {
		kind := "blog"
		if i%3 == 0 {
			kind = "forum"
		}
		out = append(out, fmt.Sprintf("%s-%04d.example", kind, i+1))
	}
	return out
}
