package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// What deleting a post does (DeleteOutcome). Other members' replies are not
// the author's to delete: once a thread has a visible reply from someone
// else, its author may withdraw their own text, not the thread.
const (
	DeletesPost    = "post"     // the post leaves a placeholder in its thread
	DeletesThread  = "thread"   // the first post takes its thread with it
	WithdrawsFirst = "withdraw" // the first post's text goes; the thread, its title and the replies stay
)

// selectOthersReplied says whether a thread has a published reply from a
// member other than $2 (a former member's reply counts).
const selectOthersReplied = `
SELECT EXISTS (SELECT 1 FROM posts
	WHERE thread_id = $1 AND number > 1 AND status = 'published' AND author_id IS DISTINCT FROM $2)`

// deleteOutcomeTx says what deleting p does when the actor of ctx asks.
// The author of a first post withdraws it once others replied; staff and
// category moderators deleting someone else's first post delete the thread.
func deleteOutcomeTx(ctx context.Context, q sqlx.QueryerContext, p *Post) (string, error) {
	if p.Number != 1 {
		return DeletesPost, nil
	}
	if !ActorFrom(ctx).isAuthor(p.AuthorID) || p.Status == StatusHeld {
		return DeletesThread, nil
	}
	var replied bool
	if err := sqlx.GetContext(ctx, q, &replied, selectOthersReplied, p.ThreadID, p.AuthorID); err != nil {
		return "", Internal("reading a thread's replies", err)
	}
	if replied {
		return WithdrawsFirst, nil
	}
	return DeletesThread, nil
}

// DeleteOutcome says what deleting the post would do if the actor of ctx
// asked now (DeletesPost, DeletesThread or WithdrawsFirst), for the
// confirmation page.
func (db *DB) DeleteOutcome(ctx context.Context, p *Post) (string, error) {
	return deleteOutcomeTx(ctx, db.pool, p)
}

// closeHeldItems closes the open review item of a held post deleted by its
// author or by staff outside the queue.
const closeHeldItems = `
UPDATE review_items SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = 'withdrawn',
	version = version + 1
WHERE post_id = $1 AND status = 'pending'`

// DeletePost deletes a post softly: its author or staff; it stays in the
// thread as a placeholder. Deleting the first post deletes the thread,
// unless its author deletes it after others replied: the post is then
// withdrawn and the thread stays (DeleteOutcome). The thread's counters are
// recomputed in the same transaction.
func (db *DB) DeletePost(ctx context.Context, postID int64) (*Post, error) {
	return db.deletePost(ctx, postID, false)
}

// DeleteThread deletes a thread with its first post: staff, the category's
// moderators, or its author while no one else has replied (ECONFLICT
// thread_has_replies afterwards: the author may only withdraw their text).
func (db *DB) DeleteThread(ctx context.Context, threadID int64) error {
	var first int64
	err := db.pool.GetContext(ctx, &first, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, threadID)
	if err != nil {
		return notFound(err, "thread.not_found", "reading a thread")
	}
	_, err = db.deletePost(ctx, first, true)
	return err
}

func (db *DB) deletePost(ctx context.Context, postID int64, wholeThread bool) (*Post, error) {
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
		moderates := moderatesTx(ctx, tx, p.ThreadCategory)
		if wholeThread && p.Status == StatusDeleted && p.ThreadStatus != StatusDeleted && moderates {
			// A withdrawn first post: the staff delete the thread it left.
			return deleteWithdrawnThreadTx(ctx, tx, p)
		}
		if wholeThread && p.Status == StatusDeleted && p.ThreadStatus != StatusDeleted && a.isAuthor(p.AuthorID) {
			return Errorf(ETHREADREPLIED, "thread.has_replies", nil) // they withdrew their text already
		}
		if p.Status == StatusDeleted {
			if wholeThread {
				return Errorf(ECONFLICT, "thread.already_deleted", nil)
			}
			return Errorf(ECONFLICT, "post.already_deleted", nil)
		}
		if !a.CanDelete(&p.Post) && !moderates {
			return Errorf(EFORBIDDEN, "post.delete_not_yours", nil)
		}
		outcome, err := deleteOutcomeTx(ctx, tx, &p.Post)
		if err != nil {
			return err
		}
		if wholeThread && outcome == WithdrawsFirst && !moderates {
			return Errorf(ETHREADREPLIED, "thread.has_replies", nil)
		}
		if wholeThread {
			outcome = DeletesThread
		}
		removal := RemovedByAuthor
		switch {
		case p.Status == StatusHeld:
			removal = RemovedUnpublished
		case !a.isAuthor(p.AuthorID):
			removal = RemovedByModerator
		}
		if err := removePostTx(ctx, tx, p.ID, removal, "", outcome != WithdrawsFirst); err != nil {
			return err
		}
		if err := dropReviewWaitTx(ctx, tx, p.ID, p.Status == StatusHeld); err != nil {
			return err
		}
		if !a.isAuthor(p.AuthorID) {
			action, target, id := LogPostDelete, "post", p.ID
			if wholeThread {
				action, target, id = LogThreadDelete, "thread", p.ThreadID
			}
			if err := LogTx(ctx, tx, LogEntry{Action: action, TargetType: target, TargetID: &id,
				Before: map[string]any{"status": p.Status}, After: map[string]any{"status": StatusDeleted, "post_id": p.ID}}); err != nil {
				return err
			}
		}
		out = &p.Post
		out.Status = StatusDeleted
		out.Removal = removal
		return nil
	})
	return out, err
}

// deleteWithdrawnThreadTx deletes the thread of a withdrawn first post:
// the post keeps saying who removed it.
func deleteWithdrawnThreadTx(ctx context.Context, tx *sqlx.Tx, p *postForUpdate) error {
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET status = 'deleted' WHERE id = $1`, p.ThreadID); err != nil {
		return Internal("deleting a thread", err)
	}
	if err := refreshThreadTx(ctx, tx, p.ThreadID); err != nil {
		return err
	}
	return LogTx(ctx, tx, LogEntry{Action: LogThreadDelete, TargetType: "thread", TargetID: &p.ThreadID,
		Before: map[string]any{"status": p.ThreadStatus}, After: map[string]any{"status": StatusDeleted, "post_id": p.ID}})
}

// dropReviewWaitTx ends the wait of a post that goes: a held post's open
// review item closes, and so does a pending edit's, with the edit.
func dropReviewWaitTx(ctx context.Context, tx *sqlx.Tx, postID int64, held bool) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM post_pending_edits WHERE post_id = $1`, postID)
	if err != nil {
		return Internal("dropping a pending edit", err)
	}
	if n, _ := res.RowsAffected(); n == 0 && !held {
		return nil
	}
	if _, err := tx.ExecContext(ctx, closeHeldItems, postID, actorID(ctx)); err != nil {
		return Internal("closing a review item", err)
	}
	return nil
}
