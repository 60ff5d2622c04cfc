package forum

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
)

// JobSearchBackfill recomputes the search vectors of posts indexed before
// the parser's input was bounded (migration 0036): they were computed from
// the whole HTML. Migration 0044 queues it once, over the posts that
// existed then.
const JobSearchBackfill = "search.backfill"

// searchBackfillBatch is how many posts one transaction looks at: a few
// milliseconds of locks on ordinary posts, and at most about 25 s of work
// (100 posts at the 0.25 s the longest allowed post costs) under the
// connections' 30 s statement_timeout.
const searchBackfillBatch = 100

// searchBackfillRun bounds one run of the job; the job then queues its
// continuation, so that the runner's other work and other instances get
// their turn, and a run never outlasts its lease.
const searchBackfillRun = time.Minute

// searchBackfillCursor is the job's payload: the posts after After up to
// Upto (ids) remain to be looked at.
type searchBackfillCursor struct {
	After int64 `json:"after"`
	Upto  int64 `json:"upto"`
}

// backfillSearchBatch compares the vectors of the next posts with what
// palabre_post_search_vector computes now and rewrites those that differ
// (setting search_vector alone does not fire the trigger), then moves the
// job's cursor, in the same transaction: a run cut short resumes after the
// last batch committed. The change is not announced (palabre.notify): no
// page shows a vector.
const backfillSearchBatch = `
WITH batch AS (
	SELECT id FROM posts WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3
), fresh AS (
	SELECT p.id, palabre_post_search_vector(coalesce(p.search_config, palabre_search_config()),
		CASE WHEN p.number = 1 THEN t.title END, p.body_html) AS vector
	FROM posts p JOIN batch USING (id) LEFT JOIN threads t ON t.id = p.thread_id
), changed AS (
	UPDATE posts p SET search_vector = f.vector FROM fresh f
	WHERE p.id = f.id AND p.search_vector IS DISTINCT FROM f.vector
	RETURNING p.id
), moved AS (
	UPDATE jobs SET payload = jsonb_set(payload, '{after}', to_jsonb(coalesce((SELECT max(id) FROM batch), $2)))
	WHERE id = $4
)
SELECT coalesce((SELECT max(id) FROM batch), $2) AS last, (SELECT count(*) FROM changed) AS changed`

// SearchBackfillJob is the JobHandler of JobSearchBackfill: it rewrites
// stale vectors batch by batch for at most searchBackfillRun, then queues
// its continuation. Idempotent: a batch done again writes nothing.
func (db *DB) SearchBackfillJob(ctx context.Context, j *Job) error {
	var cur searchBackfillCursor
	if err := json.Unmarshal(j.Payload, &cur); err != nil {
		return Internal("reading the search backfill's cursor", err)
	}
	// A run taken up again after a crash resumes from the cursor stored
	// with the last batch, which the claimed payload may predate.
	if err := db.pool.GetContext(ctx, &cur.After, `SELECT coalesce((payload->>'after')::bigint, 0) FROM jobs WHERE id = $1`, j.ID); err != nil {
		return Internal("reading the search backfill's cursor", err)
	}
	deadline := time.Now().Add(searchBackfillRun)
	rewritten := int64(0)
	for cur.After < cur.Upto {
		var res struct {
			Last    int64 `db:"last"`
			Changed int64 `db:"changed"`
		}
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `SELECT set_config('palabre.notify', 'after_commit', true)`); err != nil {
				return err
			}
			return tx.GetContext(ctx, &res, backfillSearchBatch, cur.After, cur.Upto, searchBackfillBatch, j.ID)
		})
		if err != nil {
			return Internal("recomputing search vectors", err)
		}
		cur.After, rewritten = res.Last, rewritten+res.Changed
		if cur.After < cur.Upto && time.Now().After(deadline) {
			db.log.Info("search backfill: continuing in a next run", "after", cur.After, "upto", cur.Upto, "rewritten", rewritten)
			_, err := db.EnqueueJob(ctx, NewJob{Kind: JobSearchBackfill, Payload: cur, MaxAttempts: 10})
			return err
		}
	}
	db.log.Info("search backfill: done", "upto", cur.Upto, "rewritten", rewritten)
	return nil
}

// QueueSearchRebuild queues JobSearchBackfill over every post (admins only:
// `palabre admin reindex-search`), after a change of the search
// configuration or to repair vectors; a running server's jobs runner does
// the work in batches. It returns the id of the last post the job covers
// (later ones are indexed as they are written), and false when a rebuild is
// already waiting (the unique key): this call then adds nothing.
func (db *DB) QueueSearchRebuild(ctx context.Context) (int64, bool, error) {
	if err := RequireAdmin(ctx); err != nil {
		return 0, false, err
	}
	var upto int64
	if err := db.GetContext(ctx, &upto, `SELECT coalesce(max(id), 0) FROM posts`); err != nil {
		return 0, false, Internal("reading the posts", err)
	}
	queued, err := db.EnqueueJob(ctx, NewJob{Kind: JobSearchBackfill, UniqueKey: JobSearchBackfill,
		Payload: searchBackfillCursor{After: 0, Upto: upto}, MaxAttempts: 10})
	return upto, queued, err
}
