package server

import (
	"testing"
	"time"
)

// BenchmarkMetricsObserve is what counting one request costs (every request
// pays it, cached pages included).
func BenchmarkMetricsObserve(b *testing.B) {
	m := newMetrics()
	b.ReportAllocs()
	for b.Loop() {
		m.observe("GET", "/t/:id/:slug", 200, 3*time.Millisecond)
	}
}
