package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/palabre/palabre/forum"
)

// Config is the server's configuration, read once from the environment
// (PALABRE_*, each also readable from a file named by NAME_FILE) and
// validated before anything starts.
type Config struct {
	DatabaseURL string
	// ReplicaURL is a streaming replica's (PALABRE_DATABASE_REPLICA_URL),
	// for the read-only queries of pages (forum/replica.go); empty: none.
	// ReplicaMaxConns sizes its pool; ReplicaMaxLag is how far behind the
	// primary it may be before reads go to the primary.
	ReplicaURL      string
	ReplicaMaxConns int
	ReplicaMaxLag   time.Duration
	Listen          string
	BaseURL         *url.URL
	Locale          string
	LogFormat       string
	SMTPURL         *url.URL // nil: emails are logged, not sent
	TrustedProxies  []netip.Prefix
	DBMaxConns      int
	// MaxActive is how many requests are worked on at once, the others
	// waiting their turn in arrival order (admission.go); 0: no limit.
	MaxActive int
	DBWait    time.Duration
	// RequestTimeout bounds the work of a request once its turn came
	// (the database's connections and statements through its context);
	// past it, the answer is 503. Event streams are not bounded.
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
	MaxBodyBytes    int64
	PageCache       bool // cache anonymous pages in memory (invalidated through NOTIFY)
	// HashSlots is how many passwords are hashed at once (argon2id holds
	// 19 MiB each); HashWait how long a request waits for a slot before it
	// is answered 503 with Retry-After (forum.HashGate).
	HashSlots int
	HashWait  time.Duration
	// MemoryLimit is the Go runtime's soft memory limit (bytes) that
	// palabre serve sets (ApplyMemoryLimit); 0: the runtime's own.
	MemoryLimit int64
	// GCPercent is the collector's pacing palabre serve sets with it
	// (defaultGCPercent); 0: the runtime's own (GOGC, or 100).
	GCPercent int
	// WebhooksAllowPrivate lets webhooks send to loopback and private
	// addresses (PALABRE_WEBHOOKS_ALLOW_PRIVATE=1): for a receiver on the
	// forum's own network, and tests.
	WebhooksAllowPrivate bool
	// MetricsToken opens /metrics to scrapers that send it as a bearer
	// token (PALABRE_METRICS_TOKEN); without one, /metrics answers 404:
	// the metrics say how busy and how big the forum is.
	MetricsToken string
	// UploadsS3 is the S3-compatible object store that keeps uploads'
	// bytes (PALABRE_UPLOADS_S3_*); nil: PostgreSQL keeps them.
	UploadsS3 *forum.S3Config
}

// Secure reports whether the public URL is https (Secure cookies, HSTS).
func (c Config) Secure() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

