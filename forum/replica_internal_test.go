package forum

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/lib/pq"
)

// What the replica fails to answer is asked of the primary; what the query
// itself got wrong is the query's error, not the replica's.
func TestReplicaFailureIsTheReplicasOnly(t *testing.T) {
	for _, c := range []struct {
		err              error
		fallback, marked bool
	}{
		{nil, false, false},
		{sql.ErrNoRows, false, false},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true, true},
		{&pq.Error{Code: "57P01"}, true, true}, // admin_shutdown
		{&pq.Error{Code: "57P03"}, true, true}, // cannot_connect_now (starting up)
		{&pq.Error{Code: "08006"}, true, true}, // connection_failure
		{Internal("reading", &pq.Error{Code: "08006"}), true, true},
		{&pq.Error{Code: "42P01"}, true, false},  // a migration not replayed yet
		{&pq.Error{Code: "25006"}, false, false}, // a write refused: a bug, not an outage
		{&pq.Error{Code: "22P02"}, false, false},
	} {
		db := &DB{replica: &replica{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if got := db.replicaFailed(context.Background(), c.err); got != c.fallback {
			t.Errorf("%v: fallback %v, want %v", c.err, got, c.fallback)
		}
		if got := db.replica.down.Load(); got != c.marked {
			t.Errorf("%v: replica taken for down %v, want %v", c.err, got, c.marked)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db := &DB{replica: &replica{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if db.replicaFailed(ctx, context.Canceled) || db.replica.down.Load() {
		t.Error("a request gone away is taken for the replica's failure")
	}
}
