package forum_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The server's connections run without JIT and parallel workers, unless
// the database URL asks for them.
func TestConnectionsTurnOffJITAndParallelWorkers(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	show := func(url, param string) string {
		t.Helper()
		db, err := forum.Open(context.Background(), url, forum.PoolOptions{MaxConns: 1, WaitFor: 10 * time.Second}, log)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.SQL().Get(&v, "SHOW "+param); err != nil {
			t.Fatal(err)
		}
		return v
	}
	url := forumtest.URL(t)
	if v := show(url, "jit"); v != "off" {
		t.Errorf("jit = %s, want off", v)
	}
	if v := show(url, "max_parallel_workers_per_gather"); v != "0" {
		t.Errorf("max_parallel_workers_per_gather = %s, want 0", v)
	}
	if v := show(url+"&jit=on", "jit"); v != "on" {
		t.Errorf("jit = %s with jit=on in the URL", v)
	}
}

// Another package's statement is prepared once per handle, and a statement
// that does not prepare is an error, not a nil statement.
func TestStatementsPreparedForOtherPackages(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	const query = `SELECT count(*) FROM members WHERE id > $1`
	first, err := db.Prepared(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.Prepared(ctx, query)
	if err != nil || again != first {
		t.Fatalf("prepared again: %p %p %v", first, again, err)
	}
	var n int
	if err := again.Get(&n, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prepared(ctx, `SELECT nothing FROM nowhere`); forum.ErrorCode(err) != forum.EINTERNAL {
		t.Errorf("a statement that does not prepare: %v", err)
	}
}

// sleepingPool opens a pool of maxConns connections with pg_sleep($1)
// prepared on it, both closed at the test's end.
func sleepingPool(t *testing.T, maxConns int) (*forum.DB, *sqlx.Stmt) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := forum.Open(context.Background(), forumtest.URL(t), forum.PoolOptions{MaxConns: maxConns, WaitFor: 10 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	stmt, err := db.SQL().Preparex(`SELECT pg_sleep($1)`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stmt.Close() })
	return db, stmt
}

// A prepared statement cancelled by its context (a client that left) does
// not leave its connection in the pool with the deadline of the cancel:
// the next query, even a long one, runs to its end (on a fresh
// connection). It was cut by an i/o timeout half a second after the
// cancel, answered 503 and taken for an outage of the database.
func TestACancelledPreparedStatementDoesNotBreakTheNextQuery(t *testing.T) {
	db, stmt := sleepingPool(t, 1)
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := stmt.ExecContext(ctx, 30)
		cancel()
		if err == nil {
			t.Fatal("a 30-second sleep ended within its 50 ms context")
		}
		// Longer than the cancel's grace (half a second).
		if _, err := db.SQL().Exec(`SELECT pg_sleep(0.8)`); err != nil {
			t.Fatalf("a query after the cancel (%d): %v", i, err)
		}
		if _, err := stmt.Exec(0.8); err != nil {
			t.Fatalf("the statement after the cancel (%d): %v", i, err)
		}
	}
}

// A connection whose prepared statement was cancelled (a client that left)
// is closed, not kept in the pool: the next one to take a connection gets
// a working one. Kept, it refused its next query with "driver: bad
// connection", which database/sql tries again on another connection only
// so many times: after a burst of cancelled requests, a request that drew
// three such connections answered 503 to a client that had done nothing
// wrong.
func TestAConnectionWhosePreparedStatementWasCancelledLeavesThePool(t *testing.T) {
	db, stmt := sleepingPool(t, 3)
	// Three at once, each on a connection of its own.
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := stmt.ExecContext(ctx, 30)
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err == nil {
			t.Fatal("a 30-second sleep ended within its 50 ms context")
		}
	}
	if idle := db.SQL().Stats().Idle; idle != 0 {
		t.Errorf("%d connections of cancelled statements kept in the pool", idle)
	}
	// A connection taken from the pool is used as it is, without the
	// retries of a query on the pool: each must work.
	ctx := context.Background()
	for i := range 3 {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ExecContext(ctx, `SELECT 1`)
		c.Close()
		if err != nil {
			t.Fatalf("a connection taken after the cancels (%d): %v", i, err)
		}
	}
}
