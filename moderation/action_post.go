package moderation

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// reviewedPost is the post of an item, locked for the decision.
type reviewedPost struct {
	Status   string `db:"status"`
	AuthorID *int64 `db:"author_id"`
	ThreadID int64  `db:"thread_id"`
}

// postAction carries out a decision on a post item (sanctions aside).
func (r *resolution) postAction(ctx context.Context, tx *sqlx.Tx) error {
	postID := *r.it.PostID
	var post reviewedPost
	if err := tx.GetContext(ctx, &post, `SELECT status, author_id, thread_id FROM posts WHERE id = $1 FOR UPDATE`, postID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return forum.Errorf(forum.ENOTFOUND, "post.not_found", nil)
		}
		return forum.Internal("reading a reviewed post", err)
	}
	notify := func(action string) error {
		return notifyTx(ctx, tx, post.AuthorID, action, r.reason, &post.ThreadID, &postID)
	}
	if r.d.Action == ActReject && post.Status != forum.StatusHeld {
		// A held edit of a published post: refusing it keeps the post.
		r.upheld = true
		if err := r.refuseEdit(ctx, tx, postID, post); err != nil {
			return err
		}
		return r.autoEscalate(ctx, tx, post.AuthorID)
	}
	if r.d.Action == ActApprove || r.d.Action == ActDismiss {
		// A held edit of a published post: approving publishes it.
		published, err := forum.ApplyPendingEditTx(ctx, tx, postID)
		if err != nil {
			return err
		}
		if published {
			r.upheld = false
			if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogPostApprove, TargetType: "post", TargetID: &postID,
				Reason: r.reason, Before: map[string]any{"status": post.Status, "edit": "pending"},
				After: map[string]any{"status": post.Status, "edit": "published"}}); err != nil {
				return err
			}
			return notify(forum.ModerationEditApproved)
		}
	}
	setStatus := func(status string, logAction forum.LogAction) error {
		if post.Status == status {
			return nil
		}
		if err := forum.SetPostStatusTx(ctx, tx, postID, status); err != nil {
			return err
		}
		before := post.Status
		post.Status = status
		return forum.LogTx(ctx, tx, forum.LogEntry{Action: logAction, TargetType: "post", TargetID: &postID,
			Reason: r.reason, Before: map[string]any{"status": before}, After: map[string]any{"status": status}})
	}
	if post.Status == forum.StatusHeld && (r.d.Action == ActApprove || r.d.Action == ActEdit) {
		if err := publishableThread(ctx, tx, post.ThreadID); err != nil {
			return err
		}
	}
	// remove deletes the post, saying who removed it: a held post was never
	// public and shows nowhere; a public one leaves "removed by a moderator"
	// with the rule cited.
	remove := func(logAction forum.LogAction) error {
		if post.Status == forum.StatusDeleted {
			return nil
		}
		removal := forum.RemovedByModerator
		if post.Status == forum.StatusHeld {
			removal = forum.RemovedUnpublished
		}
		if err := forum.RemovePostTx(ctx, tx, postID, removal, r.rules); err != nil {
			return err
		}
		before := post.Status
		post.Status = forum.StatusDeleted
		return forum.LogTx(ctx, tx, forum.LogEntry{Action: logAction, TargetType: "post", TargetID: &postID,
			Reason: r.reason, Before: map[string]any{"status": before}, After: map[string]any{"status": forum.StatusDeleted, "removal": removal}})
	}
	switch r.d.Action {
	case ActApprove, ActDismiss:
		r.upheld = false
		switch post.Status {
		case forum.StatusHeld:
			if err := setStatus(forum.StatusPublished, forum.LogPostApprove); err != nil {
				return err
			}
			if err := forum.NotifyPublishedTx(ctx, tx, postID); err != nil {
				return err
			}
			return notify(forum.ModerationApproved)
		case forum.StatusHidden:
			if err := setStatus(forum.StatusPublished, forum.LogPostRestore); err != nil {
				return err
			}
			return notify(forum.ModerationRestored)
		}
		return nil
	case ActHide:
		r.upheld = true
		if err := setStatus(forum.StatusHidden, forum.LogPostHide); err != nil {
			return err
		}
		if err := notify(forum.ModerationHidden); err != nil {
			return err
		}
	case ActDelete:
		r.upheld = true
		if err := remove(forum.LogPostDelete); err != nil {
			return err
		}
		if err := notify(forum.ModerationDeleted); err != nil {
			return err
		}
	case ActReject:
		r.upheld = true
		if err := remove(forum.LogPostReject); err != nil {
			return err
		}
		if err := notify(forum.ModerationRejected); err != nil {
			return err
		}
	case ActLockThread:
		r.upheld = true
		return r.lockThread(ctx, tx, post, notify)
	case ActMoveThread:
		r.upheld = true
		return r.moveThread(ctx, tx, post.ThreadID)
	case ActEdit:
		r.upheld = true
		return r.editPost(ctx, tx, postID, post, notify)
	}
	return r.autoEscalate(ctx, tx, post.AuthorID)
}

