package forum

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PoolOptions size the connection pool. An untuned pool (database/sql keeps
// only 2 idle connections by default) reconnects under load and costs a
// multiple of the throughput; idle connections are kept equal to the maximum.
type PoolOptions struct {
	MaxConns    int           // open connections at most
	MaxLifetime time.Duration // recycle connections after this long
	WaitFor     time.Duration // how long Open waits for the database to answer
	// StatementTimeout is the connections' statement_timeout, unless the
	// URL sets one: no statement of a request runs longer (forum/bounded.go).
	// Zero leaves PostgreSQL's (none).
	StatementTimeout time.Duration
	// ConnectTimeout bounds the opening of a connection (lib/pq's
	// connect_timeout) when the URL does not set connect_timeout: a
	// stopped server must not hold requests; 0: 5 s.
	ConnectTimeout time.Duration
}

// DB is Palabre's storage: one PostgreSQL pool and the statements prepared on
// the hot paths.
type DB struct {
	// pool is the connection pool, storage's own: other packages run SQL
	// through the narrow API of query.go.
	pool *sqlx.DB
	// replica is the streaming replica's pool and state, nil without one
	// (replica.go): read-only page queries only.
	replica      *replica
	replicaProbe worker // reads the replica's state (replica.go)
	url          string // for LISTEN, which needs its own connection
	stmts        preparedStatements
	others       otherStatements // prepared for other packages (DB.Prepared)
	// The caches (cache.go), registered on Main's Invalidations by
	// RegisterCaches (notify.go).
	settings         *Cache[struct{}, *Settings]
	guidelines       *Cache[struct{}, guidelineVersions]
	snapshots        *Cache[snapshotKey, *threadSnapshot] // thread pages (thread_page.go)
	latestLists      *Cache[int, *latestSnapshot]         // the latest threads, by rows (latest_page.go)
	latestCategories *Cache[struct{}, *categoriesSnapshot]
	faces            *Cache[int64, Face] // members' avatars in lists (upload_avatar.go)
	fanOut           fanOut              // the notifications of posts just committed (notification_fanout.go)
	replies          replyBatches        // replies waiting to be stored together (reply_batches.go)
	searchGIN        searchIndexCleaner  // the search index's pending list (search_index.go)
	workersMu        sync.Mutex
	stopWorkers      []func()                 // StartWorkers' (workers.go), for Close
	searchLimits     searchLimits             // the searches running at once (search_limits.go)
	creds            credentialCache          // whom cookies and tokens belong to (credential_cache.go)
	outage           outage                   // the database's availability as requests see it (outage.go)
	works            workRegistry             // background workers' failures (work_outage.go)
	hashing          atomic.Pointer[HashGate] // bounds password hashing (hash_gate.go)
	deviceKey        atomic.Pointer[[]byte]   // signs known-device cookies (known_device.go)
	images           imageWork                // decodes uploaded images, a few at once (upload.go)
	blobs            BlobStore                // uploads' bytes when not in PostgreSQL (upload_blobs.go)
	log              *slog.Logger
}

// openPool makes a pool of connections to url, sized and set as opt says,
// without connecting yet.
func openPool(url string, opt PoolOptions) (*sqlx.DB, error) {
	cfg, err := pq.NewConfig(url)
	if err != nil {
		// The parser's messages quote the URL, password included.
		return nil, redactedError("database URL: ", err, url)
	}
	if cfg.ConnectTimeout == 0 && !strings.Contains(url, "connect_timeout") {
		cfg.ConnectTimeout = cmp.Or(opt.ConnectTimeout, 5*time.Second)
	}
	// A query with arguments that is not prepared is sent in one round trip
	// (Parse, Bind, Execute) instead of two (Parse, then Bind and Execute):
	// a post takes about a dozen. The price: []byte arguments go in binary
	// format, which suits bytea (token hashes) but not jsonb, whose
	// arguments are passed as strings (see jsonArg).
	cfg.BinaryParameters = true
	// Two features for long analytical queries, which cost a forum's short
	// ones more than they give, are off for the server's connections unless
	// the URL sets them:
	//   - JIT compilation starts whenever an estimate passes jit_above_cost:
	//     the generic plans of the thread lists assume LIMIT $n keeps a tenth
	//     of the table, and at a million posts each call spent 17 ms
	//     compiling;
	//   - parallel workers: a search for a rare word at a million posts
	//     started one, 15 ms to find nothing that one process finds in
	//     0.4 ms, and requests already keep every core busy.
	for param, value := range map[string]string{"jit": "off", "max_parallel_workers_per_gather": "0"} {
		if _, set := cfg.Runtime[param]; !set {
			if cfg.Runtime == nil {
				cfg.Runtime = map[string]string{}
			}
			cfg.Runtime[param] = value
		}
	}
	if _, set := cfg.Runtime["statement_timeout"]; !set && opt.StatementTimeout > 0 {
		cfg.Runtime["statement_timeout"] = strconv.FormatInt(opt.StatementTimeout.Milliseconds(), 10)
	}
	if _, err := pq.NewConnectorConfig(cfg); err != nil {
		return nil, redactedError("database URL: ", err, url)
	}
	raw := sqlx.NewDb(sql.OpenDB(&connector{cfg: cfg}), "postgres")
	if opt.MaxConns <= 0 {
		opt.MaxConns = 16
	}
	raw.SetMaxOpenConns(opt.MaxConns)
	raw.SetMaxIdleConns(opt.MaxConns)
	raw.SetConnMaxLifetime(opt.MaxLifetime)
	raw.SetConnMaxIdleTime(5 * time.Minute)
	return raw, nil
}

// Open connects to PostgreSQL, waiting up to opt.WaitFor for it to answer
// (a database starting beside the server is normal), and sizes the pool.
func Open(ctx context.Context, url string, opt PoolOptions, log *slog.Logger) (*DB, error) {
	raw, err := openPool(url, opt)
	if err != nil {
		return nil, err
	}
	if err := waitForDatabase(ctx, raw, opt.WaitFor, log); err != nil {
		raw.Close()
		return nil, err
	}
	db := &DB{pool: raw, url: url, log: log,
		settings:         NewCache[struct{}, *Settings](0, 0),
		guidelines:       NewCache[struct{}, guidelineVersions](0, 0),
		snapshots:        NewCache[snapshotKey, *threadSnapshot](snapshotTTL, snapshotBudget),
		latestLists:      NewCache[int, *latestSnapshot](snapshotTTL, 0),
		latestCategories: NewCache[struct{}, *categoriesSnapshot](snapshotTTL, 0),
		faces:            NewCache[int64, Face](snapshotTTL, faceBudget),
	}
	db.hashing.Store(NewHashGate(DefaultHashSlots(), DefaultHashWait))
	return db, nil
}

// Prepare prepares the statements of the hot paths. It needs the schema, so
// it runs after migrations.
func (db *DB) Prepare(ctx context.Context) error {
	return db.stmts.prepare(ctx, db.pool)
}

// Close stops the workers still running, then closes prepared statements
// and the pool. Safe to call without StartWorkers (tests, commands).
func (db *DB) Close() error {
	db.closeWorkers()
	db.stmts.close()
	db.others.close()
	if r := db.replica; r != nil {
		r.closed.Store(true)
		_ = r.pool.Close() // reads only: nothing to lose
	}
	return db.pool.Close()
}

func waitForDatabase(ctx context.Context, db *sqlx.DB, wait time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(wait)
	delay := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := db.PingContext(pingCtx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("database not reachable after %s: %s", wait.Round(time.Second), RedactSecrets(err.Error()))
		}
		log.Info("waiting for the database", "attempt", attempt, "error", RedactSecrets(err.Error()))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.PingContext(ctx); err != nil {
		return &Error{Code: EUNAVAILABLE, Key: "error.unavailable", Err: err}
	}
	return nil
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation on
// the named constraint (any constraint when name is empty).
func isUniqueViolation(err error, name string) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return name == "" || pqErr.Constraint == name
	}
	return false
}
