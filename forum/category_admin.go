package forum

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

const selectCategoryByID = `
SELECT id, slug, name, description, position, read_only, created_at, thread_count
FROM categories WHERE id = $1`

// CategoryByID returns one category.
func (db *DB) CategoryByID(ctx context.Context, id int64) (*Category, error) {
	var c Category
	err := db.pool.GetContext(ctx, &c, selectCategoryByID, id)
	return &c, notFound(err, "category.not_found", "reading a category")
}

const updateCategory = `
UPDATE categories SET slug = $2, name = $3, description = $4, position = $5, read_only = $6
WHERE id = $1
RETURNING id, slug, name, description, position, read_only, created_at, thread_count`

// UpdateCategory changes a category's name, slug, description, position and
// read-only flag: admins only, written to the moderation log.
func (db *DB) UpdateCategory(ctx context.Context, id int64, nc NewCategory) (*Category, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := nc.validate(); err != nil {
		return nil, err
	}
	var c Category
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var before Category
		if err := tx.GetContext(ctx, &before, `SELECT id, slug, name, description, position, read_only, created_at, 0 AS thread_count
FROM categories WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "category.not_found", "reading a category")
		}
		err := tx.GetContext(ctx, &c, updateCategory, id, nc.Slug, nc.Name, nc.Description, nc.Position, nc.ReadOnly)
		if isUniqueViolation(err, "") {
			return Errorf(ECONFLICT, "category.slug_taken", nil).OnField("slug")
		}
		if err != nil {
			return Internal("changing a category", err)
		}
		return LogTx(ctx, tx, LogEntry{Action: LogCategoryUpdate, TargetType: "category", TargetID: &id, Before: before, After: c})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteCategory removes a category that holds no thread at all (deleted
// ones included: they still belong to it): admins only.
func (db *DB) DeleteCategory(ctx context.Context, id int64) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var before Category
		if err := tx.GetContext(ctx, &before, `SELECT id, slug, name, description, position, read_only, created_at, 0 AS thread_count
FROM categories WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "category.not_found", "reading a category")
		}
		var used bool
		if err := tx.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM threads WHERE category_id = $1)`, id); err != nil {
			return Internal("reading a category", err)
		}
		if used {
			return Errorf(ECONFLICT, "category.not_empty", nil)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM categories WHERE id = $1`, id)
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23503" { // a thread arrived meanwhile
			return Errorf(ECONFLICT, "category.not_empty", nil)
		}
		if err != nil {
			return Internal("deleting a category", err)
		}
		return LogTx(ctx, tx, LogEntry{Action: LogCategoryDelete, TargetType: "category", TargetID: &id, Before: before})
	})
}
