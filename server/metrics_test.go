package server

import (
	"strings"
	"testing"
)

func TestMetricsExposeRequestsByRoutePattern(t *testing.T) {
	s := newTestServer(t)
	s.do(t, request{path: "/healthz"})
	s.do(t, request{path: "/static/nothing-here-123"})
	w := s.do(t, request{path: "/metrics"})
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
