package forum

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Statements are bounded by purpose. The server's connections carry a
// default statement_timeout (PoolOptions.StatementTimeout) that no request
// outlives; work whose answer is useless after a moment, like a search,
// runs with a stricter limit, through its context: lib/pq asks PostgreSQL
// to cancel a statement whose context ends. A search's statement goes
// alone, in one round trip, where a transaction setting the limit (BEGIN,
// SET LOCAL, the statement, COMMIT) took four, each a wake-up of the
// server and of its backend (at 1M posts, 64 clients searching: a sixth
// of the server's CPU went to switching tasks).

// boundedRead runs fn with a context that ends after timeout, on the read
// replica when ctx allows it (readPage): fn must be safe to run twice. A
// statement cancelled so (or because the request went away) answers
// EUNAVAILABLE with key, which the person reads instead of an internal
// error; fn's other errors are returned as they are. A connection whose
// statement was cancelled this way is closed, not reused (lib/pq).
func (db *DB) boundedRead(ctx context.Context, timeout time.Duration, key string, fn func(ctx context.Context, q *sqlx.DB) error) error {
	return db.readPage(ctx, func(q *sqlx.DB) error {
		bounded, cancel := context.WithTimeout(ctx, max(timeout, time.Millisecond))
		defer cancel()
		if err := fn(bounded, q); err != nil {
			if statementCancelled(err) || bounded.Err() != nil {
				return &Error{Code: EUNAVAILABLE, Key: key, Err: err}
			}
			return err
		}
		return nil
	})
}

// statementCancelled reports whether PostgreSQL cancelled a statement
// (statement_timeout, or the request that sent it went away).
func statementCancelled(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "57014" // query_canceled
}
