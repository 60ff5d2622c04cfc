package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ThreadFlags are the moderators' switches on a thread; nil leaves one as
// it is.
type ThreadFlags struct {
	Pinned *bool `json:"pinned"`
	Locked *bool `json:"locked"`
	Closed *bool `json:"closed"`
}

// SetThreadFlags pins, locks or closes a thread (or undoes it): staff only.
// Each change is written to the moderation log in the same transaction.
func (db *DB) SetThreadFlags(ctx context.Context, threadID int64, f ThreadFlags) (*Thread, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		t, err := threadForUpdateTx(ctx, tx, threadID)
		if err != nil {
			return err
		}
		for _, ch := range []struct {
			want    *bool
			cur     bool
			on, off string
			column  string
		}{
			{f.Pinned, t.Pinned, "thread.pin", "thread.unpin", "pinned"},
			{f.Locked, t.Locked, "thread.lock", "thread.unlock", "locked"},
			{f.Closed, t.Closed, "thread.close", "thread.reopen", "closed"},
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
