package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// CanEdit reports whether the actor may edit p now: staff always, the
// author within the edit window (0 minutes: no limit) while the post is not
// deleted and the thread not locked.
func (a Actor) CanEdit(p *Post, threadLocked bool, window time.Duration, now time.Time) bool {
	switch {
	case a.IsStaff():
		return true
	case !a.isAuthor(p.AuthorID) || p.Status == StatusDeleted || threadLocked:
		return false
	}
	return window <= 0 || now.Sub(p.CreatedAt) <= window
}

// CanDelete reports whether the actor may delete p: its author or staff,
// once.
func (a Actor) CanDelete(p *Post) bool {
	return p.Status != StatusDeleted && (a.IsStaff() || a.isAuthor(p.AuthorID))
}

// EditWindow is how long authors may edit their posts (0: no limit).
func (db *DB) EditWindow(ctx context.Context) (time.Duration, error) {
	s, err := db.Settings(ctx)
	if err != nil {
		return 0, err
	}
	return time.Duration(s.EditWindowMinutes) * time.Minute, nil
}

// PostEdit is a new body for a post, already through the pipeline.
type PostEdit struct {
	PostID       int64
	BodyMarkdown string
	BodyHTML     string
	Status       string // "" keeps the post's status; StatusHeld holds it again
}

const insertRevision = `
INSERT INTO post_revisions (post_id, revision, body_markdown, body_html, edited_by)
VALUES ($1, $2, $3, $4, $5)`

const updatePostBody = `
UPDATE posts SET body_markdown = $2, body_html = $3, edited_at = now(), edit_count = edit_count + 1
WHERE id = $1
RETURNING edited_at, edit_count`

