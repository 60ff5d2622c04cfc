package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// Page views are counted in memory, off the request path's database work:
// a request adds to the counters of the current day, and RunTraffic adds
// them to the database every trafficFlushEvery (and once more when the
// server stops), so that any number of instances add up.

// trafficFlushEvery is how often the counters are written.
const trafficFlushEvery = 15 * time.Second

// trafficPages are the reading pages whose views are counted, by route.
var trafficPages = map[string]bool{
	"/": true, "/latest": true, "/c/:slug": true, "/t/:id/:slug": true,
	"/u/:username": true, "/search": true, "/guidelines": true,
}

// crawlerAgent tells crawlers, link previewers and scripts by their user
// agent; an empty user agent is a script too.
var crawlerAgent = regexp.MustCompile(`(?i)bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|` +
	`curl/|wget/|python-|go-http-client|java/|okhttp|httpclient|headless|scrapy|lighthouse|pingdom|uptime|feedfetcher|^$`)

// searchEngines are the domains (and their subdomains) of search engines,
// as referrers.
var searchEngines = []string{"google.", "bing.com", "duckduckgo.com", "yahoo.", "yandex.", "ecosia.org", "qwant.com",
	"baidu.com", "startpage.com", "search.brave.com", "kagi.com", "ask.com"}

func isSearchEngine(domain string) bool {
	for _, e := range searchEngines {
		if strings.HasPrefix(domain, e) || strings.Contains(domain, "."+e) || (strings.HasSuffix(e, ".com") && domain == e) {
			return true
		}
	}
	return false
}

// trafficCounter holds the views counted since the last flush.
type trafficCounter struct {
	loc atomic.Pointer[time.Location] // the forum's time zone, refreshed at each flush

	mu      sync.Mutex
	batches map[time.Time]*forum.TrafficBatch // by local day (two around midnight)
	// The referring domains this instance counted today: past
	// trafficReferrersPerDay, new ones are not counted, so that made-up
	// Referer headers cannot fill memory and the table.
	refDay  time.Time
	refSeen map[string]struct{}
}

// trafficReadersPerBatch bounds the readers kept between two flushes (a
// flood of addresses counts its views, not more readers than this).
const trafficReadersPerBatch = 200000

// trafficReferrersPerDay bounds the referring domains an instance counts a day.
const trafficReferrersPerDay = 1000

func newTrafficCounter() *trafficCounter {
	t := &trafficCounter{batches: map[time.Time]*forum.TrafficBatch{}, refSeen: map[string]struct{}{}}
	t.loc.Store(time.UTC)
	return t
}

// take hands the batches over to a flush.
func (t *trafficCounter) take() []*forum.TrafficBatch {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*forum.TrafficBatch, 0, len(t.batches))
	for _, b := range t.batches {
		out = append(out, b)
	}
	clear(t.batches)
	return out
}

// putBack returns batches a failed flush could not write, so that they
// are tried again with the next.
func (t *trafficCounter) putBack(batches []*forum.TrafficBatch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, old := range batches {
		b := t.batches[old.Day]
		if b == nil {
			t.batches[old.Day] = old
			continue
		}
		for k, n := range old.Views {
			b.Views[k] += n
		}
		for k, n := range old.SearchViews {
			b.SearchViews[k] += n
		}
		for k, n := range old.Threads {
			b.Threads[k] += n
		}
		for k, n := range old.Categories {
			b.Categories[k] += n
		}
		for k, n := range old.Referrers {
			b.Referrers[k] += n
		}
		for r := range old.Readers {
			b.Readers[r] = struct{}{}
		}
	}
}

// view is one counted page view.
type view struct {
	kind     string
	search   bool
	thread   int64
	category string
	referrer string
	reader   [32]byte
	human    bool
}

