package forum

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A streaming replica (PALABRE_DATABASE_REPLICA_URL) takes the read-only
// queries of pages off the primary. What goes there is decided in one
// place, DB.replicaFor:
//
//   - only a context marked by ReplicaReads (the server marks GET and HEAD
//     requests, server/replica.go) and only the reads that opted in through
//     readPage: thread lists by category and past the latest's first page,
//     search, public profiles, feeds. Everything else — transactions that
//     write, authentication and sessions, settings, the review queue,
//     moderation and administration, and every cache filled from reads
//     (thread and latest snapshots, settings, avatars, credentials) —
//     reads the primary: a cache filled from a replica that has not yet
//     replayed the change that emptied it would keep the old rows until the
//     next change;
//   - read-your-writes: a member's write request ends by noting the
//     primary's WAL position (WritePosition), which the server gives back
//     in a cookie and keeps here by member; their reads go to the replica
//     only once it has replayed that far;
//   - the replica is probed at most every replicaProbeEvery, by a worker
//     (workers.go; a request does not wait for it, except after a quiet
//     while, when the last state is too old to trust): its replayed
//     position and its lag. Down, unanswering or lagging more than the bound, it is
//     skipped; a query it fails to answer is run again on the primary. Its
//     outages are logged once as they start and once as they end.

// replicaProbeEvery is how often, at most, the replica's state is read
// again while requests use it.
const replicaProbeEvery = 10 * time.Millisecond

// replicaRetryEvery is how often a replica found down is tried again.
const replicaRetryEvery = time.Second

// replicaStateTrust is how old the last state may be before the replica is
// taken for unavailable (probes that do not answer).
const replicaStateTrust = 3 * time.Second

// replicaProbeTimeout bounds one probe.
const replicaProbeTimeout = 2 * time.Second

// DefaultReplicaMaxLag is how far behind the primary the replica may be
// (replay behind reception, by the age of the last transaction replayed)
// before reads go to the primary.
const DefaultReplicaMaxLag = 5 * time.Second

// probeReplica reads the replica's replayed WAL position and its lag: 0
// when it has replayed all it received, else the age of the last
// transaction it replayed. On a server that is not a standby (a URL
// pointing at the primary), the current position and no lag.
const probeReplica = `
SELECT (coalesce(pg_last_wal_replay_lsn(), pg_current_wal_lsn()) - '0/0'::pg_lsn)::bigint AS replay,
	CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL
		OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
	ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END AS lag`

type replica struct {
	pool    *sqlx.DB
	maxLag  time.Duration
	state   atomic.Pointer[replicaState]
	probing atomic.Bool
	down    atomic.Bool // its outage is logged
	closed  atomic.Bool // DB.Close: a probe still running is not an outage
	// what ReplicaStats counts
	reads, unavailable, lagging, ownWrites atomic.Int64
	// members' last write position on this instance (their cookie may be
	// lost: API clients), dropped once replayed
	mu      sync.Mutex
	written map[int64]uint64
}

type replicaState struct {
	at     time.Time
	ok     bool
	replay uint64
	lag    time.Duration
}

// OpenReplica adds a streaming replica for read-only page queries. Unlike
// Open, it does not wait for the replica: one that does not answer is
// skipped (and logged) until it does.
func (db *DB) OpenReplica(ctx context.Context, url string, opt PoolOptions, maxLag time.Duration) error {
	pool, err := openPool(url, opt)
	if err != nil {
		return err
	}
	if maxLag <= 0 {
		maxLag = DefaultReplicaMaxLag
	}
	db.replica = &replica{pool: pool, maxLag: maxLag, written: map[int64]uint64{}}
	db.probeReplica(ctx)
	if st := db.replica.state.Load(); st != nil && st.ok {
		db.log.Info("read replica connected", "lag", st.lag)
	}
	return nil
}

