// Command palabre is the Palabre community forum server: serve, migrate,
// administer, seed a demo. Wiring only: the work is in forum, moderation and
// server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
	"github.com/palabre/palabre/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The memory limit is the process's: set here, for palabre serve, and
	// not by cmdServe, which tests run inside their own process.
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if cfg, err := server.LoadConfig(os.Getenv); err == nil {
			cfg.ApplyMemoryLimit()
		}
	}
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a command line that cannot be understood: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  palabre serve [--no-migrate]          runs migrations (unless --no-migrate), then serves
  palabre migrate [up|status]
  palabre admin create-member --username U --email E --role member|moderator|admin
                [--password P | --password-file F] [--trust-level 0-4]
  palabre admin token --username U [--name N]   prints a new personal API token
  palabre admin set-role --username U --role member|moderator|admin
  palabre admin lift-sanction --username U --kind silence|suspension|ban --reason R
  palabre admin reset-password --username U      prints a one-hour password-reset link
  palabre admin reindex-search                   queues the rebuild of every post's and message's search vector
  palabre admin export-rules [--file F]          the guideline rules as JSON (stdout by default)
  palabre admin import-rules --file F|-          adds or replaces rules by name, all or nothing
  palabre admin move-uploads                     moves the files kept in PostgreSQL to the object store
                                                 (PALABRE_UPLOADS_S3_*); a server may run meanwhile
  palabre demo [--if-empty]             seeds a small demo community into an empty database
  palabre healthcheck [--timeout 3s]    exits 0 when the server on PALABRE_LISTEN is ready (GET /readyz)
  palabre version
