package moderation

import (
	"context"
	"time"

	"github.com/palabre/palabre/forum"
)

// ItemContext is an item with what a moderator needs to decide: the
// member's previous posts and sanctions, earlier decisions about them, the
// moderators' notes, the sanction the ladder proposes, the decisions
// allowed.
type ItemContext struct {
	Item          *ReviewItem    `json:"item"`
	PreviousPosts []AuthorPost   `json:"previous_posts"`
	Sanctions     []ItemSanction `json:"sanctions"`
	PastItems     int            `json:"past_items"` // earlier items about the member that led to action
	Notes         []Note         `json:"notes"`
	Proposal      *Proposal      `json:"proposal"`
	Actions       []string       `json:"actions"`
	// Messages are the private messages the item is about, whole (read by
	// OpenItem, each reading logged).
	Messages []forum.Message `json:"messages,omitempty"`
}

// AuthorPost is one of the member's other posts.
type AuthorPost struct {
	ID          int64     `db:"id" json:"id"`
	Number      int       `db:"number" json:"number"`
	Status      string    `db:"status" json:"status"`
	ThreadID    int64     `db:"thread_id" json:"thread_id"`
	ThreadTitle string    `db:"thread_title" json:"thread_title"`
	Excerpt     string    `db:"excerpt" json:"excerpt"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// Note is a moderator's private note on an item.
type Note struct {
	ID         int64     `db:"id" json:"id"`
	AuthorName *string   `db:"author_name" json:"author"`
	Body       string    `db:"body" json:"body"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

const (
	selectAuthorPosts = `
SELECT p.id, p.number, p.status, p.thread_id, t.title AS thread_title,
	left(regexp_replace(p.body_markdown, '\s+', ' ', 'g'), 200) AS excerpt, p.created_at
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.author_id = $1 AND p.id <> $2
ORDER BY p.created_at DESC
LIMIT 10`
	selectSanctionHistory = `
SELECT id, kind, reason, until, created_at, appeal_text, revoked_at FROM sanctions
WHERE member_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20`
	countPastItems = `
SELECT count(*) FROM review_items ri
LEFT JOIN posts p ON p.id = ri.post_id
WHERE ri.status = 'resolved' AND ri.id <> $2 AND coalesce(p.author_id, ri.member_id) = $1
	AND ri.resolution NOT IN ('approve', 'dismiss', 'uphold', 'lift')`
	selectNotes = `
SELECT n.id, m.username AS author_name, n.body, n.created_at FROM review_notes n
LEFT JOIN members m ON m.id = n.author_id
WHERE n.item_id = $1 ORDER BY n.id`
)

func (p *Pipeline) itemContext(ctx context.Context, it *ReviewItem) (*ItemContext, error) {
	out := &ItemContext{Item: it, PreviousPosts: []AuthorPost{}, Sanctions: []ItemSanction{}, Notes: []Note{}, Actions: ActionsFor(it)}
	if it.SubjectID != nil {
		var postID int64
		if it.PostID != nil {
			postID = *it.PostID
		}
		if err := p.db.SelectContext(ctx, &out.PreviousPosts, selectAuthorPosts, *it.SubjectID, postID); err != nil {
			return nil, forum.Internal("reading the member's posts", err)
		}
		if err := p.db.SelectContext(ctx, &out.Sanctions, selectSanctionHistory, *it.SubjectID); err != nil {
			return nil, forum.Internal("reading the member's sanctions", err)
		}
		if err := p.db.GetContext(ctx, &out.PastItems, countPastItems, *it.SubjectID, it.ID); err != nil {
			return nil, forum.Internal("counting earlier decisions", err)
		}
		settings, err := p.db.Settings(ctx)
		if err != nil {
			return nil, err
		}
		if out.Proposal, err = proposeTx(ctx, p.db.Queryer(), settings, *it.SubjectID); err != nil {
			return nil, err
		}
	}
	if err := p.db.SelectContext(ctx, &out.Notes, selectNotes, it.ID); err != nil {
		return nil, forum.Internal("reading notes", err)
	}
	return out, nil
}

var noteLimits = TextLimits{MinRunes: 1, MaxRunes: 4000}

// AddNote adds a private note to an item, for the other moderators.
func (p *Pipeline) AddNote(ctx context.Context, itemID int64, body string) (*Note, error) {
	if _, _, err := p.item(ctx, itemID); err != nil {
		return nil, err
	}
	body, err := Normalize(body, "note", noteLimits)
	if err != nil {
		return nil, err
	}
	var n Note
	err = p.db.GetContext(ctx, &n, `
WITH inserted AS (INSERT INTO review_notes (item_id, author_id, body) VALUES ($1, $2, $3) RETURNING id, author_id, body, created_at)
SELECT i.id, m.username AS author_name, i.body, i.created_at FROM inserted i LEFT JOIN members m ON m.id = i.author_id`,
		itemID, actorIDOf(ctx), body)
	if err != nil {
		return nil, forum.Internal("adding a note", err)
	}
	return &n, nil
}
