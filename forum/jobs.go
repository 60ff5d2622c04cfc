package forum

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jmoiron/sqlx"
)

// Job is a unit of background work stored in the jobs table. Any instance
// may claim it (FOR UPDATE SKIP LOCKED); a claim is a lease, so the work of
// an instance that died is taken up again once the lease ends.
type Job struct {
	ID          int64           `db:"id"`
	Kind        string          `db:"kind"`
	UniqueKey   *string         `db:"unique_key"`
	Payload     json.RawMessage `db:"payload"`
	RunAt       time.Time       `db:"run_at"`
	Attempts    int             `db:"attempts"`
	MaxAttempts int             `db:"max_attempts"`
	LastError   string          `db:"last_error"`
}

const jobColumns = `id, kind, unique_key, payload, run_at, attempts, max_attempts, last_error`

// NewJob is work to enqueue.
type NewJob struct {
	Kind        string
	UniqueKey   string    // "" for none; otherwise at most one pending job per key
	Payload     any       // marshalled to JSON; nil for {}
	RunAt       time.Time // zero: now
	MaxAttempts int       // zero: 5
}

const insertJob = `
INSERT INTO jobs (kind, unique_key, payload, run_at, max_attempts)
VALUES ($1, NULLIF($2, ''), $3, coalesce($4, now()), $5)
ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL DO NOTHING`

// EnqueueJob adds a job; it reports false when a pending job with the same
// unique key exists already.
func (db *DB) EnqueueJob(ctx context.Context, nj NewJob) (bool, error) {
	return enqueueJob(ctx, db.pool, nj)
}

func enqueueJob(ctx context.Context, q sqlx.ExecerContext, nj NewJob) (bool, error) {
	payload := "{}"
	if nj.Payload != nil {
		b, err := jsonArg(nj.Payload)
		if err != nil {
			return false, Internal("encoding a job", err)
		}
		payload = b
	}
	if nj.MaxAttempts <= 0 {
		nj.MaxAttempts = 5
	}
	var runAt *time.Time
	if !nj.RunAt.IsZero() {
		runAt = &nj.RunAt
	}
	res, err := q.ExecContext(ctx, insertJob, nj.Kind, nj.UniqueKey, payload, runAt, nj.MaxAttempts)
	if err != nil {
		return false, Internal("enqueueing a job", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const claimJob = `
UPDATE jobs SET locked_until = now() + $3 * interval '1 second', locked_by = $2, attempts = attempts + 1
WHERE id = (
	SELECT id FROM jobs
	WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()
	  AND (locked_until IS NULL OR locked_until < now()) AND kind = ANY($1)
	ORDER BY run_at, id
	LIMIT 1
	FOR UPDATE SKIP LOCKED)
RETURNING ` + jobColumns

// ClaimJob takes the oldest due job of the given kinds for worker, for the
// length of lease; nil when there is none.
func (db *DB) ClaimJob(ctx context.Context, worker string, kinds []string, lease time.Duration) (*Job, error) {
	var j Job
	err := db.pool.GetContext(ctx, &j, claimJob, stringArray(kinds...), worker, int(lease.Seconds()))
	if err != nil {
		if ErrorCode(notFound(err, "", "")) == ENOTFOUND {
			return nil, nil
		}
		return nil, Internal("claiming a job", err)
	}
	return &j, nil
}

const completeJob = `
UPDATE jobs SET done_at = now(), locked_until = NULL, last_error = ''
WHERE id = $1 AND locked_by = $2 AND done_at IS NULL`

// CompleteJob marks a claimed job done and, in the same transaction,
// enqueues next (a periodic job's next run) when it is not nil.
func (db *DB) CompleteJob(ctx context.Context, j *Job, worker string, next *NewJob) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, completeJob, j.ID, worker)
		if err != nil {
			return Internal("completing a job", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ECONFLICT, "job.lost", nil)
		}
		if next != nil {
			_, err = enqueueJob(ctx, tx, *next)
		}
		return err
	})
}

const retryJob = `
UPDATE jobs SET locked_until = NULL, last_error = $3,
	run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE now() + $4 * interval '1 second' END,
	failed_at = CASE WHEN attempts >= max_attempts THEN now() END
WHERE id = $1 AND locked_by = $2 AND done_at IS NULL`

// FailJob records a failed attempt: the job runs again later with an
// exponential backoff, or is given up after its last attempt.
func (db *DB) FailJob(ctx context.Context, j *Job, worker string, cause error) error {
	backoff := min(time.Duration(1<<min(j.Attempts, 10))*15*time.Second, 6*time.Hour)
	msg := cause.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	_, err := db.pool.ExecContext(ctx, retryJob, j.ID, worker, toValidText(msg), int(backoff.Seconds()))
	return Internal("recording a job failure", err)
}

// toValidText drops invalid UTF-8 and NUL bytes, which PostgreSQL's text
// refuses.
func toValidText(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r != 0 && r != '\uFFFD' {
			out = append(out, r)
		}
	}
	return string(out)
}

