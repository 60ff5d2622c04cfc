package moderation

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// QueueFilter narrows the review queue; zero values mean "any".
type QueueFilter struct {
	Status     string // ReviewPending (the default) or ReviewResolved
	Kind       string // held, flagged, reported, appeal
	Reason     string // a report reason
	CategoryID int64
	ClaimedBy  string // "me", "none", or a member id
	Limit      int    // 100 at most
	After      string // the cursor of the previous page (QueueNext)
}

// ReviewKinds lists the kinds of item, for filters.
var ReviewKinds = []string{ReviewHeld, ReviewFlagged, ReviewReported, ReviewAppeal}

func (f *QueueFilter) normalize(ctx context.Context) (claimed int64, err error) {
	if f.Status == "" {
		f.Status = ReviewPending
	}
	if f.Status != ReviewPending && f.Status != ReviewResolved {
		return 0, forum.Errorf(forum.EINVALID, "review.filter_invalid", nil).OnField("status")
	}
	if f.Kind != "" && !slices.Contains(ReviewKinds, f.Kind) {
		return 0, forum.Errorf(forum.EINVALID, "review.filter_invalid", nil).OnField("kind")
	}
	if f.Reason != "" && !slices.Contains(ReportReasons, f.Reason) {
		return 0, forum.Errorf(forum.EINVALID, "review.filter_invalid", nil).OnField("reason")
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 100
	}
	switch f.ClaimedBy {
	case "":
		return 0, nil
	case "none":
		return -1, nil
	case "me":
		if m := forum.MemberFrom(ctx); m != nil {
			return m.ID, nil
		}
		return -1, nil
	}
	id, err := strconv.ParseInt(f.ClaimedBy, 10, 64)
	if err != nil || id <= 0 {
		return 0, forum.Errorf(forum.EINVALID, "review.filter_invalid", nil).OnField("claimed_by")
	}
	return id, nil
}

// itemColumns read an item with its post, thread and member.
const itemColumns = `
	ri.id, ri.kind, ri.status, ri.score, ri.post_id, ri.member_id, ri.sanction_id, ri.reasons,
	ri.claimed_by, cm.username AS claimed_by_name, ri.created_at, ri.first_seen_at, ri.claimed_at,
	ri.resolved_at, rm.username AS resolved_by_name, ri.resolution, ri.resolution_note, ri.version,
	p.number AS post_number, p.status AS post_status,
	coalesce(pe.body_html, p.body_html) AS post_html, coalesce(pe.body_markdown, p.body_markdown) AS post_markdown,
	p.created_at AS post_created_at, (pe.post_id IS NOT NULL) AS pending_edit, pe.title AS pending_title,
	t.id AS thread_id, t.title AS thread_title, t.slug AS thread_slug, (t.locked OR t.closed) AS thread_locked,
	t.category_id, c.name AS category_name,
	sm.id AS subject_id, sm.username AS subject_name,
	(SELECT count(*) FROM reports r WHERE r.review_item_id = ri.id) AS report_count`

const itemJoins = `
FROM review_items ri
LEFT JOIN posts p ON p.id = ri.post_id
LEFT JOIN post_pending_edits pe ON pe.post_id = ri.post_id AND ri.status = 'pending'
LEFT JOIN threads t ON t.id = p.thread_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN members sm ON sm.id = coalesce(p.author_id, ri.member_id)
LEFT JOIN members cm ON cm.id = ri.claimed_by
LEFT JOIN members rm ON rm.id = ri.resolved_by`

// selectQueue lists items by score then age (pending), or the latest
// decisions (resolved). $6 is NULL for staff, the moderated categories
// otherwise.
const selectQueue = `SELECT` + itemColumns + itemJoins + `
WHERE ri.status = $1
	AND ($2 = '' OR ri.kind = $2)
	AND ($3 = 0 OR t.category_id = $3)
	AND ($4 = '' OR EXISTS (SELECT 1 FROM reports r WHERE r.review_item_id = ri.id AND r.reason = $4))
	AND ($5 = 0 OR ($5 = -1 AND ri.claimed_by IS NULL) OR ri.claimed_by = $5)
	AND ($6::bigint[] IS NULL OR t.category_id = ANY($6))
	AND ($10::bigint IS NULL OR CASE WHEN ri.status = 'pending'
		THEN ri.score < $8 OR (ri.score = $8 AND (ri.created_at > $9 OR (ri.created_at = $9 AND ri.id > $10)))
		ELSE ri.resolved_at < $9 OR (ri.resolved_at = $9 AND ri.id > $10) END)
ORDER BY
	CASE WHEN ri.status = 'pending' THEN ri.score END DESC NULLS LAST,
	CASE WHEN ri.status = 'pending' THEN ri.created_at END ASC,
	ri.resolved_at DESC NULLS LAST, ri.id
LIMIT $7`

