package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Sanctions are reversible: a moderator may lift one in force, or shorten
// it, with a reason, logged and told to the member. Who may is who may
// sanction the member (mayModerate): global moderators for members, admins
// for everyone, nobody for themselves; category moderators sanction nobody,
// so they lift nothing either.

// SanctionChange is a moderator's change to one sanction.
type SanctionChange struct {
	SanctionID int64
	// MemberID, when not 0, is the member the caller believes the sanction
	// concerns (a form on that member's page): another member's sanction is
	// not found.
	MemberID int64
	Reason   string
	Until    *time.Time // shorten: the new end
}

const lockSanction = `SELECT ` + sanctionColumns + ` FROM sanctions WHERE id = $1 FOR UPDATE`

// RefreshSanctionStateTx recomputes a member's sanctions in force
// (members.silenced_until, suspended_until, banned_at, sanction_reason)
// from their sanctions not lifted.
const refreshSanctionState = `
UPDATE members m SET
	silenced_until = (SELECT max(until) FROM sanctions s
		WHERE s.member_id = m.id AND s.kind = 'silence' AND s.revoked_at IS NULL AND s.until > now()),
	suspended_until = (SELECT max(until) FROM sanctions s
		WHERE s.member_id = m.id AND s.kind = 'suspension' AND s.revoked_at IS NULL AND s.until > now()),
	banned_at = (SELECT max(created_at) FROM sanctions s
		WHERE s.member_id = m.id AND s.kind = 'ban' AND s.revoked_at IS NULL),
	sanction_reason = coalesce((SELECT reason FROM sanctions s
		WHERE s.member_id = m.id AND s.kind <> 'warning' AND s.revoked_at IS NULL AND (s.until IS NULL OR s.until > now())
		ORDER BY s.created_at DESC, s.id DESC LIMIT 1), '')
WHERE m.id = $1
RETURNING silenced_until, suspended_until, banned_at, sanction_reason`

// RefreshSanctionStateTx recomputes the member's sanctions in force from
// the sanctions not lifted, and returns them.
func RefreshSanctionStateTx(ctx context.Context, tx *sqlx.Tx, memberID int64) (sanctionState, error) {
	var st sanctionState
	err := tx.GetContext(ctx, &st, refreshSanctionState, memberID)
	return st, Internal("recomputing sanctions in force", err)
}

