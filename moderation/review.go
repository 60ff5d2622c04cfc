package moderation

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// ReviewItem is one entry of the review queue: a post held, flagged or
// reported, a reported member, or an appeal, with what a moderator needs to
// decide at a glance.
type ReviewItem struct {
	ID             int64           `db:"id" json:"id"`
	Kind           string          `db:"kind" json:"kind"`
	Status         string          `db:"status" json:"status"`
	Score          float64         `db:"score" json:"score"`
	PostID         *int64          `db:"post_id" json:"-"`
	MemberID       *int64          `db:"member_id" json:"-"`
	SanctionID     *int64          `db:"sanction_id" json:"sanction_id,omitempty"`
	Reasons        json.RawMessage `db:"reasons" json:"rules"`
	ClaimedByID    *int64          `db:"claimed_by" json:"-"`
	ClaimedByName  *string         `db:"claimed_by_name" json:"-"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	FirstSeenAt    *time.Time      `db:"first_seen_at" json:"first_seen_at"`
	ClaimedAt      *time.Time      `db:"claimed_at" json:"claimed_at"`
	ResolvedAt     *time.Time      `db:"resolved_at" json:"resolved_at"`
	ResolvedByName *string         `db:"resolved_by_name" json:"resolved_by,omitempty"`
	Resolution     string          `db:"resolution" json:"resolution,omitempty"`
	ResolutionNote string          `db:"resolution_note" json:"resolution_note,omitempty"`
	Version        int             `db:"version" json:"version"`

	// The post and its thread (post items).
	PostNumber    *int       `db:"post_number" json:"-"`
	PostStatus    *string    `db:"post_status" json:"-"`
	PostHTML      *string    `db:"post_html" json:"-"`
	PostMarkdown  *string    `db:"post_markdown" json:"-"`
	PostCreatedAt *time.Time `db:"post_created_at" json:"-"`
	// PendingEdit: the item holds an edit of a published post (PostHTML
	// and PostMarkdown are the edit; the published body stays meanwhile).
	PendingEdit  bool    `db:"pending_edit" json:"-"`
	PendingTitle *string `db:"pending_title" json:"-"`
	ThreadID     *int64  `db:"thread_id" json:"-"`
	ThreadTitle  *string `db:"thread_title" json:"-"`
	ThreadSlug   *string `db:"thread_slug" json:"-"`
	ThreadLocked *bool   `db:"thread_locked" json:"-"`
	CategoryID   *int64  `db:"category_id" json:"-"`
	CategoryName *string `db:"category_name" json:"-"`
	// The member concerned: the post's author, the reported member or the
	// member who appeals.
	SubjectID   *int64  `db:"subject_id" json:"-"`
	SubjectName *string `db:"subject_name" json:"-"`
	ReportCount int     `db:"report_count" json:"report_count"`

	// Filled for the API and the pages.
	Post      *ItemPost     `db:"-" json:"post"`
	Member    *NamedMember  `db:"-" json:"member,omitempty"`
	ClaimedBy *NamedMember  `db:"-" json:"claimed_by"`
	Reports   []Report      `db:"-" json:"reports"`
	Sanction  *ItemSanction `db:"-" json:"sanction,omitempty"`
}

// NamedMember is a member as the queue names them.
type NamedMember struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// ItemPost is the post of an item, with its thread.
type ItemPost struct {
	ID        int64     `json:"id"`
	Number    int       `json:"number"`
	Status    string    `json:"status"`
	HTML      string    `json:"html"`
	Markdown  string    `json:"markdown"`
	CreatedAt time.Time `json:"created_at"`
	// PendingEdit: HTML and Markdown are an edit of the published post,
	// which stays visible until the decision.
	PendingEdit bool `json:"pending_edit,omitempty"`
	// PendingTitle is the thread's new title that the edit brings, if any.
	PendingTitle string       `json:"pending_title,omitempty"`
	Author       *NamedMember `json:"author"`
	Thread       ItemThread   `json:"thread"`
}

// ItemThread is the thread of an item's post.
type ItemThread struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	Slug         string `json:"slug"`
	Locked       bool   `json:"locked"`
	CategoryID   int64  `json:"category_id"`
	CategoryName string `json:"category_name"`
}

// ItemSanction is the sanction an appeal is about.
type ItemSanction struct {
	ID         int64      `db:"id" json:"id"`
	Kind       string     `db:"kind" json:"kind"`
	Reason     string     `db:"reason" json:"reason"`
	Until      *time.Time `db:"until" json:"until"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	AppealText string     `db:"appeal_text" json:"appeal_text"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
}

// IsPost reports whether the item is about a post.
func (it *ReviewItem) IsPost() bool { return it.PostID != nil }

// Pending reports whether the item waits for a decision.
func (it *ReviewItem) Pending() bool { return it.Status == ReviewPending }

// fill builds the nested views from the flat columns.
func (it *ReviewItem) fill() {
	if it.SubjectID != nil && it.SubjectName != nil {
		it.Member = &NamedMember{ID: *it.SubjectID, Username: *it.SubjectName}
	}
	if it.ClaimedByID != nil && it.ClaimedByName != nil {
		it.ClaimedBy = &NamedMember{ID: *it.ClaimedByID, Username: *it.ClaimedByName}
	}
	if it.PostID != nil && it.ThreadID != nil {
		it.Post = &ItemPost{
			ID: *it.PostID, Number: deref(it.PostNumber), Status: deref(it.PostStatus),
			HTML: deref(it.PostHTML), Markdown: deref(it.PostMarkdown), Author: it.Member, PendingEdit: it.PendingEdit, PendingTitle: deref(it.PendingTitle),
			Thread: ItemThread{ID: *it.ThreadID, Title: deref(it.ThreadTitle), Slug: deref(it.ThreadSlug),
				Locked: deref(it.ThreadLocked), CategoryID: deref(it.CategoryID), CategoryName: deref(it.CategoryName)},
		}
		if it.PostCreatedAt != nil {
			it.Post.CreatedAt = *it.PostCreatedAt
		}
	}
	if it.Reports == nil {
		it.Reports = []Report{}
	}
	if len(it.Reasons) == 0 {
		it.Reasons = json.RawMessage("[]")
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// reviewScope is what the actor of ctx may review: everything (staff), or
// the posts of the categories they moderate. A member who moderates nothing
// gets EFORBIDDEN, a visitor EUNAUTHORIZED.
type reviewScope struct {
	all        bool
	categories pq.Int64Array // nil when all
}

const selectModeratedCategoryIDs = `SELECT category_id FROM category_moderators WHERE member_id = $1`

func (p *Pipeline) reviewScope(ctx context.Context) (*reviewScope, error) {
	a := forum.ActorFrom(ctx)
	if a.IsStaff() {
		return &reviewScope{all: true}, nil
	}
	m, err := forum.RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	var ids pq.Int64Array
	if err := p.db.SelectContext(ctx, &ids, selectModeratedCategoryIDs, m.ID); err != nil {
		return nil, forum.Internal("reading moderated categories", err)
	}
	if len(ids) == 0 {
		return nil, forum.Errorf(forum.EFORBIDDEN, "review.forbidden", nil)
	}
	return &reviewScope{categories: ids}, nil
}

// allows reports whether the scope covers an item.
func (s *reviewScope) allows(it *ReviewItem) bool {
	if s.all {
		return true
	}
	if it.CategoryID == nil {
		return false // members and appeals: global staff only
	}
	for _, c := range s.categories {
		if c == *it.CategoryID {
			return true
		}
	}
	return false
}

// sqlArg is the categories parameter of the queue queries: NULL for all.
func (s *reviewScope) sqlArg() any {
	if s.all {
		return nil
	}
	return s.categories
}

// notifyTx is a shorthand for the author's notification of an outcome.
func notifyTx(ctx context.Context, tx *sqlx.Tx, memberID *int64, action, reason string, threadID, postID *int64) error {
	if memberID == nil {
		return nil
	}
	return forum.NotifyModerationTx(ctx, tx, *memberID, forum.ModerationNotice{
		Action: action, Reason: reason, ThreadID: threadID, PostID: postID,
	})
}