// probeReplica reads the replica's state once, within ctx (a request's, or
// /readyz's, whose end is not the replica's failure).
func (db *DB) probeReplica(parent context.Context) {
	r := db.replica
	ctx, cancel := context.WithTimeout(parent, replicaProbeTimeout)
	defer cancel()
	var row struct {
		Replay int64   `db:"replay"`
		Lag    float64 `db:"lag"`
	}
	err := r.pool.GetContext(ctx, &row, probeReplica)
	if err != nil {
		if parent.Err() == nil && !r.closed.Load() {
			r.markDown(db, err)
		}
		return
	}
	st := &replicaState{at: time.Now(), ok: true, replay: uint64(row.Replay), lag: time.Duration(row.Lag * float64(time.Second))}
	r.state.Store(st)
	if r.down.CompareAndSwap(true, false) {
		db.log.Info("read replica available again")
	}
	r.mu.Lock()
	for id, lsn := range r.written {
		if lsn <= st.replay {
			delete(r.written, id)
		}
	}
	r.mu.Unlock()
}

func (r *replica) markDown(db *DB, err error) {
	r.state.Store(&replicaState{at: time.Now()})
	if r.down.CompareAndSwap(false, true) {
		db.log.Warn("read replica unavailable: reads go to the primary", "error", RedactSecrets(err.Error()))
	}
}

// currentReplica is the replica's last known state, nil before the first
// probe; it starts a probe in the background when the state is old enough,
// or probes now when it is too old to trust (after a quiet while).
func (db *DB) currentReplica(ctx context.Context) *replicaState {
	r := db.replica
	st := r.state.Load()
	if (st == nil || (st.ok && time.Since(st.at) > replicaStateTrust)) && r.probing.CompareAndSwap(false, true) {
		db.probeReplica(ctx)
		r.probing.Store(false)
		return r.state.Load()
	}
	every := replicaProbeEvery
	if st != nil && !st.ok {
		every = replicaRetryEvery
	}
	if (st == nil || time.Since(st.at) >= every) && r.probing.CompareAndSwap(false, true) &&
		!db.replicaProbe.give(func() {}) {
		// No worker (a command, a test): the request probes.
		db.probeReplica(ctx)
		r.probing.Store(false)
		return r.state.Load()
	}
	return st
}

// probeReplicaWork, the replica probe's work (workers.go), reads the
// replica's state when a request asked for it.
func (db *DB) probeReplicaWork(ctx context.Context) {
	r := db.replica
	if r == nil || !r.probing.Load() {
		return
	}
	defer r.probing.Store(false)
	db.probeReplica(ctx)
}

type replicaReadsKey struct{}

// replicaReads marks a context whose page reads may go to the replica once
// it has replayed the WAL up to after.
type replicaReads struct{ after uint64 }

// ReplicaReads marks ctx, a read-only request's (GET, HEAD), as one whose
// page reads may go to the replica, once it has replayed the WAL up to
// after (the position the reader's cookie carries; 0: none) and up to the
// last write of the context's member on this instance. Without a replica,
// ctx as it is.
func (db *DB) ReplicaReads(ctx context.Context, after uint64) context.Context {
	r := db.replica
	if r == nil {
		return ctx
	}
	if m := MemberFrom(ctx); m != nil {
		r.mu.Lock()
		after = max(after, r.written[m.ID])
		r.mu.Unlock()
	}
	return context.WithValue(ctx, replicaReadsKey{}, &replicaReads{after: after})
}

// PrimaryReads undoes ReplicaReads: for a request whose answer fills a
// shared cache (the page cache), which must not keep what a replica behind
// the change that emptied it answered.
func PrimaryReads(ctx context.Context) context.Context {
	if ctx.Value(replicaReadsKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, replicaReadsKey{}, (*replicaReads)(nil))
}

