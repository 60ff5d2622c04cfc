package forum

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Replies submitted at the same moment by concurrent requests are stored by
// one statement and one commit (migration 0030's submit_replies), as
// PostgreSQL's group commit shares one flush among transactions: while
// a batch runs, the replies that arrive wait for the next one. A reply that
// arrives when no batch runs starts one at once, so that a quiet forum
// stores each reply as soon as it comes, by the one-reply statement
// (submit_reply).
//
// Nothing is lost or changed by the gathering: each reply gets the answer
// submit_reply would have given it (it is submit_reply, called in the
// order of the replies' threads), and a batch that fails as a whole sends
// each of its replies back to be submitted alone.

const (
	// replyBatchesRunning is how many batches may run at once. One: while it
	// runs, the next gathers, and the notifications of the last one are
	// written beside it. Measured on 2 cores, 64 connections posting: 1,760-
	// 1,860 replies/s with a p99 of 53-58 ms; with two at once, 1,580-2,090
	// replies/s but a p99 of 62-75 ms, the batches being smaller. A batch
	// waits only on short transactions (the thread's and the member's locks).
	replyBatchesRunning = 1
	// replyBatchLimit is the most replies one statement stores.
	replyBatchLimit = 64
	// replyBatchTimeout bounds a batch's statement, which no request's
	// context bounds since it serves several.
	replyBatchTimeout = 30 * time.Second
)

