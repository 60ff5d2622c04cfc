package forum

import (
	"context"
	"sync"
)

// Storage's workers are the goroutines it needs beside the requests: the
// reply batches (reply_batches.go), the notification fan-out
// (notification_fanout.go), the search index's cleaner (search_index.go),
// the outage probe (outage.go) and the read replica's probe (replica.go). Main starts them before it serves (StartWorkers) and
// stops them after the HTTP server, before closing the database; each
// finishes what requests gave it before it returns. While one does not
// run (a command, a test that did not start them), requests do its work
// themselves.

// StartWorkers starts storage's workers and returns the function that
// stops them, in order (each feeds the next), once each has finished what
// requests gave it. Close stops them too, if they still run.
func (db *DB) StartWorkers() (stop func()) {
	type started struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	var all []started
	for _, w := range []struct {
		w    *worker
		work func(context.Context)
	}{
		{&db.replies.work, db.storeWaitingReplies},
		{&db.fanOut.work, db.fanOutWaiting},
		{&db.searchGIN.work, db.cleanSearchIndex},
		{&db.outage.work, db.checkOutage},
		{&db.replicaProbe, db.probeReplicaWork},
	} {
		w.w.start() // before StartWorkers returns: the next request queues
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.w.loop(ctx, w.work)
		}()
		all = append(all, started{cancel, done})
	}
	stop = sync.OnceFunc(func() {
		for _, s := range all {
			s.cancel()
			<-s.done
		}
	})
	db.workersMu.Lock()
	db.stopWorkers = append(db.stopWorkers, stop)
	db.workersMu.Unlock()
	return stop
}

// closeWorkers stops the workers still running (DB.Close).
func (db *DB) closeWorkers() {
	db.workersMu.Lock()
	stops := db.stopWorkers
	db.stopWorkers = nil
	db.workersMu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// worker is what a storage worker shares with the requests that give it
// work: whether it runs, and the signal that wakes it.
type worker struct {
	mu      sync.Mutex // also guards the work queued (the owner's fields)
	running bool
	wake    chan struct{}
}

// give queues work with queue, under the worker's lock, and wakes the
// worker, if it runs; it reports whether it did (false: the caller does
// the work itself).
func (w *worker) give(queue func()) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running {
		return false
	}
	queue()
	select {
	case w.wake <- struct{}{}:
	default: // already woken
	}
	return true
}

// start marks the worker running: requests queue work for it from now.
func (w *worker) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
	}
	w.running = true
}

// loop calls work each time the worker is woken, until ctx ends; then,
// once it takes no more work, once more (with ctx ended), for what was
// queued before.
func (w *worker) loop(ctx context.Context, work func(context.Context)) {
	for {
		select {
		case <-w.wake:
			work(ctx)
		case <-ctx.Done():
			w.mu.Lock()
			w.running = false
			w.mu.Unlock()
			work(ctx)
			return
		}
	}
}
