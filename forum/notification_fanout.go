package forum

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// A published post is notified in two steps (migration 0027):
//
//   - in the transaction that stores or publishes it, RecordPostTx (or
//     store_replies, for a reply) queues it (notification_queue);
//   - after the commit, FanOut notifies the queued posts of every request
//     that committed at the same moment with one statement.
//
// Notifying each post in its own transaction was the dearest part of
// posting: most of it was setting up the same statement again for each
// post. The request waits for its batch, so a post's notifications and
// mails exist when it returns, as they did. A post whose server stopped in
// between is notified by the sweep (NotificationSweepJob).

// queueNotification queues a published post for its notifications; queued
// twice (an edit that mentions someone new), it is notified once more,
// and notify_published_posts never tells anyone twice of one post.
const queueNotification = `INSERT INTO notification_queue (post_id) VALUES ($1) ON CONFLICT DO NOTHING`

// fanOutPosts claims the posts given that are still queued (the sweep may
// have taken some) and notifies about them.
const fanOutPosts = `SELECT fan_out_notifications($1, NULL, NULL)`

// fanOutOld claims the posts queued for longer than $1 seconds, at most $2.
const fanOutOld = `SELECT fan_out_notifications(NULL, make_interval(secs => $1), $2)`

const (
	// JobNotificationSweep notifies the posts left in the queue by a server
	// that stopped between a post's commit and its fan-out.
	JobNotificationSweep = "notifications.sweep"
	// NotificationSweepEvery is how often the sweep runs.
	NotificationSweepEvery = time.Minute
	// notificationSweepAge is how long a post stays queued before the sweep
	// takes it: long past any live request's own fan-out.
	notificationSweepAge = 30 * time.Second
	// notificationSweepBatch is how many posts one statement of the sweep
	// notifies.
	notificationSweepBatch = 500
)

// fanOut gathers the posts that requests have just committed, so that the
// posts of concurrent requests are notified by one statement: while one
// batch runs, the next gathers, as PostgreSQL's group commit does.
type fanOut struct {
	work    worker // guards pending; StartWorkers runs it
	pending []fanOutRequest
}

type fanOutRequest struct {
	postID int64
	done   chan struct{}
}

// FanOut notifies about posts just committed by the caller and queued with
// them (RecordPostTx, store_replies), announces them on ChannelContent with PayloadAfterCommit
// (migration 0027), and returns when that is done, or when ctx ends (the
// batch goes on). A failure is logged, not returned: the post is stored,
// and stays queued for the sweep.
func (db *DB) FanOut(ctx context.Context, postIDs ...int64) {
	if len(postIDs) == 0 {
		return
	}
	done := make(chan struct{}, len(postIDs))
	reqs := make([]fanOutRequest, len(postIDs))
	for i, id := range postIDs {
		reqs[i] = fanOutRequest{postID: id, done: done}
	}
	db.queueFanOut(reqs)
	for range postIDs {
		select {
		case <-ctx.Done():
			return
		case <-done:
		}
	}
}

// queueFanOut queues posts for the next fan-out at once, so that one
// statement takes them all; each request's done receives a value when its
// post is notified about.
func (db *DB) queueFanOut(reqs []fanOutRequest) {
	// Every published post passes here: its words wait in the search
	// index's pending list (search_index.go).
	db.searchIndexChanged()
	if !db.fanOut.work.give(func() { db.fanOut.pending = append(db.fanOut.pending, reqs...) }) {
		db.fanOutBatch(reqs) // no worker runs: the request notifies itself
	}
}

// fanOutWaiting, the worker's work, runs batches until no request waits.
func (db *DB) fanOutWaiting(context.Context) {
	f := &db.fanOut
	for {
		f.work.mu.Lock()
		batch := f.pending
		f.pending = nil
		f.work.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		db.fanOutBatch(batch)
	}
}

// fanOutBatch notifies about the posts of batch with one statement.
func (db *DB) fanOutBatch(batch []fanOutRequest) {
	ids := make([]int64, len(batch))
	for i, r := range batch {
		ids[i] = r.postID
	}
	if _, err := db.stmts.fanOutPosts.ExecContext(context.Background(), pq.Array(ids)); err != nil {
		db.Work("notification fan-out", db.log).Failed("notifying about new posts; the sweep will", err, "posts", len(ids))
	} else {
		db.Work("notification fan-out", db.log).Succeeded()
	}
	for _, r := range batch {
		r.done <- struct{}{}
	}
}

// SweepNotifications notifies about the posts queued for longer than age,
// and returns how many it took.
func (db *DB) SweepNotifications(ctx context.Context, age time.Duration) (int, error) {
	total := 0
	for {
		var n int
		if err := db.pool.QueryRowContext(ctx, fanOutOld, age.Seconds(), notificationSweepBatch).Scan(&n); err != nil {
			return total, Internal("notifying about queued posts", err)
		}
		total += n
		if n < notificationSweepBatch {
			return total, nil
		}
	}
}

// NotificationSweepJob is the job handler of JobNotificationSweep.
func (db *DB) NotificationSweepJob(ctx context.Context, _ *Job) error {
	n, err := db.SweepNotifications(ctx, notificationSweepAge)
	if n > 0 {
		db.log.Info("notified about posts left in the queue", "posts", n)
	}
	return err
}
