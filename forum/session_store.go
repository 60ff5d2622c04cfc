package forum

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/jmoiron/sqlx"
)

// Session lifetimes. A "remember me" session lasts 30 days, a plain one 12
// hours (its cookie also ends with the browser); both slide: each refresh
// restarts the lifetime from the last activity.
const (
	SessionLifetime         = 12 * time.Hour
	RememberSessionLifetime = 30 * 24 * time.Hour
	// SessionRefreshEvery is how stale last_seen_at (of the session and of
	// the member) may be before a request writes it again: one write per
	// few minutes of activity instead of one per request.
	SessionRefreshEvery = 5 * time.Minute
)

// Session is a logged-in browser of a member.
type Session struct {
	TokenHash  []byte    `db:"token_hash" json:"-"`
	MemberID   int64     `db:"member_id" json:"-"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	ExpiresAt  time.Time `db:"expires_at" json:"expires_at"`
	LastSeenAt time.Time `db:"last_seen_at" json:"last_seen_at"`
	Remember   bool      `db:"remember" json:"remember"`
	UserAgent  string    `db:"user_agent" json:"user_agent"`
	ClientIP   *string   `db:"client_ip" json:"client_ip"`
}

// ID names a session in forms (revoking one) without giving its token: the
// hex of the hash it is stored under, which cannot be turned back into it.
func (s *Session) ID() string { return hex.EncodeToString(s.TokenHash) }

// Lifetime is how long the session lives after its last activity.
func (s *Session) Lifetime() time.Duration { return sessionLifetime(s.Remember) }

func sessionLifetime(remember bool) time.Duration {
	if remember {
		return RememberSessionLifetime
	}
	return SessionLifetime
}

// NewSession is what opening a session records about the browser.
type NewSession struct {
	MemberID  int64
	Remember  bool
	UserAgent string
	ClientIP  string
}

// userAgentMaxBytes keeps a hostile User-Agent header from filling the table.
const userAgentMaxBytes = 512

const insertSession = `
INSERT INTO sessions (token_hash, member_id, expires_at, remember, user_agent, client_ip)
VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5, NULLIF($6, '')::inet)
RETURNING token_hash, member_id, created_at, expires_at, last_seen_at, remember, user_agent, client_ip`

// RotateSession opens a session for a member who has just proved who they
// are and closes the browser's previous one (oldToken, "" when none), in one
// transaction: the id always changes at login, so a session id planted
// before it (session fixation) is worth nothing after. It returns the new
// token, for the cookie; only its hash is stored.
func (db *DB) RotateSession(ctx context.Context, oldToken string, ns NewSession) (string, *Session, error) {
	plain, hash, err := NewToken("")
	if err != nil {
		return "", nil, err
	}
	ua := ns.UserAgent
	if len(ua) > userAgentMaxBytes {
		ua = ua[:userAgentMaxBytes]
	}
	ua = toValidUTF8(ua)
	var s Session
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if oldToken != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, HashToken(oldToken)); err != nil {
				return Internal("closing the previous session", err)
			}
		}
		err := tx.GetContext(ctx, &s, insertSession, hash, ns.MemberID, sessionLifetime(ns.Remember).Seconds(),
			ns.Remember, ua, validIP(ns.ClientIP))
		return Internal("opening a session", err)
	})
	if err != nil {
		return "", nil, err
	}
	return plain, &s, nil
}

// selectSessionMember aliases the session's columns: the member has a
// created_at and a last_seen_at of its own.
var selectSessionMember = `
SELECT s.token_hash AS s_token_hash, s.created_at AS s_created_at, s.expires_at AS s_expires_at,
	s.last_seen_at AS s_last_seen_at, s.remember AS s_remember, s.user_agent AS s_user_agent,
	s.client_ip AS s_client_ip, ` + memberColumnsM + unreadNotificationsOfM + unreadConversationsOfM + `
