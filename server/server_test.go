package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestMain(m *testing.M) { forumtest.Main(m) }

var (
	testSrvOnce sync.Once
	testSrv     *Server
)

// testMetricsToken opens /metrics on the test server.
const testMetricsToken = "jeton-de-metriques-0123456789"

// newTestServer returns the real server (real engine, middleware, templates)
// over the package's test database.
func newTestServer(t testing.TB) *Server {
	t.Helper()
	db := forumtest.DB(t)
	testSrvOnce.Do(func() {
		cfg, err := LoadConfig(func(k string) string {
			// The page cache is tested on its own server: here every
			// request must see what the test just wrote.
			return map[string]string{"PALABRE_MAX_BODY_BYTES": "4096", "PALABRE_PAGE_CACHE": "off", "PALABRE_METRICS_TOKEN": testMetricsToken}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		// A route that panics, to test recovery.
		s.engine.GET("/test-panic", func(*gin.Context) { panic("secret internal detail") })
		// A status without a body, to test compression.
		s.engine.GET("/test-see-other", func(c *gin.Context) {
			c.Header("Location", "/")
			c.Status(http.StatusSeeOther)
		})
		// An answer written in many small pieces, to test compression.
		s.engine.GET("/test-chunks", func(c *gin.Context) {
			c.Header("Content-Type", "text/plain; charset=utf-8")
			c.Status(http.StatusAccepted)
			for i := range 100 {
				fmt.Fprintf(c.Writer, "line %03d of an answer written piece by piece\n", i)
			}
		})
		testSrv = s
	})
	if testSrv == nil {
		t.Fatal("test server failed to start")
	}
	return testSrv
}

type request struct {
	method, path, body string
	header             map[string]string
}

func (s *Server) do(t testing.TB, r request) *httptest.ResponseRecorder {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

func bearer(t testing.TB, db *forum.DB, m *forum.Member) map[string]string {
	t.Helper()
	token, err := db.CreateAPIToken(forum.WithSystem(context.Background()), m.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) apiErrorBody {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an API error body: %s", w.Body.String())
	}
	return e.Error
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/", "/nowhere", "/api/v1/categories", "/healthz"} {
		w := s.do(t, request{path: path})
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin-when-cross-origin"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
		if h.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", path)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS on an http base URL", path)
		}
	}
}

func TestErrorsAreJSONUnderAPIAndPagesElsewhere(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{path: "/api/v1/nowhere"})
	if w.Code != 404 || decodeError(t, w).Code != forum.ENOTFOUND {
		t.Errorf("API 404: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/nowhere", header: map[string]string{"Accept-Language": "en"}})
	if w.Code != 404 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(w.Body.String(), "This page does not exist") {
		t.Errorf("HTML 404: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/nowhere", header: map[string]string{"Accept-Language": "fr-CA,fr;q=0.9"}})
	if !strings.Contains(w.Body.String(), "Cette page n’existe pas") {
		t.Errorf("French 404 page: %s", w.Body)
	}
}

func TestPanicsBecomeA500ThatLeaksNothing(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{path: "/test-panic"})
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "secret internal detail") || strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("the 500 page leaks internals: %s", w.Body)
	}
}

func TestRequestBodiesAreLimited(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	big := `{"name": "` + strings.Repeat("a", 5000) + `"}`
	w := s.do(t, request{method: "POST", path: "/api/v1/categories", body: big, header: bearer(t, db, admin)})
	if w.Code != http.StatusRequestEntityTooLarge || decodeError(t, w).Code != forum.ETOOLARGE {
		t.Errorf("oversized body: %d %s", w.Code, w.Body)
	}
}

func TestCreateCategoryThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	name := forumtest.Unique("Entraide ")

	cases := []struct {
		label  string
		header map[string]string
		body   string
		status int
		code   string
	}{
		{"anonymous", nil, `{"name": "x"}`, 401, forum.EUNAUTHORIZED},
		{"bad token", map[string]string{"Authorization": "Bearer plb_nope"}, `{"name": "x"}`, 401, forum.EUNAUTHORIZED},
		{"member", bearer(t, db, member), `{"name": "x"}`, 403, forum.EFORBIDDEN},
		{"invalid JSON", bearer(t, db, admin), `{"name": `, 400, forum.EINVALID},
		{"unknown field", bearer(t, db, admin), `{"name": "x", "colour": "red"}`, 400, forum.EINVALID},
		{"empty name", bearer(t, db, admin), `{"name": "  "}`, 400, forum.EINVALID},
		{"admin", bearer(t, db, admin), `{"name": "` + name + `", "description": "On s’entraide"}`, 201, ""},
		{"duplicate", bearer(t, db, admin), `{"name": "` + name + `"}`, 409, forum.ECONFLICT},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			w := s.do(t, request{method: "POST", path: "/api/v1/categories", body: c.body, header: c.header})
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.code != "" && decodeError(t, w).Code != c.code {
				t.Errorf("code %s, want %s", decodeError(t, w).Code, c.code)
			}
		})
	}

	w := s.do(t, request{path: "/api/v1/categories"})
	var got struct{ Categories []forum.Category }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range got.Categories {
		found = found || c.Name == name
	}
	if w.Code != 200 || !found {
		t.Errorf("GET /api/v1/categories lacks %q: %s", name, w.Body)
	}
}

