package forum

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Who sees what. Held posts (waiting for approval) are visible only to their
// author and to staff; a thread whose first post is held is held with it.
// Hidden and deleted posts stay in the thread as placeholders: others see
// that they were hidden or deleted, staff see the content with the state,
// and the author of a hidden post still sees it (to understand why).

// viewerID is the id used in queries for the acting member, 0 for visitors
// and the system (no member has id 0).
func (a Actor) viewerID() int64 {
	if a.Member != nil {
		return a.Member.ID
	}
	return 0
}

// isAuthor reports whether the actor is the member authorID points to.
func (a Actor) isAuthor(authorID *int64) bool {
	return a.Member != nil && authorID != nil && *authorID == a.Member.ID
}

// canSeeThread reports whether the actor may open a thread in this status.
func (a Actor) canSeeThread(status string, authorID *int64) bool {
	switch {
	case status == StatusPublished || a.IsStaff():
		return true
	case status == StatusHeld:
		return a.isAuthor(authorID)
	}
	return false
}

// canSeePost reports whether the actor sees a post of this status at all
// (a placeholder counts as seeing it).
func (a Actor) canSeePost(status string, authorID *int64) bool {
	return status != StatusHeld || a.IsStaff() || a.isAuthor(authorID)
}

// redact empties the body of a hidden or deleted post for readers who may
// only see the placeholder.
func (a Actor) redact(p *Post) {
	if p.Status != StatusHidden && p.Status != StatusDeleted {
		return
	}
	if a.IsStaff() || (p.Status == StatusHidden && a.isAuthor(p.AuthorID)) {
		return
	}
	p.BodyHTML, p.BodyMarkdown, p.Redacted = "", "", true
}

// visiblePostSQL is the condition, on posts aliased p, of a post shown in a
// thread to the viewer $V who is staff when $S.
//
// A post refused (or withdrawn) while it was held was never public: it shows
// nowhere, not even as a placeholder.
const visiblePostSQL = `((p.status <> 'held' OR $S OR p.author_id = $V) AND p.removal <> 'unpublished')`

// seenPost is what acting on a post (liking, bookmarking it) needs to know
// of it and of its thread.
type seenPost struct {
	AuthorID     *int64 `db:"author_id"`
	Status       string `db:"status"`
	Removal      string `db:"removal"`
	LikeCount    int    `db:"like_count"`
	ThreadStatus string `db:"thread_status"`
	ThreadAuthor *int64 `db:"thread_author_id"`
}

// postSeen reads post postID through q when the actor of ctx can see it
// (a placeholder counts), and answers not found otherwise, as for a post
// that does not exist.
func postSeen(ctx context.Context, q sqlx.QueryerContext, postID int64) (*seenPost, error) {
	var p seenPost
	err := sqlx.GetContext(ctx, q, &p, `
SELECT p.author_id, p.status, p.removal, p.like_count, t.status AS thread_status, t.author_id AS thread_author_id
FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1`, postID)
	if err != nil {
		return nil, notFound(err, "post.not_found", "reading a post")
	}
	a := ActorFrom(ctx)
	if !a.canSeePost(p.Status, p.AuthorID) || !a.canSeeThread(p.ThreadStatus, p.ThreadAuthor) || p.Removal == "unpublished" {
		return nil, Errorf(ENOTFOUND, "post.not_found", nil)
	}
	return &p, nil
}
