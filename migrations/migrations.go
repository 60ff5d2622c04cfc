// Package migrations holds Palabre's numbered SQL migrations, embedded in the
// binary, and applies them with golang-migrate. The postgres driver of
// golang-migrate takes a PostgreSQL advisory lock around every run, so several
// instances starting together do not race.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// FS holds the migration files: NNNN_name.up.sql, never edited once landed
// (docs/schema.sql is their generated snapshot).
//
//go:embed *.up.sql
var FS embed.FS

// Status describes the schema of a database against the embedded migrations.
type Status struct {
	Current uint // version applied, 0 when none
	Latest  uint // newest embedded version
	Dirty   bool // a migration failed half-way: a human must look
}

// Behind reports whether the database needs migrating.
func (s Status) Behind() bool { return s.Current < s.Latest }

// Up applies every pending migration. A database already migrated past
// this binary's migrations (a newer release migrated it: a rolling
// upgrade, where instances of the previous release keep serving until
// they are replaced) is left as it is.
func Up(db *sql.DB) error {
	if st, err := Check(db); err == nil && st.Current > st.Latest && !st.Dirty {
		return nil
	}
	m, conn, err := open(db)
	if err != nil {
		return err
	}
	// Close returns the driver's connection to db; the caller still owns db.
	defer m.Close()
	// A migration may rewrite a large table: the server's statement timeout
	// (forum.PoolOptions) is lifted for this connection, then restored
	// before it goes back to the pool.
	if _, err := conn.ExecContext(context.Background(), `SET statement_timeout = 0`); err != nil {
		return fmt.Errorf("preparing migrations: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `RESET statement_timeout`) }() // a failure closes the connection anyway
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrating: %w", err)
	}
	return nil
}

// Check reads the schema version of db without changing anything.
func Check(db *sql.DB) (Status, error) { return CheckContext(context.Background(), db) }

// CheckContext is Check bounded by ctx (the readiness probe).
func CheckContext(ctx context.Context, db *sql.DB) (Status, error) {
	st := Status{Latest: Latest()}
	err := db.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&st.Current, &st.Dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return st, nil
	case err != nil && strings.Contains(err.Error(), `"schema_migrations" does not exist`):
		return st, nil
	case err != nil:
		return st, fmt.Errorf("reading the schema version: %w", err)
	}
	return st, nil
}

func open(db *sql.DB) (*migrate.Migrate, *sql.Conn, error) {
	src, err := iofs.New(FS, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	// WithConnection, not WithInstance: closing the migrator then closes
	// only this connection, never the caller's pool.
	conn, err := db.Conn(context.Background())
	if err != nil {
		return nil, nil, fmt.Errorf("connecting for migrations: %w", err)
	}
	drv, err := postgres.WithConnection(context.Background(), conn, &postgres.Config{})
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("preparing migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "postgres", drv)
	if err != nil {
		return nil, nil, fmt.Errorf("preparing migrations: %w", err)
	}
	return m, conn, nil
}

// Latest returns the newest embedded migration version.
func Latest() uint {
	var latest uint
	for _, name := range names() {
		n, err := strconv.ParseUint(strings.SplitN(name, "_", 2)[0], 10, 32)
		if err == nil && uint(n) > latest {
			latest = uint(n)
		}
	}
	return latest
}

// Fingerprint is a digest of every embedded migration: tests name their
// template database after it, so a changed migration gets a fresh template.
func Fingerprint() string {
	h := sha256.New()
	for _, name := range names() {
		b, _ := FS.ReadFile(name)
		h.Write([]byte(name))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func names() []string {
	entries, _ := fs.ReadDir(FS, ".")
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".up.sql") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
