package forum

import "sync"

// background is the work storage starts on its own, beside the requests
// that cause it: reply batches (reply_batches.go), the notification fan-out
// (notification_fanout.go), the search index's cleaner (search_index.go).
// DB.Close stops what waits and waits for what runs, so that nothing uses
// the pool, or logs, once storage is closed (a command's output would
// otherwise get a late line).
type background struct {
	mu      sync.Mutex
	running sync.WaitGroup
	stop    chan struct{} // closed by close
	closed  bool
}

// run starts f on its own goroutine, tracked until it returns. Work that
// requests wait for (a batch) always starts: it ends when its queue is
// empty.
func (b *background) run(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		go f() // a late request's batch: nothing waits for it any more
		return
	}
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		f()
	}()
}

// runUnlessClosed starts f like run, unless storage is closing: optional
// work (cleaning an index). It reports whether f was started.
func (b *background) runUnlessClosed(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		f()
	}()
	return true
}

// stopping is closed once storage closes: optional work returns at once.
func (b *background) stopping() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stop == nil {
		b.stop = make(chan struct{})
	}
	return b.stop
}

// close tells optional work to stop and waits for every goroutine to end.
func (b *background) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		if b.stop == nil {
			b.stop = make(chan struct{})
		}
		close(b.stop)
	}
	b.mu.Unlock()
	b.running.Wait()
}
