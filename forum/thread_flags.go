package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ThreadFlags are the moderators' switches on a thread, and its category;
// nil leaves one as it is.
type ThreadFlags struct {
	Pinned     *bool  `json:"pinned"`
	Locked     *bool  `json:"locked"`
	Closed     *bool  `json:"closed"`
	CategoryID *int64 `json:"category_id"` // move the thread there
}

// LogThreadMove is the moderation log's action code of a thread moved to
// another category.

// requireModerates returns EFORBIDDEN (EUNAUTHORIZED for visitors) unless
// the actor of ctx moderates the category.
func requireModerates(ctx context.Context, tx *sqlx.Tx, categoryID int64) error {
	if moderatesTx(ctx, tx, categoryID) {
		return nil
	}
	if ActorFrom(ctx).Member == nil {
		return Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	return Errorf(EFORBIDDEN, "error.forbidden", nil)
}

// SetThreadFlags pins, locks or closes a thread (or undoes it), or moves it
// to another category: staff, and the moderators of the thread's category
// (of both categories for a move). Each change is written to the
// moderation log in the same transaction.
func (db *DB) SetThreadFlags(ctx context.Context, threadID int64, f ThreadFlags) (*Thread, error) {
	if ActorFrom(ctx).Member == nil && !ActorFrom(ctx).System {
		return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		t, err := threadForUpdateTx(ctx, tx, threadID)
		if err != nil {
			return err
		}
		if err := requireModerates(ctx, tx, t.CategoryID); err != nil {
			return err
		}
		if f.CategoryID != nil && *f.CategoryID != t.CategoryID {
			if err := moveThreadTx(ctx, tx, t, *f.CategoryID); err != nil {
				return err
			}
		}
		for _, ch := range []struct {
			want    *bool
			cur     bool
			on, off LogAction
			column  string
		}{
			{f.Pinned, t.Pinned, LogThreadPin, LogThreadUnpin, "pinned"},
			{f.Locked, t.Locked, LogThreadLock, LogThreadUnlock, "locked"},
			{f.Closed, t.Closed, LogThreadClose, LogThreadReopen, "closed"},
		} {
			if ch.want == nil || *ch.want == ch.cur {
				continue
			}
			// The column name comes from the list above, never from input.
			if _, err := tx.ExecContext(ctx, `UPDATE threads SET `+ch.column+` = $2 WHERE id = $1`, threadID, *ch.want); err != nil {
				return Internal("changing a thread", err)
			}
			action := ch.off
			if *ch.want {
				action = ch.on
			}
			if err := LogTx(ctx, tx, LogEntry{Action: action, TargetType: "thread", TargetID: &threadID,
				Before: map[string]bool{ch.column: ch.cur}, After: map[string]bool{ch.column: *ch.want}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.ThreadByID(ctx, threadID)
}

// moveThreadTx moves a thread to another category the actor moderates.
func moveThreadTx(ctx context.Context, tx *sqlx.Tx, t *Thread, categoryID int64) error {
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)`, categoryID); err != nil {
		return Internal("reading a category", err)
	}
	if !exists {
		return Errorf(EINVALID, "category.not_found", nil).OnField("category_id")
	}
	if err := requireModerates(ctx, tx, categoryID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE threads SET category_id = $2 WHERE id = $1`, t.ID, categoryID); err != nil {
		return Internal("moving a thread", err)
	}
	return LogTx(ctx, tx, LogEntry{Action: LogThreadMove, TargetType: "thread", TargetID: &t.ID,
		Before: map[string]int64{"category_id": t.CategoryID}, After: map[string]int64{"category_id": categoryID}})
}

// MoveThread moves a thread to another category (SetThreadFlags).
func (db *DB) MoveThread(ctx context.Context, threadID, categoryID int64) (*Thread, error) {
	return db.SetThreadFlags(ctx, threadID, ThreadFlags{CategoryID: &categoryID})
}