FROM sessions s JOIN members m ON m.id = s.member_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND m.status = 'active'`

const touchSession = `
UPDATE sessions SET last_seen_at = now(), expires_at = now() + make_interval(secs => $2)
WHERE token_hash = $1`

// SessionMember returns the session of a cookie value and its member, or
// EUNAUTHORIZED for an unknown or expired one (or one whose member may no
// longer log in: pending approval, deleted). refreshed reports whether the
// session's expiry was pushed back, so that a persistent cookie is sent again.
func (db *DB) SessionMember(ctx context.Context, token string) (s *Session, m *Member, refreshed bool, err error) {
	hash := HashToken(token)
	key := "s" + string(hash)
	c := db.creds.get(key)
	if c != nil && !time.Now().Before(c.session.ExpiresAt) {
		c = nil // expired since: the database will say so
	}
	if c == nil {
		since := db.creds.begin()
		c = &credential{}
		ss := &c.session
		dest := append([]any{&ss.TokenHash, &ss.CreatedAt, &ss.ExpiresAt, &ss.LastSeenAt, &ss.Remember, &ss.UserAgent, &ss.ClientIP},
			c.member.memberFields()...)
		if err := db.stmts.sessionMember.QueryRowContext(ctx, hash).Scan(append(dest, &c.member.UnreadNotifications, &c.member.UnreadConversations)...); err != nil {
			if ErrorCode(notFound(err, "", "")) == ENOTFOUND {
				return nil, nil, false, Errorf(EUNAUTHORIZED, "auth.session_expired", nil)
			}
			return nil, nil, false, Internal("reading a session", err)
		}
		ss.MemberID = c.member.ID
		db.creds.put(key, since, *c)
	}
	s, m = &c.session, &c.member
	if time.Since(s.LastSeenAt) > SessionRefreshEvery {
		if _, err := db.pool.ExecContext(ctx, touchSession, s.TokenHash, s.Lifetime().Seconds()); err != nil {
			return nil, nil, false, Internal("refreshing a session", err)
		}
		db.creds.forget(m.ID)
		refreshed = true
	}
	return s, m, refreshed, nil
}

// touchMember records a visit without waiting for the disk, as
// touchAPIToken.
const touchMember = `UPDATE members SET last_seen_at = now()
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async WHERE id = $1`

// TouchMember records that a member was active now, at most once per
// SessionRefreshEvery (lastSeen is what the member row said).
func (db *DB) TouchMember(ctx context.Context, memberID int64, lastSeen *time.Time) error {
	if lastSeen != nil && time.Since(*lastSeen) < SessionRefreshEvery {
		return nil
	}
	if _, err := db.pool.ExecContext(ctx, touchMember, memberID); err != nil {
		return Internal("recording a visit", err)
	}
	db.creds.forget(memberID)
	return nil
}

// DeleteSession closes the session of a cookie value (log-out); closing an
// unknown session is not an error.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	_, err := db.pool.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, HashToken(token))
	return Internal("closing a session", err)
}

const selectMemberSessions = `
SELECT token_hash, member_id, created_at, expires_at, last_seen_at, remember, user_agent, client_ip
FROM sessions WHERE member_id = $1 AND expires_at > now()
ORDER BY last_seen_at DESC`

// Sessions lists the open sessions of the member acting in ctx, most
// recently active first.
func (db *DB) Sessions(ctx context.Context) ([]Session, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var out []Session
	err = db.pool.SelectContext(ctx, &out, selectMemberSessions, m.ID)
	return out, Internal("listing sessions", err)
}

// RevokeSession closes one of the acting member's own sessions, named by
// its ID; ENOTFOUND for anything else.
func (db *DB) RevokeSession(ctx context.Context, id string) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	hash, err := hex.DecodeString(id)
	if err != nil || len(hash) != 32 {
		return Errorf(ENOTFOUND, "auth.session_not_found", nil)
	}
	res, err := db.pool.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 AND member_id = $2`, hash, m.ID)
	if err != nil {
		return Internal("revoking a session", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Errorf(ENOTFOUND, "auth.session_not_found", nil)
	}
	return nil
}

// RevokeOtherSessions closes every session of the acting member but the one
// of keepToken, and returns how many were closed.
func (db *DB) RevokeOtherSessions(ctx context.Context, keepToken string) (int64, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return 0, err
	}
	res, err := db.pool.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2`, m.ID, HashToken(keepToken))
	if err != nil {
		return 0, Internal("revoking sessions", err)
	}
	return res.RowsAffected()
}

// deleteMemberSessionsTx closes every session of a member (password reset,
// suspension).
func deleteMemberSessionsTx(ctx context.Context, tx sqlx.ExecerContext, memberID int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1`, memberID)
	return Internal("closing the member's sessions", err)
}

// DeleteMemberSessions closes every session of a member: used when a
// suspended or banned member's browser comes back. Members may close their
// own; staff and the system anyone's.
func (db *DB) DeleteMemberSessions(ctx context.Context, memberID int64) error {
	a := ActorFrom(ctx)
	if !a.IsStaff() && (a.Member == nil || a.Member.ID != memberID) {
		return Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	if err := deleteMemberSessionsTx(ctx, db.pool, memberID); err != nil {
		return err
	}
	db.creds.forget(memberID)
	return nil
}

// PurgeSessions removes expired sessions.
func (db *DB) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := db.pool.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
	if err != nil {
		return 0, Internal("purging sessions", err)
	}
	return res.RowsAffected()
}
