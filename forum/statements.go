package forum

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// preparedStatements are the queries of the hot paths, prepared once: a
// prepared primary-key lookup serves about twice the requests of an
// unprepared one here.
type preparedStatements struct {
	memberByAPIToken *sqlx.Stmt
	categories       *sqlx.Stmt
	categoryBySlug   *sqlx.Stmt
	sessionMember    *sqlx.Stmt
	// forum: the thread page and the thread lists
	thread          *sqlx.Stmt
	threadPosts     *sqlx.Stmt
	categoryThreads *sqlx.Stmt
	latestThreads   *sqlx.Stmt
	// what every signed-in page or the thread page reads about its viewer
	unreadNotifications *sqlx.Stmt
	watchLevels         *sqlx.Stmt
	// a member's notifications (0.5 ms to plan, 0.01 ms to run)
	notifications *sqlx.Stmt
	// thread pages from snapshots (thread_page.go)
	threadReader      *sqlx.Stmt
	threadPostsReader *sqlx.Stmt
	snapshotThread    *sqlx.Stmt
	snapshotPosts     *sqlx.Stmt
	// the latest threads from snapshots (latest_page.go)
	latestReader *sqlx.Stmt
	// replies, alone or with others, and the fan-out of their
	// notifications (reply_store.go, reply_batches.go, notification_fanout.go)
	replyFacts   *sqlx.Stmt
	storeReplies *sqlx.Stmt
	fanOutPosts  *sqlx.Stmt
}

func (s *preparedStatements) prepare(ctx context.Context, db *sqlx.DB) error {
	for _, p := range []struct {
		dst   **sqlx.Stmt
		query string
	}{
		{&s.memberByAPIToken, selectMemberByAPIToken},
		{&s.categories, selectCategories},
		{&s.categoryBySlug, selectCategoryBySlug},
		{&s.sessionMember, selectSessionMember},
		{&s.thread, selectThread},
		{&s.threadPosts, selectThreadPosts},
		{&s.categoryThreads, selectCategoryThreads},
		{&s.latestThreads, selectLatestThreads},
		{&s.latestReader, selectLatestReader},
		// Planning these joins cost more than running them (0.28 ms a page).
		{&s.unreadNotifications, countUnreadNotifications},
		{&s.watchLevels, selectWatchLevels},
		{&s.notifications, selectNotifications},
		{&s.threadReader, selectThreadReader},
		{&s.threadPostsReader, selectThreadPostsReader},
		{&s.snapshotThread, selectSnapshotThread},
		{&s.snapshotPosts, selectSnapshotPosts},
		{&s.replyFacts, selectReplyFacts},
		{&s.storeReplies, insertReplies},
		{&s.fanOutPosts, fanOutPosts},
	} {
		stmt, err := db.PreparexContext(ctx, p.query)
		if err != nil {
			s.close()
			return fmt.Errorf("preparing %q: %w", firstLine(p.query), err)
		}
		*p.dst = stmt
	}
	return nil
}

func (s *preparedStatements) close() {
	for _, st := range []*sqlx.Stmt{s.memberByAPIToken, s.categories, s.categoryBySlug, s.sessionMember,
		s.thread, s.threadPosts, s.categoryThreads, s.latestThreads,
		s.unreadNotifications, s.watchLevels, s.notifications, s.threadReader, s.threadPostsReader, s.snapshotThread, s.snapshotPosts, s.latestReader,
		s.replyFacts, s.storeReplies, s.fanOutPosts} {
		if st != nil {
			st.Close()
		}
	}
}

// otherStatements are the statements prepared on demand, by pool and
// query: other packages' (DB.Prepared), and those of searches, which run
// on the replica when there is one (preparedOn).
type otherStatements struct {
	mu    sync.RWMutex
	stmts map[preparedKey]*sqlx.Stmt
}

type preparedKey struct {
	pool  *sqlx.DB
	query string
}

// Prepared returns query prepared on this handle, preparing it the first
// time: for another package's statement whose plan costs more than its run,
// like the review queue's seven joins (2.4 ms to plan, 0.1 ms to run; a
// prepared statement is planned once per connection after five runs).
func (db *DB) Prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	return db.preparedOn(ctx, db.pool, query)
}

// preparedOn returns query prepared on pool (the primary's or the
// replica's), preparing it the first time; database/sql prepares it again
// on each connection that runs it.
func (db *DB) preparedOn(ctx context.Context, pool *sqlx.DB, query string) (*sqlx.Stmt, error) {
	o := &db.others
	key := preparedKey{pool, query}
	o.mu.RLock()
	st := o.stmts[key]
	o.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if st := o.stmts[key]; st != nil {
		return st, nil
	}
	st, err := pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, Internal("preparing "+firstLine(query), err)
	}
	if o.stmts == nil {
		o.stmts = map[preparedKey]*sqlx.Stmt{}
	}
	o.stmts[key] = st
	return st, nil
}

func (o *otherStatements) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, st := range o.stmts {
		st.Close()
	}
	o.stmts = nil
}

func firstLine(q string) string {
	for i, c := range q {
		if c == '\n' && i > 0 {
			return q[:i]
		}
	}
	return q
}