// The refusal is the usual error answer: JSON under /api/, the error page
// elsewhere, with the security headers (issue 19: it was net/http's plain
// text without them).
func TestCrossOriginCookieWritesAreRefused(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{method: "POST", path: "/api/v1/categories", body: `{"name":"x"}`,
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
	if w.Code != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", w.Code)
	}
	if e := decodeError(t, w); e.Code != forum.EFORBIDDEN || e.Message != "Cette requête vient d’un autre site : elle est refusée." {
		t.Errorf("cross-site POST under /api: %+v", e)
	}
	page := s.do(t, request{method: "POST", path: "/logout",
		header: map[string]string{"Origin": "https://evil.example", "Accept-Language": "en"}})
	if page.Code != http.StatusForbidden || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(page.Body.String(), "This request comes from another site") || !strings.Contains(page.Body.String(), "</html>") {
		t.Errorf("cross-origin POST /logout: %d %s %s", page.Code, page.Header().Get("Content-Type"), page.Body)
	}
	for _, w := range []*httptest.ResponseRecorder{w, page} {
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") || w.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("the refusal lacks the security headers: %v", w.Header())
		}
	}
}

// HEAD answers like GET, without the body, on pages, probes, the API and
// assets (issue 19: 405 on pages and /healthz).
func TestHeadAnswersLikeGetOnEveryGetRoute(t *testing.T) {
	s := newTestServer(t)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	asset, err := s.assets.URL("css/palabre.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/healthz", "/readyz", "/latest", "/guidelines", "/api/v1/categories", "/api/v1/openapi.json", asset, "/nowhere"} {
		get, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		head, err := http.Head(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(head.Body)
		head.Body.Close()
		if head.StatusCode != get.StatusCode || len(body) != 0 || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q (%d bytes), GET: %d %q", path, head.StatusCode, head.Header.Get("Content-Type"), len(body), get.StatusCode, get.Header.Get("Content-Type"))
		}
	}
	if resp, err := http.Head(ts.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /healthz: %v %v", resp, err)
	}
}

func TestStaticAssetsAreHashedAndCachedForever(t *testing.T) {
	s := newTestServer(t)
	url, err := s.assets.URL("css/palabre.css")
	if err != nil {
		t.Fatal(err)
	}
	w := s.do(t, request{path: url, header: map[string]string{"Accept-Encoding": "gzip"}})
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" ||
		!strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("asset: %d %v", w.Code, w.Header())
	}
	etag := w.Header().Get("ETag")
	w = s.do(t, request{path: url, header: map[string]string{"If-None-Match": etag}})
	if w.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", w.Code)
	}
	if w := s.do(t, request{path: "/static/css/palabre.css"}); w.Code != 404 {
		t.Errorf("unhashed URL: %d, want 404", w.Code)
	}
	if _, err := s.assets.URL("css/missing.css"); err == nil {
		t.Error("URL of a missing asset did not fail")
	}
}

