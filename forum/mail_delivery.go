package forum

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Mail delivery beyond the outbox (migration 0054): notification mail goes
// only to confirmed addresses that have not bounced (the SQL function
// member_mailable); every notification mail and digest carries a link that
// stops its list without logging in (RFC 8058 one-click unsubscribe); an
// address that a server refuses for good is marked bounced and gets no more
// notification mail until it is confirmed again.

// Mail lists a member can leave from a mail's link: each is one of their
// email preferences (digest: the digest's frequency, set to off).
const (
	ListReply      = "reply" // replies, and new posts in what they watch
	ListMention    = "mention"
	ListQuote      = "quote"
	ListLike       = "like"
	ListModeration = "moderation"
	ListMessage    = "message"
	ListDigest     = "digest"
)

// unsubscribeColumn is the preference each list turns off.
var unsubscribeColumn = map[string]string{
	ListReply: "email_on_reply = false", ListMention: "email_on_mention = false", ListQuote: "email_on_quote = false",
	ListLike: "email_on_like = false", ListModeration: "email_on_moderation = false",
	ListMessage: "email_on_message = false", ListDigest: "email_digest = 'off'",
}

// Unsubscription is a valid unsubscribe link: whose, and which list.
type Unsubscription struct {
	MemberID int64
	Username string
	Locale   string
	List     string
}

// CheckUnsubscribe reads an unsubscribe link's member, key and list, and
// answers not found for a link that is not (or no longer) valid.
func (db *DB) CheckUnsubscribe(ctx context.Context, memberID, key, list string) (*Unsubscription, error) {
	invalid := Errorf(ENOTFOUND, "unsubscribe.invalid", nil)
	id, err := strconv.ParseInt(memberID, 10, 64)
	if err != nil || id <= 0 || key == "" || unsubscribeColumn[list] == "" {
		return nil, invalid
	}
	var row struct {
		Username string `db:"username"`
		Locale   string `db:"locale"`
		Key      string `db:"unsubscribe_key"`
	}
	err = db.pool.GetContext(ctx, &row, `SELECT username, locale, unsubscribe_key FROM members WHERE id = $1 AND status <> 'deleted'`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalid
	}
	if err != nil {
		return nil, Internal("reading an unsubscribe link", err)
	}
	if subtle.ConstantTimeCompare([]byte(row.Key), []byte(key)) != 1 {
		return nil, invalid
	}
	return &Unsubscription{MemberID: id, Username: row.Username, Locale: row.Locale, List: list}, nil
}

// Unsubscribe turns off the list of a valid unsubscribe link (the link is
// the credential: no log-in, as RFC 8058 asks). Doing it twice is not an
// error.
func (db *DB) Unsubscribe(ctx context.Context, memberID, key, list string) (*Unsubscription, error) {
	u, err := db.CheckUnsubscribe(ctx, memberID, key, list)
	if err != nil {
		return nil, err
	}
	// The column comes from unsubscribeColumn, never from the request.
	if _, err := db.pool.ExecContext(ctx, `UPDATE members SET `+unsubscribeColumn[list]+` WHERE id = $1`, u.MemberID); err != nil {
		return nil, Internal("unsubscribing", err)
	}
	db.creds.forget(u.MemberID)
	return u, nil
}

