package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
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

// /metrics counts the pipeline's verdicts by outcome, rule and action, and
// shows the community's figures: the review queue, the outbox, webhook
// deliveries, sign-ups and posts.
func TestMetricsCountVerdictsAndTheCommunity(t *testing.T) {
	newTestServer(t)
	db := forumtest.DB(t)
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"PALABRE_METRICS_TOKEN": testMetricsToken}[k] })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, testSrv.log) // its own counters
	if err != nil {
		t.Fatal(err)
	}
	sys := forum.WithSystem(context.Background())
	block, hold := forumtest.Unique("zmetb"), forumtest.Unique("zmeth")
	rules := map[string]*moderation.Rule{}
	for word, action := range map[string]string{block: moderation.ActionBlock, hold: moderation.ActionHold} {
		r, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Règle métrique "), Description: "Soyez courtois.",
			Kind: moderation.KindWords, Action: action, Patterns: []string{word}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.pipeline.DeleteRule(sys, r.ID) })
		rules[action] = r
	}
	cat := forumtest.MustCategory(t, db)
	h := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	for _, c := range []struct {
		body string
		code int
	}{{"Un texte tout à fait correct.", 201}, {"Quel " + hold + " !", 202}, {"Quel " + block + " !", 422}, {"Quel " + block + " encore !", 422}} {
		w := s.do(t, request{method: "POST", path: "/api/v1/threads", header: h,
			body: fmt.Sprintf(`{"category_id": %d, "title": "Un titre correct", "body": %q}`, cat.ID, c.body)})
		if w.Code != c.code {
			t.Fatalf("%q: %d %s", c.body, w.Code, w.Body)
		}
	}
	var pending, members, posts int64
	if err := db.SQL().QueryRow(`SELECT (SELECT count(*) FROM review_items WHERE status = 'pending'), (SELECT max(id) FROM members), (SELECT max(id) FROM posts)`).
		Scan(&pending, &members, &posts); err != nil {
		t.Fatal(err)
	}
	w := s.do(t, request{path: "/metrics", header: map[string]string{"Authorization": "Bearer " + testMetricsToken}})
	body := w.Body.String()
	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	series := func(r *moderation.Rule, outcome, action string) string {
		return fmt.Sprintf(`palabre_verdicts_total{action=%q,outcome=%q,rule=%q,rule_id="%d"}`, action, outcome, r.Name, r.ID)
	}
	for _, want := range []string{
		`palabre_verdicts_total{action="",outcome="publish",rule="",rule_id=""} 1`,
		series(rules[moderation.ActionHold], "hold", moderation.ActionHold) + " 1",
		series(rules[moderation.ActionBlock], "reject", moderation.ActionBlock) + " 2",
		fmt.Sprintf("palabre_review_queue_pending %d", pending),
		fmt.Sprintf("palabre_members_created_total %d", members),
		fmt.Sprintf("palabre_posts_created_total %d", posts),
	} {
		if !strings.Contains(body, "\n"+want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, name := range []string{"palabre_review_queue_oldest_seconds", "palabre_mail_outbox_pending", "palabre_mail_outbox_oldest_seconds",
		"palabre_mail_failed", "palabre_webhook_deliveries_failed", "palabre_webhook_deliveries_pending"} {
		if !regexp.MustCompile(`(?m)^` + name + ` [0-9.e+]+$`).MatchString(body) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
