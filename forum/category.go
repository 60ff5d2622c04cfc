package forum

import (
	"context"
	"time"
	"unicode/utf8"
)

// Category groups threads on one subject.
type Category struct {
	ID          int64     `db:"id" json:"id"`
	Slug        string    `db:"slug" json:"slug"`
	Name        string    `db:"name" json:"name"`
	Description string    `db:"description" json:"description"`
	Position    int       `db:"position" json:"position"`
	ReadOnly    bool      `db:"read_only" json:"read_only"`
	ThreadCount int       `db:"thread_count" json:"thread_count"`
	CreatedAt   time.Time `db:"created_at" json:"-"`
}

// NewCategory is what creating a category takes.
type NewCategory struct {
	Name        string
	Slug        string // derived from Name when empty
	Description string
	Position    int
	ReadOnly    bool
}

// validate trims the fields and checks them, deriving the slug.
func (nc *NewCategory) validate() error {
	nc.Name = trimmed(nc.Name)
	nc.Description = trimmed(nc.Description)
	nc.Slug = trimmed(nc.Slug)
	switch n := utf8.RuneCountInString(nc.Name); {
	case n == 0:
		return Errorf(EINVALID, "category.name_required", nil).OnField("name")
	case n > 80:
		return Errorf(EINVALID, "category.name_too_long", map[string]any{"Max": 80}).OnField("name")
	}
	if utf8.RuneCountInString(nc.Description) > 500 {
		return Errorf(EINVALID, "category.description_too_long", map[string]any{"Max": 500}).OnField("description")
	}
	if nc.Slug == "" {
		nc.Slug = Slugify(nc.Name)
	}
	if nc.Slug == "" || nc.Slug != Slugify(nc.Slug) {
		return Errorf(EINVALID, "category.slug_invalid", nil).OnField("slug")
	}
	return nil
}

const selectCategories = `
SELECT c.id, c.slug, c.name, c.description, c.position, c.read_only, c.created_at, c.thread_count
FROM categories c
ORDER BY c.position, c.name`

// Categories lists every category in display order.
func (db *DB) Categories(ctx context.Context) ([]Category, error) {
	rows, err := db.stmts.categories.QueryContext(ctx)
	if err != nil {
		return nil, Internal("listing categories", err)
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, Internal("listing categories", err)
		}
		out = append(out, c)
	}
	return out, Internal("listing categories", rows.Err())
}

// scanCategory reads a row of selectCategories or selectCategoryBySlug (the
// home page and every category page: no reflection).
func scanCategory(row interface{ Scan(...any) error }) (Category, error) {
	var c Category
	err := row.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position, &c.ReadOnly, &c.CreatedAt, &c.ThreadCount)
	return c, err
}

const selectCategoryBySlug = `
SELECT id, slug, name, description, position, read_only, created_at, thread_count
FROM categories WHERE slug = $1`

// CategoryBySlug returns one category.
func (db *DB) CategoryBySlug(ctx context.Context, slug string) (*Category, error) {
	c, err := scanCategory(db.stmts.categoryBySlug.QueryRowContext(ctx, slug))
	return &c, notFound(err, "category.not_found", "reading a category")
}

const insertCategory = `
INSERT INTO categories (slug, name, description, position, read_only)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, slug, name, description, position, read_only, created_at, thread_count`

// CreateCategory creates a category; admins only.
func (db *DB) CreateCategory(ctx context.Context, nc NewCategory) (*Category, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := nc.validate(); err != nil {
		return nil, err
	}
	var c Category
	err := db.pool.GetContext(ctx, &c, insertCategory, nc.Slug, nc.Name, nc.Description, nc.Position, nc.ReadOnly)
	if isUniqueViolation(err, "") {
		return nil, Errorf(ECONFLICT, "category.slug_taken", nil).OnField("slug")
	}
	if err != nil {
		return nil, Internal("creating a category", err)
	}
	return &c, nil
}