// publishableThread refuses to publish a held post into a thread that was
// deleted meanwhile: the post would be orphaned there.
func publishableThread(ctx context.Context, tx *sqlx.Tx, threadID int64) error {
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM threads WHERE id = $1`, threadID); err != nil {
		return forum.Internal("reading a thread", err)
	}
	if status == forum.StatusDeleted {
		return forum.Errorf(forum.ECONFLICT, "review.thread_removed", nil)
	}
	return nil
}

// settleHeld ends the wait of the item's post when the decision did not:
// an item closes only with its held post approved or refused. A decision
// that does not publish the post (a sanction, a lock, a move) refuses it,
// said in the log and to its author.
func (r *resolution) settleHeld(ctx context.Context, tx *sqlx.Tx) error {
	if r.it.PostID == nil {
		return nil
	}
	postID := *r.it.PostID
	var post reviewedPost
	if err := tx.GetContext(ctx, &post, `SELECT status, author_id, thread_id FROM posts WHERE id = $1 FOR UPDATE`, postID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return forum.Internal("reading a reviewed post", err)
	}
	if post.Status != forum.StatusHeld {
		return r.refuseEdit(ctx, tx, postID, post)
	}
	if err := forum.RemovePostTx(ctx, tx, postID, forum.RemovedUnpublished, r.rules); err != nil {
		return err
	}
	if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogPostReject, TargetType: "post", TargetID: &postID,
		Reason: r.reason, Before: map[string]any{"status": forum.StatusHeld},
		After: map[string]any{"status": forum.StatusDeleted, "removal": forum.RemovedUnpublished, "decision": r.d.Action}}); err != nil {
		return err
	}
	return notifyTx(ctx, tx, post.AuthorID, forum.ModerationRejected, r.reason, &post.ThreadID, &postID)
}

// refuseEdit ends the wait of a published post's held edit when the
// decision did not publish it: the edit goes, the published version stays,
// said in the log and, unless the post itself went, to its author.
func (r *resolution) refuseEdit(ctx context.Context, tx *sqlx.Tx, postID int64, post reviewedPost) error {
	dropped, err := forum.DropPendingEditTx(ctx, tx, postID)
	if err != nil || !dropped {
		return err
	}
	if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogPostReject, TargetType: "post", TargetID: &postID,
		Reason: r.reason, Before: map[string]any{"status": post.Status, "edit": "pending"},
		After: map[string]any{"status": post.Status, "edit": "refused", "decision": r.d.Action}}); err != nil {
		return err
	}
	if post.Status == forum.StatusDeleted {
		return nil
	}
	return notifyTx(ctx, tx, post.AuthorID, forum.ModerationEditRejected, r.reason, &post.ThreadID, &postID)
}

func (r *resolution) lockThread(ctx context.Context, tx *sqlx.Tx, post reviewedPost, notify func(string) error) error {
	res, err := tx.ExecContext(ctx, `UPDATE threads SET locked = true WHERE id = $1 AND NOT locked`, post.ThreadID)
	if err != nil {
		return forum.Internal("locking a thread", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already locked
	}
	if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogThreadLock, TargetType: "thread", TargetID: &post.ThreadID,
		Reason: r.reason, Before: map[string]bool{"locked": false}, After: map[string]bool{"locked": true}}); err != nil {
		return err
	}
	return notify(forum.ModerationThreadLocked)
}

func (r *resolution) moveThread(ctx context.Context, tx *sqlx.Tx, threadID int64) error {
	var from int64
	if err := tx.GetContext(ctx, &from, `SELECT category_id FROM threads WHERE id = $1`, threadID); err != nil {
		return forum.Internal("reading a thread", err)
	}
	if from == r.d.CategoryID {
		return forum.Errorf(forum.EINVALID, "review.same_category", nil).OnField("category_id")
	}
	res, err := tx.ExecContext(ctx, `UPDATE threads SET category_id = $2 WHERE id = $1 AND EXISTS (SELECT 1 FROM categories WHERE id = $2)`, threadID, r.d.CategoryID)
	if err != nil {
		return forum.Internal("moving a thread", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return forum.Errorf(forum.EINVALID, "category.not_found", nil).OnField("category_id")
	}
	return forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogThreadMove, TargetType: "thread", TargetID: &threadID,
		Reason: r.reason, Before: map[string]int64{"category_id": from}, After: map[string]int64{"category_id": r.d.CategoryID}})
}

// editPost replaces the body (the pipeline already prepared it); a held or
// hidden post is published with its corrected body. forum.EditPostTx keeps
// the revision and logs the body before and after.
func (r *resolution) editPost(ctx context.Context, tx *sqlx.Tx, postID int64, post reviewedPost, notify func(string) error) error {
	wasHeld := post.Status == forum.StatusHeld
	status := ""
	if post.Status == forum.StatusHeld || post.Status == forum.StatusHidden {
		status = forum.StatusPublished
	}
	if _, err := forum.EditPostTx(ctx, tx, 0, forum.PostEdit{
		PostID: postID, BodyMarkdown: r.edit.Markdown, BodyHTML: r.edit.HTML, Status: status,
	}); err != nil {
		return err
	}
	if wasHeld {
		if err := forum.NotifyPublishedTx(ctx, tx, postID); err != nil {
			return err
		}
	}
	return notify(forum.ModerationEdited)
}

// autoEscalate applies the next step of the ladder to the author of a post
// the moderators acted on, only when the setting auto_escalate says so.
func (r *resolution) autoEscalate(ctx context.Context, tx *sqlx.Tx, authorID *int64) error {
	if !r.settings.AutoEscalate || authorID == nil {
		return nil
	}
	prop, err := proposeTx(ctx, tx, r.settings, *authorID)
	if err != nil || prop == nil {
		return err
	}
	if a := forum.ActorFrom(ctx); !a.IsStaff() {
		return nil // category moderators do not sanction
	}
	var target struct {
		Role string `db:"role"`
	}
	if err := tx.GetContext(ctx, &target, `SELECT role FROM members WHERE id = $1`, *authorID); err != nil || target.Role != string(forum.RoleMember) {
		return nil // staff are never escalated automatically
	}
	return r.sanction(ctx, tx, prop.Kind, prop.until())
}