// JobHandler does the work of one job; an error makes it retry.
type JobHandler func(ctx context.Context, j *Job) error

// PeriodicJob is a job kind that runs every Every: after each run, the
// runner enqueues the next one.
type PeriodicJob struct {
	Kind  string
	Every time.Duration
}

// JobRunner claims and runs jobs until its context ends.
type JobRunner struct {
	DB       *DB
	Log      *slog.Logger
	Handlers map[string]JobHandler
	Periodic []PeriodicJob
	Poll     time.Duration // how often to look for due work; zero: 5s
	Lease    time.Duration // how long a claim lasts; zero: 10 minutes
	Worker   string        // this runner's name; zero: host, pid and a random suffix

	work *Work // logs an outage once, not each failed round
}

func (r *JobRunner) defaults() {
	if r.Poll <= 0 {
		r.Poll = 5 * time.Second
	}
	if r.Lease <= 0 {
		r.Lease = 10 * time.Minute
	}
	if r.Worker == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		r.Worker = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	if r.work == nil {
		r.work = r.DB.Work("jobs", r.Log)
	}
}

// Run schedules the periodic jobs (once for all instances, by unique key),
// then runs due jobs until ctx ends. Failures are logged and retried: it
// returns only when ctx ends.
func (r *JobRunner) Run(ctx context.Context) error {
	r.defaults()
	scheduled := false
	for {
		if !scheduled {
			scheduled = r.schedule(ctx)
		}
		if _, err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.work.Failed("running jobs", err)
		} else if err == nil {
			r.work.Succeeded()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.Poll):
		}
	}
}

// RunDue runs the jobs due now, one at a time, until none is left, and
// returns how many ran (successfully or not).
func (r *JobRunner) RunDue(ctx context.Context) (int, error) {
	r.defaults()
	kinds := make([]string, 0, len(r.Handlers))
	for k := range r.Handlers {
		kinds = append(kinds, k)
	}
	n := 0
	for ctx.Err() == nil {
		j, err := r.DB.ClaimJob(ctx, r.Worker, kinds, r.Lease)
		if err != nil || j == nil {
			return n, err
		}
		n++
		r.runOne(ctx, j)
	}
	return n, nil
}

func (r *JobRunner) runOne(ctx context.Context, j *Job) {
	start := time.Now()
	jobCtx, cancel := context.WithTimeout(WithSystem(ctx), r.Lease)
	err := r.Handlers[j.Kind](jobCtx, j)
	cancel()
	if err != nil {
		if IsUnavailable(err) {
			r.work.Failed("job failed", err, "job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
		} else {
			r.Log.Warn("job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "error", err)
		}
		if err := r.DB.FailJob(context.WithoutCancel(ctx), j, r.Worker, err); err != nil {
			r.work.Failed("recording a job failure", err, "job", j.ID)
		}
		// A periodic job given up still has its next run.
		if next := r.nextRun(j); next != nil && j.Attempts >= j.MaxAttempts {
			if _, err := r.DB.EnqueueJob(context.WithoutCancel(ctx), *next); err != nil {
				r.work.Failed("scheduling a job", err, "kind", j.Kind)
			}
		}
		return
	}
	next := r.nextRun(j)
	if err := r.DB.CompleteJob(context.WithoutCancel(ctx), j, r.Worker, next); err != nil {
		r.work.Failed("completing a job", err, "job", j.ID)
		return
	}
	r.Log.Info("job done", "job", j.ID, "kind", j.Kind, "duration", time.Since(start).Round(time.Millisecond))
}

// nextRun is the next run of a periodic job kind, nil for other kinds.
func (r *JobRunner) nextRun(j *Job) *NewJob {
	for _, p := range r.Periodic {
		if p.Kind == j.Kind {
			return &NewJob{Kind: p.Kind, UniqueKey: p.Kind, RunAt: time.Now().Add(p.Every), MaxAttempts: 3}
		}
	}
	return nil
}

// schedule enqueues the first run of each periodic job unless one is
// pending already; it reports whether it succeeded (else it is tried again
// at the next poll).
func (r *JobRunner) schedule(ctx context.Context) bool {
	for _, p := range r.Periodic {
		if _, err := r.DB.EnqueueJob(ctx, NewJob{Kind: p.Kind, UniqueKey: p.Kind, MaxAttempts: 3}); err != nil {
			if ctx.Err() == nil {
				r.work.Failed("scheduling a job", err, "kind", p.Kind)
			}
			return false
		}
	}
	return true
}

// PurgeJobs deletes the jobs done more than a week ago and those given up
// more than a month ago (time to read their last error), so that periodic
// jobs do not pile up.
func (db *DB) PurgeJobs(ctx context.Context) (int64, error) {
	res, err := db.pool.ExecContext(ctx, `
DELETE FROM jobs WHERE done_at < now() - interval '7 days' OR failed_at < now() - interval '30 days'`)
	if err != nil {
		return 0, Internal("purging jobs", err)
	}
	return res.RowsAffected()
}
