package forum

import (
	"context"
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
	ID         int64   `db:"id" json:"id"`
	ThreadID   int64   `db:"thread_id" json:"thread_id"`
	Number     int     `db:"number" json:"number"`
	AuthorID   *int64  `db:"author_id" json:"author_id"`
	AuthorName *string `db:"author_name" json:"-"`
	// AuthorDisplayName and AuthorAvatar are what the author's avatar is
	// made of, read with the post (no query per post): their display name
	// (the initials of a generated avatar) and their uploaded avatar
	// (AvatarSQL's text, "" for none; see ParseAvatar).
	AuthorDisplayName string     `db:"author_display_name" json:"-"`
	AuthorAvatar      string     `db:"author_avatar" json:"-"`
	ReplyTo           *int       `db:"reply_to" json:"reply_to,omitempty"`
	BodyMarkdown      string     `db:"body_markdown" json:"-"`
	BodyHTML          string     `db:"body_html" json:"html"`
	Status            string     `db:"status" json:"status"`
	CreatedAt         time.Time  `db:"created_at" json:"created_at"`
	EditedAt          *time.Time `db:"edited_at" json:"edited_at,omitempty"`
	EditCount         int        `db:"edit_count" json:"edit_count"`
	LikeCount         int        `db:"like_count" json:"like_count"`
	Liked             bool       `db:"liked" json:"liked"` // by the member reading
	// Bookmarked: the member reading keeps it (bookmark.go);
	// AuthorIgnored: they ignore its author (its body is collapsed).
	Bookmarked    bool `db:"bookmarked" json:"-"`
	AuthorIgnored bool `db:"author_ignored" json:"-"`
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
