package moderation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
)

// What a moderator may decide on an item.
const (
	ActApprove    = "approve"     // publish a held post; the reports were wrong
	ActDismiss    = "dismiss"     // nothing to do: the reports were wrong
	ActHide       = "hide"        // hide the post
	ActDelete     = "delete"      // delete the post
	ActReject     = "reject"      // refuse a held post
	ActEdit       = "edit"        // edit the post (with a note), and publish it
	ActLockThread = "lock_thread" // lock the post's thread
	ActMoveThread = "move_thread" // move the post's thread to another category
	ActWarn       = "warn"        // warn the member
	ActSilence    = "silence"     // silence the member for a duration
	ActSuspend    = "suspend"     // suspend the member for a duration
	ActBan        = "ban"         // ban the member
	ActUphold     = "uphold"      // an appeal: the sanction stands
	ActLift       = "lift"        // an appeal: the sanction is lifted
	// ActRemoveUpload removes the uploads the item's reports name (and
	// only them): the post stays, its images stop being served.
	ActRemoveUpload = "remove_upload"
)

// actionsByKind are the decisions each kind of item allows, in the order
// the forms show them.
var actionsByKind = map[string][]string{
	ReviewHeld:     {ActApprove, ActReject, ActEdit, ActDelete, ActLockThread, ActMoveThread, ActWarn, ActSilence, ActSuspend, ActBan},
	ReviewFlagged:  {ActDismiss, ActHide, ActDelete, ActEdit, ActLockThread, ActMoveThread, ActWarn, ActSilence, ActSuspend, ActBan},
	ReviewReported: {ActDismiss, ActHide, ActDelete, ActEdit, ActLockThread, ActMoveThread, ActWarn, ActSilence, ActSuspend, ActBan},
	ReviewAppeal:   {ActUphold, ActLift},
	"member":       {ActDismiss, ActWarn, ActSilence, ActSuspend, ActBan},
	// A member's private message held by the rules (messages.go).
	"member_held": {ActApprove, ActReject, ActWarn, ActSilence, ActSuspend, ActBan},
}

// ActionsFor lists the decisions an item allows.
func ActionsFor(it *ReviewItem) []string {
	if it.Kind == ReviewHeld && !it.IsPost() {
		return actionsByKind["member_held"]
	}
	if it.Kind != ReviewAppeal && !it.IsPost() {
		return actionsByKind["member"]
	}
	out := actionsByKind[it.Kind]
	if it.IsPost() && it.PostStatus != nil && *it.PostStatus == forum.StatusHidden && it.Kind != ReviewHeld {
		// A post hidden by reports: approving restores it.
		out = append([]string{ActApprove}, out...)
	}
	if len(reportedUploads(it)) > 0 {
		// An upload of the post is reported: it may go alone.
		at := min(slices.Index(out, ActDismiss)+1, len(out))
		out = slices.Insert(slices.Clone(out), at, ActRemoveUpload)
	}
	return out
}

// reportedUploads are the uploads the open reports of an item name.
func reportedUploads(it *ReviewItem) []int64 {
	var ids []int64
	for _, r := range it.Reports {
		if r.UploadID != nil && r.Outcome == "" && !slices.Contains(ids, *r.UploadID) {
			ids = append(ids, *r.UploadID)
		}
	}
	return ids
}

// sanctionActions map to sanction kinds.
var sanctionActions = map[string]string{
	ActWarn: forum.SanctionWarning, ActSilence: forum.SanctionSilence,
	ActSuspend: forum.SanctionSuspension, ActBan: forum.SanctionBan,
}

// Decision is what a moderator decided on an item.
type Decision struct {
	ItemID     int64
	Action     string
	Duration   string // silence and suspend: "24h", "7d"
	Message    string // to the member concerned, beside the rule cited
	RuleID     *int64 // the rule cited; the rules of the item otherwise
	Version    int    // the version the moderator saw; 0 to skip the check
	Body       string // edit: the new body
	CategoryID int64  // move_thread: where to
}

const messageMaxRunes = 2000

