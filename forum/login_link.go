package forum

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// A login link logs its member in once, within LoginLinkTokenLifetime,
// without their password: the way back in when password log-ins from this
// device are slowed down by someone else's failures (issue 19). It is asked
// for with a username or an address, and mailed to the account's address.
// Earlier links are not cancelled by a new one, so that a stranger asking
// for links cannot spoil the owner's; the number of links is limited per
// requesting address and per account.

// RequestLoginLink mails a login link to the account of login (a username
// or an email address), if there is one. It answers the same whether or
// not there is, and the limits count unknown logins too, so that nobody
// learns which accounts exist. locale is the requester's language, used
// when the member has not chosen one.
func (db *DB) RequestLoginLink(ctx context.Context, login, locale, clientIP string) error {
	if strings.TrimSpace(login) == "" {
		return Errorf(EINVALID, "login_link.login_required", nil).OnField("login")
	}
	row, err := db.loginMember(ctx, login)
	if err != nil {
		return err
	}
	account := "login:" + strings.ToLower(toValidUTF8(truncate(strings.TrimSpace(login), EmailMaxLength)))
	if row != nil {
		account = accountSubject(row.ID)
	}
	if _, err := db.Reserve(ctx, Attempt{LimitLoginLinkPerAddress, clientIP}, Attempt{LimitLoginLinkPerAccount, account}); err != nil {
		return err
	}
	if row == nil {
		return nil
	}
	m := &row.Member
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		plain, hash, err := NewToken("")
		if err != nil {
			return err
		}
		if err := insertEmailTokenTx(ctx, tx, hash, m.ID, TokenLoginLink, m.Email, LoginLinkTokenLifetime); err != nil {
			return err
		}
		return EnqueueMailTx(ctx, tx, Mail{Recipient: m.Email, Kind: MailLoginLink, Locale: mailLocale(m, locale),
			Data: map[string]string{"Username": m.Username, "Token": plain}})
	})
}

// CheckLoginLink tells whether a login link is still usable, without using
// it, so that the page can say so.
func (db *DB) CheckLoginLink(ctx context.Context, token string) error {
	_, err := emailToken(ctx, db.pool, token, TokenLoginLink, false)
	return err
}

// LogInWithLink uses a login link, once, and returns its member: the
// address it went to is confirmed (the member has just read mail sent to
// it), and the strangers' back-off of the account is cleared. A link to an
// address that is no longer the member's is invalid; a member who may not
// log in (awaiting approval, suspended, banned) is told why, as with a
// password.
func (db *DB) LogInWithLink(ctx context.Context, token string) (*Member, error) {
	var m Member
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := confirmAddressTx(ctx, tx, token, TokenLoginLink, &m); err != nil {
			return err
		}
		return clearAttemptsTx(ctx, tx, LimitLoginPerAccount, accountSubject(m.ID))
	})
	if err != nil {
		return nil, err
	}
	if err := CanLogIn(&m, time.Now()); err != nil {
		return nil, err
	}
	return &m, nil
}
