package forum

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Limit is a throttle: at most Max attempts of one kind by one subject in
// any window of Window. Attempts are rows of login_attempts, so the limit
// holds across every instance.
//
// A limit with a Backoff is not a wall but a slope: once Max attempts are
// in the window, each further one waits Backoff·2^(n−Max) after the latest,
// at most BackoffCap.
type Limit struct {
	Kind       string
	Max        int
	Window     time.Duration
	Backoff    time.Duration
	BackoffCap time.Duration
}

// The limits of authentication (docs/login-throttling.md). A password
// attempt is counted before it is checked, so that no more than a limit's
// attempts are ever checked; one that succeeds is forgotten.
//
//   - From a device that is not known to the account: per (account, client
//     address), so that one address cannot guess one account's password;
//     per address, so that it cannot try many accounts; and per account, as
//     an exponential back-off, so that many addresses together cannot
//     either. None of them is a lock-out: the owner elsewhere waits at most
//     BackoffCap, and a known device or a login link skips them all.
//   - From a device known to the account (a signed cookie set at a
//     successful login): per (account, device) only.
//
// Sign-ups, reset requests and login links per address (mass registration,
// mail bombing), login links per account as well.
var (
	LimitLoginPerAccountAddress = Limit{Kind: "login_pair", Max: 5, Window: 15 * time.Minute}
	LimitLoginPerAddress        = Limit{Kind: "login_address", Max: 20, Window: 15 * time.Minute}
	LimitLoginPerAccount        = Limit{Kind: "login_account", Max: 5, Window: time.Hour,
		Backoff: 15 * time.Second, BackoffCap: 5 * time.Minute}
	LimitLoginPerDevice      = Limit{Kind: "login_device", Max: 5, Window: 15 * time.Minute}
	LimitSignUpPerAddr       = Limit{Kind: "signup_address", Max: 3, Window: time.Hour}
	LimitResetPerAddress     = Limit{Kind: "reset_address", Max: 5, Window: time.Hour}
	LimitLoginLinkPerAddress = Limit{Kind: "login_link_address", Max: 5, Window: time.Hour}
	LimitLoginLinkPerAccount = Limit{Kind: "login_link_account", Max: 5, Window: time.Hour}
)

// Attempt is one subject counted against one limit.
type Attempt struct {
	Limit   Limit
	Subject string
}

// Reservation is an attempt counted against its limits, not yet known to
// have failed.
type Reservation struct {
	ids []int64
}

// Reserve counts one attempt against every limit, atomically across
// requests and instances (migration 0037's reserve_attempts): either every
// limit allows it and it is counted against each, or none is touched and
// the answer is ERATELIMITED with the time to wait.
func (db *DB) Reserve(ctx context.Context, attempts ...Attempt) (Reservation, error) {
	n := len(attempts)
	kinds, subjects := make([]string, n), make([]string, n)
	maxes := make([]int64, n)
	windows, bases, caps := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, a := range attempts {
		kinds[i], subjects[i], maxes[i] = a.Limit.Kind, a.Subject, int64(a.Limit.Max)
		windows[i], bases[i], caps[i] = a.Limit.Window.Seconds(), a.Limit.Backoff.Seconds(), a.Limit.BackoffCap.Seconds()
	}
	var row struct {
		IDs  pq.Int64Array `db:"ids"`
		Wait float64       `db:"wait"`
	}
	err := db.pool.GetContext(ctx, &row, `SELECT ids, wait FROM reserve_attempts($1, $2, $3, $4, $5, $6)`,
		pq.Array(kinds), pq.Array(subjects), pq.Array(maxes), pq.Array(windows), pq.Array(bases), pq.Array(caps))
	if err != nil {
		return Reservation{}, Internal("reserving an attempt", err)
	}
	if row.Wait > 0 {
		return Reservation{}, TooManyAttempts(time.Duration(row.Wait * float64(time.Second)))
	}
	return Reservation{ids: row.IDs}, nil
}

// GiveBack uncounts a reserved attempt: it was not checked after all (the
// server was too busy), or it succeeded.
func (db *DB) GiveBack(ctx context.Context, r Reservation) error {
	if len(r.ids) == 0 {
		return nil
	}
	_, err := db.pool.ExecContext(ctx, `DELETE FROM login_attempts WHERE id = ANY($1)`, pq.Array(r.ids))
	return Internal("giving an attempt back", err)
}

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
	err := db.pool.GetContext(ctx, &row, selectBlockingAttempt, l.Kind, subject, l.Window.Seconds(), l.Max)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return Internal("reading attempts", err)
	}
	return TooManyAttempts(row.At.Add(l.Window).Sub(row.Now))
}

// TooManyAttempts is the ERATELIMITED error telling to try again after wait:
// in whole seconds under a minute, else in whole minutes. Its RetryAfter is
// the wait in whole seconds.
func TooManyAttempts(wait time.Duration) error {
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	if seconds < 60 {
		return Errorf(ERATELIMITED, "auth.try_again_in_seconds", map[string]any{"Seconds": seconds, "Count": seconds}).
			After(time.Duration(seconds) * time.Second)
	}
	minutes := max(1, int(math.Ceil(wait.Minutes())))
	return Errorf(ERATELIMITED, "auth.try_again_in", map[string]any{"Minutes": minutes, "Count": minutes}).
		After(time.Duration(seconds) * time.Second)
}

// RecordAttempt counts one attempt of subject against l.
func (db *DB) RecordAttempt(ctx context.Context, l Limit, subject string) error {
	_, err := db.pool.ExecContext(ctx, `INSERT INTO login_attempts (kind, subject) VALUES ($1, $2)`, l.Kind, subject)
	return Internal("recording an attempt", err)
}

// ClearAttempts forgets subject's attempts against l (a successful login
// clears the account's failures).
func (db *DB) ClearAttempts(ctx context.Context, l Limit, subject string) error {
	return clearAttemptsTx(ctx, db.pool, l, subject)
}

// clearAttemptsTx is ClearAttempts in a transaction (a login link or a
// password reset proves the account's owner).
func clearAttemptsTx(ctx context.Context, q sqlx.ExecerContext, l Limit, subject string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM login_attempts WHERE kind = $1 AND subject = $2`, l.Kind, subject)
	return Internal("clearing attempts", err)
}

// PurgeAttempts removes attempts older than every window.
func (db *DB) PurgeAttempts(ctx context.Context) (int64, error) {
	res, err := db.pool.ExecContext(ctx, `DELETE FROM login_attempts WHERE at < now() - make_interval(secs => $1)`,
		attemptsKeptFor.Seconds())
	if err != nil {
		return 0, Internal("purging attempts", err)
	}
	return res.RowsAffected()
}
