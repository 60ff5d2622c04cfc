package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Restoring (undeleting) is the staff's: global moderators and admins
// everywhere, category moderators in their categories. It puts back what
// deleting took away — the post's status, its thread's counters and last
// activity, its place in search (which reads published posts only) — and
// forgets who removed it and the rule cited. A held post refused before it
// was ever public is the review queue's, never restored here.

// RestoreReasonMaxLength bounds the reason a restore may give, in characters.
const RestoreReasonMaxLength = 2000

// RestorePost restores a soft-deleted post, whoever deleted it; the first
// post of a deleted thread restores the thread (RestoreThread). Logged as
// post.restore with the reason, which may be empty.
func (db *DB) RestorePost(ctx context.Context, postID int64, reason string) (*Post, error) {
	reason, err := cleanText(reason, "reason", RestoreReasonMaxLength)
	if err != nil {
		return nil, err
	}
	var out *Post
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		p, err := restorableTx(ctx, tx, postID)
		if err != nil {
			return err
		}
		if p.Status != StatusDeleted {
			return Errorf(ECONFLICT, "post.not_deleted", nil)
		}
		action, target, id := LogPostRestore, "post", p.ID
		if p.Number == 1 && p.ThreadStatus == StatusDeleted {
			action, target, id = LogThreadRestore, "thread", p.ThreadID
		}
		if err := restoreFirstOrReplyTx(ctx, tx, p, action, target, id, reason); err != nil {
			return err
		}
		out = &p.Post
		out.Status, out.Removal, out.RemovalRule = StatusPublished, "", ""
		return nil
	})
	return out, err
}

// RestoreThread restores a deleted thread with its first post. Logged as
// thread.restore with the reason, which may be empty.
func (db *DB) RestoreThread(ctx context.Context, threadID int64, reason string) error {
	reason, err := cleanText(reason, "reason", RestoreReasonMaxLength)
	if err != nil {
		return err
	}
	var first int64
	if err := db.pool.GetContext(ctx, &first, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, threadID); err != nil {
		return notFound(err, "thread.not_found", "reading a thread")
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		p, err := restorableTx(ctx, tx, first)
		if err != nil {
			return err
		}
		if p.ThreadStatus != StatusDeleted {
			return Errorf(ECONFLICT, "thread.not_deleted", nil)
		}
		return restoreFirstOrReplyTx(ctx, tx, p, LogThreadRestore, "thread", p.ThreadID, reason)
	})
}

// restorableTx locks a post for a restore and checks that the actor may
// restore it and that it was once public.
func restorableTx(ctx context.Context, tx *sqlx.Tx, postID int64) (*postForUpdate, error) {
	a := ActorFrom(ctx)
	if a.Member == nil && !a.System {
		return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	// Locked as postForUpdateTx does (the thread first), without its
	// visibility check: a category moderator restores a deleted thread
	// they cannot otherwise open.
	var threadID int64
	if err := tx.GetContext(ctx, &threadID, `SELECT thread_id FROM posts WHERE id = $1`, postID); err != nil {
		return nil, notFound(err, "post.not_found", "reading a post")
	}
	if _, err := threadForUpdateTx(ctx, tx, threadID); err != nil {
		return nil, err
	}
	var p postForUpdate
	if err := tx.GetContext(ctx, &p, selectPostForUpdate, postID); err != nil {
		return nil, notFound(err, "post.not_found", "reading a post")
	}
	if !a.System && !moderatesTx(ctx, tx, p.ThreadCategory) {
		if !a.canSeePost(p.Status, p.AuthorID) || !a.canSeeThread(p.ThreadStatus, p.ThreadAuthorID) {
			return nil, Errorf(ENOTFOUND, "post.not_found", nil)
		}
		return nil, Errorf(EFORBIDDEN, "post.restore_forbidden", nil)
	}
	var removal string
	if err := tx.GetContext(ctx, &removal, `SELECT removal FROM posts WHERE id = $1`, postID); err != nil {
		return nil, Internal("reading a post", err)
	}
	if removal == RemovedUnpublished {
		return nil, Errorf(ECONFLICT, "post.restore_unpublished", nil)
	}
	p.Removal = removal
	return &p, nil
}

// restoreFirstOrReplyTx publishes a deleted post again (its thread with it
// when it is the first post), and logs it.
func restoreFirstOrReplyTx(ctx context.Context, tx *sqlx.Tx, p *postForUpdate, action LogAction, target string, id int64, reason string) error {
	before := map[string]any{"status": p.Status, "removal": p.Removal}
	if target == "thread" {
		before["thread_status"] = p.ThreadStatus
	}
	if p.Status == StatusDeleted {
		if err := SetPostStatusTx(ctx, tx, p.ID, StatusPublished); err != nil {
			return err
		}
	} else {
		// The first post stayed (a moderator hid it, say): the thread
		// alone comes back.
		if _, err := tx.ExecContext(ctx, `UPDATE threads SET status = 'published' WHERE id = $1`, p.ThreadID); err != nil {
			return Internal("restoring a thread", err)
		}
		if err := refreshThreadTx(ctx, tx, p.ThreadID); err != nil {
			return err
		}
	}
	return LogTx(ctx, tx, LogEntry{Action: action, TargetType: target, TargetID: &id, Reason: reason,
		Before: before, After: map[string]any{"status": StatusPublished, "post_id": p.ID}})
}
