package forum

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// A Draft is what a member started writing and has not sent: a reply to a
// thread (ThreadID set) or a new thread (ThreadID nil). Drafts live in the
// database so that a reply begun on one device is there on another; the
// composer (static/js/compose.js) saves them as the member types. Storing
// the post uses the draft up (migration 0047's trigger on posts); a post
// the pipeline refuses is not stored, and its draft stays.
type Draft struct {
	ThreadID    *int64    `db:"thread_id" json:"thread_id"`
	ThreadTitle *string   `db:"thread_title" json:"thread_title,omitempty"`
	CategoryID  *int64    `db:"category_id" json:"category_id"`
	Title       string    `db:"title" json:"title"`
	Body        string    `db:"body" json:"body"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// DraftInput is what the composer saves. Title and CategoryID belong to a
// new thread's draft and are ignored for a reply's.
type DraftInput struct {
	Title      string `json:"title"`
	Body       string `json:"body"`
	CategoryID *int64 `json:"category_id"`
}

// MaxDraftsPerMember bounds a member's drafts: saving one more drops the
// oldest, as a composer that forgets an abandoned reply after months would.
const MaxDraftsPerMember = 100

const (
	selectDrafts = `
SELECT d.thread_id, t.title AS thread_title, d.category_id, d.title, d.body, d.updated_at
FROM drafts d LEFT JOIN threads t ON t.id = d.thread_id
WHERE d.member_id = $1
ORDER BY d.updated_at DESC`
	selectDraft = `
SELECT d.thread_id, t.title AS thread_title, d.category_id, d.title, d.body, d.updated_at
FROM drafts d LEFT JOIN threads t ON t.id = d.thread_id
WHERE d.member_id = $1 AND coalesce(d.thread_id, 0) = $2`
	upsertDraft = `
WITH saved AS (
    INSERT INTO drafts (member_id, thread_id, category_id, title, body)
    VALUES ($1, nullif($2, 0), $3, $4, $5)
    ON CONFLICT (member_id, (coalesce(thread_id, 0))) DO UPDATE
    SET category_id = EXCLUDED.category_id, title = EXCLUDED.title, body = EXCLUDED.body, updated_at = now()
    RETURNING thread_id, category_id, title, body, updated_at
)
SELECT s.thread_id, t.title AS thread_title, s.category_id, s.title, s.body, s.updated_at
FROM saved s LEFT JOIN threads t ON t.id = s.thread_id`
	trimDrafts = `
DELETE FROM drafts WHERE member_id = $1 AND coalesce(thread_id, 0) IN (
    SELECT coalesce(thread_id, 0) FROM drafts WHERE member_id = $1
    ORDER BY updated_at DESC OFFSET $2)`
	deleteDraft = `DELETE FROM drafts WHERE member_id = $1 AND coalesce(thread_id, 0) = $2`
)

// Drafts lists the acting member's drafts, the latest first.
func (db *DB) Drafts(ctx context.Context) ([]Draft, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	out := []Draft{}
	return out, Internal("reading drafts", db.SelectContext(ctx, &out, selectDrafts, m.ID))
}

// DraftOf returns the acting member's draft of a reply to threadID, or of a
// new thread when threadID is 0; nil when there is none.
func (db *DB) DraftOf(ctx context.Context, threadID int64) (*Draft, error) {
	m, err := db.memberSeeingThread(ctx, threadID)
	if err != nil {
		return nil, err
	}
	var d Draft
	switch err := db.GetContext(ctx, &d, selectDraft, m.ID, threadID); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, Internal("reading a draft", err)
	}
	return &d, nil
}

// SaveDraft keeps what the acting member is writing in reply to threadID
// (0: a new thread). The text is kept as typed, within the lengths a post
// may have; an empty draft is deleted, and SaveDraft returns nil for it.
func (db *DB) SaveDraft(ctx context.Context, threadID int64, in DraftInput) (*Draft, error) {
	m, err := db.memberSeeingThread(ctx, threadID)
	if err != nil {
		return nil, err
	}
	settings, err := db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	body, bodyErr := checkText(in.Body, "body", settings.PostMaxLength)
	title, category := "", (*int64)(nil)
	var titleErr error
	if threadID == 0 {
		title, titleErr = checkText(in.Title, "title", settings.TitleMaxLength)
		category = in.CategoryID
	}
	if err := FieldErrors(bodyErr, titleErr); err != nil {
		return nil, err
	}
	if strings.TrimSpace(body) == "" && strings.TrimSpace(title) == "" {
		return nil, db.DeleteDraft(ctx, threadID)
	}
	if category != nil {
		var exists bool
		if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)`, *category); err != nil {
			return nil, Internal("reading a category", err)
		}
		if !exists {
			category = nil // deleted meanwhile: the member chooses again
		}
	}
	var d Draft
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &d, upsertDraft, m.ID, threadID, category, title, body); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, trimDrafts, m.ID, MaxDraftsPerMember)
		return err
	})
	if err != nil {
		return nil, Internal("saving a draft", err)
	}
	return &d, nil
}

// DeleteDraft forgets the acting member's draft of a reply to threadID (0:
// of a new thread). Deleting a draft that does not exist is not an error.
func (db *DB) DeleteDraft(ctx context.Context, threadID int64) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, deleteDraft, m.ID, threadID)
	return Internal("deleting a draft", err)
}

// memberSeeingThread returns the acting member when they can open threadID
// (any member when threadID is 0): a draft of a reply, or the names of a
// thread's writers, are for those who read the thread.
func (db *DB) memberSeeingThread(ctx context.Context, threadID int64) (*Member, error) {
	m, err := RequireMember(ctx)
	if err != nil || threadID == 0 {
		return m, err
	}
	var th struct {
		Status   string `db:"status"`
		AuthorID *int64 `db:"author_id"`
	}
	if err := db.GetContext(ctx, &th, `SELECT status, author_id FROM threads WHERE id = $1`, threadID); err != nil {
		return nil, notFound(err, "thread.not_found", "reading a thread")
	}
	if !ActorFrom(ctx).canSeeThread(th.Status, th.AuthorID) {
		return nil, Errorf(ENOTFOUND, "thread.not_found", nil)
	}
	return m, nil
}