// Queue lists the review items the actor may review, with their reports.
func (p *Pipeline) Queue(ctx context.Context, f QueueFilter) ([]ReviewItem, error) {
	scope, err := p.reviewScope(ctx)
	if err != nil {
		return nil, err
	}
	claimed, err := f.normalize(ctx)
	if err != nil {
		return nil, err
	}
	after, err := decodeQueueCursor(f.After)
	if err != nil {
		return nil, err
	}
	items := []ReviewItem{}
	args := append([]any{f.Status, f.Kind, f.CategoryID, f.Reason, claimed, scope.sqlArg(), f.Limit}, after.args()...)
	queue, err := p.db.Prepared(ctx, selectQueue)
	if err != nil {
		return nil, err
	}
	if err := queue.SelectContext(ctx, &items, args...); err != nil {
		return nil, forum.Internal("listing the review queue", err)
	}
	if err := p.attachReports(ctx, p.db.Queryer(), items); err != nil {
		return nil, err
	}
	return items, nil
}

const countPending = `
SELECT count(*) FROM review_items ri
LEFT JOIN posts p ON p.id = ri.post_id
LEFT JOIN threads t ON t.id = p.thread_id
WHERE ri.status = 'pending' AND ($1::bigint[] IS NULL OR t.category_id = ANY($1))`

// PendingCount is the number of items waiting that the actor may review
// (the header badge).
func (p *Pipeline) PendingCount(ctx context.Context) (int, error) {
	scope, err := p.reviewScope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = p.db.GetContext(ctx, &n, countPending, scope.sqlArg())
	return n, forum.Internal("counting the review queue", err)
}

const selectItemReports = `
SELECT r.id, r.review_item_id, r.reporter_id, m.username AS reporter_name, r.post_id, r.member_id, r.message_id,
	r.upload_id, '/uploads/' || u.sha256 || '.' || u.ext AS upload_url, u.kind AS upload_kind,
	r.reason, r.rule_id, ru.name AS rule_name, r.note, r.weight, r.outcome, r.created_at
FROM reports r
JOIN members m ON m.id = r.reporter_id
LEFT JOIN rules ru ON ru.id = r.rule_id
LEFT JOIN uploads u ON u.id = r.upload_id
WHERE r.review_item_id = ANY($1)
ORDER BY r.created_at, r.id`

// attachReports reads the reports of the items in one query.
func (p *Pipeline) attachReports(ctx context.Context, q sqlx.QueryerContext, items []ReviewItem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make(pq.Int64Array, len(items))
	at := make(map[int64]int, len(items))
	for i := range items {
		ids[i] = items[i].ID
		at[items[i].ID] = i
	}
	var reports []Report
	if err := sqlx.SelectContext(ctx, q, &reports, selectItemReports, ids); err != nil {
		return forum.Internal("reading reports", err)
	}
	for _, r := range reports {
		it := &items[at[r.ReviewItemID]]
		it.Reports = append(it.Reports, r)
	}
	for i := range items {
		items[i].fill()
	}
	return nil
}

const selectItem = `SELECT` + itemColumns + itemJoins + ` WHERE ri.id = $1`

// loadItem reads one item without checking permissions.
func (p *Pipeline) loadItem(ctx context.Context, q sqlx.QueryerContext, id int64) (*ReviewItem, error) {
	var it ReviewItem
	if err := sqlx.GetContext(ctx, q, &it, selectItem, id); err != nil {
		return nil, notFoundItem(err)
	}
	items := []ReviewItem{it}
	if err := p.attachReports(ctx, q, items); err != nil {
		return nil, err
	}
	out := items[0]
	if out.SanctionID != nil {
		var s ItemSanction
		if err := sqlx.GetContext(ctx, q, &s, `SELECT id, kind, reason, until, created_at, appeal_text, revoked_at
FROM sanctions WHERE id = $1`, *out.SanctionID); err != nil {
			return nil, forum.Internal("reading an appealed sanction", err)
		}
		out.Sanction = &s
	}
	return &out, nil
}

