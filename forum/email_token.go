package forum

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// Purposes of emailed tokens, and how long each is valid.
const (
	TokenVerifyEmail   = "verify_email"
	TokenResetPassword = "reset_password"
	TokenLoginLink     = "login_link"

	VerifyEmailTokenLifetime   = 48 * time.Hour
	ResetPasswordTokenLifetime = time.Hour
	LoginLinkTokenLifetime     = 15 * time.Minute
)

const insertEmailToken = `
INSERT INTO email_tokens (token_hash, member_id, purpose, email, expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`

// createEmailTokenTx stores a new single-use token for a member and returns
// it; only its hash is kept. An earlier unused token of the same purpose is
// cancelled: only the latest link works.
func createEmailTokenTx(ctx context.Context, tx sqlx.ExecerContext, memberID int64, purpose, email string, ttl time.Duration) (string, error) {
	plain, hash, err := NewToken("")
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_tokens WHERE member_id = $1 AND purpose = $2 AND used_at IS NULL`, memberID, purpose); err != nil {
		return "", Internal("cancelling earlier links", err)
	}
	return plain, insertEmailTokenTx(ctx, tx, hash, memberID, purpose, email, ttl)
}

// insertEmailTokenTx stores the hash of a new single-use token.
func insertEmailTokenTx(ctx context.Context, tx sqlx.ExecerContext, hash []byte, memberID int64, purpose, email string, ttl time.Duration) error {
	_, err := tx.ExecContext(ctx, insertEmailToken, hash, memberID, purpose, email, ttl.Seconds())
	return Internal("storing a link", err)
}

// consumeEmailToken marks a token used, once: of two concurrent uses only
// one gets the row back.
const consumeEmailToken = `
UPDATE email_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
RETURNING member_id, email`

const selectEmailToken = `
SELECT member_id, email FROM email_tokens
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`

type emailTokenRow struct {
	MemberID int64  `db:"member_id"`
	Email    string `db:"email"`
}

func tokenInvalid() error { return Errorf(EINVALID, "auth.link_invalid", nil) }

// emailToken reads (consume false) or uses up (consume true) a token.
func emailToken(ctx context.Context, q sqlx.QueryerContext, token, purpose string, consume bool) (*emailTokenRow, error) {
	if token == "" || len(token) > 100 {
		return nil, tokenInvalid()
	}
	query := selectEmailToken
	if consume {
		query = consumeEmailToken
	}
	var row emailTokenRow
	err := sqlx.GetContext(ctx, q, &row, query, HashToken(token), purpose)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, tokenInvalid()
	case err != nil:
		return nil, Internal("reading a link", err)
	}
	return &row, nil
}

// VerifyEmail uses a verification link: the address it was sent to is
// confirmed, if it is still the member's.
func (db *DB) VerifyEmail(ctx context.Context, token string) (*Member, error) {
	var m Member
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		return confirmAddressTx(ctx, tx, token, TokenVerifyEmail, &m)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// confirmAddressTx uses a link of purpose sent by mail, once, and confirms
// the address it went to (whoever opens it has read that mail), reading the
// member into m. A link to an address that is no longer the member's is
// invalid.
func confirmAddressTx(ctx context.Context, tx *sqlx.Tx, token, purpose string, m *Member) error {
	row, err := emailToken(ctx, tx, token, purpose, true)
	if err != nil {
		return err
	}
	err = tx.GetContext(ctx, m, `UPDATE members SET email_verified_at = coalesce(email_verified_at, now()), email_bounced_at = NULL
		WHERE id = $1 AND email_key = $2 AND status <> 'deleted' RETURNING `+memberColumns, row.MemberID, EmailKey(row.Email))
	if errors.Is(err, sql.ErrNoRows) {
		return tokenInvalid() // the address changed since
	}
	return Internal("confirming an address", err)
}

// CheckResetToken tells whether a reset link is still usable, without using
// it, so that the page can say so before the member types a password.
func (db *DB) CheckResetToken(ctx context.Context, token string) error {
	_, err := emailToken(ctx, db.pool, token, TokenResetPassword, false)
	return err
}

const selectMemberForReset = `SELECT ` + memberColumns + ` FROM members WHERE email_key = $1 AND status <> 'deleted'`

// RequestPasswordReset mails a reset link to the account of an address, if
// there is one. It answers the same whether or not there is (no account
// enumeration): only the mailbox's owner learns. locale is the requester's
// language, used when the member has not chosen one.
func (db *DB) RequestPasswordReset(ctx context.Context, email, locale, clientIP string) error {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	if _, err := db.Reserve(ctx, Attempt{LimitResetPerAddress, clientIP}); err != nil {
		return err
	}
	var m Member
	err = db.pool.GetContext(ctx, &m, selectMemberForReset, EmailKey(addr))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return Internal("reading a member", err)
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		token, err := createEmailTokenTx(ctx, tx, m.ID, TokenResetPassword, m.Email, ResetPasswordTokenLifetime)
		if err != nil {
			return err
		}
		return EnqueueMailTx(ctx, tx, Mail{Recipient: m.Email, Kind: MailResetPassword, Locale: mailLocale(&m, locale),
			Data: map[string]string{"Username": m.Username, "Token": token}})
	})
}

// ResetPassword sets a new password through a reset link. The link is used
// up only when the password is accepted; every session of the member is
// closed (whoever knew the old password is logged out), and the address is
// confirmed, since the member has just read mail sent to it.
func (db *DB) ResetPassword(ctx context.Context, token, password string) (*Member, error) {
	row, err := emailToken(ctx, db.pool, token, TokenResetPassword, false)
	if err != nil {
		return nil, err
	}
	m, err := db.MemberByID(ctx, row.MemberID)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(password, m.Username, m.Email); err != nil {
		return nil, err
	}
	hash, err := db.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := emailToken(ctx, tx, token, TokenResetPassword, true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET password_hash = $2,
			email_verified_at = CASE WHEN email_key = $3 THEN coalesce(email_verified_at, now()) ELSE email_verified_at END
			WHERE id = $1`, m.ID, hash, EmailKey(row.Email)); err != nil {
			return Internal("storing a password", err)
		}
		if err := deleteMemberSessionsTx(ctx, tx, m.ID); err != nil {
			return err
		}
		return clearAttemptsTx(ctx, tx, LimitLoginPerAccount, accountSubject(m.ID))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// IssuePasswordReset makes a password-reset link for a member (admins
