package forum

import (
	"context"

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
