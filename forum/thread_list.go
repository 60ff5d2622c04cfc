package forum

import (
	"context"
	"database/sql"
	"strings"

	"github.com/jmoiron/sqlx"
)

// ThreadList is one page of a list of threads.
type ThreadList struct {
	Threads []Thread
	Next    string // cursor of the next page, "" on the last one
}

// viewerSQL puts the viewer's parameters in a query: $V is the member's id
// (0 for none), $S whether they are staff.
func viewerSQL(q, v, s string) string {
	return strings.NewReplacer("$V", v, "$S", s).Replace(q)
}

const threadColumns = `
	t.id, t.category_id, c.slug AS category_slug, c.name AS category_name, t.author_id,
	a.username AS author_name, t.title, t.slug, t.status, t.pinned, t.locked, t.closed,
	t.post_count, t.last_post_at, t.last_post_number, lp.username AS last_poster_name, t.created_at`

// selectCategoryThreads lists a category: pinned threads first, then by last
// activity, from the keyset ($3, $4, $5), served by the index
// threads_category_pinned_activity; selectLatestThreads lists the whole
// forum by last activity, from the keyset ($2, $3), served by the index
// threads_activity. Both are functions (migration 0018) so that their plan
// is made once, not at every page; $1/$2 is the viewer (0 for a visitor),
// whose reading state and unread count each thread carries.
const (
	selectCategoryThreads = `SELECT * FROM category_threads($1, $2, $3, $4, $5, $6, $7)`
	selectLatestThreads   = `SELECT * FROM latest_threads($1, $2, $3, $4, $5)`
)

// CategoryThreads lists one page of a category's threads as the actor of
// ctx sees them.
func (db *DB) CategoryThreads(ctx context.Context, categoryID int64, after *Cursor, limit int) (*ThreadList, error) {
	a := ActorFrom(ctx)
	pinned, at, id := after.keysetArgs()
	args := []any{categoryID, a.viewerID(), pinned, at, id, limit + 1, a.IsStaff()}
	var out []Thread
	err := db.readPage(ctx, func(q *sqlx.DB) (err error) {
		if q == db.pool {
			out, err = scanThreadList(db.stmts.categoryThreads.QueryContext(ctx, args...))
		} else {
			out, err = scanThreadList(q.QueryContext(ctx, selectCategoryThreads, args...))
		}
		return err
	})
	if err != nil {
		return nil, Internal("listing a category's threads", err)
	}
	return pageOf(out, limit, true), nil
}

// LatestThreadsAfter lists one page of the most recently active threads as
// the actor of ctx sees them; the first from a snapshot when one is current
// (latest_page.go).
func (db *DB) LatestThreadsAfter(ctx context.Context, after *Cursor, limit int) (*ThreadList, error) {
	if after == nil {
		if l, _, ok, err := db.latestFromSnapshot(ctx, limit, false); ok || err != nil {
			return l, err
		}
	}
	a := ActorFrom(ctx)
	_, at, id := after.keysetArgs()
	args := []any{a.viewerID(), at, id, limit + 1, a.IsStaff()}
	var out []Thread
	err := db.readPage(ctx, func(q *sqlx.DB) (err error) {
		if q == db.pool {
			out, err = scanThreadList(db.stmts.latestThreads.QueryContext(ctx, args...))
		} else {
			out, err = scanThreadList(q.QueryContext(ctx, selectLatestThreads, args...))
		}
		return err
	})
	if err != nil {
		return nil, Internal("listing threads", err)
	}
	return pageOf(out, limit, false), nil
}

// LatestThreads lists the most recently active threads (the home page).
func (db *DB) LatestThreads(ctx context.Context, limit int) ([]Thread, error) {
	l, err := db.LatestThreadsAfter(ctx, nil, limit)
	if err != nil {
		return nil, err
	}
	return l.Threads, nil
}

// scanThreadList reads the rows of latest_threads or category_threads, in
// their columns' order (migration 0018), without sqlx's reflection: every
// list page runs it.
func scanThreadList(rows *sql.Rows, err error) ([]Thread, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Thread
	for rows.Next() {
		var t Thread
		if err := rows.Scan(t.listFields()...); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// listFields are the destinations of a row of latest_threads or
// category_threads, in their columns' order.
func (t *Thread) listFields() []any {
	return []any{&t.ID, &t.CategoryID, &t.CategorySlug, &t.CategoryName, &t.AuthorID, &t.AuthorName, &t.Title,
		&t.Slug, &t.Status, &t.Pinned, &t.Locked, &t.Closed, &t.PostCount, &t.LastPostAt, &t.LastPostNumber,
		&t.LastPosterName, &t.CreatedAt, &t.LastRead, &t.Unread}
}

// pageOf cuts the extra row a list query fetched to know whether another
// page follows.
func pageOf(threads []Thread, limit int, pinnedFirst bool) *ThreadList {
	l := &ThreadList{Threads: threads}
	if len(threads) > limit {
		l.Threads = threads[:limit]
		c := cursorOf(&l.Threads[limit-1])
		if !pinnedFirst {
			c.Pinned = false
		}
		l.Next = c.String()
	}
	if l.Threads == nil {
		l.Threads = []Thread{}
	}
	return l
}

const selectThread = `
SELECT` + threadColumns + `, rs.last_read_number AS last_read, NULL AS unread
FROM threads t
JOIN categories c ON c.id = t.category_id
LEFT JOIN members a ON a.id = t.author_id
LEFT JOIN members lp ON lp.id = t.last_poster_id
LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = $2
WHERE t.id = $1`

// ThreadByID returns a thread the actor of ctx may see, with their reading
// state; ENOTFOUND otherwise (a held thread is not found by others).
func (db *DB) ThreadByID(ctx context.Context, id int64) (*Thread, error) {
	a := ActorFrom(ctx)
	var t Thread
	if err := db.stmts.thread.GetContext(ctx, &t, id, a.viewerID()); err != nil {
		return nil, notFound(err, "thread.not_found", "reading a thread")
	}
	if !a.canSeeThread(t.Status, t.AuthorID) {
		return nil, Errorf(ENOTFOUND, "thread.not_found", nil)
	}
	return &t, nil
}

// threadForUpdateTx locks a thread row for the rest of tx.
func threadForUpdateTx(ctx context.Context, tx *sqlx.Tx, id int64) (*Thread, error) {
	var t Thread
	err := tx.GetContext(ctx, &t, `
SELECT id, category_id, author_id, title, slug, status, pinned, locked, closed, post_count,
	last_post_at, last_post_number, created_at
FROM threads WHERE id = $1 FOR UPDATE`, id)
	return &t, notFound(err, "thread.not_found", "reading a thread")
}