// WritePosition is the primary's WAL position after a write request of
// ctx's member (0 without a replica): their reads wait for the replica to
// have replayed it. It is also kept here, by member.
func (db *DB) WritePosition(ctx context.Context) (uint64, error) {
	r := db.replica
	if r == nil {
		return 0, nil
	}
	// The insert position, not pg_current_wal_lsn (written out): with
	// synchronous_commit off, the commit may not be written out yet.
	var lsn int64
	if err := db.pool.GetContext(ctx, &lsn, `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint`); err != nil {
		return 0, Internal("reading the WAL position", err)
	}
	if m := MemberFrom(ctx); m != nil {
		r.mu.Lock()
		r.written[m.ID] = max(r.written[m.ID], uint64(lsn))
		r.mu.Unlock()
	}
	return uint64(lsn), nil
}

// replicaFor is the replica's pool when ctx's page reads may go there now,
// else nil (the primary).
func (db *DB) replicaFor(ctx context.Context) *sqlx.DB {
	r := db.replica
	if r == nil {
		return nil
	}
	rr, _ := ctx.Value(replicaReadsKey{}).(*replicaReads)
	if rr == nil {
		return nil
	}
	st := db.currentReplica(ctx)
	switch {
	case st == nil || !st.ok || time.Since(st.at) > replicaStateTrust:
		r.unavailable.Add(1)
		return nil
	case st.lag > r.maxLag:
		r.lagging.Add(1)
		return nil
	case st.replay < rr.after:
		r.ownWrites.Add(1)
		return nil
	}
	r.reads.Add(1)
	return r.pool
}

// readPage runs a read-only page query on the replica when ctx allows it
// (replicaFor), and on the primary otherwise or when the replica fails to
// answer; read must run all its queries on q and be safe to run twice.
func (db *DB) readPage(ctx context.Context, read func(q *sqlx.DB) error) error {
	if q := db.replicaFor(ctx); q != nil {
		err := read(q)
		if !db.replicaFailed(ctx, err) {
			return err
		}
	}
	return read(db.pool)
}

// replicaFailed reports whether err is the replica's failing to answer
// (a connection refused or lost, a server shutting down or starting), and
// then takes it for down; or its not knowing yet a table, column or
// function that a migration just made on the primary (a deployment), which
// the primary answers. Errors of the query itself are the query's.
func (db *DB) replicaFailed(ctx context.Context, err error) bool {
	if err == nil || errors.Is(err, sql.ErrNoRows) || ctx.Err() != nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		code := string(pqErr.Code)
		switch {
		case code == "42P01" || code == "42703" || code == "42883": // undefined table, column, function
			return true
		case !strings.HasPrefix(code, "08") && !strings.HasPrefix(code, "57P"):
			return false
		}
	}
	db.replica.markDown(db, err)
	return true
}

// HasReplica reports whether a read replica is configured.
func (db *DB) HasReplica() bool { return db.replica != nil }

// CheckReplica probes the replica now (for /readyz) and returns its stats.
func (db *DB) CheckReplica(ctx context.Context) ReplicaStats {
	if db.replica != nil {
		db.probeReplica(ctx)
	}
	return db.ReplicaStats()
}

// ReplicaStats say how the replica is used, for /metrics and /readyz.
type ReplicaStats struct {
	Configured bool
	Up         bool
	Lag        time.Duration
	// Reads went to the replica; the others to the primary, because the
	// replica was unavailable, lagging past the bound or had not replayed
	// the reader's last write.
	Reads, Unavailable, Lagging, OwnWrites int64
	Conns                                  sql.DBStats
}

// ReplicaStats is the replica's state and counters (Configured false
// without one).
func (db *DB) ReplicaStats() ReplicaStats {
	r := db.replica
	if r == nil {
		return ReplicaStats{}
	}
	s := ReplicaStats{Configured: true, Reads: r.reads.Load(), Unavailable: r.unavailable.Load(),
		Lagging: r.lagging.Load(), OwnWrites: r.ownWrites.Load(), Conns: r.pool.Stats()}
	if st := r.state.Load(); st != nil && st.ok && time.Since(st.at) <= replicaStateTrust {
		s.Up, s.Lag = true, st.lag
	}
	return s
}
