package forum

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// SignUpRequest is what a visitor fills in to create an account.
type SignUpRequest struct {
	Username                string
	Email                   string
	Password                string
	AcceptGuidelinesVersion *int   // the version of the guidelines the visitor accepted
	Locale                  string // the visitor's language, for the mail
	ClientIP                string
}

// SignUpResult says what happened, as much as the visitor may know.
type SignUpResult struct {
	// Member is the new account; nil when the address already had one (the
	// owner of the address was told by mail, the visitor is not).
	Member *Member
	// Pending is true when an admin must approve new accounts.
	Pending bool
}

const insertSignUp = `
INSERT INTO members (username, username_key, username_skeleton, email, email_key, password_hash, status, guidelines_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING ` + memberColumns

const selectUsernameTaken = `SELECT EXISTS (SELECT 1 FROM members WHERE username_key = $1 OR username_skeleton = $2)`

// SignUp creates a member account from the sign-up form, as the registration
// mode allows: open (active at once), approval (pending until an admin
// approves) or closed (refused). The current guidelines, if any, must be
// accepted; the version is recorded. A confirmation link is mailed.
//
// An address that already has an account is not revealed: the result looks
// the same to the visitor (Member nil) and the address's owner gets a mail
// saying that someone tried.
func (db *DB) SignUp(ctx context.Context, req SignUpRequest) (*SignUpResult, error) {
	settings, err := db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if settings.RegistrationMode == RegistrationClosed {
		return nil, Errorf(EFORBIDDEN, "auth.registration_closed", nil)
	}
	display, err := DisplayUsername(req.Username)
	if err != nil {
		return nil, err
	}
	key, _ := NormalizeUsername(req.Username)
	skeleton := UsernameSkeleton(key)
	email, err := NormalizeEmail(req.Email)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(req.Password, display, email); err != nil {
		return nil, err
	}
	current, err := db.CurrentGuidelines(ctx)
	if err != nil {
		return nil, err
	}
	var accepted *int // the version recorded as accepted: none while there are no guidelines
	if current != nil {
		accepted = &current.Version
	}
	if accepted != nil && (req.AcceptGuidelinesVersion == nil || *req.AcceptGuidelinesVersion != *accepted) {
		return nil, Errorf(EINVALID, "auth.guidelines_not_accepted", nil).OnField("accept_guidelines_version")
	}
	var taken bool
	if err := db.GetContext(ctx, &taken, selectUsernameTaken, key, skeleton); err != nil {
		return nil, Internal("checking a username", err)
	}
	if taken {
		return nil, Errorf(ECONFLICT, "member.username_taken", nil).OnField("username")
	}
	if err := db.CheckLimit(ctx, LimitSignUpPerAddr, req.ClientIP); err != nil {
		return nil, err
	}
	if err := db.RecordAttempt(ctx, LimitSignUpPerAddr, req.ClientIP); err != nil {
		return nil, err
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return nil, err
	}
	status := "active"
	if settings.RegistrationMode == RegistrationApproval {
		status = "pending"
	}
	res := &SignUpResult{Pending: status == "pending"}
	var m Member
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &m, insertSignUp, display, key, skeleton, email, EmailKey(email), hash, status, accepted)
		if err != nil {
			return err
		}
		token, err := createEmailTokenTx(ctx, tx, m.ID, TokenVerifyEmail, m.Email, VerifyEmailTokenLifetime)
		if err != nil {
			return err
		}
		return EnqueueMailTx(ctx, tx, Mail{Recipient: m.Email, Kind: MailVerifyEmail, Locale: req.Locale,
			Data: map[string]string{"Username": m.Username, "Token": token}})
	})
	switch {
	case isUniqueViolation(err, "members_username_key"), isUniqueViolation(err, "members_username_skeleton"):
		return nil, Errorf(ECONFLICT, "member.username_taken", nil).OnField("username")
	case isUniqueViolation(err, "members_email_key"):
		return res, db.tellOwnerOfSignUp(ctx, email, req.Locale)
	case err != nil:
		return nil, Internal("creating a member", err)
	}
	res.Member = &m
	return res, nil
}