// EditPostTx replaces a post's body in tx, keeping the previous body as a
// revision. The author may edit within the edit window, staff always; an
// edit of someone else's post by staff is written to the moderation log.
func EditPostTx(ctx context.Context, tx *sqlx.Tx, window time.Duration, e PostEdit) (*Post, error) {
	a := ActorFrom(ctx)
	if a.Member == nil && !a.System {
		return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	p, err := postForUpdateTx(ctx, tx, e.PostID)
	if err != nil {
		return nil, err
	}
	if !a.CanEdit(&p.Post, p.ThreadLocked, window, time.Now()) && !moderatesTx(ctx, tx, p.ThreadCategory) {
		switch {
		case !a.isAuthor(p.AuthorID):
			return nil, Errorf(EFORBIDDEN, "post.edit_not_yours", nil)
		case p.Status == StatusDeleted:
			return nil, Errorf(EFORBIDDEN, "post.edit_deleted", nil)
		case p.ThreadLocked:
			return nil, Errorf(EFORBIDDEN, "thread.locked", nil)
		default:
			return nil, Errorf(EFORBIDDEN, "post.edit_window_passed", map[string]any{"Count": int(window.Minutes())})
		}
	}
	out := p.Post
	if e.BodyMarkdown == p.BodyMarkdown && (e.Status == "" || e.Status == p.Status) {
		return &out, nil // nothing changed: no revision
	}
	if _, err := tx.ExecContext(ctx, insertRevision, p.ID, p.EditCount+1, p.BodyMarkdown, p.BodyHTML, actorID(ctx)); err != nil {
		return nil, Internal("keeping a revision", err)
	}
	if err := tx.QueryRowxContext(ctx, updatePostBody, p.ID, e.BodyMarkdown, e.BodyHTML).Scan(&out.EditedAt, &out.EditCount); err != nil {
		return nil, Internal("editing a post", err)
	}
	out.BodyMarkdown, out.BodyHTML = e.BodyMarkdown, e.BodyHTML
	if e.Status != "" && e.Status != p.Status {
		if err := SetPostStatusTx(ctx, tx, p.ID, e.Status); err != nil {
			return nil, err
		}
		out.Status = e.Status
	}
	if !a.isAuthor(p.AuthorID) {
		err := LogTx(ctx, tx, LogEntry{Action: LogPostEdit, TargetType: "post", TargetID: &p.ID,
			Before: map[string]any{"body_markdown": p.BodyMarkdown}, After: map[string]any{"body_markdown": e.BodyMarkdown}})
		if err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// closeHeldItems closes the open review item of a held post deleted by its
// author or by staff outside the queue.
const closeHeldItems = `
UPDATE review_items SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = 'withdrawn',
	version = version + 1
WHERE post_id = $1 AND status = 'pending'`

// DeletePost deletes a post softly: its author or staff; it stays in the
// thread as a placeholder. Deleting the first post deletes the thread. The
// thread's counters are recomputed in the same transaction.
func (db *DB) DeletePost(ctx context.Context, postID int64) (*Post, error) {
	a := ActorFrom(ctx)
	if a.Member == nil && !a.System {
		return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	var out *Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		p, err := postForUpdateTx(ctx, tx, postID)
		if err != nil {
			return err
		}
		if p.Status == StatusDeleted {
			return Errorf(ECONFLICT, "post.already_deleted", nil)
		}
		if !a.CanDelete(&p.Post) && !(p.Status != StatusDeleted && moderatesTx(ctx, tx, p.ThreadCategory)) {
			return Errorf(EFORBIDDEN, "post.delete_not_yours", nil)
		}
		removal := RemovedByAuthor
		switch {
		case p.Status == StatusHeld:
			removal = RemovedUnpublished
		case !a.isAuthor(p.AuthorID):
			removal = RemovedByModerator
		}
		if err := RemovePostTx(ctx, tx, p.ID, removal, ""); err != nil {
			return err
		}
		if p.Status == StatusHeld {
			// Its wait ends with it: the open review item closes.
			if _, err := tx.ExecContext(ctx, closeHeldItems, p.ID, actorID(ctx)); err != nil {
				return Internal("closing a review item", err)
			}
		}
		if !a.isAuthor(p.AuthorID) {
			if err := LogTx(ctx, tx, LogEntry{Action: LogPostDelete, TargetType: "post", TargetID: &p.ID,
				Before: map[string]any{"status": p.Status}, After: map[string]any{"status": StatusDeleted}}); err != nil {
				return err
			}
		}
		out = &p.Post
		out.Status = StatusDeleted
		return nil
	})
	return out, err
}

// Revision is an earlier body of a post: the body as it was before edit
// number Revision, made by EditorName at EditedAt.
type Revision struct {
	Revision     int       `db:"revision" json:"revision"`
	BodyMarkdown string    `db:"body_markdown" json:"body_markdown"`
	BodyHTML     string    `db:"body_html" json:"html"`
	EditorName   *string   `db:"editor_name" json:"editor"`
	EditedAt     time.Time `db:"edited_at" json:"edited_at"`
}

const selectRevisions = `
SELECT r.revision, r.body_markdown, r.body_html, m.username AS editor_name, r.edited_at
FROM post_revisions r LEFT JOIN members m ON m.id = r.edited_by
WHERE r.post_id = $1
ORDER BY r.revision DESC`

// Revisions lists the earlier bodies of a post, newest first: for staff and
// for the post's author.
func (db *DB) Revisions(ctx context.Context, postID int64) (*Post, *Thread, []Revision, error) {
	p, t, err := db.PostByID(ctx, postID)
	if err != nil {
		return nil, nil, nil, err
	}
	a := ActorFrom(ctx)
	if !a.IsStaff() && !a.isAuthor(p.AuthorID) {
		if a.Member == nil {
			return nil, nil, nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
		}
		return nil, nil, nil, Errorf(EFORBIDDEN, "post.revisions_forbidden", nil)
	}
	var revs []Revision
	if err := db.SelectContext(ctx, &revs, selectRevisions, postID); err != nil {
		return nil, nil, nil, Internal("listing revisions", err)
	}
	return p, t, revs, nil
}