func TestReadyzChecksDatabaseAndSchema(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{path: "/readyz"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"ready":true`) {
		t.Errorf("readyz: %d %s", w.Code, w.Body)
	}
}

func TestHomeListsCategoriesInTheReadersLanguage(t *testing.T) {
	s := newTestServer(t)
	c := forumtest.MustCategory(t, forumtest.DB(t))
	w := s.do(t, request{path: "/", header: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}})
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, c.Name) || !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Categories") {
		t.Errorf("home: %d %s", w.Code, body)
	}
	w = s.do(t, request{path: "/"})
	if !strings.Contains(w.Body.String(), `<html lang="fr">`) || !strings.Contains(w.Body.String(), "Catégories") {
		t.Errorf("home in the default language: %s", w.Body)
	}
}

// Every /api/v1 route is described in the OpenAPI document, with its method.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{path: "/api/v1/openapi.json"})
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.OpenAPI == "" {
		t.Fatalf("openapi.json: %v %s", err, w.Body)
	}
	n := 0
	for _, r := range s.engine.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/openapi.json" {
			continue
		}
		n++
		// Gin writes :id where OpenAPI writes {id}.
		p := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is not in the OpenAPI document", r.Method, p)
		}
	}
	if n == 0 {
		t.Fatal("no API route found")
	}
}

func TestPagesAreCompressedForClientsThatAcceptIt(t *testing.T) {
	s := newTestServer(t)
	for i := 0; i < 3; i++ {
		forumtest.MustCategory(t, forumtest.DB(t)) // enough content to pass the threshold
	}
	w := s.do(t, request{path: "/", header: map[string]string{"Accept-Encoding": "gzip, deflate"}})
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("home: %d %v", w.Code, w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(html), "</html>") {
		t.Errorf("the gzipped page does not decode: %v", err)
	}
	if w := s.do(t, request{path: "/"}); w.Header().Get("Content-Encoding") != "" || !strings.Contains(w.Body.String(), "</html>") {
		t.Errorf("a client without gzip got %q", w.Header().Get("Content-Encoding"))
	}
	if w := s.do(t, request{path: "/healthz", header: map[string]string{"Accept-Encoding": "gzip"}}); w.Header().Get("Content-Encoding") != "" {
		t.Error("a 3-byte answer was compressed")
	}
}

func TestVisitorsSwitchLanguage(t *testing.T) {
	s := newTestServer(t)
	w := s.do(t, request{path: "/lang/en?next=/guidelines"})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/guidelines" {
		t.Fatalf("switching: %d %v", w.Code, w.Header())
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || ck[0].Name != "lang" || ck[0].Value != "en" || !ck[0].HttpOnly {
		t.Fatalf("cookie: %v", ck)
	}
	w = s.do(t, request{path: "/", header: map[string]string{"Cookie": "lang=en", "Accept-Language": "fr"}})
	if !strings.Contains(w.Body.String(), `<html lang="en">`) || !strings.Contains(w.Body.String(), `href="/lang/fr"`) {
		t.Errorf("the cookie's language was not used")
	}
	if w := s.do(t, request{path: "/lang/de"}); w.Code != 404 {
		t.Errorf("unknown language: %d", w.Code)
	}
	if w := s.do(t, request{path: "/lang/fr?next=//evil.example"}); w.Header().Get("Location") != "/" {
		t.Errorf("foreign redirect: %v", w.Header().Get("Location"))
	}
	// Without ?next=, back to the page the visitor came from on this site.
	w = s.do(t, request{path: "/lang/fr", header: map[string]string{"Referer": "http://example.com/c/entraide?after=x"}})
	if w.Header().Get("Location") != "/c/entraide?after=x" {
		t.Errorf("back to the referring page: %v", w.Header().Get("Location"))
	}
	w = s.do(t, request{path: "/lang/fr", header: map[string]string{"Referer": "https://evil.example/x"}})
	if w.Header().Get("Location") != "/" {
		t.Errorf("back to a foreign referrer: %v", w.Header().Get("Location"))
	}
}

// The site's name and language are settings: a change shows on the pages.
func TestSiteNameAndLanguageSettingsShowOnPages(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	set := func(patch string) {
		t.Helper()
		var p map[string]json.RawMessage
		if err := json.Unmarshal([]byte(patch), &p); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateSettings(forumtest.As(admin), p); err != nil {
			t.Fatal(err)
		}
	}
	set(`{"site_name": "Les Jardiniers", "locale": "en"}`)
	t.Cleanup(func() { set(`{"site_name": "Palabre", "locale": ""}`) })
	w := s.do(t, request{path: "/"})
	body := w.Body.String()
	if !strings.Contains(body, "<title>Les Jardiniers</title>") || !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("home after the settings changed:\n%.400s", body)
	}
	// A reader's browser language still comes first.
	if w := s.do(t, request{path: "/", header: map[string]string{"Accept-Language": "fr"}}); !strings.Contains(w.Body.String(), `<html lang="fr">`) {
		t.Error("Accept-Language: fr was not honoured")
	}
}

// listenAsMain runs the database's listener for the storage's caches and
// the servers', as Main does, until the test ends; it returns once the
// listener hears every channel.
func listenAsMain(t testing.TB, db *forum.DB, servers ...*Server) {
	t.Helper()
	var inv forum.Invalidations
	db.RegisterCaches(&inv)
	for _, s := range servers {
		s.RegisterCaches(&inv)
	}
	up := make(chan struct{})
	var once sync.Once
	inv.OnListening(func(ok bool) {
		if ok {
			once.Do(func() { close(up) })
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	listened := make(chan error, 1)
	go func() { listened <- db.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), &inv) }()
	t.Cleanup(func() {
		cancel()
		if err := <-listened; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-up:
	case err := <-listened:
		t.Fatalf("the listener stopped: %v", err)
	}
}
