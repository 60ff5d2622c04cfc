package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Watch levels of a thread or a category.
const (
	WatchWatching = "watching" // every reply (thread), every new thread (category)
	WatchNormal   = "normal"   // replies to one's posts, mentions, quotes, likes
	WatchMuted    = "muted"    // nothing but moderation outcomes
)

func validWatchLevel(level string) error {
	switch level {
	case WatchWatching, WatchNormal, WatchMuted:
		return nil
	}
	return Errorf(EINVALID, "watch.level_invalid", nil).OnField("level")
}

const (
	upsertThreadWatch = `
INSERT INTO watches (member_id, thread_id, level) VALUES ($1, $2, $3)
ON CONFLICT (member_id, thread_id) WHERE thread_id IS NOT NULL DO UPDATE SET level = EXCLUDED.level, updated_at = now()`
	insertThreadWatchIfNone = `
INSERT INTO watches (member_id, thread_id, level) VALUES ($1, $2, $3)
ON CONFLICT (member_id, thread_id) WHERE thread_id IS NOT NULL DO NOTHING`
	upsertCategoryWatch = `
INSERT INTO watches (member_id, category_id, level) VALUES ($1, $2, $3)
ON CONFLICT (member_id, category_id) WHERE category_id IS NOT NULL DO UPDATE SET level = EXCLUDED.level, updated_at = now()`
)

// watchTx sets a member's level on a thread (threadID) or a category;
// with replace false an existing choice is kept.
func watchTx(ctx context.Context, tx sqlx.ExecerContext, memberID, threadID, categoryID int64, level string, replace bool) error {
	q, target := upsertCategoryWatch, categoryID
	if threadID != 0 {
		q, target = upsertThreadWatch, threadID
		if !replace {
			q = insertThreadWatchIfNone
		}
	}
	_, err := tx.ExecContext(ctx, q, memberID, target, level)
	return Internal("watching", err)
}

// WatchThread sets the acting member's level on a thread they can see and
// returns their levels on it.
func (db *DB) WatchThread(ctx context.Context, threadID int64, level string) (WatchLevels, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return WatchLevels{}, err
	}
	if err := validWatchLevel(level); err != nil {
		return WatchLevels{}, err
	}
	var th struct {
		Status     string `db:"status"`
		AuthorID   *int64 `db:"author_id"`
		CategoryID int64  `db:"category_id"`
	}
	if err := db.pool.GetContext(ctx, &th, `SELECT status, author_id, category_id FROM threads WHERE id = $1`, threadID); err != nil {
		return WatchLevels{}, notFound(err, "thread.not_found", "reading a thread")
	}
	own := th.AuthorID != nil && *th.AuthorID == m.ID
	if th.Status != StatusPublished && !m.IsStaff() && !(own && th.Status == StatusHeld) {
		return WatchLevels{}, Errorf(ENOTFOUND, "thread.not_found", nil)
	}
	if err := watchTx(ctx, db.pool, m.ID, threadID, 0, level, true); err != nil {
		return WatchLevels{}, err
	}
	return db.WatchLevelsOf(ctx, threadID, th.CategoryID)
}

// WatchCategory sets the acting member's level on a category and returns
// it.
func (db *DB) WatchCategory(ctx context.Context, categoryID int64, level string) (WatchLevels, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return WatchLevels{}, err
	}
	if err := validWatchLevel(level); err != nil {
		return WatchLevels{}, err
	}
	var exists bool
	if err := db.pool.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)`, categoryID); err != nil {
		return WatchLevels{}, Internal("reading a category", err)
	}
	if !exists {
		return WatchLevels{}, Errorf(ENOTFOUND, "category.not_found", nil)
	}
	if err := watchTx(ctx, db.pool, m.ID, 0, categoryID, level, true); err != nil {
		return WatchLevels{}, err
	}
	return db.WatchLevelsOf(ctx, 0, categoryID)
}

// WatchLevels are a member's levels on a thread and on its category ("" when
// they chose nothing) and the one in force.
type WatchLevels struct {
	Thread    string `db:"thread_level" json:"thread,omitempty"`
	Category  string `db:"category_level" json:"category,omitempty"`
	Effective string `db:"-" json:"effective"`
}

const selectWatchLevels = `
SELECT coalesce((SELECT level FROM watches WHERE member_id = $1 AND thread_id = $2), '') AS thread_level,
	coalesce((SELECT level FROM watches WHERE member_id = $1 AND category_id = $3), '') AS category_level`

// WatchLevelsOf returns the acting member's levels on a thread (threadID,
// with its category) or a category alone (threadID 0). Visitors get the
// normal level without a query.
func (db *DB) WatchLevelsOf(ctx context.Context, threadID, categoryID int64) (WatchLevels, error) {
	out := WatchLevels{Effective: WatchNormal}
	m := MemberFrom(ctx)
	if m == nil {
		return out, nil
	}
	err := db.stmts.watchLevels.GetContext(ctx, &out, m.ID, threadID, categoryID)
	if err != nil {
		return out, Internal("reading watches", err)
	}
	return out.settle(threadID != 0), nil
}

// settle sets the level in force from the chosen ones: a thread's own level
// wins; a category's applies to its threads when muted, and to itself.
func (w WatchLevels) settle(ofThread bool) WatchLevels {
	w.Effective = WatchNormal
	switch {
	case w.Thread != "":
		w.Effective = w.Thread
	case w.Category == WatchMuted || (!ofThread && w.Category != ""):
		w.Effective = w.Category
	}
	return w
}
