package forum

import (
	"log/slog"
	"sync"
	"time"
)

// Work follows the failures of one background worker (the jobs, the mail,
// the notification fan-out, the search index's cleaning, the LISTEN
// connection). While the database is unavailable (IsUnavailable), a worker
// fails at every attempt: it logs once when it starts failing and once when
// it works again, with the outage's length and its failed attempts, instead
// of a line per attempt. Other failures are logged each time. The failures
// also go through the instance's outage detection (DB.Unavailable), which
// logs the outage for the whole instance once, as requests see it.
type Work struct {
	db   *DB
	log  *slog.Logger
	name string

	mu       sync.Mutex
	since    time.Time // when the worker started failing; zero while it works
	failures int
}

// workRegistry holds the workers of a handle, by name.
type workRegistry struct {
	mu    sync.Mutex
	works map[string]*Work
}

// Work returns the failure follower of the background worker called name,
// the same for every call with that name; it logs to log.
func (db *DB) Work(name string, log *slog.Logger) *Work {
	r := &db.works
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.works[name]; w != nil {
		return w
	}
	if r.works == nil {
		r.works = map[string]*Work{}
	}
	if log == nil {
		log = db.log
	}
	w := &Work{db: db, log: log, name: name}
	r.works[name] = w
	return w
}

// FailingWork is, for each background worker that is failing because the
// database is unavailable, how many of its attempts failed so far.
func (db *DB) FailingWork() map[string]int {
	r := &db.works
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for name, w := range r.works {
		if n := w.Failing(); n > 0 {
			out[name] = n
		}
	}
	return out
}

// Failed notes a failed attempt to do msg: logged when the database is not
// the cause, or when it is and the worker was working until now.
func (w *Work) Failed(msg string, err error, args ...any) {
	if w.db.Unavailable(err) == nil {
		w.log.Error(msg, append(args, "work", w.name, "error", RedactSecrets(err.Error()))...)
		return
	}
	w.Down(msg, err)
}

// Down notes a failed attempt whose cause is the database's availability,
// whatever err says (a lost LISTEN connection).
func (w *Work) Down(msg string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failures++
	if !w.since.IsZero() {
		return
	}
	w.since = time.Now()
	w.log.Error("background work paused: the database is unavailable", "work", w.name, "doing", msg, "error", RedactSecrets(err.Error()))
}

// Succeeded notes a successful attempt, which ends the worker's outage.
func (w *Work) Succeeded() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.since.IsZero() {
		return
	}
	w.log.Info("background work resumed", "work", w.name, "after", time.Since(w.since).Round(time.Millisecond).String(), "failed_attempts", w.failures)
	w.since, w.failures = time.Time{}, 0
}

// Failing is how many attempts failed since the worker started failing
// because of the database (0: it works).
func (w *Work) Failing() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failures
}
