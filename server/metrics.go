package server

import (
	"context"
	"crypto/subtle"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// durationBuckets are the upper bounds, in seconds, of the request-duration
// histogram.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metrics is what /metrics exposes, with prometheus/client_golang, from a
// registry of the server's own (never the global default one: each Server,
// tests' included, counts for itself). Besides Palabre's series, the
// standard Go (go_*) and process (process_*) collectors.
type seriesKey struct {
	method, route string
	status        int
}

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec   // method, route, status
	duration *prometheus.HistogramVec // method, route
	verdicts *prometheus.CounterVec   // outcome, rule_id, rule, action

	// series keeps the children of requests and duration by key: the
	// vectors' own lookup (hashing the label values) cost several times
	// what the counting does, on every request.
	mu     sync.RWMutex
	series map[seriesKey]requestSeries

	// Counted on hot paths with atomics, read at each scrape.
	pageCacheHits   atomic.Uint64
	pageCacheMisses atomic.Uint64
	waiting         atomic.Int64  // requests waiting their turn (admission.go)
	turnedAway      atomic.Uint64 // requests that waited too long
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		series:   map[seriesKey]requestSeries{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palabre_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "palabre_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern.",
			Buckets: durationBuckets,
		}, []string{"method", "route"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palabre_verdicts_total",
			Help: "Texts submitted through the moderation pipeline (threads, replies, edits, messages), by outcome and by the rule that hit them and its action (rule and action empty when none did; a text hit by two rules counts under each).",
		}, []string{"outcome", "rule_id", "rule", "action"}),
	}
	counter := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, v)
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.verdicts,
		counter("palabre_page_cache_hits_total", "Anonymous pages served from the cache.",
			func() float64 { return float64(m.pageCacheHits.Load()) }),
		counter("palabre_page_cache_misses_total", "Anonymous pages rendered because the cache had none.",
			func() float64 { return float64(m.pageCacheMisses.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "palabre_requests_waiting", Help: "Requests waiting for their turn (PALABRE_MAX_ACTIVE_REQUESTS)."},
			func() float64 { return float64(m.waiting.Load()) }),
		counter("palabre_requests_turned_away_total", "Requests answered 503 after waiting too long for their turn.",
			func() float64 { return float64(m.turnedAway.Load()) }),
	)
	return m
}

// countVerdict is the pipeline's VerdictObserver.
func (m *metrics) countVerdict(outcome string, hits []moderation.VerdictHit) {
	if len(hits) == 0 {
		m.verdicts.WithLabelValues(outcome, "", "", "").Inc()
		return
	}
	for _, h := range hits {
		m.verdicts.WithLabelValues(outcome, strconv.FormatInt(h.RuleID, 10), h.Rule, h.Action).Inc()
	}
}

// observe records one request under its route pattern (never the raw path,
// which would let clients create unbounded series).
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := seriesKey{method, route, status}
	m.mu.RLock()
	rs, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		code := strconv.Itoa(status)
		rs = requestSeries{m.requests.WithLabelValues(method, route, code), m.duration.WithLabelValues(method, route)}
		m.mu.Lock()
		m.series[k] = rs
		m.mu.Unlock()
	}
	rs.count.Inc()
	rs.duration.Observe(d.Seconds())
}

// countRequests is the middleware feeding the request metrics.
func (s *Server) countRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.metrics.observe(c.Request.Method, c.FullPath(), c.Writer.Status(), time.Since(start))
	}
}

// serveMetrics answers /metrics, in the format the scraper asks for (the
// text format by default), to a scraper that sends PALABRE_METRICS_TOKEN as
// a bearer token; without a token configured, or with another, it is the
// 404 page of any unknown address. The compression middleware compresses it.
func (s *Server) serveMetrics() gin.HandlerFunc {
	h := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{DisableCompression: true})
	want := []byte("Bearer " + s.cfg.MetricsToken)
	return func(c *gin.Context) {
		got := []byte(c.GetHeader("Authorization"))
		if s.cfg.MetricsToken == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			s.notFoundHandler(c)
			return
		}
		c.Header("Cache-Control", "no-store")
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// statsCollector reads, at each scrape, what the database pool, the
// credential cache, the password hashing gate and the Go runtime count.
type statsCollector struct {
	db *forum.DB
}

type statDesc struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

func stat(name, help string, kind prometheus.ValueType) statDesc {
	return statDesc{prometheus.NewDesc(name, help, nil, nil), kind}
}

// The order of statDescs is the order of the values in Collect.
var statDescs = []statDesc{
	stat("palabre_credential_cache_hits_total", "Members' requests authenticated from memory.", prometheus.CounterValue),
	stat("palabre_credential_cache_misses_total", "Members' requests whose session or token was read from the database.", prometheus.CounterValue),
	stat("palabre_password_hashes_total", "Password hashes computed (log-ins, sign-ups, password changes).", prometheus.CounterValue),
	stat("palabre_password_hashes_refused_total", "Requests refused because every hashing slot stayed busy.", prometheus.CounterValue),
	stat("palabre_db_open_connections", "Connections open to PostgreSQL.", prometheus.GaugeValue),
	stat("palabre_db_in_use_connections", "Connections in use.", prometheus.GaugeValue),
	stat("palabre_db_idle_connections", "Idle connections.", prometheus.GaugeValue),
	stat("palabre_db_wait_count_total", "Times a request waited for a free connection.", prometheus.CounterValue),
	stat("palabre_db_wait_seconds_total", "Time spent waiting for a free connection.", prometheus.CounterValue),
	// Kept beside go_* for the dashboards that read them.
	stat("palabre_go_goroutines", "Goroutines.", prometheus.GaugeValue),
	stat("palabre_go_heap_alloc_bytes", "Bytes of allocated heap objects.", prometheus.GaugeValue),
	stat("palabre_go_sys_bytes", "Bytes obtained from the system.", prometheus.GaugeValue),
	stat("palabre_go_gc_cycles_total", "Completed GC cycles.", prometheus.CounterValue),
}