// Resolve carries out a decision on an item, once: the item is locked and
// checked pending (and at the version the moderator saw), the action done,
// the member concerned told with the rule cited, the reporters told and
// their accuracy updated, the moderation log written, all in one
// transaction. A second moderator deciding at the same time gets ECONFLICT
// naming who decided first.
func (p *Pipeline) Resolve(ctx context.Context, d Decision) (*ReviewItem, error) {
	it, scope, err := p.item(ctx, d.ItemID)
	if err != nil {
		return nil, err
	}
	if !it.Pending() {
		return nil, resolvedConflict(it)
	}
	if !slices.Contains(ActionsFor(it), d.Action) {
		return nil, forum.Errorf(forum.EINVALID, "review.action_invalid", nil).OnField("action")
	}
	if d.Message, err = Normalize(d.Message, "message", TextLimits{MaxRunes: messageMaxRunes}); err != nil {
		return nil, err
	}
	var until *time.Time
	if d.Action == ActSilence || d.Action == ActSuspend {
		if strings.TrimSpace(d.Duration) == "" {
			return nil, forum.Errorf(forum.EINVALID, "review.duration_required", nil).OnField("duration")
		}
		dur, err := forum.ParseDuration(d.Duration)
		if err != nil {
			return nil, err
		}
		t := time.Now().Add(dur)
		until = &t
	}
	var edit *Prepared
	if d.Action == ActEdit {
		editor, err := forum.RequireMember(ctx)
		if err != nil {
			return nil, err
		}
		// A moderator's edit goes through the text stages and the block
		// rules like any other; it publishes the post.
		c, err := p.check(ctx, editor, nil, d.Body)
		if err != nil {
			return nil, err
		}
		edit = &c.Prepared
		if d.Message == "" {
			return nil, forum.Errorf(forum.EINVALID, "review.edit_note_required", nil).OnField("message")
		}
	}
	if d.Action == ActMoveThread {
		if d.CategoryID == 0 {
			return nil, forum.Errorf(forum.EINVALID, "review.category_required", nil).OnField("category_id")
		}
		if !scope.all {
			return nil, forum.Errorf(forum.EFORBIDDEN, "review.staff_only", nil)
		}
	}
	settings, err := p.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	reason, rules, err := p.citedReason(ctx, it, d)
	if err != nil {
		return nil, err
	}
	r := &resolution{p: p, it: it, d: d, reason: reason, rules: rules, until: until, edit: edit, settings: settings}
	err = p.db.InTx(ctx, func(tx *sqlx.Tx) error { return r.run(ctx, tx) })
	if err != nil {
		return nil, conflictOnDeadlock(err)
	}
	for _, m := range r.delivered {
		p.db.NotifyMessage(ctx, m)
	}
	return p.ReviewItem(ctx, d.ItemID)
}

// conflictOnDeadlock turns the rare deadlock or serialization failure
// between two writers into a conflict the moderator can retry.
func conflictOnDeadlock(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (pqErr.Code == "40P01" || pqErr.Code == "40001") {
		return forum.Errorf(forum.ECONFLICT, "review.changed", nil)
	}
	return err
}

// citedReason is what the member concerned reads: the rule cited (or the
// rules behind the item) and the moderator's message; and the rules alone.
func (p *Pipeline) citedReason(ctx context.Context, it *ReviewItem, d Decision) (string, string, error) {
	var names []string
	if d.RuleID != nil {
		var name string
		if err := p.db.GetContext(ctx, &name, `SELECT name FROM rules WHERE id = $1`, *d.RuleID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return "", "", forum.Errorf(forum.EINVALID, "report.rule_unknown", nil).OnField("rule_id")
			}
			return "", "", forum.Internal("reading a rule", err)
		}
		names = append(names, name)
	} else {
		for _, r := range it.Reports {
			if r.RuleName != nil && !slices.Contains(names, *r.RuleName) {
				names = append(names, *r.RuleName)
			}
		}
		for _, name := range itemRuleNames(it) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	parts := []string{}
	if len(names) > 0 {
		parts = append(parts, joinNames(names))
	}
	if d.Message != "" {
		parts = append(parts, d.Message)
	}
	rules := ""
	if len(names) > 0 {
		rules = joinNames(names)
	}
	return strings.Join(parts, " — "), rules, nil
}

// resolution is one decision being carried out in its transaction.
type resolution struct {
	p        *Pipeline
	it       *ReviewItem
	d        Decision
	reason   string
	rules    string // the rules cited, without the message
	until    *time.Time
	edit     *Prepared
	settings *forum.Settings
	upheld   bool // the reports were right
	// delivered are the held messages the decision published, notified
	// after the commit.
	delivered []*forum.Message
}

const lockItem = `SELECT status, version FROM review_items WHERE id = $1 FOR UPDATE`

const markResolved = `
UPDATE review_items SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = $3,
	resolution_note = $4, first_seen_at = coalesce(first_seen_at, now()), version = version + 1
WHERE id = $1`