// tellOwnerOfSignUp mails the owner of an address that someone tried to
// open an account with it.
func (db *DB) tellOwnerOfSignUp(ctx context.Context, email, locale string) error {
	var m Member
	err := db.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE email_key = $1`, EmailKey(email))
	if err != nil {
		return Internal("reading a member", err)
	}
	return EnqueueMailTx(ctx, db, Mail{Recipient: m.Email, Kind: MailSignUpExisting, Locale: mailLocale(&m, locale),
		Data: map[string]string{"Username": m.Username}})
}

// ApproveMember activates an account waiting for approval (admins only).
func (db *DB) ApproveMember(ctx context.Context, memberID int64) (*Member, error) {
	return db.changeMember(ctx, memberID, "member.approve", "approving a member",
		`UPDATE members SET status = 'active' WHERE id = $1 AND status = 'pending' RETURNING `+memberColumns)
}

// WaiveEmailConfirmation lets a member who signed up post without
// confirming their address, as if an admin had created the account: the
// admin vouches for it (on a forum that sends no mail, it is the only way
// members who signed up can post). Admins only; written to the log.
func (db *DB) WaiveEmailConfirmation(ctx context.Context, memberID int64) (*Member, error) {
	return db.changeMember(ctx, memberID, "member.waive_email_confirmation", "waiving a confirmation",
		`UPDATE members SET email_confirmation_waived = true WHERE id = $1 AND status <> 'deleted' RETURNING `+memberColumns)
}

// changeMember runs an admin's change to a member, update (taking the
// member's id, returning memberColumns), and writes it to the log as
// action. A member the update does not find is ENOTFOUND.
func (db *DB) changeMember(ctx context.Context, memberID int64, action, doing, update string) (*Member, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var m Member
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &m, update, memberID)
		if err := notFound(err, "member.not_found", doing); err != nil {
			return err
		}
		return LogTx(ctx, tx, LogEntry{Action: action, TargetType: "member", TargetID: &m.ID})
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// LogInRequest is a log-in attempt.
type LogInRequest struct {
	Login    string // username or email address
	Password string
	ClientIP string
}

const (
	selectLoginByUsername = `SELECT password_hash, ` + memberColumns + ` FROM members WHERE username_key = $1 AND status <> 'deleted'`
	selectLoginByEmail    = `SELECT password_hash, ` + memberColumns + ` FROM members WHERE email_key = $1 AND status <> 'deleted'`
)

// LogIn checks a login (username or email) and password and returns the
// member. Failures are counted per account and per client address, and
// refused with "try again in N minutes" past the limits. A wrong login and a
// wrong password get the same answer in the same time, so that nobody learns
// which accounts exist; only the account's owner (who knows the password)
// learns that it awaits approval or is suspended.
func (db *DB) LogIn(ctx context.Context, req LogInRequest) (*Member, error) {
	if err := db.CheckLimit(ctx, LimitLoginPerAddress, req.ClientIP); err != nil {
		return nil, err
	}
	login := strings.TrimSpace(req.Login)
	var row struct {
		PasswordHash string `db:"password_hash"`
		Member
	}
	found := false
	if login != "" && len(login) <= EmailMaxLength && utf8.ValidString(login) {
		var err error
		if strings.Contains(login, "@") {
			err = db.GetContext(ctx, &row, selectLoginByEmail, EmailKey(login))
		} else if key, kerr := NormalizeUsername(login); kerr == nil {
			err = db.GetContext(ctx, &row, selectLoginByUsername, key)
		} else {
			err = sql.ErrNoRows
		}
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, sql.ErrNoRows):
			return nil, Internal("reading a member", err)
		}
	}
	// Unknown logins are throttled like accounts, so that the limit does not
	// tell them apart either.
	account := "login:" + strings.ToLower(toValidUTF8(truncate(login, EmailMaxLength)))
	if found {
		account = accountSubject(row.ID)
	}
	if err := db.CheckLimit(ctx, LimitLoginPerAccount, account); err != nil {
		return nil, err
	}
	ok, rehash := false, false
	if found && row.PasswordHash != "" {
		var err error
		if ok, rehash, err = VerifyPassword(row.PasswordHash, req.Password); err != nil {
			return nil, err
		}
	} else {
		EqualizeTiming(req.Password)
	}
	if !ok {
		if err := db.RecordAttempt(ctx, LimitLoginPerAccount, account); err != nil {
			return nil, err
		}
		if err := db.RecordAttempt(ctx, LimitLoginPerAddress, req.ClientIP); err != nil {
			return nil, err
		}
		return nil, Errorf(EUNAUTHORIZED, "auth.login_failed", nil)
	}
	m := &row.Member
	if err := db.ClearAttempts(ctx, LimitLoginPerAccount, account); err != nil {
		return nil, err
	}
	if rehash {
		if hash, err := HashPassword(req.Password); err == nil {
			if _, err := db.ExecContext(ctx, `UPDATE members SET password_hash = $2 WHERE id = $1`, m.ID, hash); err != nil {
				return nil, Internal("updating a password hash", err)
			}
		}
	}
	if err := CanLogIn(m, time.Now()); err != nil {
		if now := time.Now(); m.Status == "active" && (m.IsBanned() || m.IsSuspended(now)) {
			// The password was right: the member gets the link to the page
			// that says why and takes their appeal.
			token, terr := db.noticeTokenFor(ctx, m)
			if terr != nil {
				return nil, terr
			}
			fe := AsError(err)
			args := map[string]any{NoticeTokenArg: token}
			for k, v := range fe.Args {
				args[k] = v
			}
			return nil, Errorf(fe.Code, fe.Key, args)
		}
		return nil, err
	}
	return m, nil
}

// NoticeTokenArg is the argument of a refused log-in's error that carries
// the link to the sanction notice page.
const NoticeTokenArg = "NoticeToken"

// CanLogIn returns why a member who proved who they are may still not log
// in: an account awaiting approval, a suspension (with its end and reason)
// or a ban (with its reason).
func CanLogIn(m *Member, now time.Time) error {
	switch {
	case m.Status == "pending":
		return Errorf(EFORBIDDEN, "auth.pending_approval", nil)
	case m.Status != "active":
		return Errorf(EUNAUTHORIZED, "auth.login_failed", nil)
	case m.IsBanned():
		return Errorf(EFORBIDDEN, "auth.banned", map[string]any{"Reason": m.SanctionReason})
	case m.IsSuspended(now):
		return Errorf(EFORBIDDEN, "auth.suspended", map[string]any{
			"Until": m.SuspendedUntil.UTC().Format("2006-01-02 15:04 UTC"), "Reason": m.SanctionReason})
	}
	return nil
}

// accountSubject is the throttle subject of a member's account.
func accountSubject(memberID int64) string { return "member:" + strconv.FormatInt(memberID, 10) }

// validIP returns s when it is an IP address, "" otherwise.
func validIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return ""
}

// toValidUTF8 makes arbitrary input storable as text: invalid bytes
// replaced, control characters (NUL, which PostgreSQL refuses) dropped.
func toValidUTF8(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