configuration: PALABRE_* environment variables (see README.md)`

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "palabre: %s\n%s\n", ue.msg, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "palabre: %s\n", oneLine(err))
		return 1
	}
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"a command is needed"}
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "palabre", version)
		return nil
	}
	if args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, err := server.LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(cfg.LogFormat, stderr)
	switch args[0] {
	case "serve":
		return cmdServe(ctx, cfg, log, args[1:])
	case "migrate":
		return cmdMigrate(ctx, cfg, log, args[1:], stdout)
	case "admin":
		return cmdAdmin(ctx, cfg, log, args[1:], stdin, stdout)
	case "demo":
		return cmdDemo(ctx, cfg, log, args[1:], stdout)
	case "healthcheck":
		return cmdHealthcheck(ctx, cfg, args[1:], stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// Main is a running Palabre server: a test starts it on port 0 and stops it
// by cancelling the context given to Run.
type Main struct {
	Config    server.Config
	Log       *slog.Logger
	NoMigrate bool
	// JobPoll is how often the jobs runner looks for due work (zero: its default).
	JobPoll time.Duration

	db       *forum.DB
	server   *server.Server
	mailer   *server.Mailer
	listener net.Listener
}

// Open connects to the database, brings the schema up to date (or refuses
// a schema that is behind), builds the server and starts listening.
func (m *Main) Open(ctx context.Context) error {
	db, err := openDB(ctx, m.Config, m.Log)
	if err != nil {
		return err
	}
	m.db = db
	if err := ensureSchema(db, m.NoMigrate, m.Log); err != nil {
		return err
	}
	if err := db.Prepare(ctx); err != nil {
		return err
	}
	// A read replica, for serving only: the tools and migrations use the
	// primary.
	if m.Config.ReplicaURL != "" {
		opt := forum.PoolOptions{MaxConns: m.Config.ReplicaMaxConns, MaxLifetime: time.Hour, StatementTimeout: requestStatementTimeout}
		if err := db.OpenReplica(ctx, m.Config.ReplicaURL, opt, m.Config.ReplicaMaxLag); err != nil {
			return fmt.Errorf("PALABRE_DATABASE_REPLICA_URL: %w", err)
		}
	}
	if c := m.Config.UploadsS3; c != nil {
		store, err := forum.NewS3BlobStore(ctx, *c)
		if err != nil {
			return err
		}
		db.SetBlobStore(store)
		m.Log.Info("uploads are stored in an object store", "endpoint", c.Endpoint, "bucket", c.Bucket)
	}
	// Posts are indexed for search in the site's language; with no locale
	// setting, that is the server's.
	if err := db.RecordServerLocale(ctx, m.Config.Locale); err != nil {
		return err
	}
	// A new community gets the default guidelines and rules, in its language.
	if err := moderation.EnsureDefaults(ctx, db, m.Config.Locale); err != nil {
		return err
	}
	if m.server, err = server.New(m.Config, db, m.Log); err != nil {
		return err
	}
	if m.mailer, err = server.NewMailer(m.Config, db, m.Log); err != nil {
		return err
	}
	if m.listener, err = net.Listen("tcp", m.Config.Listen); err != nil {
		return fmt.Errorf("listening on %s: %w", m.Config.Listen, err)
	}
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully: HTTP first, then
// storage's workers, then the background work, so that nothing a request
// started is cut short.
func (m *Main) Run(ctx context.Context) error {
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for name, work := range m.backgroundWork() {
		wg.Go(func() {
			if err := work(bg); err != nil {
				m.Log.Error("background work stopped", "work", name, "error", err)
			}
		})
	}
	// Storage's workers (reply batches, notification fan-out, search
	// index) take requests' work from now.
	stopWorkers := m.db.StartWorkers()
	m.Log.Info("serving", "addr", m.Addr(), "url", m.Config.BaseURL.String(), "version", version)
	err := m.server.Serve(ctx, m.listener)
	// Shutdown, in order: the HTTP server has drained its requests; the
	// workers finish what they gave them (replies, their notifications);
	// then the listener, the mail (which sends what the fan-out queued) and
	// the jobs; Close releases the database.
	stopWorkers()
	stopBackground()
	wg.Wait()
	return err
}

// backgroundWork is what runs beside the HTTP server until it stops, by
// name: each returns when its context ends.
func (m *Main) backgroundWork() map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"listen": func(ctx context.Context) error {
			// Every cache's one invalidation path.
			var inv forum.Invalidations
			m.db.RegisterCaches(&inv)
			m.server.RegisterCaches(&inv)
			// Mail is queued with a NOTIFY on ChannelOutbox, or, by the
			// posts' transactions, announced with their content after the
			// commit (forum.InContentTx, the notification fan-out).
			inv.On(forum.ChannelOutbox, func(string) { m.mailer.Kick() })
			inv.On(forum.ChannelContent, func(payload string) {
				if payload == forum.PayloadAfterCommit {
					m.mailer.Kick()
				}
			})
			return m.db.Listen(ctx, m.Log, &inv)
		},
		// The guideline rules, compiled again when the listener hears a change.
		"rules": m.server.Pipeline().RunRuleRebuilds,
		"mail":  m.mailer.Run,
		"jobs":  m.jobRunner().Run,
		// Page views counted in memory, written every few seconds and
		// once more at shutdown, after the HTTP server has drained.
		"traffic": m.server.RunTraffic,
	}
}

// jobRunner runs the background jobs kept in the database (trust-level
// promotion, the notifications of posts a stopped server left queued…),
// claimed by whichever instance is free.
func (m *Main) jobRunner() *forum.JobRunner {
	return &forum.JobRunner{
		DB:  m.db,
		Log: m.Log,
		// Short in tests, which stop the database and wait for the jobs to fail.
		Poll: m.JobPoll,
		Handlers: map[string]forum.JobHandler{
			forum.JobTrustPromotion:        m.db.TrustPromotionJob,
			forum.JobNotificationSweep:     m.db.NotificationSweepJob,
			forum.JobSearchBackfill:        m.db.SearchBackfillJob,
			forum.JobMessageSearchBackfill: m.db.MessageSearchBackfillJob,
			forum.JobUploadCleanup:         m.db.UploadCleanupJob,
			forum.JobWebhookDelivery:       server.NewWebhookSender(m.Config, m.db, m.Log).Deliver,
			forum.JobBookmarkReminders:     m.db.BookmarkRemindersJob,
			forum.JobHealthRollup:          m.db.HealthRollupJob,
			forum.JobEmailDigests:          m.db.EmailDigestsJob,
		},
		Periodic: []forum.PeriodicJob{
			{Kind: forum.JobTrustPromotion, Every: forum.TrustPromotionEvery},
			{Kind: forum.JobNotificationSweep, Every: forum.NotificationSweepEvery},
			{Kind: forum.JobUploadCleanup, Every: forum.UploadCleanupEvery},
			{Kind: forum.JobBookmarkReminders, Every: forum.BookmarkRemindersEvery},
			{Kind: forum.JobHealthRollup, Every: forum.HealthRollupEvery},
			{Kind: forum.JobEmailDigests, Every: forum.EmailDigestsEvery},
		},
	}
}

// Close releases the database after the server has stopped.
func (m *Main) Close() error {
	if m.db != nil {
		return m.db.Close()
	}
	return nil
}

func cmdServe(ctx context.Context, cfg server.Config, log *slog.Logger, args []string) error {
	m := &Main{Config: cfg, Log: log}
	for _, a := range args {
		switch a {
		case "--no-migrate":
			m.NoMigrate = true
		default:
			return usageError{fmt.Sprintf("serve: unknown flag %q", a)}
		}
	}
	start := time.Now()
	defer func() { _ = m.Close() }() // the server has stopped: nothing is left to lose
	if err := m.Open(ctx); err != nil {
		return err
	}
	log.Info("ready", "after", time.Since(start).Round(time.Millisecond))
	err := m.Run(ctx)
	log.Info("stopped")
	return err
}

// requestStatementTimeout bounds every statement of the server's
// connections (requests and background jobs); searches have a stricter one
// (forum/search_limits.go), migrations none.
const requestStatementTimeout = 30 * time.Second

func openDB(ctx context.Context, cfg server.Config, log *slog.Logger) (*forum.DB, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("PALABRE_DATABASE_URL is not set (make run provides a local database)")
	}
	return forum.Open(ctx, cfg.DatabaseURL, forum.PoolOptions{
		MaxConns: cfg.DBMaxConns, MaxLifetime: time.Hour, WaitFor: cfg.DBWait,
		StatementTimeout: requestStatementTimeout,
	}, log)
}

// ensureSchema migrates, or with noMigrate refuses a schema that is behind.
func ensureSchema(db *forum.DB, noMigrate bool, log *slog.Logger) error {
	if !noMigrate {
		if err := db.Migrate(); err != nil {
			return err
		}
	}
	st, err := db.SchemaStatus(context.Background())
	switch {
	case err != nil:
		return err
	case st.Dirty:
		return fmt.Errorf("the database schema is dirty at version %d: a migration failed half-way; repair it by hand", st.Current)
	case st.Current > st.Latest:
		log.Warn("the database schema is newer than this binary", "schema", st.Current, "binary", st.Latest)
	case st.Behind():
		return fmt.Errorf("the database schema is at version %d, this binary needs %d: run `palabre migrate up` or serve without --no-migrate", st.Current, st.Latest)
	}
	return nil
}

func cmdMigrate(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	if len(args) > 1 || (action != "up" && action != "status") {
		return usageError{"migrate takes up or status"}
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "up" {
		if err := db.Migrate(); err != nil {
			return err
		}
	}
	st, err := db.SchemaStatus(context.Background())
	if err != nil {
		return err
	}
	state := "current"
	switch {
	case st.Dirty:
		state = "dirty"
	case st.Behind():
		state = "behind"
	}
	fmt.Fprintf(stdout, "schema version %d of %d (%s)\n", st.Current, st.Latest, state)
	return nil
}

func cmdDemo(ctx context.Context, cfg server.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	ifEmpty := false
	for _, a := range args {
		if a != "--if-empty" {
			return usageError{fmt.Sprintf("demo: unknown flag %q", a)}
		}
		ifEmpty = true
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureSchema(db, false, log); err != nil {
		return err
	}
	if err := db.Prepare(ctx); err != nil {
		return err
	}
	accounts, err := moderation.SeedDemo(ctx, db, moderation.NewPipeline(db))
	if forum.ErrorCode(err) == forum.ECONFLICT {
		if ifEmpty {
			return nil
		}
		return errors.New("the database already has members: the demo only seeds an empty database")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo community seeded. Accounts (passwords are random, keep them):\n")
	for _, a := range accounts {
		fmt.Fprintf(stdout, "  %-10s %-9s password: %s\n", a.Username, a.Role, a.Password)
	}
	fmt.Fprintf(stdout, "Open %s and log in as %s to administer.\n", cfg.BaseURL, accounts[0].Username)
	return nil
}

// oneLine keeps an error message on one line for stderr.
func oneLine(err error) string {
	s := err.Error()
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '\n' {
			r = ';'
		}
		out = append(out, r)
	}
	return string(out)
}