// only: `palabre admin reset-password`, for a member whose mailbox is lost)
// and returns its token, valid ResetPasswordTokenLifetime. The admin gives
// the link to the member by another way; using it logs them out everywhere,
// as a reset by mail does. Logged (member.password_reset), never the token.
func (db *DB) IssuePasswordReset(ctx context.Context, memberID int64) (string, error) {
	if err := RequireAdmin(ctx); err != nil {
		return "", err
	}
	var token string
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		target, err := lockTarget(ctx, tx, memberID)
		if err != nil {
			return err
		}
		if token, err = createEmailTokenTx(ctx, tx, target.ID, TokenResetPassword, target.Email, ResetPasswordTokenLifetime); err != nil {
			return err
		}
		return LogTx(ctx, tx, LogEntry{Action: LogMemberPasswordReset, TargetType: "member", TargetID: &target.ID})
	})
	return token, err
}

// PurgeEmailTokens removes links expired or used more than a day ago.
func (db *DB) PurgeEmailTokens(ctx context.Context) (int64, error) {
	res, err := db.pool.ExecContext(ctx, `DELETE FROM email_tokens WHERE expires_at < now() - interval '1 day'`)
	if err != nil {
		return 0, Internal("purging links", err)
	}
	return res.RowsAffected()
}

// mailLocale is the language of a mail to m: theirs, else the requester's.
func mailLocale(m *Member, requester string) string {
	if m != nil && m.Locale != "" {
		return m.Locale
	}
	return requester
}

// verificationResendInterval keeps the resend button from sending a mail
// per click.
const verificationResendInterval = 5 * time.Minute

const lastVerificationLink = `
SELECT max(created_at) FROM email_tokens WHERE member_id = $1 AND purpose = 'verify_email'`

// ResendVerification sends the acting member a new link to confirm their
// address (the earlier one stops working), at most every few minutes.
func (db *DB) ResendVerification(ctx context.Context, locale string) error {
	m, err := RequireMember(ctx)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		// One resend at a time per member, even from two tabs. A confirmed
		// address is confirmed again only after it bounced.
		var bounced bool
		if err := tx.GetContext(ctx, &bounced, `SELECT email_bounced_at IS NOT NULL FROM members WHERE id = $1 FOR UPDATE`, m.ID); err != nil {
			return Internal("locking a member", err)
		}
		if m.EmailVerifiedAt != nil && !bounced {
			return Errorf(ECONFLICT, "auth.email_already_verified", nil)
		}
		var last *time.Time
		if err := tx.GetContext(ctx, &last, lastVerificationLink, m.ID); err != nil {
			return Internal("reading the last link", err)
		}
		if last != nil && time.Since(*last) < verificationResendInterval {
			wait := int((verificationResendInterval - time.Since(*last)).Minutes()) + 1
			return Errorf(ERATELIMITED, "auth.try_again_in", map[string]any{"Minutes": wait, "Count": wait})
		}
		token, err := createEmailTokenTx(ctx, tx, m.ID, TokenVerifyEmail, m.Email, VerifyEmailTokenLifetime)
		if err != nil {
			return err
		}
		return EnqueueMailTx(ctx, tx, Mail{Recipient: m.Email, Kind: MailVerifyEmail, Locale: locale,
			Data: map[string]string{"Username": m.Username, "Token": token}})
	})
}