// LoadConfig reads the configuration through getenv (os.Getenv in
// production). Every invalid variable is reported, each by name.
func LoadConfig(getenv func(string) string) (Config, error) {
	r := envReader{getenv: getenv}
	c := Config{
		DatabaseURL:          r.str("PALABRE_DATABASE_URL", ""),
		Listen:               r.str("PALABRE_LISTEN", "127.0.0.1:8080"),
		Locale:               r.oneOf("PALABRE_LOCALE", "fr", "fr", "en"),
		LogFormat:            r.oneOf("PALABRE_LOG_FORMAT", "text", "text", "json"),
		DBMaxConns:           r.integer("PALABRE_DB_MAX_CONNS", 16, 1, 1000),
		ReplicaURL:           r.str("PALABRE_DATABASE_REPLICA_URL", ""),
		ReplicaMaxConns:      r.integer("PALABRE_DB_REPLICA_MAX_CONNS", 16, 1, 1000),
		ReplicaMaxLag:        r.duration("PALABRE_DATABASE_REPLICA_MAX_LAG", forum.DefaultReplicaMaxLag),
		MaxActive:            r.integer("PALABRE_MAX_ACTIVE_REQUESTS", 8*runtime.GOMAXPROCS(0), 0, 100000),
		DBWait:               r.duration("PALABRE_DB_WAIT", 30*time.Second),
		RequestTimeout:       r.duration("PALABRE_REQUEST_TIMEOUT", 20*time.Second),
		ShutdownTimeout:      r.duration("PALABRE_SHUTDOWN_TIMEOUT", 15*time.Second),
		MaxBodyBytes:         int64(r.integer("PALABRE_MAX_BODY_BYTES", 1<<20, 1<<10, 1<<30)),
		PageCache:            r.oneOf("PALABRE_PAGE_CACHE", "on", "on", "off") == "on",
		WebhooksAllowPrivate: r.oneOf("PALABRE_WEBHOOKS_ALLOW_PRIVATE", "0", "0", "1") == "1",
		MetricsToken:         r.str("PALABRE_METRICS_TOKEN", ""),
		HashSlots:            r.integer("PALABRE_HASH_SLOTS", forum.DefaultHashSlots(), 1, 1000),
		HashWait:             r.duration("PALABRE_HASH_WAIT", forum.DefaultHashWait),
	}
	c.MemoryLimit = r.memoryLimit(c.HashSlots)
	c.GCPercent = r.gcPercent(c.MemoryLimit)
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		r.fail("PALABRE_LISTEN", c.Listen, "want host:port, for example 127.0.0.1:8080")
	}
	base := r.str("PALABRE_BASE_URL", "http://"+c.Listen)
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("PALABRE_BASE_URL", base, "want an absolute http:// or https:// URL")
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/")
		c.BaseURL = u
	}
	if s := r.str("PALABRE_SMTP_URL", ""); s != "" {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			r.fail("PALABRE_SMTP_URL", "(hidden)", "want smtp://user:pass@host:port")
		} else {
			c.SMTPURL = u
		}
	}
	c.UploadsS3 = r.uploadsS3()
	for _, s := range strings.FieldsFunc(r.str("PALABRE_TRUSTED_PROXIES", ""), func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			r.fail("PALABRE_TRUSTED_PROXIES", s, "want CIDRs such as 10.0.0.0/8, separated by commas")
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	return c, errors.Join(r.errs...)
}

// uploadsS3 reads the object store of uploads' bytes: on when
// PALABRE_UPLOADS_S3_ENDPOINT is set, which then needs a bucket and keys.
func (r *envReader) uploadsS3() *forum.S3Config {
	endpoint := r.str("PALABRE_UPLOADS_S3_ENDPOINT", "")
	if endpoint == "" {
		return nil
	}
	c := &forum.S3Config{
		Endpoint:        endpoint,
		Bucket:          r.str("PALABRE_UPLOADS_S3_BUCKET", ""),
		AccessKeyID:     r.str("PALABRE_UPLOADS_S3_ACCESS_KEY_ID", ""),
		SecretAccessKey: r.str("PALABRE_UPLOADS_S3_SECRET_ACCESS_KEY", ""),
		Region:          r.str("PALABRE_UPLOADS_S3_REGION", ""),
		PathStyle:       r.oneOf("PALABRE_UPLOADS_S3_PATH_STYLE", "0", "0", "1") == "1",
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		r.fail("PALABRE_UPLOADS_S3_ENDPOINT", endpoint, "want the store's http:// or https:// URL, without a path, for example https://s3.eu-west-3.amazonaws.com")
	}
	for name, v := range map[string]string{"PALABRE_UPLOADS_S3_BUCKET": c.Bucket,
		"PALABRE_UPLOADS_S3_ACCESS_KEY_ID": c.AccessKeyID, "PALABRE_UPLOADS_S3_SECRET_ACCESS_KEY": c.SecretAccessKey} {
		if v == "" {
			r.errs = append(r.errs, fmt.Errorf("%s is not set: PALABRE_UPLOADS_S3_ENDPOINT needs it", name))
		}
	}
	return c
}

// envReader reads variables and collects what is wrong with them.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (r *envReader) fail(name, value, want string) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: %s", name, value, want))
}

// str returns NAME, or the content of the file named by NAME_FILE.
func (r *envReader) str(name, def string) string {
	v, file := r.getenv(name), r.getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		r.errs = append(r.errs, fmt.Errorf("%s and %s_FILE are both set: keep one", name, name))
		return def
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s_FILE: %w", name, err))
			return def
		}
		return strings.TrimRight(string(b), "\r\n")
	case v != "":
		return v
	}
	return def
}

func (r *envReader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, v, "want one of "+strings.Join(allowed, ", "))
	return def
}

func (r *envReader) integer(name string, def, lo, hi int) int {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.fail(name, s, fmt.Sprintf("want a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (r *envReader) duration(name string, def time.Duration) time.Duration {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		r.fail(name, s, "want a duration such as 30s or 2m")
		return def
	}
	return d
}
