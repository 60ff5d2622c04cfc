package forum

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// A held edit keeps the last published version visible (as Discourse
// does): when a rule holds the new text of a published post, the text waits
// beside the post (post_pending_edits, migration 0042) with the post's one
// open review item, and everyone keeps reading the published body. Its
// author sees the pending text on the post and may edit it again. Approved,
// it replaces the body as a normal edit would (revision, search index,
// notifications); refused, it goes and the post stays as it was.

// pendingColumns and pendingJoin read the pending edit of posts aliased p
// for their author $V only.
const (
	pendingColumns = `pe.body_html AS pending_html, pe.body_markdown AS pending_markdown, pe.title AS pending_title`
	pendingJoin    = `LEFT JOIN post_pending_edits pe ON pe.post_id = p.id AND pe.author_id = $V`
)

const upsertPendingEdit = `
INSERT INTO post_pending_edits (post_id, thread_id, author_id, edited_by, body_markdown, body_html, refs, title)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (post_id) DO UPDATE SET edited_by = EXCLUDED.edited_by, body_markdown = EXCLUDED.body_markdown,
	body_html = EXCLUDED.body_html, refs = EXCLUDED.refs, title = EXCLUDED.title, created_at = now()`

// HoldEditTx keeps an edit of a published post that a rule holds as the
// post's pending edit (the caller queues its review item), with the
// permissions of EditPostTx. The post is returned unchanged, its pending
// text in PendingHTML and PendingMarkdown. ok is false when the post is not
// published: a held or hidden post is edited in place (EditPostTx).
func HoldEditTx(ctx context.Context, tx *sqlx.Tx, window time.Duration, e PostEdit, refs PostRefs) (post *Post, ok bool, err error) {
	p, err := editablePostTx(ctx, tx, window, e.PostID)
	if err != nil {
		return nil, false, err
	}
	if p.Status != StatusPublished {
		return nil, false, nil
	}
	if err := checkTitleEdit(p, e.Title); err != nil {
		return nil, false, err
	}
	var title *string // the title changes with the edit only when it differs
	if e.Title != "" && e.Title != p.ThreadTitle {
		title = &e.Title
	}
	r, err := jsonArg(refs)
	if err != nil {
		return nil, false, Internal("encoding a pending edit's references", err)
	}
	if _, err := tx.ExecContext(ctx, upsertPendingEdit, p.ID, p.ThreadID, p.AuthorID, actorID(ctx), e.BodyMarkdown, e.BodyHTML, r, title); err != nil {
		return nil, false, Internal("keeping a pending edit", err)
	}
	out := p.Post
	out.PendingMarkdown, out.PendingHTML, out.PendingTitle = &e.BodyMarkdown, &e.BodyHTML, title
	return &out, true, nil
}

// PendingEdit is the edit of a published post that waits for review.
type PendingEdit struct {
	PostID       int64     `db:"post_id"`
	EditedBy     *int64    `db:"edited_by"`
	BodyMarkdown string    `db:"body_markdown"`
	BodyHTML     string    `db:"body_html"`
	Title        *string   `db:"title"`
	Refs         []byte    `db:"refs"`
	CreatedAt    time.Time `db:"created_at"`
}

// PendingEditTx returns the pending edit of a post, locked, or nil.
func PendingEditTx(ctx context.Context, tx *sqlx.Tx, postID int64) (*PendingEdit, error) {
	var e PendingEdit
	err := tx.GetContext(ctx, &e, `SELECT post_id, edited_by, body_markdown, body_html, title, refs::text AS refs, created_at
FROM post_pending_edits WHERE post_id = $1 FOR UPDATE`, postID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, Internal("reading a pending edit", err)
	}
	return &e, nil
}

// ApplyPendingEditTx publishes the pending edit of a post (the review
// queue approved it): the published body becomes a revision made by the
// edit's author, the pending text the body (and the search index with it),
// and the members it mentions or quotes are told. The caller's actor is the
// moderator; the decision is theirs to log. false when none waited.
func ApplyPendingEditTx(ctx context.Context, tx *sqlx.Tx, postID int64) (bool, error) {
	e, err := PendingEditTx(ctx, tx, postID)
	if err != nil || e == nil {
		return false, err
	}
	var p Post
	if err := tx.GetContext(ctx, &p, `SELECT id, thread_id, number, author_id, body_markdown, body_html, status, created_at, edit_count
FROM posts WHERE id = $1 FOR UPDATE`, postID); err != nil {
		return false, Internal("reading a post", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM post_pending_edits WHERE post_id = $1`, postID); err != nil {
		return false, Internal("dropping a pending edit", err)
	}
	if _, err := tx.ExecContext(ctx, insertRevision, p.ID, p.EditCount+1, p.BodyMarkdown, p.BodyHTML, e.EditedBy); err != nil {
		return false, Internal("keeping a revision", err)
	}
	if err := tx.QueryRowxContext(ctx, updatePostBody, p.ID, e.BodyMarkdown, e.BodyHTML).Scan(&p.EditedAt, &p.EditCount); err != nil {
		return false, Internal("editing a post", err)
	}
	if e.Title != nil && p.Number == 1 {
		slug := Slugify(*e.Title)
		if slug == "" {
			slug = "t"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET title = $2, slug = $3 WHERE id = $1`, p.ThreadID, *e.Title, slug); err != nil {
			return false, Internal("changing a thread's title", err)
		}
	}
	var refs PostRefs
	_ = json.Unmarshal(e.Refs, &refs)
	if err := RecordPostTx(ctx, tx, &p, refs); err != nil {
		return false, err
	}
	if p.Status == StatusPublished {
		if err := NotifyPublishedTx(ctx, tx, p.ID); err != nil {
			return false, err
		}
	}
	return true, nil
}

// DropPendingEditTx refuses the pending edit of a post: it goes, the post
// stays as published. false when none waited.
func DropPendingEditTx(ctx context.Context, tx *sqlx.Tx, postID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM post_pending_edits WHERE post_id = $1`, postID)
	if err != nil {
		return false, Internal("dropping a pending edit", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