// MarkMailBounced records a mail the receiving server refused for good (a
// 5xx reply): it is not tried again, and the address gets no more
// notification mail (member_mailable) until its owner confirms it again.
// Other mail keeps flowing: the outbox is never held up by one address.
func (db *DB) MarkMailBounced(ctx context.Context, m Mail, cause error) error {
	msg := toValidUTF8(cause.Error())
	if len(msg) > 1000 {
		msg = toValidUTF8(msg[:1000])
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', data = '{}', last_error = $2 WHERE id = $1`, m.ID, msg); err != nil {
			return Internal("giving a mail up", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE members SET email_bounced_at = now() WHERE email_key = $1 AND email_bounced_at IS NULL`,
			EmailKey(m.Recipient))
		return Internal("recording a bounce", err)
	})
}

// Digest frequencies (members.email_digest).
const (
	DigestOff    = "off"
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
)

// DigestFrequencies are the choices, in the order the settings show them.
var DigestFrequencies = []string{DigestOff, DigestDaily, DigestWeekly}

// MailDigest is the digest mail: data Username, Period (daily or weekly),
// and the lines of Popular, Replies and Watched ("title\tpath" each).
const MailDigest = "digest"

// JobEmailDigests sends the digests that are due; it runs every
// EmailDigestsEvery, on whichever instance claims it.
const JobEmailDigests = "mail.digests"

// EmailDigestsEvery is how often the digest job looks for digests due.
const EmailDigestsEvery = 15 * time.Minute

// digestBatch is how many digests one run of the job sends at most; the
// next run takes the rest.
const digestBatch = 200

// digestItems is how many threads each section of a digest lists.
const digestItems = 5

// claimDigests takes the members whose digest is due and moves their
// digest_sent_at, in one statement (SKIP LOCKED: two instances never send
// one digest twice); it returns each member with the start of their period.
const claimDigests = `
WITH due AS (
	SELECT m.id FROM members m
	WHERE m.email_digest <> 'off' AND member_mailable(m) AND m.banned_at IS NULL
	  AND coalesce(m.digest_sent_at, '-infinity') <= now() - CASE m.email_digest WHEN 'daily' THEN interval '1 day' ELSE interval '7 days' END
	ORDER BY m.digest_sent_at NULLS FIRST
	LIMIT $1
	FOR UPDATE SKIP LOCKED
), old AS (
	SELECT m.id, coalesce(m.digest_sent_at, now() - CASE m.email_digest WHEN 'daily' THEN interval '1 day' ELSE interval '7 days' END) AS since
	FROM members m JOIN due ON due.id = m.id
)
UPDATE members m SET digest_sent_at = now()
FROM old WHERE m.id = old.id
RETURNING m.id, m.username, m.email, m.locale, m.email_digest, old.since,
	unsubscribe_path(m.id, m.unsubscribe_key, 'digest') AS unsubscribe`

type digestMember struct {
	ID     int64     `db:"id"`
	Name   string    `db:"username"`
	Email  string    `db:"email"`
	Locale string    `db:"locale"`
	Period string    `db:"email_digest"`
	Since  time.Time `db:"since"`
	// Unsubscribe is the digest's unsubscribe link (unsubscribe_path).
	Unsubscribe string `db:"unsubscribe"`
}

// digestLine is a thread a digest lists.
type digestLine struct {
	Title string `db:"title"`
	Path  string `db:"path"`
}

// Sections of a digest: the threads with the most new replies in the
// period; the member's unread replies, mentions and quotes; and threads
// with posts they have not read in the categories they watch. Only
// published threads of categories they have not muted.
const (
	selectDigestPopular = `
SELECT t.title, '/t/' || t.id || '/' || t.slug AS path
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.created_at > $2 AND p.status = 'published' AND t.status = 'published' AND p.author_id IS DISTINCT FROM $1
  AND NOT EXISTS (SELECT 1 FROM watches w WHERE w.member_id = $1 AND w.level = 'muted' AND (w.category_id = t.category_id OR w.thread_id = t.id))
  AND NOT EXISTS (SELECT 1 FROM ignored_members i WHERE i.member_id = $1 AND i.ignored_id = t.author_id)
GROUP BY t.id
ORDER BY count(*) DESC, max(p.created_at) DESC
LIMIT $3`
	selectDigestReplies = `
SELECT t.title, '/p/' || n.post_id AS path
FROM notifications n JOIN threads t ON t.id = n.thread_id JOIN posts p ON p.id = n.post_id
WHERE n.member_id = $1 AND n.read_at IS NULL AND n.created_at > $2 AND n.kind IN ('reply', 'mention', 'quote')
  AND p.status = 'published' AND t.status = 'published'
ORDER BY n.created_at DESC
LIMIT $3`
	selectDigestWatched = `
SELECT t.title, '/t/' || t.id || '/' || t.slug AS path
FROM watches w JOIN threads t ON t.category_id = w.category_id
LEFT JOIN read_states rs ON rs.thread_id = t.id AND rs.member_id = $1
WHERE w.member_id = $1 AND w.level = 'watching' AND w.category_id IS NOT NULL
  AND t.status = 'published' AND t.last_post_at > $2
  AND coalesce(rs.last_read_number, 0) < t.last_post_number
ORDER BY t.last_post_at DESC
LIMIT $3`
)

// EmailDigestsJob is the JobHandler of JobEmailDigests: it queues the
// digests that are due (a digest with nothing to say is skipped, and its
// period starts again).
func (db *DB) EmailDigestsJob(ctx context.Context, _ *Job) error {
	_, err := db.SendDueDigests(ctx)
	return err
}

// SendDueDigests queues the digests that are due and returns how many.
func (db *DB) SendDueDigests(ctx context.Context) (int, error) {
	sent := 0
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var due []digestMember
		if err := tx.SelectContext(ctx, &due, claimDigests, digestBatch); err != nil {
			return Internal("claiming digests", err)
		}
		for _, m := range due {
			data := map[string]string{"Username": m.Name, "Period": m.Period, "Unsubscribe": m.Unsubscribe}
			empty := true
			for _, s := range []struct{ key, query string }{
				{"Popular", selectDigestPopular}, {"Replies", selectDigestReplies}, {"Watched", selectDigestWatched},
			} {
				var lines []digestLine
				if err := tx.SelectContext(ctx, &lines, s.query, m.ID, m.Since, digestItems); err != nil {
					return Internal("composing a digest", err)
				}
				if len(lines) > 0 {
					empty = false
					data[s.key] = digestText(lines)
				}
			}
			if empty {
				continue
			}
			if err := EnqueueMailTx(ctx, tx, Mail{Recipient: m.Email, Kind: MailDigest, Locale: m.Locale, Data: data}); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	return sent, err
}

// digestText is a section's lines as the mail data carries them: a title
// and a path, tab-separated, one per line (titles hold neither).
func digestText(lines []digestLine) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.NewReplacer("\t", " ", "\n", " ").Replace(l.Title))
		b.WriteByte('\t')
		b.WriteString(l.Path)
	}
	return b.String()
}

// checkDigest is a digest frequency a member chose ("" keeps theirs).
func checkDigest(d string) error {
	if d != "" && !slices.Contains(DigestFrequencies, d) {
		return Errorf(EINVALID, "account_settings.digest_invalid", nil).OnField("digest")
	}
	return nil
}
