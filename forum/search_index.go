package forum

import (
	"context"
	"errors"
	"time"

	"github.com/lib/pq"
)

// New posts enter the search index's pending list (the GIN index on
// posts.search_vector is built with fastupdate, migration 0005): an insert
// appends its words there instead of placing each in the index. When the
// list outgrows gin_pending_list_limit (512 kB for posts_search), the
// insert that finds it full moves the whole list into the index itself:
// 10 to 20 ms, about once every thousand posts, in the middle of a batch of
// replies, which then kept every reply of that batch and of the next one
// waiting (posting's p99).
//
// While posts are being published, the server empties the list every
// searchIndexCleanEvery instead, from a connection no request waits for:
// small lists, moved often, cost less in all than large ones, searches
// scan a short list, and an insert that finds another session cleaning
// leaves the work to it. Measured on one backend storing batches of 30
// replies: p99 6.4 ms a batch against 17.5 ms, mean 5.4 ms against 5.9.
// Inserts still clean the list themselves when it fills (a forum whose
// database user does not own the index, several instances), and so does
// autovacuum.

// searchIndexCleanEvery is how often the list is emptied while posts are
// being published; each cleaning then moves a few dozen posts' words.
const searchIndexCleanEvery = 100 * time.Millisecond

const cleanSearchIndex = `SELECT gin_clean_pending_list('posts_search'::regclass)`

// searchIndexCleaner runs while posts are being published (a worker:
// StartWorkers).
type searchIndexCleaner struct {
	work     worker // guards the fields below
	dirty    bool   // posts were published since the last cleaning
	cleaning bool
	refused  bool // the database user may not clean the index: inserts do
}

// searchIndexChanged tells the cleaner that posts were just published.
func (db *DB) searchIndexChanged() {
	c := &db.searchGIN
	c.work.give(func() { c.dirty = true })
}

// cleanSearchIndex, the worker's work, empties the pending list every
// searchIndexCleanEvery until no post was published during one, or until
// the worker stops: the list is then left to inserts and autovacuum.
func (db *DB) cleanSearchIndex(ctx context.Context) {
	c := &db.searchGIN
	c.work.mu.Lock()
	if c.refused {
		c.work.mu.Unlock()
		return
	}
	c.cleaning = true
	c.work.mu.Unlock()
	defer func() {
		c.work.mu.Lock()
		c.cleaning = false
		c.work.mu.Unlock()
	}()
	for {
		select {
		case <-time.After(searchIndexCleanEvery):
		case <-ctx.Done():
			return
		}
		c.work.mu.Lock()
		if !c.dirty {
			c.work.mu.Unlock()
			return
		}
		c.dirty = false
		c.work.mu.Unlock()
		_, err := db.pool.ExecContext(ctx, cleanSearchIndex)
		if ctx.Err() != nil {
			return // stopped while cleaning: not a failure
		}
		var pqErr *pq.Error
		refused := errors.As(err, &pqErr) && pqErr.Code == "42501" // insufficient_privilege
		if refused {
			c.work.mu.Lock()
			c.refused = true
			c.work.mu.Unlock()
		}
		switch {
		case refused:
			// Only the index's owner may: inserts clean it, as before.
			db.log.Info("the search index's pending list is left to inserts and autovacuum: the database user does not own posts_search")
			return
		case err != nil:
			db.Work("search index", db.log).Failed("cleaning the search index's pending list", err)
		default:
			db.Work("search index", db.log).Succeeded()
		}
	}
}
