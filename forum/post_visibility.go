package forum

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
