package forum

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Statements are bounded by purpose. The server's connections carry a
// default statement_timeout (PoolOptions.StatementTimeout) that no request
// outlives; work whose answer is useless after a moment, like a search,
// runs in a bounded transaction with a stricter limit (SET LOCAL, so the
// connection goes back to the pool with its default).

// boundedRead runs fn in a read-only transaction whose statements
// PostgreSQL cancels after timeout. A statement cancelled so answers
// EUNAVAILABLE with key, which the person reads instead of an internal
// error; fn's other errors are returned as they are. It runs on the read
// replica when ctx allows it (readPage): fn must be safe to run twice.
func (db *DB) boundedRead(ctx context.Context, timeout time.Duration, key string, fn func(tx *sqlx.Tx) error) error {
	return db.readPage(ctx, func(q *sqlx.DB) error { return boundedReadOn(ctx, q, timeout, key, fn) })
}

func boundedReadOn(ctx context.Context, q *sqlx.DB, timeout time.Duration, key string, fn func(tx *sqlx.Tx) error) error {
	tx, err := q.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Internal("starting a bounded read", err)
	}
	defer tx.Rollback()
	// SET takes no parameters: the number is formatted here, never typed by anyone.
	if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(max(timeout.Milliseconds(), 1), 10)); err != nil {
		return Internal("bounding a read", err)
	}
	if err := fn(tx); err != nil {
		if statementCancelled(err) {
			return &Error{Code: EUNAVAILABLE, Key: key, Err: err}
		}
		return err
	}
	return Internal("ending a bounded read", tx.Commit())
}

// statementCancelled reports whether PostgreSQL cancelled a statement
// (statement_timeout, or the request that sent it went away).
func statementCancelled(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "57014" // query_canceled
}
