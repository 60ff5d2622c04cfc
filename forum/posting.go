package forum

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// HistoryQuery is what the moderation rules that look at a member's
// history ask before a new post: zero asks nothing.
type HistoryQuery struct {
	PostLimit        int // posts in the last minute, counted when above zero
	ThreadLimit      int // threads in the last day, counted when above zero
	DuplicateMinutes int // whether the same text was posted within this many minutes
	PublishedLimit   int // published posts, counted up to this
}

// History is the answer to a HistoryQuery: nil where nothing was asked.
type History struct {
	RecentPosts   *int
	RecentThreads *int
	Duplicate     *bool
	Published     *int
}

// postingHistory takes the member's posting lock, which serialises one
// member's submissions across instances so that two posts sent at once
// cannot both slip under a rate limit, and counts what is asked, in one
// round trip (migration 0023).
const postingHistory = `SELECT recent_posts, recent_threads, duplicate, published FROM posting_history($1, $2, $3, $4, $5, $6)`

// PostingHistoryTx answers q about memberID's posts before one with this
// body, in the transaction that will store it: the lock it takes holds
// until then.
func PostingHistoryTx(ctx context.Context, tx *sqlx.Tx, memberID int64, body string, q HistoryQuery) (History, error) {
	var h History
	err := tx.QueryRowContext(ctx, postingHistory, memberID, q.PostLimit > 0, q.ThreadLimit > 0,
		max(q.DuplicateMinutes, 0), body, max(q.PublishedLimit, 0)).
		Scan(&h.RecentPosts, &h.RecentThreads, &h.Duplicate, &h.Published)
	if err != nil {
		return h, Internal("reading the member's posting history", err)
	}
	return h, nil
}

// DirectReply is a reply that SubmitReply stores in one statement: no
// reply_to, nothing to record beside the post (mentions, quotes, review
// items), its status decided by the text rules.
type DirectReply struct {
	ThreadID     int64
	AuthorID     int64
	BodyMarkdown string
	BodyHTML     string
	Status       string
	// History is what the history rules ask; nil when the author is not
	// subject to them.
	History *HistoryQuery
}

// submitReply is migration 0028's submit_reply: the history, the thread's
// lock and state, the post and its place in the notification queue, in
// one statement committed on its own.
const submitReply = `
SELECT post_id, post_number, post_created_at, recent_posts, duplicate, published, history_reached,
	thread_found, thread_locked, thread_closed, thread_status, thread_author_id
FROM submit_reply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// SubmitReply stores a common reply in one round trip instead of seven
// (migration 0028), with the replies of concurrent requests (migrations
// 0030 and 0031, reply_batches.go), then notifies about it and announces
// it (FanOut).
// Storing nothing, it returns either the author's history, when one of its
// counts reached the limit asked (the caller's rules decide what follows),
// or the error of a thread the author may not reply to.
func (db *DB) SubmitReply(ctx context.Context, r DirectReply) (*Post, *History, error) {
	actor := ActorFrom(ctx)
	var q HistoryQuery
	if r.History != nil {
		q = *r.History
	}
	// From here the request waits for its batch and its fan-out.
	yieldTurn(ctx)
	row, notified, err := db.storeReply(ctx, replyArgs{
		threadID: r.ThreadID, authorID: r.AuthorID, staff: actor.IsStaff(),
		markdown: r.BodyMarkdown, html: r.BodyHTML, status: r.Status, history: r.History != nil,
		postLimit: max(q.PostLimit, 0), duplicateMinutes: max(q.DuplicateMinutes, 0), publishedLimit: max(q.PublishedLimit, 0),
	})
	if err != nil {
		return nil, nil, Internal("creating a post", err)
	}
	if row.postID.Valid {
		author := r.AuthorID
		p := &Post{
			ID: row.postID.Int64, ThreadID: r.ThreadID, Number: int(row.number.Int32), AuthorID: &author,
			BodyMarkdown: r.BodyMarkdown, BodyHTML: r.BodyHTML, Status: r.Status, CreatedAt: row.created.Time,
		}
		// The fan-out announces the new content with its batch.
		switch {
		case notified != nil:
			select {
			case <-notified:
			case <-ctx.Done():
			}
		case p.Status == StatusPublished:
			db.FanOut(ctx, p.ID)
		default:
			db.announceAfterCommit(ctx)
		}
		return p, nil, nil
	}
	if row.reached.Bool {
		return nil, &row.history, nil
	}
	if !row.found.Valid {
		return nil, nil, Errorf(ENOTFOUND, "thread.not_found", nil)
	}
	var authorID *int64
	if row.threadAuthor.Valid {
		authorID = &row.threadAuthor.Int64
	}
	if err := replyRefusal(actor, row.threadStatus.String, authorID, row.locked.Bool, row.closed.Bool); err != nil {
		return nil, nil, err
	}
	// submit_reply and replyRefusal disagree: a bug, not the member's.
	return nil, nil, Internal("creating a post", sql.ErrNoRows)
}
