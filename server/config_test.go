package server

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.BaseURL.String() != "http://127.0.0.1:8080" || c.Locale != "fr" ||
		c.LogFormat != "text" || c.SMTPURL != nil || c.Secure() || c.DBMaxConns != 16 || c.DBWait != 30*time.Second ||
		c.MaxActive != 8*runtime.GOMAXPROCS(0) || c.ReplicaURL != "" || c.ReplicaMaxConns != 16 || c.ReplicaMaxLag != 5*time.Second {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadConfigNamesEveryInvalidVariable(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{
		"PALABRE_LISTEN":                   "8080",
		"PALABRE_BASE_URL":                 "ftp://example.org",
		"PALABRE_LOCALE":                   "de",
		"PALABRE_LOG_FORMAT":               "xml",
		"PALABRE_SMTP_URL":                 "http://mail",
		"PALABRE_TRUSTED_PROXIES":          "10.0.0.0/8, not-a-cidr",
		"PALABRE_DB_MAX_CONNS":             "0",
		"PALABRE_DB_WAIT":                  "soon",
		"PALABRE_MAX_ACTIVE_REQUESTS":      "-1",
		"PALABRE_DATABASE_REPLICA_MAX_LAG": "a little",
		"PALABRE_DB_REPLICA_MAX_CONNS":     "0",
	}))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, name := range []string{"PALABRE_LISTEN", "PALABRE_BASE_URL", "PALABRE_LOCALE", "PALABRE_LOG_FORMAT",
		"PALABRE_SMTP_URL", "PALABRE_TRUSTED_PROXIES", "PALABRE_DB_MAX_CONNS", "PALABRE_DB_WAIT", "PALABRE_MAX_ACTIVE_REQUESTS",
		"PALABRE_DATABASE_REPLICA_MAX_LAG", "PALABRE_DB_REPLICA_MAX_CONNS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "http://mail") {
		t.Error("the SMTP URL (which holds a password) is echoed")
	}
}

func TestLoadConfigReadsSecretsFromFiles(t *testing.T) {
	f := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(f, []byte("postgres:///palabre?host=/run/pg\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(envOf(map[string]string{
		"PALABRE_DATABASE_URL_FILE": f,
		"PALABRE_BASE_URL":          "https://forum.example.org/",
		"PALABRE_TRUSTED_PROXIES":   "10.0.0.0/8,192.168.1.7",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres:///palabre?host=/run/pg" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
	if !c.Secure() || c.BaseURL.String() != "https://forum.example.org" {
		t.Errorf("BaseURL = %v", c.BaseURL)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.168.1.7/32" {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}

	_, err = LoadConfig(envOf(map[string]string{"PALABRE_DATABASE_URL": "x", "PALABRE_DATABASE_URL_FILE": f}))
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both NAME and NAME_FILE: %v", err)
	}
	_, err = LoadConfig(envOf(map[string]string{"PALABRE_DATABASE_URL_FILE": "/nonexistent/secret"}))
	if err == nil || !strings.Contains(err.Error(), "PALABRE_DATABASE_URL_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

// The memory limit follows the hashing slots: each slot's argon2id memory
// on top of the base budget, so that a burst of log-ins cannot leave the
// heap's garbage to double before a collection (issue 19).
func TestMemoryLimitFollowsHashSlots(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want int64
	}{
		{nil, 64<<20 + 2*19<<20},
		{map[string]string{"PALABRE_HASH_SLOTS": "8"}, 64<<20 + 8*19<<20},
		{map[string]string{"PALABRE_MEMORY_LIMIT": "512MiB"}, 512 << 20},
		{map[string]string{"PALABRE_MEMORY_LIMIT": "1GiB"}, 1 << 30},
		{map[string]string{"PALABRE_MEMORY_LIMIT": "off"}, math.MaxInt64},
		{map[string]string{"GOMEMLIMIT": "300MiB"}, 0}, // the runtime applied it
	} {
		cfg, err := LoadConfig(envOf(c.env))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MemoryLimit != c.want {
			t.Errorf("%v: memory limit %d, want %d", c.env, cfg.MemoryLimit, c.want)
		}
	}
	for _, bad := range []string{"lots", "-1MiB", "1MiB", "12 MiB"} {
		if _, err := LoadConfig(envOf(map[string]string{"PALABRE_MEMORY_LIMIT": bad})); err == nil || !strings.Contains(err.Error(), "PALABRE_MEMORY_LIMIT") {
			t.Errorf("PALABRE_MEMORY_LIMIT=%q: %v", bad, err)
		}
	}
}

// The collector runs less often than Go's default only where a memory
// limit bounds the heap, and never against an operator's GOGC.
func TestGCPacingNeedsAMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want int
	}{
		{nil, defaultGCPercent},
		{map[string]string{"PALABRE_MEMORY_LIMIT": "512MiB"}, defaultGCPercent},
		{map[string]string{"GOMEMLIMIT": "300MiB"}, defaultGCPercent},
		{map[string]string{"PALABRE_MEMORY_LIMIT": "off"}, 0},
		{map[string]string{"GOMEMLIMIT": "off"}, 0},
		{map[string]string{"GOGC": "100"}, 0},
		{map[string]string{"GOGC": "off", "PALABRE_MEMORY_LIMIT": "1GiB"}, 0},
	} {
		cfg, err := LoadConfig(envOf(c.env))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.GCPercent != c.want {
			t.Errorf("%v: GC percent %d, want %d", c.env, cfg.GCPercent, c.want)
		}
	}
}

func TestLoadConfigReadsTheUploadsObjectStore(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	if err != nil || c.UploadsS3 != nil {
		t.Fatalf("without an endpoint: %+v %v", c.UploadsS3, err)
	}
	c, err = LoadConfig(envOf(map[string]string{
		"PALABRE_UPLOADS_S3_ENDPOINT": "https://s3.example.org", "PALABRE_UPLOADS_S3_BUCKET": "forum",
		"PALABRE_UPLOADS_S3_ACCESS_KEY_ID": "id", "PALABRE_UPLOADS_S3_SECRET_ACCESS_KEY": "secret",
		"PALABRE_UPLOADS_S3_REGION": "eu-west-3", "PALABRE_UPLOADS_S3_PATH_STYLE": "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.UploadsS3; s == nil || s.Endpoint != "https://s3.example.org" || s.Bucket != "forum" || s.AccessKeyID != "id" ||
		s.SecretAccessKey != "secret" || s.Region != "eu-west-3" || !s.PathStyle {
		t.Fatalf("read %+v", c.UploadsS3)
	}
	_, err = LoadConfig(envOf(map[string]string{"PALABRE_UPLOADS_S3_ENDPOINT": "s3.example.org/forum", "PALABRE_UPLOADS_S3_PATH_STYLE": "yes"}))
	for _, name := range []string{"PALABRE_UPLOADS_S3_ENDPOINT", "PALABRE_UPLOADS_S3_BUCKET", "PALABRE_UPLOADS_S3_ACCESS_KEY_ID",
		"PALABRE_UPLOADS_S3_SECRET_ACCESS_KEY", "PALABRE_UPLOADS_S3_PATH_STYLE"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}
