package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// InTx runs fn in a transaction, committed when fn returns nil and rolled
// back otherwise. Storage steps of one user action (a post, its counters, its
// review item, its log row) share one transaction this way.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
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
