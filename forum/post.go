package forum

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// PostsPerPage is the number of posts on a page of a thread.
const PostsPerPage = 20

// PostPage is one page of a thread's posts, in number order.
type PostPage struct {
	Posts []Post
	Next  int // post number to continue after, 0 on the last page
}

// pagePostColumns are what a page of a thread shows of each post: not its
// Markdown source, which only the edit and quote forms read (it doubled
// what a page transferred).
const pagePostColumns = `
	p.id, p.thread_id, p.number, p.author_id, a.username AS author_name, p.reply_to,
	p.body_html, p.status, p.created_at, p.edited_at, p.edit_count, p.like_count, p.removal, p.removal_rule,
	coalesce(a.display_name, '') AS author_display_name, coalesce((
		SELECT string_agg(ma.size::text || ':' || u.sha256 || '.' || u.ext, ' ')
		FROM member_avatars ma JOIN uploads u ON u.id = ma.upload_id WHERE ma.member_id = p.author_id), '') AS author_avatar`

const postColumns = pagePostColumns + `, p.body_markdown`

// selectThreadPosts reads a page of a thread by keyset on the post number:
// an index range scan on posts (thread_id, number), with the viewer's likes
// and bookmarks, and whether they ignore each author.
var selectThreadPosts = viewerSQL(`
SELECT`+pagePostColumns+`, (l.member_id IS NOT NULL) AS liked, `+pendingColumns+`,
	EXISTS (SELECT 1 FROM bookmarks bm WHERE bm.post_id = p.id AND bm.member_id = $V) AS bookmarked,
	EXISTS (SELECT 1 FROM ignored_members im WHERE im.member_id = $V AND im.ignored_id = p.author_id) AS author_ignored
FROM posts p
LEFT JOIN members a ON a.id = p.author_id
LEFT JOIN likes l ON l.post_id = p.id AND l.member_id = $V
`+pendingJoin+`
WHERE p.thread_id = $1 AND p.number > $3 AND `+visiblePostSQL+`
ORDER BY p.number
LIMIT $4`, "$2::bigint", "$5::boolean")

// ThreadPosts returns the posts of a thread after the number after, as the
// actor of ctx may see them (held posts of others left out, hidden and
// deleted ones redacted). The caller has checked the thread with ThreadByID.
func (db *DB) ThreadPosts(ctx context.Context, threadID int64, after int) (*PostPage, error) {
	a := ActorFrom(ctx)
	var posts []Post
	err := db.stmts.threadPosts.SelectContext(ctx, &posts, threadID, a.viewerID(), max(after, 0), PostsPerPage+1, a.IsStaff())
	if err != nil {
		return nil, Internal("reading a thread's posts", err)
	}
	for i := range posts {
		a.redact(&posts[i])
	}
	return newPostPage(posts), nil
}

// newPostPage makes a page of posts read with PostsPerPage+1 as their limit.
func newPostPage(posts []Post) *PostPage {
	page := &PostPage{Posts: posts}
	if len(posts) > PostsPerPage {
		page.Posts = posts[:PostsPerPage]
		page.Next = page.Posts[PostsPerPage-1].Number
	}
	if page.Posts == nil {
		page.Posts = []Post{}
	}
	return page
}

var selectPost = viewerSQL(`
SELECT`+postColumns+`, (l.member_id IS NOT NULL) AS liked, `+pendingColumns+`
FROM posts p
LEFT JOIN members a ON a.id = p.author_id
LEFT JOIN likes l ON l.post_id = p.id AND l.member_id = $V
`+pendingJoin+`
WHERE p.id = $1`, "$2::bigint", "false")

// PostByID returns a post and its thread as the actor of ctx may see them;
// ENOTFOUND for a held post of someone else or a post of a thread they may
// not open.
func (db *DB) PostByID(ctx context.Context, id int64) (*Post, *Thread, error) {
	a := ActorFrom(ctx)
	var p Post
	if err := db.pool.GetContext(ctx, &p, selectPost, id, a.viewerID()); err != nil {
		return nil, nil, notFound(err, "post.not_found", "reading a post")
	}
	if !a.canSeePost(p.Status, p.AuthorID) {
		return nil, nil, Errorf(ENOTFOUND, "post.not_found", nil)
	}
	t, err := db.ThreadByID(ctx, p.ThreadID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, nil, Errorf(ENOTFOUND, "post.not_found", nil)
		}
		return nil, nil, err
	}
	a.redact(&p)
	return &p, t, nil
}

// PageAfter is the ?after= of the thread page that shows post number n:
// pages start at multiples of PostsPerPage, so permalinks survive posts
// being added.
func PageAfter(n int) int {
	if n <= 1 {
		return 0
	}
	return (n - 1) / PostsPerPage * PostsPerPage
}

// postForUpdate is a post locked for a change, with its thread's state.
type postForUpdate struct {
	Post
	ThreadLocked   bool   `db:"thread_locked"`
	ThreadStatus   string `db:"thread_status"`
	ThreadAuthorID *int64 `db:"thread_author_id"`
	ThreadCategory int64  `db:"thread_category_id"`
	ThreadTitle    string `db:"thread_title"`
}

