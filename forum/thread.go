package forum

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Post statuses.
const (
	StatusPublished = "published"
	StatusHeld      = "held"
	StatusHidden    = "hidden"
	StatusDeleted   = "deleted"
)

// Thread is a conversation in a category.
type Thread struct {
	ID             int64     `db:"id" json:"id"`
	CategoryID     int64     `db:"category_id" json:"category_id"`
	CategorySlug   string    `db:"category_slug" json:"category_slug"`
	CategoryName   string    `db:"category_name" json:"category_name"`
	AuthorID       *int64    `db:"author_id" json:"author_id"`
	AuthorName     *string   `db:"author_name" json:"author_name"`
	Title          string    `db:"title" json:"title"`
	Slug           string    `db:"slug" json:"slug"`
	Status         string    `db:"status" json:"status"`
	Pinned         bool      `db:"pinned" json:"pinned"`
	Locked         bool      `db:"locked" json:"locked"`
	Closed         bool      `db:"closed" json:"closed"`
	PostCount      int       `db:"post_count" json:"post_count"`
	LastPostAt     time.Time `db:"last_post_at" json:"last_post_at"`
	LastPostNumber int       `db:"last_post_number" json:"last_post_number"`
	LastPosterName *string   `db:"last_poster_name" json:"last_poster_name"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`

	// Reading state of the member who lists or reads the thread; nil for
	// visitors and for threads the member never opened.
	LastRead *int `db:"last_read" json:"last_read,omitempty"`
	Unread   *int `db:"unread" json:"unread,omitempty"`
	// Watch is the member's watching of the thread, read with its page
	// (ThreadPage); nil otherwise.
	Watch *WatchLevels `db:"-" json:"-"`
	// Moderates: the reader moderates the thread's category (staff, or a
	// category moderator): read with its page, to offer the actions they
	// are allowed.
	Moderates bool `db:"-" json:"-"`
}

// Replies is the number of published posts after the first.
func (t *Thread) Replies() int { return max(t.PostCount-1, 0) }

