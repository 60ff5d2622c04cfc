package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Page views, told apart by who reads, are counted in memory by real
// requests through the engine (anonymous pages from the cache and
// revalidated included) and reach the database only when flushed; unique
// readers are counted once a day whatever the number of flushes, and their
// hashes and salt are gone once the day is over.
func TestPageViewsAreCountedAndFlushedInBatches(t *testing.T) {
	newTestServer(t)
	db := forumtest.DB(t)
	ctx := context.Background()
	cfg, err := LoadConfig(func(string) string { return "" }) // the page cache on
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, testSrv.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FlushTraffic(ctx); err != nil { // learns the forum's time zone
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	today := forum.TodayIn(time.Now(), paris)
	// Yesterday too, should the test run across midnight.
	period := forum.Period{From: today.AddDate(0, 0, -1), To: today}
	staff := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	dashboard := func() *forum.Dashboard {
		t.Helper()
		d, err := db.Dashboard(staff, time.Now(), period)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	before := dashboard()

	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	th := startThread(t, s, bearer(t, db, author), cat, "Sujet très lu")
	thread := fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug)
	get := func(b *browser, path string, header map[string]string, want int) *http.Response {
		t.Helper()
		w := b.do(t, "GET", path, nil, header)
		if w.Code != want {
			t.Fatalf("GET %s: %d, want %d", path, w.Code, want)
		}
		return w.Result()
	}
	firefox := "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	reader := newBrowser(s)
	reader.header["User-Agent"] = firefox
	get(reader, thread, map[string]string{"Referer": "https://www.google.com/search?q=palabre"}, 200)
	etag := get(reader, thread, nil, 200).Header.Get("ETag") // from the cache
	get(reader, thread, map[string]string{"If-None-Match": etag}, http.StatusNotModified)
	other := newBrowser(s)
	other.header["User-Agent"] = firefox
	get(other, "/c/"+cat.Slug, map[string]string{"Referer": "https://news.example.org/item?id=4"}, 200)
	crawler := newBrowser(s)
	crawler.header["User-Agent"] = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	get(crawler, thread, map[string]string{"Referer": "https://www.google.com/"}, 200)
	get(crawler, "/", nil, 200)
	member, _ := loggedIn(t, s, forum.RoleMember, 1)
	get(member, thread, map[string]string{"Referer": cfg.BaseURL.String() + "/latest"}, 200)
	get(member, thread, nil, 200)
	get(member, "/latest", nil, 200)
	// Not reading pages: the API, an address that is none, a redirect.
	get(member, fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), nil, 200)
	get(member, "/t/999999999/nothing", nil, http.StatusNotFound)
	get(member, fmt.Sprintf("/t/%d", th.Thread.ID), nil, http.StatusMovedPermanently)

	if mid := dashboard(); mid.Traffic != before.Traffic {
		t.Errorf("views reached the database before a flush: %+v, before %+v", mid.Traffic, before.Traffic)
	}
	if err := s.FlushTraffic(ctx); err != nil {
		t.Fatal(err)
	}
	// The same reader again, in another batch: a view, not a reader.
	get(reader, "/latest", nil, 200)
	if err := s.FlushTraffic(ctx); err != nil {
		t.Fatal(err)
	}
	after := dashboard()
	delta := forum.TrafficTotals{Member: after.Traffic.Member - before.Traffic.Member, Anonymous: after.Traffic.Anonymous - before.Traffic.Anonymous,
		Crawler: after.Traffic.Crawler - before.Traffic.Crawler, Search: after.Traffic.Search - before.Traffic.Search,
		Readers: after.Traffic.Readers - before.Traffic.Readers}
	if want := (forum.TrafficTotals{Member: 3, Anonymous: 5, Crawler: 2, Search: 1, Readers: 3}); delta != want {
		t.Errorf("traffic %+v, want %+v", delta, want)
	}
	views := func(list []forum.Viewed, id int64) int64 {
		for _, v := range list {
			if v.ID == id {
				return v.Views
			}
		}
		return 0
	}
	if n := views(after.TopThreads, th.Thread.ID); n != 6 {
		t.Errorf("thread views %d, want 6 (3 anonymous, 1 crawler, 2 member): %+v", n, after.TopThreads)
	}
	if n := views(after.TopCategories, cat.ID); n != 7 {
		t.Errorf("category views %d, want 7 (its page and its thread's): %+v", n, after.TopCategories)
	}
	refs := map[string]int64{}
	for _, r := range after.Referrers {
		refs[r.Domain] = r.Views
	}
	for _, r := range before.Referrers {
		refs[r.Domain] -= r.Views
	}
	if refs["google.com"] != 1 || refs["news.example.org"] != 1 || len(refs) != 2 {
		t.Errorf("referrers %v, want google.com and news.example.org once each (not the forum, not crawlers)", refs)
	}

	// Once the day is over, the job counts the day's readers and deletes
	// their hashes and the salt.
	if err := db.RollupHealth(ctx, time.Now().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.SQL().GetContext(ctx, &left, `SELECT (SELECT count(*) FROM traffic_readers) + (SELECT count(*) FROM traffic_salts)`); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d hashes or salts left after the day", left)
	}
	if folded := dashboard(); folded.Traffic.Readers != after.Traffic.Readers {
		t.Errorf("readers after the day %d, want %d", folded.Traffic.Readers, after.Traffic.Readers)
	}
}

func TestCrawlersAndSearchEnginesAreTold(t *testing.T) {
	for ua, crawler := range map[string]bool{
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)": true,
		"facebookexternalhit/1.1": true,
		"curl/8.5.0":              true,
		"":                        true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari":      false,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36": false,
	} {
		if crawlerAgent.MatchString(ua) != crawler {
			t.Errorf("%q: crawler %v, want %v", ua, !crawler, crawler)
		}
	}
	for domain, search := range map[string]bool{"google.com": true, "google.fr": true, "duckduckgo.com": true, "search.brave.com": true,
		"news.example.org": false, "notgoogle.com": false, "mybing.com": false} {
		if isSearchEngine(domain) != search {
			t.Errorf("%q: search engine %v, want %v", domain, !search, search)
		}
	}
}

// Made-up referrers cannot grow without bound: past the day's cap, a new
// domain is not counted (its view still is), a known one still is.
func TestReferrersPerDayAreBounded(t *testing.T) {
	tc := newTrafficCounter()
	now := time.Date(2031, 3, 15, 12, 0, 0, 0, time.UTC)
	for i := range trafficReferrersPerDay + 10 {
		tc.add(now, view{kind: forum.ViewAnonymous, referrer: fmt.Sprintf("spam%d.example", i)})
	}
	tc.add(now, view{kind: forum.ViewAnonymous, referrer: "spam0.example"})
	batches := tc.take()
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	b := batches[0]
	if len(b.Referrers) != trafficReferrersPerDay || b.Referrers["spam0.example"] != 2 || b.Views[forum.ViewAnonymous] != int64(trafficReferrersPerDay+11) {
		t.Errorf("%d domains, spam0 %d, views %d", len(b.Referrers), b.Referrers["spam0.example"], b.Views[forum.ViewAnonymous])
	}
	// The next day starts afresh.
	tc.add(now.Add(24*time.Hour), view{kind: forum.ViewAnonymous, referrer: "new.example"})
	if b := tc.take()[0]; b.Referrers["new.example"] != 1 {
		t.Errorf("the next day: %v", b.Referrers)
	}
}
