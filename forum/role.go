package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// SetRole makes a member a member, moderator or admin (admins only). An
// admin cannot change their own role, so that the last admin cannot lock
// everyone out by mistake.
func (db *DB) SetRole(ctx context.Context, memberID int64, role Role) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	if err := checkRole(ctx, memberID, role); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return setRoleTx(ctx, tx, memberID, role) })
}

// checkRole is what SetRole refuses before it stores anything.
func checkRole(ctx context.Context, memberID int64, role Role) error {
	if !role.Valid() {
		return Errorf(EINVALID, "member.role_invalid", nil).OnField("role")
	}
	if m := MemberFrom(ctx); m != nil && m.ID == memberID {
		return Errorf(EFORBIDDEN, "role.not_yourself", nil)
	}
	return nil
}

func setRoleTx(ctx context.Context, tx *sqlx.Tx, memberID int64, role Role) error {
	target, err := lockTarget(ctx, tx, memberID)
	if err != nil {
		return err
	}
	if target.Role == role {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET role = $2 WHERE id = $1`, memberID, role); err != nil {
		return Internal("changing a role", err)
	}
	return LogTx(ctx, tx, LogEntry{Action: LogMemberRole, TargetType: "member", TargetID: &memberID,
		Before: map[string]any{"role": target.Role}, After: map[string]any{"role": role}})
}

const (
	insertCategoryModerator = `
INSERT INTO category_moderators (member_id, category_id, added_by) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING`
	deleteCategoryModerator = `DELETE FROM category_moderators WHERE member_id = $1 AND category_id = $2`
)

// SetCategoryModerator makes a member moderate one category, or stops it
// (admins only). Global moderators and admins moderate every category
// already.
func (db *DB) SetCategoryModerator(ctx context.Context, memberID, categoryID int64, moderates bool) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return setCategoryModeratorTx(ctx, tx, memberID, categoryID, moderates) })
}

func setCategoryModeratorTx(ctx context.Context, tx *sqlx.Tx, memberID, categoryID int64, moderates bool) error {
	if _, err := lockTarget(ctx, tx, memberID); err != nil {
		return err
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)`, categoryID); err != nil {
		return Internal("reading a category", err)
	}
	if !exists {
		return Errorf(ENOTFOUND, "category.not_found", nil)
	}
	q, action, args := deleteCategoryModerator, LogCategoryModeratorRemove, []any{memberID, categoryID}
	if moderates {
		q, action, args = insertCategoryModerator, LogCategoryModeratorAdd, []any{memberID, categoryID, actorID(ctx)}
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return Internal("changing category moderators", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already so
	}
	return LogTx(ctx, tx, LogEntry{Action: action, TargetType: "member", TargetID: &memberID,
		After: map[string]any{"category_id": categoryID}})
}

const selectModeratesCategory = `
SELECT EXISTS (SELECT 1 FROM category_moderators WHERE member_id = $1 AND category_id = $2)`

// CanModerateCategory reports whether the actor of ctx moderates the
// category: the system, admins and global moderators moderate all of them,
// category moderators theirs.
func (db *DB) CanModerateCategory(ctx context.Context, categoryID int64) (bool, error) {
	a := ActorFrom(ctx)
	switch {
	case a.IsStaff():
		return true, nil
	case a.Member == nil:
		return false, nil
	}
	var ok bool
	err := db.pool.GetContext(ctx, &ok, selectModeratesCategory, a.Member.ID, categoryID)
	return ok, Internal("reading category moderators", err)
}

// moderatesTx reports whether the actor of ctx moderates the category, in
// tx: staff always; a category moderator theirs (one query, only for
// members who are not staff). A failed read counts as no.
func moderatesTx(ctx context.Context, q sqlx.QueryerContext, categoryID int64) bool {
	a := ActorFrom(ctx)
	switch {
	case a.IsStaff():
		return true
	case a.Member == nil:
		return false
	}
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, selectModeratesCategory, a.Member.ID, categoryID); err != nil {
		return false
	}
	return ok
}

// RequireCategoryModerator returns EFORBIDDEN (EUNAUTHORIZED for visitors)
// unless the actor of ctx moderates the category.
func (db *DB) RequireCategoryModerator(ctx context.Context, categoryID int64) error {
	ok, err := db.CanModerateCategory(ctx, categoryID)
	switch {
	case err != nil:
		return err
	case ok:
		return nil
	case MemberFrom(ctx) == nil:
		return Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
	default:
		return Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
}

const selectModeratedCategories = `
SELECT c.id, c.slug, c.name, c.description, c.position, c.read_only, c.created_at, 0 AS thread_count
FROM category_moderators cm JOIN categories c ON c.id = cm.category_id
WHERE cm.member_id = $1
ORDER BY c.position, c.name`

// ModeratedCategories lists the categories a member moderates by
// appointment (not through a global role).
func (db *DB) ModeratedCategories(ctx context.Context, memberID int64) ([]Category, error) {
	out := []Category{}
	err := db.pool.SelectContext(ctx, &out, selectModeratedCategories, memberID)
	return out, Internal("listing moderated categories", err)
}

// CategoriesToMoveTo lists the categories but from where the actor of ctx
// may move a thread: every one for staff, theirs for a category moderator.
func (db *DB) CategoriesToMoveTo(ctx context.Context, from int64) ([]Category, error) {
	a := ActorFrom(ctx)
	var all []Category
	var err error
	switch {
	case a.IsStaff():
		all, err = db.Categories(ctx)
	case a.Member != nil:
		all, err = db.ModeratedCategories(ctx, a.Member.ID)
	}
	if err != nil {
		return nil, err
	}
	out := []Category{}
	for _, c := range all {
		if c.ID != from {
			out = append(out, c)
		}
	}
	return out, nil
}
