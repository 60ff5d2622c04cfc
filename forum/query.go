package forum

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/migrations"
)

// The SQL other packages run goes through this narrow API: reads into
// tagged structs, single statements, transactions (InTx, InContentTx) and
// prepared statements (Prepared). The pool itself stays storage's: its
// settings, its connections and its closing belong to DB.

// GetContext reads one row into dest (sqlx.GetContext).
func (db *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return db.pool.GetContext(ctx, dest, query, args...)
}

// SelectContext reads rows into dest, a pointer to a slice (sqlx.SelectContext).
func (db *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return db.pool.SelectContext(ctx, dest, query, args...)
}

// ExecContext runs one statement outside a transaction.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.pool.ExecContext(ctx, query, args...)
}

// Queryer is the pool as the functions that read either in a transaction or
// outside one take it (a *sqlx.Tx is the other).
func (db *DB) Queryer() sqlx.QueryerContext { return db.pool }

// SQL is the pool itself, for tests (fixtures that write rows directly),
// migrations and ops tools (palabre migrate, scripts/benchseed). Code that
// serves requests uses the narrow API above; TestOnlyToolsReachThePool
// checks that moderation and server do not call it.
func (db *DB) SQL() *sqlx.DB { return db.pool }

// Migrate brings the schema up to date (migrations.Up).
func (db *DB) Migrate() error { return migrations.Up(db.pool.DB) }

// SchemaStatus compares the schema's version with this binary's.
func (db *DB) SchemaStatus(ctx context.Context) (migrations.Status, error) {
	return migrations.CheckContext(ctx, db.pool.DB)
}

// PoolStats are the pool's statistics (for /metrics).
func (db *DB) PoolStats() sql.DBStats { return db.pool.Stats() }
