package forum

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

// MemberFilter is what admins search the members by. Zero values do not
// filter.
type MemberFilter struct {
	Query      string // prefix of the username or of the email address
	Role       Role
	TrustLevel *int
	// Status: an account status (active, pending, deleted) or a sanction in
	// force (silenced, suspended, banned).
	Status string
	After  int64 // keyset cursor: the id of the last member of the previous page
	Limit  int   // 50 when zero, at most 200
}

// Member statuses and sanctions admins may filter on.
var MemberStatusFilters = []string{"active", "pending", "deleted", "silenced", "suspended", "banned"}

// AdminMember is a member as admins see them in the people list: with the
// email address, whether the trust level is locked, how much they posted
// and which categories they moderate.
type AdminMember struct {
	Member
	TrustLevelLocked    bool          `db:"trust_level_locked"`
	PostCount           int           `db:"post_count"`
	ModeratedCategories pq.Int64Array `db:"moderated_categories"`
}

// MemberPage is one page of a member search; Next is the cursor of the
// following page, 0 at the end.
type MemberPage struct {
	Members []AdminMember
	Next    int64
}

const adminMemberColumns = memberColumnsM + `, m.trust_level_locked,
	(SELECT count(*) FROM posts p WHERE p.author_id = m.id AND p.status <> 'deleted') AS post_count,
	ARRAY(SELECT cm.category_id FROM category_moderators cm WHERE cm.member_id = m.id ORDER BY cm.category_id) AS moderated_categories`

const searchMembers = `
SELECT ` + adminMemberColumns + `
FROM members m
WHERE ($1 = '' OR m.username_key LIKE $1 || '%' ESCAPE '\' OR m.email_key LIKE $1 || '%' ESCAPE '\')
  AND ($2 = '' OR m.role = $2)
  AND ($3::int IS NULL OR m.trust_level = $3)
  AND CASE $4
      WHEN '' THEN true
      WHEN 'silenced' THEN m.silenced_until > now()
      WHEN 'suspended' THEN m.suspended_until > now()
      WHEN 'banned' THEN m.banned_at IS NOT NULL
      ELSE m.status = $4 END
  AND ($5 = 0 OR m.id < $5)
ORDER BY m.id DESC
LIMIT $6`

// SearchMembers lists the members matching f, newest first (admins only).
func (db *DB) SearchMembers(ctx context.Context, f MemberFilter) (*MemberPage, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if f.Role != "" && !f.Role.Valid() {
		return nil, Errorf(EINVALID, "member.role_invalid", nil).OnField("role")
	}
	if f.TrustLevel != nil && (*f.TrustLevel < TrustNew || *f.TrustLevel > TrustLeader) {
		return nil, Errorf(EINVALID, "member.trust_level_invalid", nil).OnField("trust_level")
	}
	if f.Status != "" && !containsString(MemberStatusFilters, f.Status) {
		return nil, Errorf(EINVALID, "admin.status_filter_invalid", nil).OnField("status")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	q := likePrefix(strings.ToLower(norm.NFC.String(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.Query), "@")))))
	var tl *int64
	if f.TrustLevel != nil {
		v := int64(*f.TrustLevel)
		tl = &v
	}
	page := &MemberPage{Members: []AdminMember{}}
	// One more row than asked tells whether there is a next page.
	err := db.pool.SelectContext(ctx, &page.Members, searchMembers, q, string(f.Role), tl, f.Status, f.After, f.Limit+1)
	if err != nil {
		return nil, Internal("searching members", err)
	}
	if len(page.Members) > f.Limit {
		page.Members = page.Members[:f.Limit]
		page.Next = page.Members[f.Limit-1].ID
	}
	return page, nil
}

// likePrefix escapes the wildcards of LIKE in a typed prefix.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ParseMemberCursor reads the ?after= cursor of the people list.
func ParseMemberCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, Errorf(EINVALID, "admin.cursor_invalid", nil).OnField("after")
	}
	return n, nil
}

// SilencedNow reports whether a silence is in force (for the people list).
func (m *AdminMember) SilencedNow() bool {
	return m.SilencedUntil != nil && time.Now().Before(*m.SilencedUntil)
}

// SuspendedNow reports whether a suspension is in force.
func (m *AdminMember) SuspendedNow() bool {
	return m.SuspendedUntil != nil && time.Now().Before(*m.SuspendedUntil)
}

// CountPendingMembers counts the sign-ups waiting for an admin's approval
// (admins only).
func (db *DB) CountPendingMembers(ctx context.Context) (int, error) {
	if err := RequireAdmin(ctx); err != nil {
		return 0, err
	}
	var n int
	err := db.pool.GetContext(ctx, &n, `SELECT count(*) FROM members WHERE status = 'pending'`)
	return n, Internal("counting pending members", err)
}

// AdminMemberByID returns one member as admins see them (admins only).
func (db *DB) AdminMemberByID(ctx context.Context, id int64) (*AdminMember, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var m AdminMember
	err := db.pool.GetContext(ctx, &m, `SELECT `+adminMemberColumns+` FROM members m WHERE m.id = $1`, id)
	if err := notFound(err, "member.not_found", "reading a member"); err != nil {
		return nil, err
	}
	return &m, nil
}

// StaffMemberByID returns one member as the member's admin page shows them
// to staff: moderators open it to lift or shorten sanctions.
func (db *DB) StaffMemberByID(ctx context.Context, id int64) (*AdminMember, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	var m AdminMember
	err := db.pool.GetContext(ctx, &m, `SELECT `+adminMemberColumns+` FROM members m WHERE m.id = $1`, id)
	if err := notFound(err, "member.not_found", "reading a member"); err != nil {
		return nil, err
	}
	return &m, nil
}

// SetModeratedCategories makes a member moderate exactly these categories
// (admins only); each change is logged.
func (db *DB) SetModeratedCategories(ctx context.Context, memberID int64, categoryIDs []int64) error {
	if err := RequireAdmin(ctx); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return setModeratedCategoriesTx(ctx, tx, memberID, categoryIDs) })
}

func setModeratedCategoriesTx(ctx context.Context, tx *sqlx.Tx, memberID int64, categoryIDs []int64) error {
	if _, err := lockTarget(ctx, tx, memberID); err != nil {
		return err
	}
	var current []int64
	if err := tx.SelectContext(ctx, &current, `SELECT category_id FROM category_moderators WHERE member_id = $1`, memberID); err != nil {
		return Internal("reading category moderators", err)
	}
	want := map[int64]bool{}
	for _, id := range categoryIDs {
		want[id] = true
	}
	have := map[int64]bool{}
	for _, id := range current {
		have[id] = true
		if !want[id] {
			if err := setCategoryModeratorTx(ctx, tx, memberID, id, false); err != nil {
				return err
			}
		}
	}
	for _, id := range categoryIDs {
		if !have[id] {
			have[id] = true
			if err := setCategoryModeratorTx(ctx, tx, memberID, id, true); err != nil {
				return err
			}
		}
	}
	return nil
}
