package forum

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// JobSearchBackfill recomputes the search vectors of posts indexed before
// the parser's input was bounded (migration 0036): they were computed from
// the whole HTML. Migration 0044 queues it once, over the posts that
// existed then.
const JobSearchBackfill = "search.backfill"

// JobMessageSearchBackfill is JobSearchBackfill for the messages of
// conversations (migration 0070), queued with it by QueueSearchRebuild: a
// kind of its own, which an instance of a release before 0070 never
// claims.
const JobMessageSearchBackfill = "search.backfill_messages"

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

// backfillSearchBatchOf compares the vectors of the next rows of {table}
// (posts, or messages) with what palabre_post_search_vector computes now,
// the title of their {parents} (a thread's, a conversation's) in the first
// one's as the triggers put it, and rewrites those that differ (setting
// search_vector alone does not fire the trigger), then moves the job's
// cursor, in the same transaction: a run cut short resumes after the last
// batch committed. The change is not announced (palabre.notify): no page
// shows a vector.
const backfillSearchBatchOf = `
WITH batch AS (
	SELECT id FROM {table} WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3
), fresh AS (
	SELECT p.id, palabre_post_search_vector(coalesce(p.search_config, palabre_search_config()),
		CASE WHEN p.number = 1 THEN t.title END, p.body_html) AS vector
	FROM {table} p JOIN batch USING (id) LEFT JOIN {parents} t ON t.id = p.{parent_id}
), changed AS (
	UPDATE {table} p SET search_vector = f.vector FROM fresh f
	WHERE p.id = f.id AND p.search_vector IS DISTINCT FROM f.vector
	RETURNING p.id
), moved AS (
	UPDATE jobs SET payload = jsonb_set(payload, '{after}', to_jsonb(coalesce((SELECT max(id) FROM batch), $2)))
	WHERE id = $4
)
SELECT coalesce((SELECT max(id) FROM batch), $2) AS last, (SELECT count(*) FROM changed) AS changed`

// The batches of posts (migration 0044) and of messages (0070).
var (
	backfillSearchBatch        = backfillSearchBatchFor("posts", "threads", "thread_id")
	backfillMessageSearchBatch = backfillSearchBatchFor("conversation_messages", "conversations", "conversation_id")
)

// backfillSearchBatchFor is backfillSearchBatchOf over table, whose rows'
// titles are in parents, by parentID.
func backfillSearchBatchFor(table, parents, parentID string) string {
	return strings.NewReplacer("{table}", table, "{parents}", parents, "{parent_id}", parentID).Replace(backfillSearchBatchOf)
}

// SearchBackfillJob is the JobHandler of JobSearchBackfill: it rewrites
// stale vectors batch by batch for at most searchBackfillRun, then queues
// its continuation. Idempotent: a batch done again writes nothing.
func (db *DB) SearchBackfillJob(ctx context.Context, j *Job) error {
	return db.searchBackfill(ctx, j, JobSearchBackfill, backfillSearchBatch)
}

// MessageSearchBackfillJob is the JobHandler of JobMessageSearchBackfill,
// the same over messages.
func (db *DB) MessageSearchBackfillJob(ctx context.Context, j *Job) error {
	return db.searchBackfill(ctx, j, JobMessageSearchBackfill, backfillMessageSearchBatch)
}

// searchBackfill runs job j of kind, batch being its statement.
func (db *DB) searchBackfill(ctx context.Context, j *Job, kind, batch string) error {
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
			return tx.GetContext(ctx, &res, batch, cur.After, cur.Upto, searchBackfillBatch, j.ID)
		})
		if err != nil {
			return Internal("recomputing search vectors", err)
		}
		cur.After, rewritten = res.Last, rewritten+res.Changed
		if cur.After < cur.Upto && time.Now().After(deadline) {
			db.log.Info("search backfill: continuing in a next run", "kind", kind, "after", cur.After, "upto", cur.Upto, "rewritten", rewritten)
			_, err := db.EnqueueJob(ctx, NewJob{Kind: kind, Payload: cur, MaxAttempts: 10})
			return err
		}
	}
	db.log.Info("search backfill: done", "kind", kind, "upto", cur.Upto, "rewritten", rewritten)
	return nil
}

// SearchRebuild is what QueueSearchRebuild queued: the rebuild of the
// posts and of the messages up to these ids (later ones are indexed as
// they are written).
type SearchRebuild struct {
	PostsUpto, MessagesUpto int64
}

// QueueSearchRebuild queues JobSearchBackfill over every post, and
// JobMessageSearchBackfill over every message (admins only: `palabre admin
// reindex-search`), after a change of the search configuration or to
// repair vectors; a running server's jobs runner does the work in
// batches. It returns false when both rebuilds are already waiting (their
// unique keys): this call then adds nothing.
func (db *DB) QueueSearchRebuild(ctx context.Context) (SearchRebuild, bool, error) {
	var r SearchRebuild
	if err := RequireAdmin(ctx); err != nil {
		return r, false, err
	}
	if err := db.pool.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM posts), (SELECT coalesce(max(id), 0) FROM conversation_messages)`).
		Scan(&r.PostsUpto, &r.MessagesUpto); err != nil {
		return r, false, Internal("reading the posts and messages", err)
	}
	posts, err := db.EnqueueJob(ctx, NewJob{Kind: JobSearchBackfill, UniqueKey: JobSearchBackfill,
		Payload: searchBackfillCursor{After: 0, Upto: r.PostsUpto}, MaxAttempts: 10})
	if err != nil {
		return r, false, err
	}
	messages, err := db.EnqueueJob(ctx, NewJob{Kind: JobMessageSearchBackfill, UniqueKey: JobMessageSearchBackfill,
		Payload: searchBackfillCursor{After: 0, Upto: r.MessagesUpto}, MaxAttempts: 10})
	return r, posts || messages, err
}