// Post is one message of a thread.
type Post struct {
	ID           int64      `db:"id" json:"id"`
	ThreadID     int64      `db:"thread_id" json:"thread_id"`
	Number       int        `db:"number" json:"number"`
	AuthorID     *int64     `db:"author_id" json:"author_id"`
	AuthorName   *string    `db:"author_name" json:"-"`
	ReplyTo      *int       `db:"reply_to" json:"reply_to,omitempty"`
	BodyMarkdown string     `db:"body_markdown" json:"-"`
	BodyHTML     string     `db:"body_html" json:"html"`
	Status       string     `db:"status" json:"status"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	EditedAt     *time.Time `db:"edited_at" json:"edited_at,omitempty"`
	EditCount    int        `db:"edit_count" json:"edit_count"`
	LikeCount    int        `db:"like_count" json:"like_count"`
	Liked        bool       `db:"liked" json:"liked"` // by the member reading
	// Removal says who removed a deleted post (RemovedByAuthor…), and
	// RemovalRule the rule a moderator cited.
	Removal     string `db:"removal" json:"removal,omitempty"`
	RemovalRule string `db:"removal_rule" json:"removal_rule,omitempty"`
	// PendingHTML and PendingMarkdown are the author's edit that waits
	// for review, read for the author only (nil otherwise): the published
	// body stays what everyone sees meanwhile.
	PendingHTML     *string `db:"pending_html" json:"-"`
	PendingMarkdown *string `db:"pending_markdown" json:"-"`
	PendingTitle    *string `db:"pending_title" json:"-"` // a new title for the thread, with its first post
	// Redacted is set when the reader may not see the body of a hidden or
	// deleted post: BodyHTML and BodyMarkdown are then empty.
	Redacted bool `db:"-" json:"redacted,omitempty"`
	// BodyJSON is BodyHTML as a JSON string (JSONString), kept with the
	// thread snapshots so that the API does not escape a page of posts
	// again for every reader; empty when it was not made.
	BodyJSON string `db:"-" json:"-"`
}

// JSONString is s as a JSON string, quoted and escaped as encoding/json
// does without escaping HTML (the API's encoding).
func JSONString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// NewThread is a thread about to be stored: the moderation pipeline has
// already normalised its title and rendered and sanitized its body.
type NewThread struct {
	CategoryID   int64
	AuthorID     int64
	Title        string
	BodyMarkdown string
	BodyHTML     string
	Status       string // StatusPublished or StatusHeld
}

const insertThread = `
INSERT INTO threads (category_id, author_id, title, slug, status, post_count, last_poster_id)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'published' THEN 1 ELSE 0 END, $2)
RETURNING id, created_at`

const insertFirstPost = `
INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, status)
VALUES ($1, 1, $2, $3, $4, $5)
RETURNING id, created_at`

const setThreadLastPost = `UPDATE threads SET last_post_id = $2, last_post_at = $3 WHERE id = $1`

// CreateThreadTx stores a thread and its first post in tx. Permissions and the
// guidelines have been checked by the caller (moderation.Submit).
func CreateThreadTx(ctx context.Context, tx *sqlx.Tx, nt NewThread) (*Thread, *Post, error) {
	var cat struct {
		ReadOnly bool `db:"read_only"`
	}
	if err := tx.GetContext(ctx, &cat, `SELECT read_only FROM categories WHERE id = $1`, nt.CategoryID); err != nil {
		return nil, nil, notFound(err, "category.not_found", "reading a category")
	}
	if cat.ReadOnly && !ActorFrom(ctx).IsStaff() {
		return nil, nil, Errorf(EFORBIDDEN, "category.read_only", nil)
	}
	slug := Slugify(nt.Title)
	if slug == "" {
		slug = "t"
	}
	t := &Thread{CategoryID: nt.CategoryID, AuthorID: &nt.AuthorID, Title: nt.Title, Slug: slug, Status: nt.Status}
	if err := tx.QueryRowxContext(ctx, insertThread, nt.CategoryID, nt.AuthorID, nt.Title, slug, nt.Status).
		Scan(&t.ID, &t.CreatedAt); err != nil {
		return nil, nil, Internal("creating a thread", err)
	}
	p := &Post{ThreadID: t.ID, Number: 1, AuthorID: &nt.AuthorID, BodyMarkdown: nt.BodyMarkdown, BodyHTML: nt.BodyHTML, Status: nt.Status}
	if err := tx.QueryRowxContext(ctx, insertFirstPost, t.ID, nt.AuthorID, nt.BodyMarkdown, nt.BodyHTML, nt.Status).
		Scan(&p.ID, &p.CreatedAt); err != nil {
		return nil, nil, Internal("creating a post", err)
	}
	if _, err := tx.ExecContext(ctx, setThreadLastPost, t.ID, p.ID, p.CreatedAt); err != nil {
		return nil, nil, Internal("updating a thread", err)
	}
	t.LastPostAt = p.CreatedAt
	if nt.Status == StatusPublished {
		t.PostCount = 1
	}
	if err := markOwnPostReadTx(ctx, tx, nt.AuthorID, t.ID, 1); err != nil {
		return nil, nil, err
	}
	return t, p, nil
}

// NewReply is a reply about to be stored, already through the pipeline.
type NewReply struct {
	ThreadID     int64
	AuthorID     int64
	ReplyTo      *int
	BodyMarkdown string
	BodyHTML     string
	Status       string
}

// lockThreadForReply locks the thread row for the transaction (migration
// 0015: a function, whose plan is kept per connection).
const lockThreadForReply = `SELECT locked, closed, status, author_id FROM lock_thread_for_reply($1)`

const selectReplyTarget = `
SELECT status, author_id FROM posts WHERE thread_id = $1 AND number = $2`

// storeReply stores the post, bumps its thread and advances the author's
// reading state (migration 0013).
const storeReply = `
SELECT post_id, post_number, post_created_at FROM store_reply($1, $2, $3, $4, $5, $6)`

// replyRefusal is why the actor may not reply to a thread in this state,
// or nil. submit_reply (migration 0028) stores a reply under the same
// conditions: staff, or a published thread neither locked nor closed.
func replyRefusal(actor Actor, status string, authorID *int64, locked, closed bool) error {
	staff := actor.IsStaff()
	switch {
	case !actor.canSeeThread(status, authorID):
		return Errorf(ENOTFOUND, "thread.not_found", nil)
	case status != StatusPublished && !staff:
		// The author of a thread still held for approval waits for it.
		return Errorf(EFORBIDDEN, "thread.not_open", nil)
	case (locked || closed) && !staff:
		return Errorf(EFORBIDDEN, "thread.locked", nil)
	}
	return nil
}

// CreateReplyTx stores a reply in tx. The thread row is locked for the
// transaction, so post numbers and counters stay right under concurrent
// posting.
func CreateReplyTx(ctx context.Context, tx *sqlx.Tx, nr NewReply) (*Post, error) {
	var th struct {
		Locked   bool   `db:"locked"`
		Closed   bool   `db:"closed"`
		Status   string `db:"status"`
		AuthorID *int64 `db:"author_id"`
	}
	if err := tx.GetContext(ctx, &th, lockThreadForReply, nr.ThreadID); err != nil {
		return nil, notFound(err, "thread.not_found", "reading a thread")
	}
	actor := ActorFrom(ctx)
	if err := replyRefusal(actor, th.Status, th.AuthorID, th.Locked, th.Closed); err != nil {
		return nil, err
	}
	if nr.ReplyTo != nil {
		// A post number: what the column (integer) cannot hold is no post.
		if *nr.ReplyTo < 1 || *nr.ReplyTo > math.MaxInt32 {
			return nil, Errorf(EINVALID, "post.reply_to_invalid", nil).OnField("reply_to")
		}
		var target struct {
			Status   string `db:"status"`
			AuthorID *int64 `db:"author_id"`
		}
		err := tx.GetContext(ctx, &target, selectReplyTarget, nr.ThreadID, *nr.ReplyTo)
		if err != nil || !actor.canSeePost(target.Status, target.AuthorID) {
			if err != nil && err != sql.ErrNoRows {
				return nil, Internal("reading the post replied to", err)
			}
			return nil, Errorf(EINVALID, "post.reply_to_invalid", nil).OnField("reply_to")
		}
	}
	p := &Post{ThreadID: nr.ThreadID, AuthorID: &nr.AuthorID, ReplyTo: nr.ReplyTo, BodyMarkdown: nr.BodyMarkdown, BodyHTML: nr.BodyHTML, Status: nr.Status}
	if err := tx.QueryRowxContext(ctx, storeReply, nr.ThreadID, nr.AuthorID, nr.ReplyTo, nr.BodyMarkdown, nr.BodyHTML, nr.Status).
		Scan(&p.ID, &p.Number, &p.CreatedAt); err != nil {
		return nil, Internal("creating a post", err)
	}
	return p, nil
}