// domainDescs are the community's figures (forum.DomainStats), in the
// order of the values in Collect.
var domainDescs = []statDesc{
	stat("palabre_review_queue_pending", "Review items waiting for a moderator.", prometheus.GaugeValue),
	stat("palabre_review_queue_oldest_seconds", "Age of the oldest review item waiting (0 when none).", prometheus.GaugeValue),
	stat("palabre_mail_outbox_pending", "Mails waiting to be sent (or tried again).", prometheus.GaugeValue),
	stat("palabre_mail_outbox_oldest_seconds", "Age of the oldest mail waiting (0 when none).", prometheus.GaugeValue),
	stat("palabre_mail_failed", "Mails given up in the last 7 days (refused for good, or too many failed attempts).", prometheus.GaugeValue),
	stat("palabre_webhook_deliveries_failed", "Webhook deliveries given up, in the 30-day delivery log.", prometheus.GaugeValue),
	stat("palabre_webhook_deliveries_pending", "Webhook deliveries waiting or being tried again.", prometheus.GaugeValue),
	stat("palabre_members_created_total", "Accounts created (sign-ups and accounts made by admins), deleted ones included.", prometheus.CounterValue),
	stat("palabre_posts_created_total", "Posts stored (threads' first posts and replies, held ones included).", prometheus.CounterValue),
}

// The read replica's figures (forum/replica.go), collected only when one
// is configured.
var (
	replicaUpDesc = prometheus.NewDesc("palabre_db_replica_up",
		"1 when the read replica answers (as last probed), else 0.", nil, nil)
	replicaLagDesc = prometheus.NewDesc("palabre_db_replica_lag_seconds",
		"How far the read replica's replay is behind what it received (0 when it is up to date).", nil, nil)
	replicaReadsDesc = prometheus.NewDesc("palabre_db_replica_reads_total",
		"Page reads that went to the read replica.", nil, nil)
	replicaFallbacksDesc = prometheus.NewDesc("palabre_db_replica_fallbacks_total",
		"Page reads that could have gone to the read replica but went to the primary, by reason: unavailable, lagging (past PALABRE_DATABASE_REPLICA_MAX_LAG), own_writes (the reader's last write not yet replayed).", []string{"reason"}, nil)
	replicaConnsDesc = prometheus.NewDesc("palabre_db_replica_open_connections",
		"Connections open to the read replica.", nil, nil)
)

func (sc statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range statDescs {
		ch <- d.desc
	}
	for _, d := range []*prometheus.Desc{replicaUpDesc, replicaLagDesc, replicaReadsDesc, replicaFallbacksDesc, replicaConnsDesc} {
		ch <- d
	}
	for _, d := range domainDescs {
		ch <- d.desc
	}
}

func (sc statsCollector) Collect(ch chan<- prometheus.Metric) {
	db := sc.db.PoolStats()
	credHits, credMisses := sc.db.CredentialCacheStats()
	gate := sc.db.HashGate()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	for i, v := range []float64{
		float64(credHits), float64(credMisses),
		float64(gate.Checked()), float64(gate.Refused()),
		float64(db.OpenConnections), float64(db.InUse), float64(db.Idle), float64(db.WaitCount), db.WaitDuration.Seconds(),
		float64(runtime.NumGoroutine()), float64(mem.HeapAlloc), float64(mem.Sys), float64(mem.NumGC),
	} {
		ch <- prometheus.MustNewConstMetric(statDescs[i].desc, statDescs[i].kind, v)
	}
	if r := sc.db.ReplicaStats(); r.Configured {
		up := 0.0
		if r.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaUpDesc, prometheus.GaugeValue, up)
		ch <- prometheus.MustNewConstMetric(replicaLagDesc, prometheus.GaugeValue, r.Lag.Seconds())
		ch <- prometheus.MustNewConstMetric(replicaReadsDesc, prometheus.CounterValue, float64(r.Reads))
		ch <- prometheus.MustNewConstMetric(replicaFallbacksDesc, prometheus.CounterValue, float64(r.Unavailable), "unavailable")
		ch <- prometheus.MustNewConstMetric(replicaFallbacksDesc, prometheus.CounterValue, float64(r.Lagging), "lagging")
		ch <- prometheus.MustNewConstMetric(replicaFallbacksDesc, prometheus.CounterValue, float64(r.OwnWrites), "own_writes")
		ch <- prometheus.MustNewConstMetric(replicaConnsDesc, prometheus.GaugeValue, float64(r.Conns.OpenConnections))
	}
	// The community's figures: one query; when the database does not
	// answer, they are left out of this scrape (and the error shows).
	ds, err := sc.db.DomainStats(forum.WithSystem(context.Background()))
	if err != nil {
		for _, d := range domainDescs {
			ch <- prometheus.NewInvalidMetric(d.desc, err)
		}
		return
	}
	for i, v := range []float64{
		float64(ds.QueuePending), ds.QueueOldestSeconds, float64(ds.OutboxPending), ds.OutboxOldestSeconds,
		float64(ds.MailFailed), float64(ds.WebhooksFailed), float64(ds.WebhooksPending),
		float64(ds.Members), float64(ds.Posts),
	} {
		ch <- prometheus.MustNewConstMetric(domainDescs[i].desc, domainDescs[i].kind, v)
	}
}
