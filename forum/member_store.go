package forum

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// NewMember is what creating an account takes.
type NewMember struct {
	Username          string
	Email             string
	Password          string
	Role              Role
	TrustLevel        int
	GuidelinesVersion *int
}

const insertMember = `
INSERT INTO members (username, username_key, username_skeleton, email, email_key,
	password_hash, role, trust_level, guidelines_version, email_confirmation_waived)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING ` + memberColumns

// CreateMember creates an account. Only admins (and the system) may create
// moderators and admins or choose a trust level; sign-up goes through SignUp.
// The accounts admins create may post without confirming their address:
// the admin vouches for it.
func (db *DB) CreateMember(ctx context.Context, nm NewMember) (*Member, error) {
	if nm.Role == "" {
		nm.Role = RoleMember
	}
	if !nm.Role.Valid() {
		return nil, Errorf(EINVALID, "member.role_invalid", nil).OnField("role")
	}
	if nm.TrustLevel < TrustNew || nm.TrustLevel > TrustLeader {
		return nil, Errorf(EINVALID, "member.trust_level_invalid", nil).OnField("trust_level")
	}
	if (nm.Role != RoleMember || nm.TrustLevel != TrustNew) && !ActorFrom(ctx).IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	display, err := DisplayUsername(nm.Username)
	if err != nil {
		return nil, err
	}
	key, err := NormalizeUsername(nm.Username)
	if err != nil {
		return nil, err
	}
	email, err := NormalizeEmail(nm.Email)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(nm.Password, display, email); err != nil {
		return nil, err
	}
	hash, err := db.hashPassword(ctx, nm.Password)
	if err != nil {
		return nil, Internal("hashing a password", err)
	}
	var m Member
	err = db.pool.GetContext(ctx, &m, insertMember, display, key, UsernameSkeleton(key), email,
		EmailKey(email), hash, nm.Role, nm.TrustLevel, nm.GuidelinesVersion, ActorFrom(ctx).IsAdmin())
	switch {
	case isUniqueViolation(err, "members_username_key"), isUniqueViolation(err, "members_username_skeleton"):
		return nil, Errorf(ECONFLICT, "member.username_taken", nil).OnField("username")
	case isUniqueViolation(err, "members_email_key"):
		return nil, Errorf(ECONFLICT, "member.email_taken", nil).OnField("email")
	case err != nil:
		return nil, Internal("creating a member", err)
	}
	return &m, nil
}

const selectMemberByID = `SELECT ` + memberColumns + ` FROM members WHERE id = $1`

// MemberByID returns a member by id.
func (db *DB) MemberByID(ctx context.Context, id int64) (*Member, error) {
	var m Member
	err := db.pool.GetContext(ctx, &m, selectMemberByID, id)
	return &m, notFound(err, "member.not_found", "reading a member")
}

const selectMemberByUsername = `SELECT ` + memberColumns + ` FROM members WHERE username_key = $1`

// MemberByUsername returns a member by name, compared as PRECIS prescribes
// (case-insensitively).
func (db *DB) MemberByUsername(ctx context.Context, name string) (*Member, error) {
	key, err := NormalizeUsername(name)
	if err != nil {
		return nil, Errorf(ENOTFOUND, "member.not_found", nil)
	}
	var m Member
	err = db.pool.GetContext(ctx, &m, selectMemberByUsername, key)
	return &m, notFound(err, "member.not_found", "reading a member")
}

// CountMembers returns how many accounts exist.
func (db *DB) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := db.pool.GetContext(ctx, &n, `SELECT count(*) FROM members`)
	return n, Internal("counting members", err)
}

// notFound maps sql.ErrNoRows to ENOTFOUND with the given message key and
// wraps other errors with what was being done.
func notFound(err error, key, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return Errorf(ENOTFOUND, key, nil)
	default:
		return Internal(op, err)
	}
}

// trimmed is strings.TrimSpace, named for what form fields need.
func trimmed(s string) string { return strings.TrimSpace(s) }
