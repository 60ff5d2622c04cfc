package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// FeedEntry is one entry of an Atom feed: a thread (with its opening post)
// or a post of a thread. Only published content ever makes an entry.
type FeedEntry struct {
	ThreadID    int64     `db:"thread_id"`
	ThreadTitle string    `db:"thread_title"`
	ThreadSlug  string    `db:"thread_slug"`
	PostID      int64     `db:"post_id"`
	PostNumber  int       `db:"post_number"`
	AuthorName  *string   `db:"author_name"`
	HTML        string    `db:"html"`
	Published   time.Time `db:"published"`
	Updated     time.Time `db:"updated"`
}

// FeedSize is how many entries a feed holds.
const FeedSize = 30

const selectFeedThreads = `
SELECT t.id AS thread_id, t.title AS thread_title, t.slug AS thread_slug, fp.id AS post_id, 1 AS post_number,
	a.username AS author_name, fp.body_html AS html, t.created_at AS published, t.last_post_at AS updated
FROM threads t
JOIN posts fp ON fp.thread_id = t.id AND fp.number = 1 AND fp.status = 'published'
LEFT JOIN members a ON a.id = t.author_id
WHERE t.status = 'published' AND ($1::bigint IS NULL OR t.category_id = $1)
ORDER BY t.last_post_at DESC, t.id DESC
LIMIT $2`

// FeedThreads lists the most recently active published threads, of one
// category or (categoryID nil) of the whole forum.
func (db *DB) FeedThreads(ctx context.Context, categoryID *int64) ([]FeedEntry, error) {
	var out []FeedEntry
	err := db.readPage(ctx, func(q *sqlx.DB) error {
		out = nil
		return q.SelectContext(ctx, &out, selectFeedThreads, categoryID, FeedSize)
	})
	return out, Internal("reading a feed", err)
}

const selectFeedPosts = `
SELECT t.id AS thread_id, t.title AS thread_title, t.slug AS thread_slug, p.id AS post_id, p.number AS post_number,
	a.username AS author_name, p.body_html AS html, p.created_at AS published,
	coalesce(p.edited_at, p.created_at) AS updated
FROM posts p
JOIN threads t ON t.id = p.thread_id
LEFT JOIN members a ON a.id = p.author_id
WHERE p.thread_id = $1 AND p.status = 'published' AND t.status = 'published'
ORDER BY p.number DESC
LIMIT $2`

// FeedSource is the thread a thread feed is about.
type FeedSource struct {
	ID         int64     `db:"id"`
	Title      string    `db:"title"`
	Slug       string    `db:"slug"`
	LastPostAt time.Time `db:"last_post_at"`
}

// FeedThread returns a published thread and its latest published posts,
// newest first.
func (db *DB) FeedThread(ctx context.Context, threadID int64) (*FeedSource, []FeedEntry, error) {
	var th FeedSource
	var out []FeedEntry
	var found bool
	err := db.readPage(ctx, func(q *sqlx.DB) error {
		out, found = nil, false
		err := q.GetContext(ctx, &th, `SELECT id, title, slug, last_post_at FROM threads WHERE id = $1 AND status = 'published'`, threadID)
		if err != nil {
			return err
		}
		found = true
		return q.SelectContext(ctx, &out, selectFeedPosts, threadID, FeedSize)
	})
	if !found {
		return nil, nil, notFound(err, "thread.not_found", "reading a thread")
	}
	return &th, out, Internal("reading a feed", err)
}