func (r *resolution) run(ctx context.Context, tx *sqlx.Tx) error {
	it := r.it
	if it.ThreadID != nil {
		// The thread first, then the item: the order of every writer.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM threads WHERE id = $1 FOR UPDATE`, *it.ThreadID); err != nil {
			return forum.Internal("locking a thread", err)
		}
	}
	var cur struct {
		Status  string `db:"status"`
		Version int    `db:"version"`
	}
	if err := tx.GetContext(ctx, &cur, lockItem, it.ID); err != nil {
		return notFoundItem(err)
	}
	if cur.Status != ReviewPending {
		fresh, err := r.p.loadItem(ctx, tx, it.ID)
		if err != nil {
			return err
		}
		return resolvedConflict(fresh)
	}
	if r.d.Version != 0 && cur.Version != r.d.Version {
		return forum.Errorf(forum.ECONFLICT, "review.changed", nil)
	}
	var err error
	switch {
	case it.Kind == ReviewAppeal:
		err = r.appeal(ctx, tx)
	case sanctionActions[r.d.Action] != "":
		err = r.sanction(ctx, tx, sanctionActions[r.d.Action], r.until)
		r.upheld = true
	case r.d.Action == ActRemoveUpload:
		err = r.removeUploads(ctx, tx)
		r.upheld = true
	case it.IsPost():
		err = r.postAction(ctx, tx)
	default: // a reported member, dismissed
		r.upheld = false
	}
	if err != nil {
		return err
	}
	if err := r.settleHeld(ctx, tx); err != nil {
		return err
	}
	if r.delivered, err = r.settleHeldMessages(ctx, tx); err != nil {
		return err
	}
	if err := r.settleReports(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, markResolved, it.ID, actorIDOf(ctx), r.d.Action, r.d.Message); err != nil {
		return forum.Internal("resolving a review item", err)
	}
	return forum.LogTx(ctx, tx, forum.LogEntry{
		Action: forum.LogReviewResolve, TargetType: "review_item", TargetID: &it.ID, Reason: r.reason,
		Before: map[string]any{"status": ReviewPending, "kind": it.Kind, "score": it.Score},
		After:  map[string]any{"status": ReviewResolved, "action": r.d.Action, "post_id": it.PostID, "member_id": it.SubjectID},
	})
}

const settleReports = `
UPDATE reports SET outcome = $2, resolved_at = now()
WHERE review_item_id = $1 AND outcome = ''
RETURNING reporter_id`

// settleReports records whether each report was right (it weighs the
// reporter's next reports) and tells each reporter the outcome.
func (r *resolution) settleReports(ctx context.Context, tx *sqlx.Tx) error {
	outcome := ReportDismissed
	if r.upheld {
		outcome = ReportAgreed
	}
	var reporters []int64
	if err := tx.SelectContext(ctx, &reporters, settleReports, r.it.ID, outcome); err != nil {
		return forum.Internal("settling reports", err)
	}
	told := forum.ModerationReportUpheld
	if !r.upheld {
		told = forum.ModerationReportDismissed
	}
	for _, id := range reporters {
		if err := notifyTx(ctx, tx, &id, told, "", r.it.ThreadID, r.it.PostID); err != nil {
			return err
		}
	}
	return nil
}

func actorIDOf(ctx context.Context) *int64 {
	if m := forum.MemberFrom(ctx); m != nil {
		return &m.ID
	}
	return nil
}

// itemRuleNames are the names of the rules that sent an item to the queue.
func itemRuleNames(it *ReviewItem) []string {
	var reasons []struct {
		Rule forum.RuleRef `json:"rule"`
	}
	_ = json.Unmarshal(it.Reasons, &reasons)
	var names []string
	for _, r := range reasons {
		if r.Rule.Name != "" && !slices.Contains(names, r.Rule.Name) {
			names = append(names, r.Rule.Name)
		}
	}
	return names
}

// removeUploads removes the uploads the item's reports name, each logged:
// the post stays as it is, its images or files are no longer served.
func (r *resolution) removeUploads(ctx context.Context, tx *sqlx.Tx) error {
	removed, err := forum.RemoveUploadsTx(ctx, tx, reportedUploads(r.it))
	if err != nil {
		return err
	}
	for _, u := range removed {
		if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogUploadRemove, TargetType: "upload", TargetID: &u.ID,
			Reason: r.reason, Before: map[string]any{"url": u.URL(), "post_id": r.it.PostID},
			After: map[string]any{"removed": true}}); err != nil {
			return err
		}
	}
	// The file was at fault, not the post: one its reports hid comes back.
	postID := *r.it.PostID
	var post reviewedPost
	if err := tx.GetContext(ctx, &post, `SELECT status, author_id, thread_id FROM posts WHERE id = $1 FOR UPDATE`, postID); err != nil {
		return forum.Internal("reading a reviewed post", err)
	}
	if post.Status != forum.StatusHidden {
		return nil
	}
	if err := forum.SetPostStatusTx(ctx, tx, postID, forum.StatusPublished); err != nil {
		return err
	}
	if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogPostRestore, TargetType: "post", TargetID: &postID,
		Reason: r.reason, Before: map[string]any{"status": post.Status}, After: map[string]any{"status": forum.StatusPublished}}); err != nil {
		return err
	}
	return notifyTx(ctx, tx, post.AuthorID, forum.ModerationRestored, r.reason, &post.ThreadID, &postID)
}
