package server

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// durationBuckets are the upper bounds, in seconds, of the request-duration
// histogram.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metrics counts what /metrics exposes in the Prometheus text format. It is
// written by hand: a few counters do not justify a dependency tree.
type metrics struct {
	mu       sync.Mutex
	requests map[routeStatus]*routeStats

	pageCacheHits   atomic.Uint64
	pageCacheMisses atomic.Uint64
	waiting         atomic.Int64  // requests waiting their turn (admission.go)
	turnedAway      atomic.Uint64 // requests that waited too long
}

type routeStatus struct {
	method, route string
	status        int
}

type routeStats struct {
	count   uint64
	sum     float64
	buckets []uint64
}

func newMetrics() *metrics { return &metrics{requests: map[routeStatus]*routeStats{}} }

// observe records one request under its route pattern (never the raw path,
// which would let clients create unbounded series).
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := routeStatus{method, route, status}
	secs := d.Seconds()
	m.mu.Lock()
	st := m.requests[k]
	if st == nil {
		st = &routeStats{buckets: make([]uint64, len(durationBuckets))}
		m.requests[k] = st
	}
	st.count++
	st.sum += secs
	for i, b := range durationBuckets {
		if secs <= b {
			st.buckets[i]++
		}
	}
	m.mu.Unlock()
}

// countRequests is the middleware feeding the request metrics.
func (s *Server) countRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.metrics.observe(c.Request.Method, c.FullPath(), c.Writer.Status(), time.Since(start))
	}
}

// serveMetrics answers /metrics.
func (s *Server) serveMetrics(c *gin.Context) {
	w := c.Writer
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)

	s.metrics.mu.Lock()
	keys := make([]routeStatus, 0, len(s.metrics.requests))
	for k := range s.metrics.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.status < b.status
	})
	fmt.Fprintln(w, "# HELP palabre_http_requests_total HTTP requests answered, by route pattern and status.")
	fmt.Fprintln(w, "# TYPE palabre_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "palabre_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, s.metrics.requests[k].count)
	}
	fmt.Fprintln(w, "# HELP palabre_http_request_duration_seconds Time to answer HTTP requests, by route pattern.")
	fmt.Fprintln(w, "# TYPE palabre_http_request_duration_seconds histogram")
	type agg struct {
		count   uint64
		sum     float64
		buckets []uint64
	}
	byRoute := map[[2]string]*agg{}
	var routes [][2]string
	for _, k := range keys {
		st := s.metrics.requests[k]
		rk := [2]string{k.method, k.route}
		a := byRoute[rk]
		if a == nil {
			a = &agg{buckets: make([]uint64, len(durationBuckets))}
			byRoute[rk] = a
			routes = append(routes, rk)
		}
		a.count += st.count
		a.sum += st.sum
		for i := range st.buckets {
			a.buckets[i] += st.buckets[i]
		}
	}
	for _, rk := range routes {
		a := byRoute[rk]
		for i, b := range durationBuckets {
			fmt.Fprintf(w, "palabre_http_request_duration_seconds_bucket{method=%q,route=%q,le=%q} %d\n", rk[0], rk[1], strconv.FormatFloat(b, 'g', -1, 64), a.buckets[i])
		}
		fmt.Fprintf(w, "palabre_http_request_duration_seconds_bucket{method=%q,route=%q,le=\"+Inf\"} %d\n", rk[0], rk[1], a.count)
		fmt.Fprintf(w, "palabre_http_request_duration_seconds_sum{method=%q,route=%q} %g\n", rk[0], rk[1], a.sum)
		fmt.Fprintf(w, "palabre_http_request_duration_seconds_count{method=%q,route=%q} %d\n", rk[0], rk[1], a.count)
	}
	s.metrics.mu.Unlock()

	db := s.db.Stats()
	credHits, credMisses := s.db.CredentialCacheStats()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	for _, g := range []struct {
		name, help, kind string
		value            float64
	}{
		{"palabre_page_cache_hits_total", "Anonymous pages served from the cache.", "counter", float64(s.metrics.pageCacheHits.Load())},
		{"palabre_page_cache_misses_total", "Anonymous pages rendered because the cache had none.", "counter", float64(s.metrics.pageCacheMisses.Load())},
		{"palabre_credential_cache_hits_total", "Members' requests authenticated from memory.", "counter", float64(credHits)},
		{"palabre_credential_cache_misses_total", "Members' requests whose session or token was read from the database.", "counter", float64(credMisses)},
		{"palabre_requests_waiting", "Requests waiting for their turn (PALABRE_MAX_ACTIVE_REQUESTS).", "gauge", float64(s.metrics.waiting.Load())},
		{"palabre_requests_turned_away_total", "Requests answered 503 after waiting too long for their turn.", "counter", float64(s.metrics.turnedAway.Load())},
		{"palabre_db_open_connections", "Connections open to PostgreSQL.", "gauge", float64(db.OpenConnections)},
		{"palabre_db_in_use_connections", "Connections in use.", "gauge", float64(db.InUse)},
		{"palabre_db_idle_connections", "Idle connections.", "gauge", float64(db.Idle)},
		{"palabre_db_wait_count_total", "Times a request waited for a free connection.", "counter", float64(db.WaitCount)},
		{"palabre_db_wait_seconds_total", "Time spent waiting for a free connection.", "counter", db.WaitDuration.Seconds()},
		{"palabre_go_goroutines", "Goroutines.", "gauge", float64(runtime.NumGoroutine())},
		{"palabre_go_heap_alloc_bytes", "Bytes of allocated heap objects.", "gauge", float64(mem.HeapAlloc)},
		{"palabre_go_sys_bytes", "Bytes obtained from the system.", "gauge", float64(mem.Sys)},
		{"palabre_go_gc_cycles_total", "Completed GC cycles.", "counter", float64(mem.NumGC)},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", g.name, g.help, g.name, g.kind, g.name, g.value)
	}
}
