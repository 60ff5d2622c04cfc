package forum

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Kinds of mail. The text of each is in the catalogues (mail.KIND.subject,
// mail.KIND.body), composed when it is sent, in the recipient's language.
const (
	MailVerifyEmail    = "verify_email"    // welcome, confirm your address: data Username, Token
	MailResetPassword  = "reset_password"  // a reset link: data Username, Token
	MailSignUpExisting = "signup_existing" // someone signed up with an address that has an account: data Username
	MailLoginLink      = "login_link"      // a one-time login link: data Username, Token
)

// Mail is a message in the outbox.
type Mail struct {
	ID        int64             `db:"id"`
	Recipient string            `db:"recipient"`
	Kind      string            `db:"kind"`
	Locale    string            `db:"locale"` // "": the site's language
	Data      map[string]string `db:"-"`
	RawData   []byte            `db:"data"`
	Attempts  int               `db:"attempts"` // this one included
}

// Delivery policy: a failed mail is tried again after 1, 2, 4… minutes (at
// most an hour apart), and given up after mailMaxAttempts (about a day).
const (
	mailMaxAttempts = 30
	mailMaxBackoff  = time.Hour
	// MailLease is how long a claimed mail is left to its worker before
	// another may take it (the worker died mid-way).
	MailLease = 5 * time.Minute
)

// ChannelOutbox is the NOTIFY channel that wakes the mail workers.
const ChannelOutbox = "palabre_outbox"

// insertMail queues a mail and wakes the workers at commit, unless the
// transaction's notifications are sent after it (InContentTx).
const insertMail = `
WITH queued AS (INSERT INTO outbox (recipient, kind, locale, data) VALUES ($1, $2, $3, $4) RETURNING id)
SELECT pg_notify('` + ChannelOutbox + `', '') FROM queued
WHERE current_setting('palabre.notify', true) IS DISTINCT FROM 'after_commit'`

// EnqueueMailTx puts a mail in the outbox within the caller's transaction:
// it is sent only if the action that caused it commits, and the workers are
// woken when it does.
func EnqueueMailTx(ctx context.Context, tx sqlx.ExecerContext, m Mail) error {
	data, err := jsonArg(m.Data)
	if err != nil {
		return Internal("encoding a mail", err)
	}
	if m.Data == nil {
		data = "{}"
	}
	_, err = tx.ExecContext(ctx, insertMail, m.Recipient, m.Kind, m.Locale, data)
	return Internal("queueing a mail", err)
}

// claimMail takes due mail for one worker: the rows are pushed past the
// lease, so that another worker skips them (SKIP LOCKED while this one
// claims, the lease afterwards) unless this worker dies.
const claimMail = `
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
WHERE id IN (
	SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()
	ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, recipient, kind, locale, data, attempts`

// ClaimMail returns up to limit mails that are due, claimed by the caller
// until it marks each sent or failed (or MailLease passes). Only the system
// sends mail.
func (db *DB) ClaimMail(ctx context.Context, limit int) ([]Mail, error) {
	if !ActorFrom(ctx).System {
		return nil, Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	var out []Mail
	if err := db.pool.SelectContext(ctx, &out, claimMail, limit, MailLease.Seconds()); err != nil {
		return nil, Internal("claiming mail", err)
	}
	for i := range out {
		if err := json.Unmarshal(out[i].RawData, &out[i].Data); err != nil {
			return nil, Internal("decoding a mail", err)
		}
	}
	return out, nil
}

// MarkMailSent records deliveries and forgets the mails' data (a token may
// be in it).
func (db *DB) MarkMailSent(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.pool.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = now(), data = '{}', last_error = '' WHERE id = ANY($1)`,
		pq.Array(ids))
	return Internal("marking mail sent", err)
}

// MarkMailFailed records a failed delivery: the mail is tried again later
// with backoff, or given up after too many attempts. It reports whether the
// mail was given up.
func (db *DB) MarkMailFailed(ctx context.Context, m Mail, cause error) (gaveUp bool, err error) {
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	msg = toValidUTF8(msg)
	if m.Attempts >= mailMaxAttempts {
		_, err = db.pool.ExecContext(ctx, `UPDATE outbox SET status = 'failed', data = '{}', last_error = $2 WHERE id = $1`, m.ID, msg)
		return true, Internal("giving a mail up", err)
	}
	_, err = db.pool.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1`,
		m.ID, MailBackoff(m.Attempts).Seconds(), msg)
	return false, Internal("postponing a mail", err)
}

// MailBackoff is the wait before the next try after the given number of
// attempts: 1, 2, 4… minutes, at most an hour.
func MailBackoff(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < mailMaxBackoff; i++ {
		d *= 2
	}
	return min(d, mailMaxBackoff)
}

// PurgeMail removes mail sent or given up more than a week ago.
func (db *DB) PurgeMail(ctx context.Context) (int64, error) {
	res, err := db.pool.ExecContext(ctx, `DELETE FROM outbox WHERE status <> 'pending' AND created_at < now() - interval '7 days'`)
	if err != nil {
		return 0, Internal("purging mail", err)
	}
	return res.RowsAffected()
}
