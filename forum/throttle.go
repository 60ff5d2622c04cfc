package forum

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"
)

// Limit is a throttle: at most Max attempts of one kind by one subject in
// any window of Window. Attempts are rows of login_attempts, so the limit
// holds across every instance.
type Limit struct {
	Kind   string
	Max    int
	Window time.Duration
}

// The limits of authentication. Failed logins are counted both per account
// (guessing one member's password) and per client address (trying many
// accounts); sign-ups and reset requests per address (mass registration,
// mail bombing).
var (
	LimitLoginPerAccount = Limit{Kind: "login_account", Max: 5, Window: 15 * time.Minute}
	LimitLoginPerAddress = Limit{Kind: "login_address", Max: 20, Window: 15 * time.Minute}
	LimitSignUpPerAddr   = Limit{Kind: "signup_address", Max: 3, Window: time.Hour}
	LimitResetPerAddress = Limit{Kind: "reset_address", Max: 5, Window: time.Hour}
)

// attemptsKeptFor is how long attempts are kept: the longest window.
const attemptsKeptFor = time.Hour

// The Max-th most recent attempt in the window: while it is in the window,
// the subject is over the limit, until it leaves the window.
const selectBlockingAttempt = `
SELECT at, now() AS now FROM login_attempts
WHERE kind = $1 AND subject = $2 AND at > now() - make_interval(secs => $3)
ORDER BY at DESC OFFSET $4 - 1 LIMIT 1`

// CheckLimit returns ERATELIMITED, with the minutes to wait, when subject
// has used up the limit; nil otherwise.
func (db *DB) CheckLimit(ctx context.Context, l Limit, subject string) error {
	var row struct {
		At  time.Time `db:"at"`
		Now time.Time `db:"now"`
	}
	err := db.GetContext(ctx, &row, selectBlockingAttempt, l.Kind, subject, l.Window.Seconds(), l.Max)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return Internal("reading attempts", err)
	}
	return TooManyAttempts(row.At.Add(l.Window).Sub(row.Now))
}

// TooManyAttempts is the ERATELIMITED error telling to try again after wait,
// in whole minutes (at least one).
func TooManyAttempts(wait time.Duration) error {
	minutes := max(1, int(math.Ceil(wait.Minutes())))
	return Errorf(ERATELIMITED, "auth.try_again_in", map[string]any{"Minutes": minutes, "Count": minutes})
}

// RecordAttempt counts one attempt of subject against l.
func (db *DB) RecordAttempt(ctx context.Context, l Limit, subject string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO login_attempts (kind, subject) VALUES ($1, $2)`, l.Kind, subject)
	return Internal("recording an attempt", err)
}

// ClearAttempts forgets subject's attempts against l (a successful login
// clears the account's failures).
func (db *DB) ClearAttempts(ctx context.Context, l Limit, subject string) error {
	_, err := db.ExecContext(ctx, `DELETE FROM login_attempts WHERE kind = $1 AND subject = $2`, l.Kind, subject)
	return Internal("clearing attempts", err)
}

// PurgeAttempts removes attempts older than every window.
func (db *DB) PurgeAttempts(ctx context.Context) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM login_attempts WHERE at < now() - make_interval(secs => $1)`,
		attemptsKeptFor.Seconds())
	if err != nil {
		return 0, Internal("purging attempts", err)
	}
	return res.RowsAffected()
}