const selectPostForUpdate = `
SELECT p.id, p.thread_id, p.number, p.author_id, p.reply_to, p.body_markdown, p.body_html,
	p.status, p.created_at, p.edited_at, p.edit_count, p.like_count,
	(t.locked OR t.closed) AS thread_locked, t.status AS thread_status, t.author_id AS thread_author_id,
	t.category_id AS thread_category_id, t.title AS thread_title
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.id = $1
FOR UPDATE OF p`

// postForUpdateTx locks a post and its thread (the thread first, as replies
// and status changes do, so that they never deadlock).
func postForUpdateTx(ctx context.Context, tx *sqlx.Tx, id int64) (*postForUpdate, error) {
	var threadID int64
	if err := tx.GetContext(ctx, &threadID, `SELECT thread_id FROM posts WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "post.not_found", "reading a post")
	}
	if _, err := threadForUpdateTx(ctx, tx, threadID); err != nil {
		return nil, err
	}
	var p postForUpdate
	err := tx.GetContext(ctx, &p, selectPostForUpdate, id)
	a := ActorFrom(ctx)
	if err == nil && (!a.canSeePost(p.Status, p.AuthorID) || !a.canSeeThread(p.ThreadStatus, p.ThreadAuthorID)) {
		err = sql.ErrNoRows
	}
	return &p, notFound(err, "post.not_found", "reading a post")
}

// refreshThreadTx recomputes a thread's counters and last post from its
// published posts, after a post changed status. A withdrawn first post
// still counts: the thread it opened stays, and its replies are counted
// after it (Thread.Replies).
const refreshThread = `
WITH last AS (
	SELECT id, created_at, author_id, number FROM posts
	WHERE thread_id = $1 AND status = 'published' ORDER BY number DESC LIMIT 1)
UPDATE threads t SET
	post_count = (SELECT count(*) FROM posts WHERE thread_id = $1
		AND (status = 'published' OR (number = 1 AND status = 'deleted' AND t.status = 'published'))),
	last_post_id = (SELECT id FROM last),
	last_post_at = coalesce((SELECT created_at FROM last), t.created_at),
	last_poster_id = (SELECT author_id FROM last),
	last_post_number = coalesce((SELECT number FROM last), 1)
WHERE t.id = $1`

func refreshThreadTx(ctx context.Context, tx *sqlx.Tx, threadID int64) error {
	_, err := tx.ExecContext(ctx, refreshThread, threadID)
	return Internal("updating a thread's counters", err)
}

// SetPostStatusTx changes a post's status (publish a held post, hide,
// delete) in tx and keeps the thread right: the first post carries its
// thread's status, and the thread's counters and last post are recomputed.
// Permissions are the caller's (the moderation actions check them).
func SetPostStatusTx(ctx context.Context, tx *sqlx.Tx, postID int64, status string) error {
	return setPostStatusTx(ctx, tx, postID, status, true)
}

// setPostStatusTx is SetPostStatusTx; a first post carries its thread's
// status only when carry is set (a withdrawn first post leaves its thread).
func setPostStatusTx(ctx context.Context, tx *sqlx.Tx, postID int64, status string, carry bool) error {
	switch status {
	case StatusPublished, StatusHeld, StatusHidden, StatusDeleted:
	default:
		return Internal("changing a post's status", errors.New("unknown status "+status))
	}
	var p struct {
		ThreadID int64 `db:"thread_id"`
		Number   int   `db:"number"`
	}
	if err := tx.GetContext(ctx, &p, `SELECT thread_id, number FROM posts WHERE id = $1`, postID); err != nil {
		return notFound(err, "post.not_found", "changing a post's status")
	}
	// The thread row is locked first, as by replies: counters recomputed
	// below see every committed post.
	if _, err := threadForUpdateTx(ctx, tx, p.ThreadID); err != nil {
		return err
	}
	// Who removed a post is kept only while it stays removed.
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET status = $2,
	removal = CASE WHEN $2 = 'deleted' THEN removal ELSE '' END,
	removal_rule = CASE WHEN $2 = 'deleted' THEN removal_rule ELSE '' END
WHERE id = $1`, postID, status); err != nil {
		return Internal("changing a post's status", err)
	}
	if p.Number == 1 && carry {
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET status = $2 WHERE id = $1`, p.ThreadID, status); err != nil {
			return Internal("changing a thread's status", err)
		}
	}
	return refreshThreadTx(ctx, tx, p.ThreadID)
}

// Who removed a post (Post.Removal).
const (
	RemovedByAuthor    = "author"      // deleted by its author
	RemovedByModerator = "moderator"   // removed by the staff, with the rule cited
	RemovedUnpublished = "unpublished" // held, then refused or withdrawn: never public, shown nowhere
)

// RemovePostTx deletes a post softly in tx (SetPostStatusTx) and records
// who removed it and the rule cited, for the placeholder readers see.
func RemovePostTx(ctx context.Context, tx *sqlx.Tx, postID int64, removal, rule string) error {
	return removePostTx(ctx, tx, postID, removal, rule, true)
}

func removePostTx(ctx context.Context, tx *sqlx.Tx, postID int64, removal, rule string, carry bool) error {
	if err := setPostStatusTx(ctx, tx, postID, StatusDeleted, carry); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET removal = $2, removal_rule = $3 WHERE id = $1`, postID, removal, rule); err != nil {
		return Internal("recording who removed a post", err)
	}
	return nil
}
