package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// IgnoredMember is a member someone ignores.
type IgnoredMember struct {
	ID       int64  `db:"id" json:"id"`
	Username string `db:"username" json:"username"`
}

// Ignore makes the member acting in ctx ignore the member called name:
// their posts are collapsed for them, their mentions, replies and messages
// no longer notify them, and they cannot start a conversation with them.
// Staff cannot be ignored (their moderating role).
func (db *DB) Ignore(ctx context.Context, name string) error {
	me, target, err := db.ignoreTarget(ctx, name)
	if err != nil {
		return err
	}
	if target.IsStaff() {
		return Errorf(EFORBIDDEN, "member.cannot_ignore_staff", nil)
	}
	_, err = db.ExecContext(ctx, `
INSERT INTO ignored_members (member_id, ignored_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, me.ID, target.ID)
	return Internal("ignoring a member", err)
}

// Unignore stops ignoring the member called name.
func (db *DB) Unignore(ctx context.Context, name string) error {
	me, target, err := db.ignoreTarget(ctx, name)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `DELETE FROM ignored_members WHERE member_id = $1 AND ignored_id = $2`, me.ID, target.ID)
	return Internal("no longer ignoring a member", err)
}

func (db *DB) ignoreTarget(ctx context.Context, name string) (*Member, *Member, error) {
	me, err := RequireMember(ctx)
	if err != nil {
		return nil, nil, err
	}
	target, err := db.MemberByUsername(ctx, name)
	if err != nil || target.Status == "deleted" {
		return nil, nil, Errorf(ENOTFOUND, "member.not_found", nil)
	}
	if target.ID == me.ID {
		return nil, nil, Errorf(EINVALID, "member.cannot_ignore_self", nil)
	}
	return me, target, nil
}

// IgnoredMembers lists the members the member acting in ctx ignores.
func (db *DB) IgnoredMembers(ctx context.Context) ([]IgnoredMember, error) {
	me, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	out := []IgnoredMember{}
	err = db.SelectContext(ctx, &out, `
SELECT m.id, m.username FROM ignored_members i JOIN members m ON m.id = i.ignored_id
WHERE i.member_id = $1 ORDER BY m.username_key`, me.ID)
	return out, Internal("listing ignored members", err)
}

// Ignores reports whether the member acting in ctx ignores memberID.
func (db *DB) Ignores(ctx context.Context, memberID int64) (bool, error) {
	me := MemberFrom(ctx)
	if me == nil {
		return false, nil
	}
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM ignored_members WHERE member_id = $1 AND ignored_id = $2)`, me.ID, memberID)
	return ok, Internal("reading whether a member is ignored", err)
}

// MessagePreferences say whom a member accepts new conversations from:
// members of at least MinTrustLevel, or staff only. Staff may always write.
type MessagePreferences struct {
	MinTrustLevel int  `db:"min_trust_level" json:"min_trust_level"`
	StaffOnly     bool `db:"staff_only" json:"staff_only"`
	// EmailOnMessage: new messages are also sent by email (nil when
	// saving: unchanged).
	EmailOnMessage *bool `db:"email_on_message" json:"email_on_message,omitempty"`
}

// MessagePreferences returns the preferences of the member acting in ctx.
func (db *DB) MessagePreferences(ctx context.Context) (*MessagePreferences, error) {
	me, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var p MessagePreferences
	err = db.GetContext(ctx, &p, `
SELECT coalesce(mp.min_trust_level, 0) AS min_trust_level, coalesce(mp.staff_only, false) AS staff_only, m.email_on_message
FROM members m LEFT JOIN message_preferences mp ON mp.member_id = m.id WHERE m.id = $1`, me.ID)
	return &p, Internal("reading message preferences", err)
}

// SetMessagePreferences saves the preferences of the member acting in ctx.
func (db *DB) SetMessagePreferences(ctx context.Context, p MessagePreferences) error {
	me, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	if p.MinTrustLevel < TrustNew || p.MinTrustLevel > TrustLeader {
		return Errorf(EINVALID, "settings.trust_level_invalid", nil).OnField("min_trust_level")
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO message_preferences (member_id, min_trust_level, staff_only) VALUES ($1, $2, $3)
ON CONFLICT (member_id) DO UPDATE SET min_trust_level = EXCLUDED.min_trust_level, staff_only = EXCLUDED.staff_only`,
			me.ID, p.MinTrustLevel, p.StaffOnly); err != nil {
			return Internal("saving message preferences", err)
		}
		if p.EmailOnMessage == nil {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE members SET email_on_message = $2 WHERE id = $1`, me.ID, *p.EmailOnMessage)
		return Internal("saving message preferences", err)
	})
}