// changeSanction locks the sanction and its member, checks that the actor
// may act on the member and that the sanction is in force, then runs
// change, logs it and tells the member.
func (db *DB) changeSanction(ctx context.Context, ch SanctionChange, change func(tx *sqlx.Tx, s *Sanction) (LogAction, ModerationNotice, error)) (*Sanction, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	reason, err := cleanText(ch.Reason, "reason", SanctionReasonMaxLength)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, Errorf(EINVALID, "sanction.reason_required", nil).OnField("reason")
	}
	ch.Reason = reason
	var out Sanction
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var s Sanction
		if err := tx.GetContext(ctx, &s, lockSanction, ch.SanctionID); err != nil {
			return notFound(err, "sanction.not_found", "reading a sanction")
		}
		if ch.MemberID != 0 && s.MemberID != ch.MemberID {
			return Errorf(ENOTFOUND, "sanction.not_found", nil)
		}
		// The member the sanction concerns decides who may change it.
		target, err := lockTarget(ctx, tx, s.MemberID)
		if err != nil {
			return err
		}
		if err := mayModerate(ctx, target); err != nil {
			return err
		}
		if !s.InForce(time.Now()) {
			return Errorf(ECONFLICT, "sanction.not_in_force", nil)
		}
		changed, err := applySanctionChangeTx(ctx, tx, &s, target, ch.Reason, nil, change)
		if changed != nil {
			out = *changed
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// applySanctionChangeTx runs change on the sanction s of target (both
// locked, the actor's right checked), recomputes the member's sanctions in
// force, logs the change (with extra in its after state) and tells the
// member, with reason.
func applySanctionChangeTx(ctx context.Context, tx *sqlx.Tx, s *Sanction, target *Member, reason string, extra map[string]any,
	change func(tx *sqlx.Tx, s *Sanction) (LogAction, ModerationNotice, error)) (*Sanction, error) {
	before := map[string]any{"sanction_id": s.ID, "kind": s.Kind, "until": s.Until, "state": stateOf(target)}
	action, notice, err := change(tx, s)
	if err != nil {
		return nil, err
	}
	state, err := RefreshSanctionStateTx(ctx, tx, target.ID)
	if err != nil {
		return nil, err
	}
	var out Sanction
	if err := tx.GetContext(ctx, &out, `SELECT `+sanctionColumns+` FROM sanctions WHERE id = $1`, s.ID); err != nil {
		return nil, Internal("reading a sanction", err)
	}
	after := map[string]any{"sanction_id": s.ID, "kind": out.Kind, "until": out.Until, "state": state}
	for k, v := range extra {
		after[k] = v
	}
	if err := LogTx(ctx, tx, LogEntry{
		Action: action, TargetType: "member", TargetID: &target.ID, Reason: reason, Before: before, After: after,
	}); err != nil {
		return nil, err
	}
	notice.Reason = reason
	return &out, NotifyModerationTx(ctx, tx, target.ID, notice)
}

// liftSanction ends a sanction; a lift that decides its appeal records the
// outcome. A sanction already revoked keeps its first revocation.
const liftSanction = `UPDATE sanctions SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2),
	appeal_outcome = CASE WHEN $3 THEN 'lifted' ELSE appeal_outcome END
WHERE id = $1`

// lift is the one way a sanction is lifted, logged as sanction.lift:
// by its id, by its kind, or by a decision on its appeal.
func lift(ctx context.Context, appeal bool) func(tx *sqlx.Tx, s *Sanction) (LogAction, ModerationNotice, error) {
	return func(tx *sqlx.Tx, s *Sanction) (LogAction, ModerationNotice, error) {
		if _, err := tx.ExecContext(ctx, liftSanction, s.ID, actorID(ctx), appeal); err != nil {
			return "", ModerationNotice{}, Internal("lifting a sanction", err)
		}
		return LogSanctionLift, ModerationNotice{Action: ModerationLifted, Kind: s.Kind}, nil
	}
}

// LiftSanctionByID ends a silence, suspension or ban in force now, with a
// reason the member reads; logged as sanction.lift.
func (db *DB) LiftSanctionByID(ctx context.Context, ch SanctionChange) (*Sanction, error) {
	return db.changeSanction(ctx, ch, lift(ctx, false))
}

// AppealLift is the lift of a sanction that a decision on its appeal
// grants.
type AppealLift struct {
	SanctionID   int64
	Reason       string
	ReviewItemID int64
}

// LiftAppealedSanctionTx lifts a sanction whose appeal a moderator granted,
// in the decision's transaction (the caller has checked the actor's right):
// the same lift as LiftSanctionByID, logged as sanction.lift with the
// review item.
func LiftAppealedSanctionTx(ctx context.Context, tx *sqlx.Tx, l AppealLift) error {
	var s Sanction
	if err := tx.GetContext(ctx, &s, lockSanction, l.SanctionID); err != nil {
		return notFound(err, "sanction.not_found", "reading a sanction")
	}
	target, err := lockTarget(ctx, tx, s.MemberID)
	if err != nil {
		return err
	}
	_, err = applySanctionChangeTx(ctx, tx, &s, target, l.Reason, map[string]any{"review_item": l.ReviewItemID}, lift(ctx, true))
	return err
}

const shortenSanction = `UPDATE sanctions SET kind = $2, until = $3 WHERE id = $1`

// ShortenSanction brings the end of a silence or suspension in force
// closer, to a date still to come; a ban shortened becomes a suspension
// until that date. Logged as sanction.shorten.
func (db *DB) ShortenSanction(ctx context.Context, ch SanctionChange) (*Sanction, error) {
	now := time.Now()
	switch {
	case ch.Until == nil:
		return nil, Errorf(EINVALID, "sanction.until_required", nil).OnField("until")
	case !ch.Until.After(now):
		return nil, Errorf(EINVALID, "sanction.shorten_past", nil).OnField("until")
	case ch.Until.Sub(now) > SanctionMaxDuration:
		return nil, Errorf(EINVALID, "sanction.until_too_far", nil).OnField("until")
	}
	return db.changeSanction(ctx, ch, func(tx *sqlx.Tx, s *Sanction) (LogAction, ModerationNotice, error) {
		kind := s.Kind
		switch {
		case s.Kind == SanctionBan:
			kind = SanctionSuspension
		case !ch.Until.Before(*s.Until):
			return "", ModerationNotice{}, Errorf(EINVALID, "sanction.not_shorter",
				map[string]any{"Until": FormatSanctionDate(*s.Until)}).OnField("until")
		}
		if _, err := tx.ExecContext(ctx, shortenSanction, s.ID, kind, *ch.Until); err != nil {
			return "", ModerationNotice{}, Internal("shortening a sanction", err)
		}
		return LogSanctionShorten, ModerationNotice{Action: ModerationShortened, Kind: kind, Until: ch.Until}, nil
	})
}

// SanctionsOf lists every sanction of a member by name, newest first
// (staff only).
func (db *DB) SanctionsOf(ctx context.Context, username string) ([]Sanction, error) {
	if err := RequireStaff(ctx); err != nil {
		return nil, err
	}
	m, err := db.MemberByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	if m.Status == "deleted" {
		return nil, Errorf(ENOTFOUND, "member.not_found", nil)
	}
	return db.MemberSanctions(ctx, m.ID)
}
