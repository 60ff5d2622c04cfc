package forum

import (
	"context"
	"time"
)

// APITokenPrefix starts every personal API token, so that a leaked token is
// recognisable (secret scanners, logs).
const APITokenPrefix = "plb_"

const insertAPIToken = `
INSERT INTO api_tokens (member_id, name, token_hash) VALUES ($1, $2, $3)`

// CreateAPIToken creates a personal API token for the member and returns it;
// only its hash is stored, so it is shown once. Members create their own;
// the system may create one for anyone.
func (db *DB) CreateAPIToken(ctx context.Context, memberID int64, name string) (string, error) {
	a := ActorFrom(ctx)
	if !a.System && (a.Member == nil || a.Member.ID != memberID) {
		return "", Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	plain, hash, err := NewToken(APITokenPrefix)
	if err != nil {
		return "", Internal("creating a token", err)
	}
	if _, err := db.pool.ExecContext(ctx, insertAPIToken, memberID, trimmed(name), hash); err != nil {
		return "", Internal("storing a token", err)
	}
	return plain, nil
}

var selectMemberByAPIToken = `
SELECT t.id AS token_id, t.last_used_at AS token_last_used_at, ` + memberColumnsM + unreadNotificationsOfM + unreadConversationsOfM + `
FROM api_tokens t JOIN members m ON m.id = t.member_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND m.status <> 'deleted'`

// touchAPIToken records a token's use without waiting for the disk: its
// trigger announces the member (migration 0029), and a NOTIFY holds
// PostgreSQL's notification-queue lock until its commit is flushed, so
// that the first requests of many tokens (a forum waking up, each run of
// the posting benchmark, whose tokens are new) committed one fsync after
// the other, and the replies behind them waited. A use lost in a crash is
// recorded at the next one.
const touchAPIToken = `UPDATE api_tokens SET last_used_at = now()
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async WHERE id = $1`

// MemberByAPIToken returns the member a bearer token belongs to, or
// EUNAUTHORIZED for an unknown or revoked token.
func (db *DB) MemberByAPIToken(ctx context.Context, plain string) (*Member, error) {
	hash := HashToken(plain)
	key := "t" + string(hash)
	c := db.creds.get(key)
	if c == nil {
		since := db.creds.begin()
		c = &credential{}
		dest := append([]any{&c.tokenID, &c.tokenLastUsed}, c.member.memberFields()...)
		err := db.stmts.memberByAPIToken.QueryRowContext(ctx, hash).Scan(append(dest, &c.member.UnreadNotifications, &c.member.UnreadConversations)...)
		if err != nil {
			if ErrorCode(notFound(err, "", "")) == ENOTFOUND {
				return nil, Errorf(EUNAUTHORIZED, "auth.token_invalid", nil)
			}
			return nil, Internal("reading a token", err)
		}
		db.creds.put(key, since, *c)
	}
	// Recording every use would turn each API read into a write: once an hour
	// is enough to tell a live token from a forgotten one.
	if c.tokenLastUsed == nil || time.Since(*c.tokenLastUsed) > time.Hour {
		if _, err := db.pool.ExecContext(ctx, touchAPIToken, c.tokenID); err != nil {
			return nil, Internal("recording a token's use", err)
		}
		db.creds.forget(c.member.ID)
	}
	return &c.member, nil
}
