package moderation

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// Kinds and statuses of review items.
const (
	ReviewHeld     = "held"
	ReviewFlagged  = "flagged"
	ReviewReported = "reported"
	ReviewAppeal   = "appeal"

	ReviewPending  = "pending"
	ReviewResolved = "resolved"
)

// A held post joins the open item of its post, if there is one (a flagged
// post edited into a held one): one open item per target.
const upsertPostReviewItem = `
INSERT INTO review_items (kind, post_id, reasons)
VALUES ($1, $2, $3)
ON CONFLICT (post_id) WHERE status = 'pending' AND post_id IS NOT NULL
DO UPDATE SET
	kind = CASE WHEN EXCLUDED.kind = 'held' THEN 'held' ELSE review_items.kind END,
	reasons = review_items.reasons || EXCLUDED.reasons,
	version = review_items.version + 1
RETURNING id`

// record is what the review queue and the moderation log keep of a
// verdict: the kind of its review item (none when empty) and the action
// logged; nothing when the action is empty.
func (v *Verdict) record() (kind string, action forum.LogAction) {
	switch {
	case v.Outcome == OutcomeHold:
		return ReviewHeld, forum.LogPostHold
	case v.Flagged:
		return ReviewFlagged, forum.LogPostFlag
	case v.Outcome == OutcomePublishCensored:
		return "", forum.LogPostCensor
	}
	return "", ""
}

// recordVerdictTx stores, beside a post just stored with the verdict's
// status, what the verdict asks of the moderators: a review item for a held
// or flagged post, and a line of the moderation log written by the system
// (the rules, not the author, decided).
func recordVerdictTx(ctx context.Context, tx *sqlx.Tx, post *forum.Post, v *Verdict) error {
	kind, action := v.record()
	if action == "" {
		return nil
	}
	reasons, err := forum.JSONArg(v.Reasons)
	if err != nil {
		return forum.Internal("encoding the reasons of a verdict", err)
	}
	var itemID *int64
	if kind != "" {
		var id int64
		if err := tx.GetContext(ctx, &id, upsertPostReviewItem, kind, post.ID, reasons); err != nil {
			return forum.Internal("queueing a post for review", err)
		}
		itemID = &id
	}
	names := make([]string, 0, len(v.Reasons))
	for _, r := range v.Reasons {
		if !slices.Contains(names, r.Rule.Name) {
			names = append(names, r.Rule.Name)
		}
	}
	return forum.LogTx(forum.WithSystem(ctx), tx, forum.LogEntry{
		Action: action, TargetType: "post", TargetID: &post.ID,
		Reason: strings.Join(names, ", "),
		After:  map[string]any{"outcome": v.Outcome, "reasons": v.Reasons, "review_item": itemID},
	})
}
