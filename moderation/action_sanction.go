package moderation

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// The sanctions of the review queue are applied inside the decision's
// transaction, so that a decision and its sanction happen together or not
// at all, by forum.SanctionTx; appeals are decided here.

type sanctionTarget struct {
	ID             int64      `db:"id"`
	Role           string     `db:"role"`
	Status         string     `db:"status"`
	SilencedUntil  *time.Time `db:"silenced_until"`
	SuspendedUntil *time.Time `db:"suspended_until"`
	BannedAt       *time.Time `db:"banned_at"`
	SanctionReason string     `db:"sanction_reason"`
}

// lockSanctionTarget locks the member a decision sanctions and checks that
// the actor may.
func lockSanctionTarget(ctx context.Context, tx *sqlx.Tx, memberID int64) (*sanctionTarget, error) {
	a := forum.ActorFrom(ctx)
	if !a.IsStaff() {
		return nil, forum.Errorf(forum.EFORBIDDEN, "review.staff_only", nil)
	}
	var t sanctionTarget
	err := tx.GetContext(ctx, &t, `SELECT id, role, status, silenced_until, suspended_until, banned_at, sanction_reason
FROM members WHERE id = $1 FOR UPDATE`, memberID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && t.Status == "deleted") {
		return nil, forum.Errorf(forum.ENOTFOUND, "member.not_found", nil)
	}
	if err != nil {
		return nil, forum.Internal("reading a member", err)
	}
	if a.Member != nil {
		if a.Member.ID == t.ID {
			return nil, forum.Errorf(forum.EFORBIDDEN, "sanction.self", nil)
		}
		if t.Role != string(forum.RoleMember) && !a.Member.IsAdmin() {
			return nil, forum.Errorf(forum.EFORBIDDEN, "sanction.target_staff", nil)
		}
	}
	return &t, nil
}

// sanction applies a sanction of kind to the member the item concerns,
// with the reason cited, in the decision's transaction: forum.SanctionTx
// records it, puts it in force, logs it and tells the member.
func (r *resolution) sanction(ctx context.Context, tx *sqlx.Tx, kind string, until *time.Time) error {
	if r.it.SubjectID == nil {
		return forum.Errorf(forum.ENOTFOUND, "member.not_found", nil)
	}
	if r.reason == "" {
		return forum.Errorf(forum.EINVALID, "review.message_required", nil).OnField("message")
	}
	_, err := forum.SanctionTx(ctx, tx, forum.SanctionOrder{
		MemberID: *r.it.SubjectID, Kind: kind, Reason: r.reason, Until: until,
		ThreadID: r.it.ThreadID, PostID: r.it.PostID, ReviewItemID: &r.it.ID,
	})
	// The decision form names its fields message and duration.
	if fe, ok := err.(*forum.Error); ok {
		switch fe.Field {
		case "reason":
			return fe.OnField("message")
		case "until":
			return fe.OnField("duration")
		}
	}
	return err
}

// appeal decides an appeal: the sanction stands, or it is lifted.
func (r *resolution) appeal(ctx context.Context, tx *sqlx.Tx) error {
	s := r.it.Sanction
	if s == nil || r.it.SubjectID == nil {
		return forum.Errorf(forum.ENOTFOUND, "sanction.not_found", nil)
	}
	t, err := lockSanctionTarget(ctx, tx, *r.it.SubjectID)
	if err != nil {
		return err
	}
	r.upheld = false
	if r.d.Action == ActUphold {
		if _, err := tx.ExecContext(ctx, `UPDATE sanctions SET appeal_outcome = 'upheld' WHERE id = $1`, s.ID); err != nil {
			return forum.Internal("deciding an appeal", err)
		}
		if err := forum.LogTx(ctx, tx, forum.LogEntry{Action: forum.LogAppealUpheld, TargetType: "member", TargetID: &t.ID,
			Reason: r.reason, After: map[string]any{"sanction_id": s.ID, "review_item": r.it.ID}}); err != nil {
			return err
		}
		return notifyTx(ctx, tx, &t.ID, forum.ModerationAppealRejected, r.reason, nil, nil)
	}
	// Granted: the sanction is lifted the one way sanctions are lifted.
	return forum.LiftAppealedSanctionTx(ctx, tx, forum.AppealLift{SanctionID: s.ID, Reason: r.reason, ReviewItemID: r.it.ID})
}