func notFoundItem(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return forum.Errorf(forum.ENOTFOUND, "review.not_found", nil)
	}
	return forum.Internal("reading a review item", err)
}

// item reads an item the actor may review; ENOTFOUND for one outside their
// categories (its existence is not revealed).
func (p *Pipeline) item(ctx context.Context, id int64) (*ReviewItem, *reviewScope, error) {
	scope, err := p.reviewScope(ctx)
	if err != nil {
		return nil, nil, err
	}
	it, err := p.loadItem(ctx, p.db.Queryer(), id)
	if err != nil {
		return nil, nil, err
	}
	if !scope.allows(it) {
		return nil, nil, forum.Errorf(forum.ENOTFOUND, "review.not_found", nil)
	}
	return it, scope, nil
}

// ReviewItem returns an item for the API (no side effect).
func (p *Pipeline) ReviewItem(ctx context.Context, id int64) (*ReviewItem, error) {
	it, _, err := p.item(ctx, id)
	return it, err
}

const markFirstSeen = `UPDATE review_items SET first_seen_at = now() WHERE id = $1 AND first_seen_at IS NULL`

// OpenItem returns an item with its context, for a moderator who opens it:
// the first opening is recorded (response times).
func (p *Pipeline) OpenItem(ctx context.Context, id int64) (*ItemContext, error) {
	it, _, err := p.item(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.FirstSeenAt == nil {
		if _, err := p.db.ExecContext(ctx, markFirstSeen, id); err != nil {
			return nil, forum.Internal("recording a first view", err)
		}
	}
	ic, err := p.itemContext(ctx, it)
	if err != nil {
		return nil, err
	}
	if it.Post == nil {
		if ic.Messages, err = p.db.MessagesUnderReview(ctx, id); err != nil {
			return nil, err
		}
	}
	return ic, nil
}

const claimItem = `
UPDATE review_items SET claimed_by = $2, claimed_at = now(), first_seen_at = coalesce(first_seen_at, now()),
	version = version + 1
WHERE id = $1 AND status = 'pending' AND (claimed_by IS NULL OR claimed_by = $2)
RETURNING id`

const releaseItem = `
UPDATE review_items SET claimed_by = NULL, claimed_at = NULL, version = version + 1
WHERE id = $1 AND status = 'pending' AND claimed_by = $2
RETURNING id`

// Claim tells the other moderators that the actor handles an item. An item
// another moderator claimed gives ECONFLICT naming them.
func (p *Pipeline) Claim(ctx context.Context, id int64) (*ReviewItem, error) {
	return p.changeClaim(ctx, id, claimItem)
}

// Release gives back an item the actor claimed.
func (p *Pipeline) Release(ctx context.Context, id int64) (*ReviewItem, error) {
	return p.changeClaim(ctx, id, releaseItem)
}

func (p *Pipeline) changeClaim(ctx context.Context, id int64, query string) (*ReviewItem, error) {
	if _, _, err := p.item(ctx, id); err != nil { // it exists, and the actor may see it
		return nil, err
	}
	m := forum.MemberFrom(ctx)
	if m == nil {
		return nil, forum.Errorf(forum.EFORBIDDEN, "review.forbidden", nil)
	}
	var got int64
	if err := p.db.GetContext(ctx, &got, query, id, m.ID); err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, forum.Internal("claiming a review item", err)
		}
		// Nothing changed: resolved, or someone else's claim.
		it, _, err := p.item(ctx, id)
		if err != nil {
			return nil, err
		}
		if !it.Pending() {
			return nil, resolvedConflict(it)
		}
		if query == claimItem && it.ClaimedByName != nil {
			return nil, forum.Errorf(forum.ECONFLICT, "review.claimed_by_other", map[string]any{"Name": *it.ClaimedByName})
		}
		return it, nil
	}
	return p.ReviewItem(ctx, id)
}

// resolvedConflict is the error of an action on an item already decided.
func resolvedConflict(it *ReviewItem) error {
	name := ""
	if it.ResolvedByName != nil {
		name = *it.ResolvedByName
	}
	return forum.Errorf(forum.ECONFLICT, "review.already_resolved", map[string]any{"Name": name, "Action": it.Resolution})
}
