package forum

import (
	"context"
	"errors"
	"time"

	"github.com/lib/pq"
)

// Replies submitted at the same moment by concurrent requests are stored by
// one transaction and one commit (storeRepliesTx), as PostgreSQL's group
// commit shares one flush among transactions: while a batch runs, the
// replies that arrive wait for the next one. A reply that arrives when no
// batch runs starts one at once, so that a quiet forum stores each reply as
// soon as it comes, in a batch of one. The batches are stored by a worker
// Main runs (workers.go); while it does not run (a command, before Main
// serves or after it stopped), each request stores its own reply.
//
// Nothing is lost or changed by the gathering: each reply gets the answer
// it would have got alone, decided in the order of the replies' threads,
// and a batch that fails as a whole sends each of its replies back to be
// submitted alone.
//
// One batch runs at a time, the worker's: while it runs, the next gathers,
// and the notifications of the last one are written beside it (two at once
// made smaller batches and a higher p99: bench/results.md). A batch waits
// only on short transactions (the thread's and the member's locks).

const (
	// replyBatchLimit is the most replies one transaction stores.
	replyBatchLimit = 64
	// replyBatchTimeout bounds a batch's transaction, which no request's
	// context bounds since it serves several.
	replyBatchTimeout = 30 * time.Second
)

// SubmitReply stores a reply, with those of concurrent requests, then
// notifies about it and announces it (FanOut). A reply the rules refuse
// (the thread's state, the post replied to, the caller's Decide) is not
// stored and its error returned.
func (db *DB) SubmitReply(ctx context.Context, r Reply) (*Post, error) {
	req := &replyRequest{reply: pendingReply{Reply: r, actor: ActorFrom(ctx)}, gone: ctx.Done(), out: make(chan replyAnswer, 1)}
	// From here the request waits for its batch and its fan-out.
	YieldTurn(ctx)
	var ans replyAnswer
	if db.replies.work.give(func() { db.replies.pending = append(db.replies.pending, req) }) {
		select {
		case ans = <-req.out:
		case <-ctx.Done():
			return nil, Internal("creating a post", ctx.Err())
		}
	} else {
		ans.alone = true // no worker runs: the request stores its reply itself
	}
	if ans.alone {
		req.reply.post, req.reply.err = nil, nil
		ans = db.storeReplyBatch(ctx, []*replyRequest{req})[0]
	}
	if ans.err != nil {
		return nil, Internal("creating a post", ans.err)
	}
	p := req.reply.post
	if p == nil {
		return nil, req.reply.err
	}
	// The fan-out announces the new content with its batch.
	switch {
	case ans.notified != nil:
		select {
		case <-ans.notified:
		case <-ctx.Done():
		}
	case p.Status == StatusPublished:
		db.FanOut(ctx, p.ID)
	default:
		db.announceAfterCommit(ctx)
	}
	return p, nil
}

type replyRequest struct {
	reply pendingReply
	gone  <-chan struct{} // the request's end: a reply not yet stored is dropped
	out   chan replyAnswer
}

// replyAnswer is what a batch did for a request; the reply's post or
// refusal are in the request's reply.
type replyAnswer struct {
	// notified, for a published reply, receives a value when its
	// notifications exist: the batch queues the fan-out of all its replies
	// at once (DB.FanOut).
	notified chan struct{}
	// alone: the batch failed as a whole and the reply was not stored; its
	// request submits it on its own.
	alone bool
	err   error // the transaction failed: the reply may or may not be stored
}

// replyBatches gathers the replies waiting for a batch.
type replyBatches struct {
	work    worker // guards pending
	pending []*replyRequest
}

// storeWaitingReplies, the worker's work, runs batches until no reply
// waits. A batch is not cut short when the worker stops: its requests wait.
func (db *DB) storeWaitingReplies(context.Context) {
	b := &db.replies
	for {
		b.work.mu.Lock()
		n := min(len(b.pending), replyBatchLimit)
		if n == 0 {
			b.work.mu.Unlock()
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.work.mu.Unlock()
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
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), replyBatchTimeout)
	defer cancel()
	answers := db.storeReplyBatch(ctx, live)
	for i, r := range live {
		r.out <- answers[i]
	}
}

// storeReplyBatch stores the replies of batch in one transaction and
// queues the fan-out of those published.
func (db *DB) storeReplyBatch(ctx context.Context, batch []*replyRequest) []replyAnswer {
	answers := make([]replyAnswer, len(batch))
	replies := make([]*pendingReply, len(batch))
	for i, r := range batch {
		replies[i] = &r.reply
	}
	err := db.inReplyTx(ctx, replies)
	switch {
	case err != nil && rolledBack(err) && len(batch) > 1:
		// PostgreSQL refused the transaction and rolled it back: nothing of
		// the batch is stored. Each request submits its reply alone, and
		// the one at fault gets its own error.
		db.log.Warn("a batch of replies failed; submitting them one by one", "replies", len(batch), "error", err)
		for i := range answers {
			answers[i].alone = true
		}
		return answers
	case err != nil:
		// Refused alone, or the connection or the server failed: whether
		// the batch was stored is unknown.
		for i := range answers {
			answers[i].err = err
		}
		return answers
	}
	var published []fanOutRequest
	for i, r := range replies {
		if r.post != nil && r.post.Status == StatusPublished {
			answers[i].notified = make(chan struct{}, 1)
			published = append(published, fanOutRequest{postID: r.post.ID, done: answers[i].notified})
		}
	}
	if len(published) > 0 {
		db.queueFanOut(published)
	}
	return answers
}

// inReplyTx runs storeRepliesTx in a transaction of its own, with the
// content triggers silenced (the fan-out or the request announces after
// the commit).
func (db *DB) inReplyTx(ctx context.Context, replies []*pendingReply) error {
	tx, err := db.pool.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := storeRepliesTx(ctx, tx, &db.stmts, true, replies); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
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

// YieldTurn calls the yield of ctx, if any: its request is about to wait
// for something other than the processor and the database.
func YieldTurn(ctx context.Context) {
	if yield, _ := ctx.Value(yieldKey{}).(func()); yield != nil {
		yield()
	}
}
