// Package forumtest gives each test package its own PostgreSQL database,
// cloned from a template database that is migrated once per migration set,
// and fixture builders. `make test` provides the server through
// PALABRE_TEST_DATABASE_URL (a maintenance database such as "postgres").
package forumtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver behind database/sql here

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/migrations"
)

// EnvURL names the variable that points the tests at a PostgreSQL server.
const EnvURL = "PALABRE_TEST_DATABASE_URL"

var (
	once     sync.Once
	cloneURL string
	cloneDB  *forum.DB
	cloneErr error
	dropName string
	adminURL string
)

// DB returns the test package's database, created on first use. Tests share
// it, so each test creates the rows it needs with unique names.
func DB(t testing.TB) *forum.DB {
	t.Helper()
	URL(t)
	return cloneDB
}

// URL returns the connection URL of the test package's database.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(setUp)
	if cloneErr != nil {
		t.Fatalf("test database: %v", cloneErr)
	}
	return cloneURL
}

// Main runs the package's tests and drops its database afterwards. Call it
// from TestMain: func TestMain(m *testing.M) { forumtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	tearDown()
	os.Exit(code)
}

func setUp() {
	adminURL = os.Getenv(EnvURL)
	if adminURL == "" {
		cloneErr = fmt.Errorf("%s is not set: run the tests with `make test`, which starts a throwaway PostgreSQL", EnvURL)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		cloneErr = err
		return
	}
	defer admin.Close()
	tpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		cloneErr = err
		return
	}
	dropName = uniqueName()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+quoteIdent(dropName)+` TEMPLATE `+quoteIdent(tpl)); err != nil {
		cloneErr = fmt.Errorf("cloning %s: %w", tpl, err)
		return
	}
	cloneURL, err = withDatabase(adminURL, dropName)
	if err != nil {
		cloneErr = err
		return
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cloneDB, cloneErr = forum.Open(ctx, cloneURL, forum.PoolOptions{MaxConns: 8, WaitFor: 10 * time.Second}, log)
	if cloneErr == nil {
		cloneErr = cloneDB.Prepare(ctx)
	}
	if cloneErr == nil {
		// As Main does; Close, at tearDown, stops them.
		cloneDB.StartWorkers()
	}
}

// ensureTemplate creates and migrates the template database of the current
// migrations once for all the test packages that run in parallel: an
// advisory lock on the maintenance database serialises them.
func ensureTemplate(ctx context.Context, admin *sql.DB) (string, error) {
	name := "palabre_template_" + migrations.Fingerprint()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(72616261)`); err != nil {
		return "", fmt.Errorf("locking the template: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(72616261)`) }() // closing the connection unlocks too
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+quoteIdent(building)); err != nil {
		return "", fmt.Errorf("dropping a half-built template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+quoteIdent(building)); err != nil {
		return "", fmt.Errorf("creating the template: %w", err)
	}
	u, err := withDatabase(adminURL, building)
	if err != nil {
		return "", err
	}
	tdb, err := sql.Open("postgres", u)
	if err != nil {
		return "", err
	}
	err = migrations.Up(tdb)
	tdb.Close()
	if err != nil {
		return "", fmt.Errorf("migrating the template: %w", err)
	}
	// Renamed only once complete, so a crash mid-way never leaves a broken
	// template behind. Backends of closed connections may linger a moment.
	if _, err := conn.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, building); err != nil {
		return "", fmt.Errorf("closing the template's connections: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+quoteIdent(building)+` RENAME TO `+quoteIdent(name)); err != nil {
		return "", fmt.Errorf("naming the template: %w", err)
	}
	return name, nil
}

func tearDown() {
	if cloneDB != nil {
		cloneDB.Close()
	}
	if dropName == "" {
		return
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + quoteIdent(dropName) + ` WITH (FORCE)`) // best effort: the cluster is throwaway
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

func uniqueName() string {
	pkg := nonIdent.ReplaceAllString(filepath.Base(os.Args[0]), "_")
	if len(pkg) > 30 {
		pkg = pkg[:30]
	}
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("palabre_test_%s_%s", pkg, hex.EncodeToString(b))
}

func withDatabase(raw, db string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("%s must be a URL such as postgres:///postgres?host=/tmp/sock", EnvURL)
	}
	u.Path = "/" + db
	return u.String(), nil
}

func quoteIdent(s string) string { return `"` + s + `"` }

// EmptyDatabaseURL creates a database without any schema, dropped when the
// test ends, and returns its URL: for tests of migrations and of start-up.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		t.Fatalf("%s is not set: run the tests with `make test`", EnvURL)
	}
	adb, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := uniqueName() + "_empty"
	if _, err := adb.Exec(`CREATE DATABASE ` + quoteIdent(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = adb.Exec(`DROP DATABASE IF EXISTS ` + quoteIdent(name) + ` WITH (FORCE)`) // best effort: the cluster is throwaway
		adb.Close()
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Instance opens another handle on the test package's database, as another
// server instance has: its own pool and prepared statements. It is closed
// when the test ends, after the cleanups registered later (a listener).
func Instance(t testing.TB) *forum.DB {
	t.Helper()
	ctx := context.Background()
	db, err := forum.Open(ctx, URL(t), forum.PoolOptions{MaxConns: 4, WaitFor: 10 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // which stops its workers
	if err := db.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	db.StartWorkers()
	return db
}
