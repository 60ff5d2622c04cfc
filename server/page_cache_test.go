package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestAnonymousPagesAreCachedUntilContentChanges(t *testing.T) {
	newTestServer(t)
	db := forumtest.DB(t)
	cfg, err := LoadConfig(func(string) string { return "" })
	if err != nil || !cfg.PageCache {
		t.Fatalf("the page cache is not on by default: %v", err)
	}
	s, err := New(cfg, db, testSrv.log)
	if err != nil {
		t.Fatal(err)
	}
	first := forumtest.MustCategory(t, db)
	w := s.do(t, request{path: "/?cache-test"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), first.Name) {
		t.Fatalf("first render: %d", w.Code)
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a cached page")
	}
	// A change made behind the server's back (another instance) is not seen
	// until the notification arrives…
	second := forumtest.Unique("Catégorie cachée ")
	if _, err := db.SQL().Exec(`INSERT INTO categories (slug, name) VALUES ($1, $2)`, forum.Slugify(second), second); err != nil {
		t.Fatal(err)
	}
	w = s.do(t, request{path: "/?cache-test", header: map[string]string{"Accept-Encoding": "gzip"}})
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("ETag") != etag {
		t.Fatalf("second request was not served from the cache: %v", w.Header())
	}
	if w := s.do(t, request{path: "/?cache-test", header: map[string]string{"If-None-Match": etag}}); w.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", w.Code)
	}
	// …which the database's trigger sends on commit.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 10)
	ready := make(chan struct{})
	var inv forum.Invalidations
	inv.On(ChannelContent, func(p string) {
		select {
		case <-ready:
			s.pageCache.Drop()
			got <- struct{}{}
		default:
			close(ready)
		}
	})
	go func() {
		_ = db.Listen(ctx, s.log, &inv)
	}() // returns when the test ends
	<-ready
	db.SQL().MustExec(`UPDATE categories SET description = 'changée' WHERE id = $1`, first.ID)
	<-got
	w = s.do(t, request{path: "/?cache-test"})
	if !strings.Contains(w.Body.String(), second) {
		t.Error("the page was not rendered again after the notification")
	}
	// Public API reads are cached the same way, with their content type.
	w1 := s.do(t, request{path: "/api/v1/categories"})
	w2 := s.do(t, request{path: "/api/v1/categories"})
	if w2.Header().Get("ETag") == "" || w2.Header().Get("ETag") != w1.Header().Get("ETag") ||
		!strings.HasPrefix(w2.Header().Get("Content-Type"), "application/json") || w2.Body.String() != w1.Body.String() {
		t.Errorf("JSON not served from the cache: %v", w2.Header())
	}
	// Members never get the cached page.
	member := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if v, _ := db.RequiredGuidelinesVersion(context.Background()); v > 0 {
		if err := db.AcceptGuidelines(forumtest.As(member), v); err != nil {
			t.Fatal(err)
		}
	}
	w = s.do(t, request{path: "/?cache-test", header: bearer(t, db, member)})
	if !strings.Contains(w.Body.String(), member.Username) {
		t.Error("a member got the anonymous page")
	}
}

// The cache holds at most pageCacheBudget bytes, whatever the number of
// pages a crawler walks; a page stored again replaces its old size.
func TestPageCacheStaysWithinItsBudget(t *testing.T) {
	gin.SetMode(gin.TestMode)
	pc := newPageCache()
	body := []byte(strings.Repeat("<p>Un message assez long, et un autre, et encore un.</p>\n", 400)) // about 24 kB
	store := func(path string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Set(ctxCacheKey, "fr "+path)
		pc.store(c, http.StatusOK, body)
	}
	for i := range 3000 {
		store(fmt.Sprintf("/t/%d", i))
		if _, size := pc.Size(); size > pageCacheBudget {
			t.Fatalf("after %d pages the cache holds %d bytes, over its budget of %d", i+1, size, pageCacheBudget)
		}
	}
	if n, size := pc.Size(); n == 0 || size == 0 {
		t.Fatal("the cache kept nothing")
	}
	_, before := pc.Size()
	store("/t/2999")
	if _, after := pc.Size(); after != before {
		t.Errorf("storing a page again changed the size from %d to %d", before, after)
	}
}

// A page rendered from what was read before a notification is not kept
// after it: the generation is the one the request began with.
func TestPageCacheKeepsNoPageReadBeforeANotification(t *testing.T) {
	gin.SetMode(gin.TestMode)
	pc := newPageCache()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Set(ctxCacheKey, "fr /")
	c.Set(ctxCacheGeneration, pc.Generation())
	pc.Drop() // the notification arrives while the page is rendered
	pc.store(c, http.StatusOK, []byte("<p>avant</p>"))
	if n, _ := pc.Size(); n != 0 {
		t.Error("a page read before the notification was kept after it")
	}
}
