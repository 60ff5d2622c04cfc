package server

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palabre/palabre/forum/forumtest"
)

func TestMetricsExposeRequestsByRoutePattern(t *testing.T) {
	s := newTestServer(t)
	s.do(t, request{path: "/healthz"})
	s.do(t, request{path: "/static/nothing-here-123"})
	w := s.do(t, request{path: "/metrics", header: map[string]string{"Authorization": "Bearer " + testMetricsToken}})
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %s", w.Code, w.Header())
	}
	for _, want := range []string{
		`palabre_http_requests_total{method="GET",route="/healthz",status="200"}`,
		`palabre_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}`,
		`route="/static/*file",status="404"`,
		"palabre_db_open_connections ",
		"palabre_go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "nothing-here-123") {
		t.Error("raw paths leak into metric labels")
	}
}

// /metrics is not public: without the token, or with another, it is a 404
// like any unknown address; without PALABRE_METRICS_TOKEN it is closed.
func TestMetricsNeedTheirToken(t *testing.T) {
	s := newTestServer(t)
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer nope"}, {"Authorization": testMetricsToken}} {
		if w := s.do(t, request{path: "/metrics", header: h}); w.Code != 404 || strings.Contains(w.Body.String(), "palabre_") {
			t.Errorf("/metrics with %v: %d", h, w.Code)
		}
	}
	closed, err := New(Config{BaseURL: s.cfg.BaseURL, Listen: s.cfg.Listen, Locale: "fr", MaxBodyBytes: 4096}, forumtest.DB(t), s.log)
	if err != nil {
		t.Fatal(err)
	}
	if w := closed.do(t, request{path: "/metrics", header: map[string]string{"Authorization": "Bearer "}}); w.Code != 404 {
		t.Errorf("/metrics without a token configured, asked with an empty one: %d", w.Code)
	}
}

// promtool returns the path of Prometheus's promtool: PALABRE_PROMTOOL, or
// promtool on the PATH (scripts/test.sh installs Debian's prometheus
// package when it is missing).
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PALABRE_PROMTOOL"); p != "" {
		return p
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is needed to check /metrics: sudo apt-get install prometheus (or set PALABRE_PROMTOOL), or run make test, which installs it")
	}
	return p
}

// /metrics passes promtool's checks, and counts what was asked of this
// server, from its own registry.
func TestMetricsPassPromtoolAndCount(t *testing.T) {
	newTestServer(t)
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"PALABRE_METRICS_TOKEN": testMetricsToken}[k] }) // page cache on
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, forumtest.DB(t), testSrv.log)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s.do(t, request{path: "/healthz"})
	}
	s.do(t, request{path: "/static/nothing-here-456"})
	s.do(t, request{path: "/no-such-page-789"})
	s.do(t, request{path: "/?metrics-test"})
	s.do(t, request{path: "/?metrics-test"})
	w := s.do(t, request{path: "/metrics", header: map[string]string{"Accept-Encoding": "gzip", "Authorization": "Bearer " + testMetricsToken}})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %v", w.Code, w.Header())
	}
	body := w.Body.String()
	if w.Header().Get("Content-Encoding") == "gzip" {
		body = gunzip(t, w)
	}

	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	for _, want := range []string{
		`palabre_http_requests_total{method="GET",route="/healthz",status="200"} 3`,
		`palabre_http_request_duration_seconds_count{method="GET",route="/healthz"} 3`,
		`palabre_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 3`,
		`palabre_http_requests_total{method="GET",route="/static/*file",status="404"} 1`,
		`palabre_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`palabre_http_requests_total{method="GET",route="/",status="200"} 2`,
		"palabre_page_cache_misses_total 1",
		"palabre_page_cache_hits_total 1",
		"palabre_requests_waiting 0",
		"palabre_requests_turned_away_total 0",
	} {
		if !strings.Contains(body, "\n"+want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, name := range []string{"palabre_db_open_connections", "palabre_credential_cache_hits_total", "palabre_password_hashes_total", "palabre_password_hashes_refused_total",
		"palabre_go_goroutines",
		"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if !regexp.MustCompile(`(?m)^` + name + ` [0-9.e+]+$`).MatchString(body) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if strings.Contains(body, "no-such-page-789") || strings.Contains(body, "metrics-test") {
		t.Error("raw paths leak into metric labels")
	}

	// The server's registry is its own: nothing lands in the global one.
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "palabre_") {
			t.Errorf("%s is in the default registry", f.GetName())
		}
	}
}
