package forum

import (
	"context"
	"time"
)

// APIToken is a personal API token as its owner sees it listed: never the
// token itself, which is shown once, at creation.
type APIToken struct {
	ID         int64      `db:"id" json:"id"`
	Name       string     `db:"name" json:"name"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
}

// APITokenNameMaxLength bounds a token's name, in runes.
const APITokenNameMaxLength = 80

const selectAPITokens = `
SELECT id, name, created_at, last_used_at FROM api_tokens
WHERE member_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`

// APITokens lists the acting member's live API tokens, newest first.
func (db *DB) APITokens(ctx context.Context) ([]APIToken, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var out []APIToken
	err = db.pool.SelectContext(ctx, &out, selectAPITokens, m.ID)
	return out, Internal("listing tokens", err)
}

// CreateOwnAPIToken creates an API token for the acting member, under a
// name they choose (checked), and returns it: shown once.
func (db *DB) CreateOwnAPIToken(ctx context.Context, name string) (string, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return "", err
	}
	name = trimmed(toValidUTF8(name))
	switch n := len([]rune(name)); {
	case n == 0:
		return "", Errorf(EINVALID, "auth.token_name_required", nil).OnField("name")
	case n > APITokenNameMaxLength:
		return "", Errorf(EINVALID, "auth.token_name_too_long", map[string]any{"Max": APITokenNameMaxLength}).OnField("name")
	}
	return db.CreateAPIToken(ctx, m.ID, name)
}

// RevokeAPIToken revokes one of the acting member's tokens; ENOTFOUND for
// anyone else's.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	res, err := db.pool.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND member_id = $2 AND revoked_at IS NULL`, id, m.ID)
	if err != nil {
		return Internal("revoking a token", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Errorf(ENOTFOUND, "auth.token_not_found", nil)
	}
	return nil
}
