package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// InTx runs fn in a transaction, committed when fn returns nil and rolled
// back otherwise. Storage steps of one user action (a post, its counters, its
// review item, its log row) share one transaction this way.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.pool.BeginTxx(ctx, nil)
	if err != nil {
		return Internal("starting a transaction", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return Internal("committing", err)
	}
	return nil
}

// PayloadAfterCommit is the payload of the announcements on ChannelContent
// made after a commit, by InContentTx and by the notification fan-out
// (migration 0027). It also wakes the mail workers: mail an InContentTx
// transaction queued has not sent a NOTIFY on ChannelOutbox (migration
// 0024).
const PayloadAfterCommit = "after_commit"

// InContentTx is InTx for the hot writers of what pages show (posting): the
// change is announced on ChannelContent, with PayloadAfterCommit, after the
// commit, by a transaction of its own that does not wait for the disk,
// instead of by NOTIFYs inside the commit. A NOTIFY holds
// PostgreSQL's notification-queue lock until its commit is flushed, which
// made concurrent posts commit one fsync after the other (migrations 0014,
// 0016). If the announcement fails, the change is stored all the same:
// other instances' caches expire on their own, the mail workers poll.
func (db *DB) InContentTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('palabre.notify', 'after_commit', true)`); err != nil {
			return Internal("deferring the content notification", err)
		}
		return fn(tx)
	})
	if err != nil {
		return err
	}
	db.announceAfterCommit(ctx)
	return nil
}

// announceAfterCommit announces on ChannelContent, with PayloadAfterCommit,
// a change committed with the content triggers silenced.
func (db *DB) announceAfterCommit(ctx context.Context) {
	if _, err := db.pool.ExecContext(context.WithoutCancel(ctx), `SELECT notify_after_commit()`); err != nil {
		db.log.Warn("announcing a content change", "error", err)
	}
}
