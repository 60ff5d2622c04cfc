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
	// Title is the thread's new title, for its first post ("" keeps it),
	// already normalised.
	Title string
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
	p, err := editablePostTx(ctx, tx, window, e.PostID)
	if err != nil {
		return nil, err
	}
	out := p.Post
	// An edit stored here (published, or held with its post) replaces the
	// one that waited for review.
	if err := dropReviewWaitTx(ctx, tx, p.ID, false); err != nil {
		return nil, err
	}
	if err := checkTitleEdit(p, e.Title); err != nil {
		return nil, err
	}
	if e.Title != "" && e.Title != p.ThreadTitle {
		if err := retitleTx(ctx, tx, p, e.Title); err != nil {
			return nil, err
		}
	}
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

// checkTitleEdit refuses a new title on a post that is not its thread's
// first.
func checkTitleEdit(p *postForUpdate, title string) error {
	if title != "" && title != p.ThreadTitle && p.Number != 1 {
		return Errorf(EINVALID, "post.title_first_only", nil).OnField("title")
	}
	return nil
}

// retitleTx gives the thread of a first post a new title (and the slug
// that goes with it: the old address redirects); a change by someone other
// than the author is logged.
func retitleTx(ctx context.Context, tx *sqlx.Tx, p *postForUpdate, title string) error {
	slug := Slugify(title)
	if slug == "" {
		slug = "t"
	}
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET title = $2, slug = $3 WHERE id = $1`, p.ThreadID, title, slug); err != nil {
		return Internal("changing a thread's title", err)
	}
	if ActorFrom(ctx).isAuthor(p.AuthorID) {
		return nil
	}
	return LogTx(ctx, tx, LogEntry{Action: LogThreadRetitle, TargetType: "thread", TargetID: &p.ThreadID,
		Before: map[string]any{"title": p.ThreadTitle}, After: map[string]any{"title": title}})
}

// editablePostTx locks a post for an edit by the actor of ctx: staff and
// the category's moderators always, the author within the edit window while
// the post is not deleted and the thread not locked.
func editablePostTx(ctx context.Context, tx *sqlx.Tx, window time.Duration, postID int64) (*postForUpdate, error) {
	a := ActorFrom(ctx)
	if a.Member == nil && !a.System {
		return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	p, err := postForUpdateTx(ctx, tx, postID)
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
	return p, nil
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
	if err := db.pool.SelectContext(ctx, &revs, selectRevisions, postID); err != nil {
		return nil, nil, nil, Internal("listing revisions", err)
	}
	return p, t, revs, nil
}
