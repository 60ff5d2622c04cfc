package forum

import (
	"context"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PostRefs are what a post refers to, as the Markdown renderer found them.
type PostRefs struct {
	Mentions []string // usernames mentioned, without @
	Quotes   []int64  // ids of the posts quoted
}

// None reports whether the post refers to nobody and nothing.
func (r PostRefs) None() bool { return len(r.Mentions) == 0 && len(r.Quotes) == 0 }

// RecordPostTx is called in the transaction that stores a post, whatever
// its status: it remembers whom the post mentions and what it quotes (so
// that a held post notifies when it is approved), makes the author of a new
// thread watch it, and queues a published post for its notifications: the
// caller calls FanOut after the commit.
func RecordPostTx(ctx context.Context, tx *sqlx.Tx, p *Post, refs PostRefs) error {
	if err := RecordRefsTx(ctx, tx, p, refs); err != nil {
		return err
	}
	if p.Number == 1 && p.AuthorID != nil {
		if err := watchTx(ctx, tx, *p.AuthorID, p.ThreadID, 0, WatchWatching, false); err != nil {
			return err
		}
	}
	if p.Status == StatusPublished {
		if _, err := tx.ExecContext(ctx, queueNotification, p.ID); err != nil {
			return Internal("queueing the post's notifications", err)
		}
	}
	return nil
}

// RecordRefsTx remembers, in the transaction that stores or edits a post,
// whom it mentions and what it quotes, so that a held post notifies when
// it is approved. A reply is queued for its notifications when it is
// stored (store_replies).
func RecordRefsTx(ctx context.Context, tx *sqlx.Tx, p *Post, refs PostRefs) error {
	if len(refs.Mentions) > 0 {
		keys := make([]string, 0, len(refs.Mentions))
		for _, name := range refs.Mentions {
			if k, err := NormalizeUsername(name); err == nil {
				keys = append(keys, k)
			}
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO post_mentions (post_id, member_id)
SELECT $1, id FROM members WHERE username_key = ANY($2)
ON CONFLICT DO NOTHING`, p.ID, pq.Array(keys)); err != nil {
			return Internal("recording mentions", err)
		}
	}
	if len(refs.Quotes) > 0 {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO post_quotes (post_id, quoted_post_id)
SELECT $1, id FROM posts WHERE id = ANY($2) AND id <> $1
ON CONFLICT DO NOTHING`, p.ID, pq.Array(refs.Quotes)); err != nil {
			return Internal("recording quotes", err)
		}
	}
	return nil
}

// notifyPublished creates, for a post just published, at most one
// notification per member, the most specific first (mention, quote, reply
// to their post, then watching the thread or, for an opening post, the
// category). Nobody is notified of their own post, of a post they cannot
// see, from a thread or category they muted, or twice for one post. It
// queues the emails that members' preferences ask for, as
// mailNotificationsTx does. It is notify_published_posts, which FanOut
// runs for many posts at once, for one post (migration 0027).
const notifyPublished = `SELECT notify_published($1)`

// notified is a notification just created, with what its email needs.
type notified struct {
	Kind       string `db:"kind"`
	PostID     *int64 `db:"post_id"`
	Username   string `db:"username"`
	Email      string `db:"email"`
	Locale     string `db:"locale"`
	Actor      string `db:"actor"`
	Title      string `db:"title"`
	WantsEmail bool   `db:"wants_email"`
	// Unsubscribe is the link (a path) that stops this kind of mail
	// without logging in (migration 0054's unsubscribe_path).
	Unsubscribe string `db:"unsubscribe"`

	Extra map[string]string `db:"-"` // more data for the mail's text
}

// NotifyPublishedTx notifies about a post that has just become published,
// in the caller's transaction: the review queue's approval of a held post.
// Calling it twice for a post notifies once.
func NotifyPublishedTx(ctx context.Context, tx *sqlx.Tx, postID int64) error {
	_, err := tx.ExecContext(ctx, notifyPublished, postID)
	return Internal("notifying", err)
}

// mailNotificationsTx queues the emails of the notifications that their
// recipients asked to receive by email (members' preferences). The text is
// composed when the mail is sent, in the recipient's language, from the
// catalogue's mail.notify_KIND.subject and .body.
func mailNotificationsTx(ctx context.Context, tx *sqlx.Tx, rows []notified) error {
	for _, n := range rows {
		if !n.WantsEmail || n.Email == "" {
			continue
		}
		data := map[string]string{"Username": n.Username, "Actor": n.Actor, "Title": n.Title, "Unsubscribe": n.Unsubscribe}
		for k, v := range n.Extra {
			data[k] = v
		}
		if n.PostID != nil {
			data["Path"] = "/p/" + strconv.FormatInt(*n.PostID, 10)
		}
		if err := EnqueueMailTx(ctx, tx, Mail{Recipient: n.Email, Kind: "notify_" + n.Kind, Locale: n.Locale, Data: data}); err != nil {
			return err
		}
	}
	return nil
}
