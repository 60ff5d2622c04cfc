package forum

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Searches are the one request whose work grows with what members wrote
// rather than with what the request asks, so each is bounded three ways:
// its statement is cancelled after searchStatementTimeout (boundedRead),
// the posts it ranks are the most recent searchCandidates matches, and only
// a few run at once: sixteen slow searches had taken every connection of
// the pool, and posting waited behind them. A search that finds no free
// slot within searchSlotWait answers 503 "busy"; one cancelled by its
// timeout 503 "too slow". Together with the wait they stay under 2 s.
const (
	searchStatementTimeout = 1200 * time.Millisecond
	searchSlotWait         = 500 * time.Millisecond
)

// searchLimits holds the slots of the searches running.
type searchLimits struct {
	once  sync.Once
	slots chan struct{}
}

// searchSlots is how many searches run at once: two per core, at most a
// quarter of the pool, at least two. A search holding its slot waits for
// the database at each of its round trips, and its backend for the server
// between them: with one slot per core, 64 clients got 103 searches/s
// with a core in eight idle, with two 220/s (1M posts, bench/results.md).
func (db *DB) searchSlots() int {
	return max(2, min(2*runtime.GOMAXPROCS(0), db.pool.Stats().MaxOpenConnections/4))
}

// searchSlot waits for a free slot and returns the function that frees it.
func (db *DB) searchSlot(ctx context.Context) (func(), error) {
	l := &db.searchLimits
	l.once.Do(func() { l.slots = make(chan struct{}, db.searchSlots()) })
	wait := time.NewTimer(searchSlotWait)
	defer wait.Stop()
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case <-wait.C:
		return nil, Errorf(EUNAVAILABLE, "search.busy", nil)
	case <-ctx.Done():
		// The request went away (or ran out of time) while it waited: the
		// context's error says which, so that a client who left is not
		// counted as turned away (server.fail answers 499).
		return nil, &Error{Code: EUNAVAILABLE, Key: "search.busy", Err: ctx.Err()}
	}
}