const submitReplies = `
SELECT ord, post_id, post_number, post_created_at, recent_posts, duplicate, published, history_reached,
	thread_found, thread_locked, thread_closed, thread_status, thread_author_id
FROM submit_replies($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// replyArgs are submit_reply's arguments.
type replyArgs struct {
	threadID, authorID int64
	staff              bool
	markdown, html     string
	status             string
	history            bool
	postLimit          int
	duplicateMinutes   int
	publishedLimit     int
}

func (a *replyArgs) values() []any {
	return []any{a.threadID, a.authorID, a.staff, a.markdown, a.html, a.status, a.history,
		a.postLimit, a.duplicateMinutes, a.publishedLimit}
}

// replyRow is submit_reply's answer.
type replyRow struct {
	postID, threadAuthor           sql.NullInt64
	number                         sql.NullInt32
	created                        sql.NullTime
	history                        History
	reached, found, locked, closed sql.NullBool
	threadStatus                   sql.NullString
}

func (r *replyRow) dest() []any {
	return []any{&r.postID, &r.number, &r.created, &r.history.RecentPosts, &r.history.Duplicate,
		&r.history.Published, &r.reached, &r.found, &r.locked, &r.closed, &r.threadStatus, &r.threadAuthor}
}

type replyRequest struct {
	args replyArgs
	gone <-chan struct{} // the request's end: a reply not yet stored is dropped
	out  chan replyAnswer
}

type replyAnswer struct {
	row replyRow
	// notified, for a published reply of a batch, receives a value when
	// its notifications exist: the batch queues the fan-out of all its
	// replies at once (DB.FanOut).
	notified chan struct{}
	// alone: the batch failed as a whole and the reply was not stored; its
	// request submits it on its own.
	alone bool
	err   error
}

// replyBatches gathers the replies waiting for a batch.
type replyBatches struct {
	mu      sync.Mutex
	pending []*replyRequest
	running int
	// gathered counts the replies stored by a batch of more than one, for
	// the tests.
	gathered int
}

// storeReply stores one reply, with those of concurrent requests, and
// returns submit_reply's answer, and for a published reply the channel its
// notifications will be announced on when its batch queued them (nil when
// the caller must call FanOut). When ctx ends first, the reply is dropped
// if its batch has not begun.
func (db *DB) storeReply(ctx context.Context, a replyArgs) (replyRow, chan struct{}, error) {
	req := &replyRequest{args: a, gone: ctx.Done(), out: make(chan replyAnswer, 1)}
	b := &db.replies
	b.mu.Lock()
	b.pending = append(b.pending, req)
	if b.running < replyBatchesRunning {
		b.running++
		go db.runReplyBatches()
	}
	b.mu.Unlock()
	select {
	case ans := <-req.out:
		if ans.alone {
			row, err := db.storeReplyAlone(ctx, a)
			return row, nil, err
		}
		return ans.row, ans.notified, ans.err
	case <-ctx.Done():
		return replyRow{}, nil, ctx.Err()
	}
}

// storeReplyAlone stores one reply by submit_reply.
func (db *DB) storeReplyAlone(ctx context.Context, a replyArgs) (replyRow, error) {
	var row replyRow
	err := db.stmts.submitReply.QueryRowContext(ctx, a.values()...).Scan(row.dest()...)
	return row, err
}

// runReplyBatches runs batches until no reply waits.
func (db *DB) runReplyBatches() {
	b := &db.replies
	for {
		b.mu.Lock()
		n := min(len(b.pending), replyBatchLimit)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		db.runReplyBatch(batch)
	}
}

// runReplyBatch stores the replies of batch whose requests still wait and
// answers each.
func (db *DB) runReplyBatch(batch []*replyRequest) {
	live := batch[:0:0]
	for _, r := range batch {
		select {
		case <-r.gone:
			r.out <- replyAnswer{err: context.Canceled}
		default:
			live = append(live, r)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), replyBatchTimeout)
	defer cancel()
	switch len(live) {
	case 0:
		return
	case 1:
		row, err := db.storeReplyAlone(ctx, live[0].args)
		live[0].out <- replyAnswer{row: row, err: err}
		return
	}
	rows, err := db.submitReplies(ctx, live)
	switch {
	case err != nil && rolledBack(err):
		// PostgreSQL refused the statement and rolled it back: nothing of
		// the batch is stored. Each request submits its reply alone, and
		// the one at fault gets its own error.
		db.log.Warn("a batch of replies failed; submitting them one by one", "replies", len(live), "error", err)
		for _, r := range live {
			r.out <- replyAnswer{alone: true}
		}
		return
	case err != nil:
		// The connection or the server failed: whether the batch was
		// stored is unknown.
		for _, r := range live {
			r.out <- replyAnswer{err: err}
		}
		return
	}
	b := &db.replies
	b.mu.Lock()
	b.gathered += len(live)
	b.mu.Unlock()
	answers := make([]replyAnswer, len(live))
	var published []fanOutRequest
	for i := range live {
		answers[i].row = rows[i]
		if rows[i].postID.Valid && live[i].args.status == StatusPublished {
			answers[i].notified = make(chan struct{}, 1)
			published = append(published, fanOutRequest{postID: rows[i].postID.Int64, done: answers[i].notified})
		}
	}
	if len(published) > 0 {
		db.queueFanOut(published)
	}
	for i, r := range live {
		r.out <- answers[i]
	}
}

// rolledBack reports whether err is PostgreSQL refusing a statement,
// which it then rolled back, rather than a failure of the connection or of
// the server, after which the statement may have been committed.
func rolledBack(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	switch pqErr.Code.Class() {
	case "08", "57", "58", "XX": // connection, operator intervention, system, internal
		return pqErr.Code == "57014" // canceled by statement_timeout or the caller
	}
	return true
}

// submitReplies runs submit_replies for batch and returns its answers in
// the batch's order.
func (db *DB) submitReplies(ctx context.Context, batch []*replyRequest) ([]replyRow, error) {
	n := len(batch)
	var (
		threads, authors                     = make([]int64, n), make([]int64, n)
		staff, history                       = make([]bool, n), make([]bool, n)
		markdown, html, statuses             = make([]string, n), make([]string, n), make([]string, n)
		postLimits, duplicates, publishedMin = make([]int64, n), make([]int64, n), make([]int64, n)
	)
	for i, r := range batch {
		a := &r.args
		threads[i], authors[i], staff[i], history[i] = a.threadID, a.authorID, a.staff, a.history
		markdown[i], html[i], statuses[i] = a.markdown, a.html, a.status
		postLimits[i], duplicates[i], publishedMin[i] = int64(a.postLimit), int64(a.duplicateMinutes), int64(a.publishedLimit)
	}
	rs, err := db.stmts.submitReplies.QueryContext(ctx, pq.Array(threads), pq.Array(authors), pq.Array(staff),
		pq.Array(markdown), pq.Array(html), pq.Array(statuses), pq.Array(history),
		pq.Array(postLimits), pq.Array(duplicates), pq.Array(publishedMin))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	rows := make([]replyRow, n)
	answered := 0
	for rs.Next() {
		var ord int
		var row replyRow
		if err := rs.Scan(append([]any{&ord}, row.dest()...)...); err != nil {
			return nil, err
		}
		if ord < 1 || ord > n {
			return nil, errors.New("submit_replies answered for a reply it was not given")
		}
		rows[ord-1] = row
		answered++
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if answered != n {
		return nil, errors.New("submit_replies did not answer for every reply")
	}
	return rows, nil
}

type yieldKey struct{}

// WithYield returns a context whose request calls yield when it starts to
// wait for work done for it elsewhere: its reply stored by a batch with
// others, and their notifications. The server's admission (which works on
// a few requests at once, server/admission.go) then gives the request's
// turn to another: a turn spent waiting for a batch would keep the next
// replies from joining it. yield may be called more than once.
func WithYield(ctx context.Context, yield func()) context.Context {
	return context.WithValue(ctx, yieldKey{}, yield)
}

// yieldTurn calls the yield of ctx, if any.
func yieldTurn(ctx context.Context) {
	if yield, _ := ctx.Value(yieldKey{}).(func()); yield != nil {
		yield()
	}
}
