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
	current, err := db.CurrentGuidelines(ctx)
	if err != nil {
		return nil, err
	}
	var accepted *int // the version recorded as accepted: none while there are no guidelines
	if current != nil {
		accepted = &current.Version
	}
	// Every field is checked, so that the form shows every mistake at once.
	display, usernameErr := DisplayUsername(req.Username)
	key, _ := NormalizeUsername(req.Username)
	skeleton := UsernameSkeleton(key)
	if usernameErr == nil {
		var taken bool
		if err := db.pool.GetContext(ctx, &taken, selectUsernameTaken, key, skeleton); err != nil {
			return nil, Internal("checking a username", err)
		}
		if taken {
			usernameErr = Errorf(ECONFLICT, "member.username_taken", nil).OnField("username")
		}
	}
	email, emailErr := NormalizeEmail(req.Email)
	var guidelinesErr error
	if accepted != nil && (req.AcceptGuidelinesVersion == nil || *req.AcceptGuidelinesVersion != *accepted) {
		guidelinesErr = Errorf(EINVALID, "auth.guidelines_not_accepted", nil).OnField("accept_guidelines_version")
	}
	if err := FieldErrors(usernameErr, emailErr, CheckPassword(req.Password, display, email), guidelinesErr); err != nil {
		return nil, err
	}
	reservation, err := db.Reserve(ctx, Attempt{LimitSignUpPerAddr, req.ClientIP})
	if err != nil {
		return nil, err
	}
	hash, err := db.hashPassword(ctx, req.Password)
	if err != nil {
		if ErrorCode(err) == EUNAVAILABLE {
			return nil, errors.Join(err, db.GiveBack(context.WithoutCancel(ctx), reservation))
		}
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
	err := db.pool.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE email_key = $1`, EmailKey(email))
	if err != nil {
		return Internal("reading a member", err)
	}
	return EnqueueMailTx(ctx, db.pool, Mail{Recipient: m.Email, Kind: MailSignUpExisting, Locale: mailLocale(&m, locale),
		Data: map[string]string{"Username": m.Username}})
}

// ApproveMember activates an account waiting for approval (admins only).
func (db *DB) ApproveMember(ctx context.Context, memberID int64) (*Member, error) {
	return db.changeMember(ctx, memberID, LogMemberApprove, "approving a member",
		`UPDATE members SET status = 'active' WHERE id = $1 AND status = 'pending' RETURNING `+memberColumns)
}

// WaiveEmailConfirmation lets a member who signed up post without
// confirming their address, as if an admin had created the account: the
// admin vouches for it (on a forum that sends no mail, it is the only way
// members who signed up can post). Admins only; written to the log.
func (db *DB) WaiveEmailConfirmation(ctx context.Context, memberID int64) (*Member, error) {
	return db.changeMember(ctx, memberID, LogMemberWaiveConfirmation, "waiving a confirmation",
		`UPDATE members SET email_confirmation_waived = true WHERE id = $1 AND status <> 'deleted' RETURNING `+memberColumns)
}

// changeMember runs an admin's change to a member, update (taking the
// member's id, returning memberColumns), and writes it to the log as
// action. A member the update does not find is ENOTFOUND.
func (db *DB) changeMember(ctx context.Context, memberID int64, action LogAction, doing, update string) (*Member, error) {
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
	// KnownDevice is the browser's known-device cookie, if any
	// (KnownDeviceCookie).
	KnownDevice string
}

const (
	selectLoginByUsername = `SELECT password_hash, ` + memberColumns + ` FROM members WHERE username_key = $1 AND status <> 'deleted'`
	selectLoginByEmail    = `SELECT password_hash, ` + memberColumns + ` FROM members WHERE email_key = $1 AND status <> 'deleted'`
)

// LogIn checks a login (username or email) and password and returns the
// member. Each attempt is counted against its limits before the password
// is hashed, atomically across requests and instances, so that no more
// than a limit's attempts are ever checked (loginAttempts says which
// limits); past them the answer is "try again in N seconds or minutes",
// never a lock-out of the owner, who can come back from a known device or
// with a login link. A wrong login and a wrong password get the same answer
// in the same time, so that nobody learns which accounts exist; only the
// account's owner (who knows the password) learns that it awaits approval
// or is suspended. Hashing waits for a slot of the DB's HashGate, and is
// refused (EUNAVAILABLE) when none frees up in time; the attempt is then
// not counted.
func (db *DB) LogIn(ctx context.Context, req LogInRequest) (*Member, error) {
	row, err := db.loginMember(ctx, req.Login)
	if err != nil {
		return nil, err
	}
	attempts, forget, err := db.loginAttempts(ctx, req, row)
	if err != nil {
		return nil, err
	}
	reservation, err := db.Reserve(ctx, attempts...)
	if err != nil {
		return nil, err
	}
	hash := ""
	if row != nil {
		hash = row.PasswordHash
	}
	ok, rehash, err := db.verifyPassword(ctx, hash, req.Password)
	if err != nil {
		if ErrorCode(err) == EUNAVAILABLE || errors.Is(err, context.Canceled) {
			// Not checked: the attempt does not count.
			return nil, errors.Join(err, db.GiveBack(context.WithoutCancel(ctx), reservation))
		}
		return nil, err
	}
	if !ok {
		return nil, Errorf(EUNAUTHORIZED, "auth.login_failed", nil)
	}
	m := &row.Member
	// A success is not counted, and clears the failures of its subjects
	// that only the password's holder could clear: its own (account,
	// address) or device, and the strangers' back-off of the account.
	if err := db.GiveBack(ctx, reservation); err != nil {
		return nil, err
	}
	for _, a := range forget {
		if err := db.ClearAttempts(ctx, a.Limit, a.Subject); err != nil {
			return nil, err
		}
	}
	if rehash {
		if hash, err := db.hashPassword(ctx, req.Password); err == nil {
			if _, err := db.pool.ExecContext(ctx, `UPDATE members SET password_hash = $2 WHERE id = $1`, m.ID, hash); err != nil {
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

// loginRow is a member found by their login, with their password hash.
type loginRow struct {
	PasswordHash string `db:"password_hash"`
	Member
}

// loginMember finds the member of a login (username or email address); nil
// when there is none.
func (db *DB) loginMember(ctx context.Context, raw string) (*loginRow, error) {
	login := strings.TrimSpace(raw)
	if login == "" || len(login) > EmailMaxLength || !utf8.ValidString(login) {
		return nil, nil
	}
	var row loginRow
	var err error
	if strings.Contains(login, "@") {
		err = db.pool.GetContext(ctx, &row, selectLoginByEmail, EmailKey(login))
	} else if key, kerr := NormalizeUsername(login); kerr == nil {
		err = db.pool.GetContext(ctx, &row, selectLoginByUsername, key)
	} else {
		return nil, nil
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, Internal("reading a member", err)
	}
	return &row, nil
}

// loginAttempts returns the limits a log-in attempt counts against, and
// those of them that its success clears:
//
//   - from a device known to the account, per (account, device) only;
//   - from any other, per (account, address), per address, and the
//     account's back-off for strangers.
//
// An unknown login is an account of its own ("login:" and the name), so
// that the limits do not tell it apart either.
func (db *DB) loginAttempts(ctx context.Context, req LogInRequest, row *loginRow) (all, forget []Attempt, err error) {
	account := "login:" + strings.ToLower(toValidUTF8(truncate(strings.TrimSpace(req.Login), EmailMaxLength)))
	if row != nil {
		account = accountSubject(row.ID)
		device, err := db.knownDevice(ctx, req.KnownDevice, row.ID)
		if err != nil {
			return nil, nil, err
		}
		if device != "" {
			a := Attempt{LimitLoginPerDevice, account + "#" + device}
			return []Attempt{a}, []Attempt{a}, nil
		}
	}
	pair := Attempt{LimitLoginPerAccountAddress, account + "@" + req.ClientIP}
	strangers := Attempt{LimitLoginPerAccount, account}
	all = []Attempt{{LimitLoginPerAddress, req.ClientIP}, pair, strangers}
	return all, []Attempt{pair, strangers}, nil
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