func (t *trafficCounter) add(now time.Time, v view) {
	y, m, d := now.In(t.loc.Load()).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.batches[day]
	if b == nil {
		b = forum.NewTrafficBatch(day)
		t.batches[day] = b
	}
	b.Views[v.kind]++
	if v.search {
		b.SearchViews[v.kind]++
	}
	if v.thread > 0 {
		b.Threads[v.thread]++
	}
	if v.category != "" {
		b.Categories[v.category]++
	}
	if v.referrer != "" {
		if !day.Equal(t.refDay) {
			t.refDay = day
			clear(t.refSeen)
		}
		if _, ok := t.refSeen[v.referrer]; ok || len(t.refSeen) < trafficReferrersPerDay {
			t.refSeen[v.referrer] = struct{}{}
			b.Referrers[v.referrer]++
		}
	}
	if v.human && len(b.Readers) < trafficReadersPerBatch {
		b.Readers[v.reader] = struct{}{}
	}
}

// countViews counts the views of reading pages (a 200 or a 304, cached
// or not), after the handler: a few map increments under a lock.
func (s *Server) countViews() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if c.Request.Method != http.MethodGet || !trafficPages[c.FullPath()] {
			return
		}
		if st := c.Writer.Status(); st != http.StatusOK && st != http.StatusNotModified {
			return
		}
		s.traffic.add(time.Now(), s.viewOf(c))
	}
}

func (s *Server) viewOf(c *gin.Context) view {
	var v view
	ua := c.Request.UserAgent()
	h := sha256.New()
	switch m := forum.MemberFrom(c.Request.Context()); {
	case m != nil:
		v.kind, v.human = forum.ViewMember, true
		h.Write([]byte("m" + strconv.FormatInt(m.ID, 10)))
	case crawlerAgent.MatchString(ua):
		v.kind = forum.ViewCrawler
	default:
		v.kind, v.human = forum.ViewAnonymous, true
		h.Write([]byte("a" + c.ClientIP() + "\x00" + ua))
	}
	if v.human {
		h.Sum(v.reader[:0])
	}
	switch c.FullPath() {
	case "/t/:id/:slug":
		v.thread, _ = strconv.ParseInt(c.Param("id"), 10, 64)
	case "/c/:slug":
		v.category = c.Param("slug")
	}
	if v.human {
		if d := s.referrerDomain(c.Request.Referer()); d != "" {
			v.referrer = d
			v.search = isSearchEngine(d)
		}
	}
	return v
}

// referrerDomain is the domain of a referrer from another site ("" for
// none, the forum itself or something that is no web address), without
// "www.".
func (s *Server) referrerDomain(ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || len(host) > 253 || (s.cfg.BaseURL != nil && strings.EqualFold(host, s.cfg.BaseURL.Hostname())) {
		return ""
	}
	return strings.TrimPrefix(host, "www.")
}

// FlushTraffic writes the views counted so far; on failure they are kept
// for the next flush.
func (s *Server) FlushTraffic(ctx context.Context) error {
	if st, err := s.db.Settings(ctx); err == nil {
		s.traffic.loc.Store(st.Location())
	}
	batches := s.traffic.take()
	if len(batches) == 0 {
		return nil
	}
	if err := s.db.FlushTraffic(ctx, batches...); err != nil {
		s.traffic.putBack(batches)
		return err
	}
	return nil
}

// RunTraffic writes the counted views every trafficFlushEvery until ctx
// ends, then once more (Main runs it with the background work, which
// stops after the HTTP server has drained its requests).
func (s *Server) RunTraffic(ctx context.Context) error {
	work := s.db.Work("traffic", s.log)
	flush := func(ctx context.Context) {
		if err := s.FlushTraffic(ctx); err != nil {
			work.Failed("writing page views", err)
		} else {
			work.Succeeded()
		}
	}
	if st, err := s.db.Settings(ctx); err == nil {
		s.traffic.loc.Store(st.Location())
	}
	tick := time.NewTicker(trafficFlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			flush(last)
			cancel()
			return nil
		case <-tick.C:
			flush(ctx)
		}
	}
}
