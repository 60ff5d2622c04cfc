package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// stringArray passes a list of strings as one PostgreSQL text[] parameter.
func stringArray(s ...string) pq.StringArray { return pq.StringArray(s) }

const sanctionColumns = `id, member_id, kind, reason, until, created_by, created_at, revoked_at,
	appealed_at, appeal_text, appeal_outcome`

// sanctionState is a member's sanctions in force, as the moderation log
// records them before and after a change.
type sanctionState struct {
	SilencedUntil  *time.Time `db:"silenced_until" json:"silenced_until"`
	SuspendedUntil *time.Time `db:"suspended_until" json:"suspended_until"`
	BannedAt       *time.Time `db:"banned_at" json:"banned_at"`
	SanctionReason string     `db:"sanction_reason" json:"sanction_reason"`
}

const lockMemberForSanction = `SELECT ` + memberColumns + ` FROM members WHERE id = $1 FOR UPDATE`

// lockTarget reads and locks the member a moderator acts on; deleted
// accounts are not found.
func lockTarget(ctx context.Context, tx *sqlx.Tx, id int64) (*Member, error) {
	var m Member
	if err := tx.GetContext(ctx, &m, lockMemberForSanction, id); err != nil {
		return nil, notFound(err, "member.not_found", "reading a member")
	}
	if m.Status == "deleted" {
		return nil, Errorf(ENOTFOUND, "member.not_found", nil)
	}
	return &m, nil
}

func stateOf(m *Member) sanctionState {
	return sanctionState{SilencedUntil: m.SilencedUntil, SuspendedUntil: m.SuspendedUntil, BannedAt: m.BannedAt, SanctionReason: m.SanctionReason}
}

const insertSanction = `
INSERT INTO sanctions (member_id, kind, reason, until, created_by) VALUES ($1, $2, $3, $4, $5)
RETURNING ` + sanctionColumns

const applySanctionColumns = `
UPDATE members SET silenced_until = $2, suspended_until = $3, banned_at = $4, sanction_reason = $5
WHERE id = $1`

// Sanction applies a sanction (staff only; moderators may not sanction
// other moderators or admins): it is recorded, put in force on the member,
// written to the moderation log, and a suspension or ban ends the member's
// sessions. It ends by itself at its date.
func (db *DB) Sanction(ctx context.Context, o SanctionOrder) (*Sanction, error) {
	var out *Sanction
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = SanctionTx(ctx, tx, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sanctionNotices are the notification actions of the sanctions.
var sanctionNotices = map[string]string{
	SanctionWarning: ModerationWarning, SanctionSilence: ModerationSilence,
	SanctionSuspension: ModerationSuspension, SanctionBan: ModerationBan,
}

// SanctionTx is Sanction in tx, for decisions that change more than the
// member (the review queue resolving an item); the member is notified in tx.
func SanctionTx(ctx context.Context, tx *sqlx.Tx, o SanctionOrder) (*Sanction, error) {
	now := time.Now()
	if err := o.validate(now); err != nil {
		return nil, err
	}
	var out Sanction
	err := func() error {
		target, err := lockTarget(ctx, tx, o.MemberID)
		if err != nil {
			return err
		}
		if err := mayModerate(ctx, target); err != nil {
			return err
		}
		before := stateOf(target)
		after := before
		switch o.Kind {
		case SanctionSilence:
			after.SilencedUntil, after.SanctionReason = o.Until, o.Reason
		case SanctionSuspension:
			after.SuspendedUntil, after.SanctionReason = o.Until, o.Reason
		case SanctionBan:
			after.BannedAt, after.SanctionReason = &now, o.Reason
		}
		if err := tx.GetContext(ctx, &out, insertSanction, o.MemberID, o.Kind, o.Reason, o.Until, actorID(ctx)); err != nil {
			return Internal("recording a sanction", err)
		}
		if o.Kind != SanctionWarning {
			if _, err := tx.ExecContext(ctx, applySanctionColumns, target.ID, after.SilencedUntil, after.SuspendedUntil, after.BannedAt, after.SanctionReason); err != nil {
				return Internal("applying a sanction", err)
			}
		}
		if o.Kind == SanctionSuspension || o.Kind == SanctionBan {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1`, target.ID); err != nil {
				return Internal("ending sessions", err)
			}
		}
		logged := map[string]any{"sanction_id": out.ID, "until": o.Until, "state": after}
		if o.ReviewItemID != nil {
			logged["review_item"] = *o.ReviewItemID
		}
		if err := LogTx(ctx, tx, LogEntry{
			Action: sanctionLogActions[o.Kind], TargetType: "member", TargetID: &target.ID, Reason: o.Reason,
			Before: before, After: logged,
		}); err != nil {
			return err
		}
		if o.Kind == SanctionWarning {
			if err := warnByMessageTx(ctx, tx, target, o.Reason); err != nil {
				return err
			}
		}
		notice := ModerationNotice{Action: sanctionNotices[o.Kind], Reason: o.Reason,
			ThreadID: o.ThreadID, PostID: o.PostID, Kind: o.Kind, Until: o.Until}
		if o.Kind == SanctionSuspension || o.Kind == SanctionBan {
			// The member cannot log in: the mail links to the page that
			// says why and takes their appeal.
			if notice.NoticeToken, err = createNoticeTokenTx(ctx, tx, target.ID, target.Email, o.Until); err != nil {
				return err
			}
		}
		return NotifyModerationTx(ctx, tx, target.ID, notice)
	}()
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Warn, Silence, Suspend and Ban are Sanction with a kind.
func (db *DB) Warn(ctx context.Context, memberID int64, reason string) (*Sanction, error) {
	return db.Sanction(ctx, SanctionOrder{MemberID: memberID, Kind: SanctionWarning, Reason: reason})
}

// Silence keeps a member from posting until a date.
func (db *DB) Silence(ctx context.Context, memberID int64, reason string, until time.Time) (*Sanction, error) {
	return db.Sanction(ctx, SanctionOrder{MemberID: memberID, Kind: SanctionSilence, Reason: reason, Until: &until})
}

// Suspend keeps a member from logging in until a date.
func (db *DB) Suspend(ctx context.Context, memberID int64, reason string, until time.Time) (*Sanction, error) {
	return db.Sanction(ctx, SanctionOrder{MemberID: memberID, Kind: SanctionSuspension, Reason: reason, Until: &until})
}

// Ban keeps a member out for good (until lifted).
func (db *DB) Ban(ctx context.Context, memberID int64, reason string) (*Sanction, error) {
	return db.Sanction(ctx, SanctionOrder{MemberID: memberID, Kind: SanctionBan, Reason: reason})
}

const lockSanctionsInForceOfKind = `SELECT ` + sanctionColumns + ` FROM sanctions
WHERE member_id = $1 AND kind = $2 AND revoked_at IS NULL AND (until IS NULL OR until > now())
ORDER BY id FOR UPDATE`

// LiftSanction ends the member's sanctions of one kind in force (silence,
// suspension or ban) before their date, with a reason for the log. Same
// permissions as Sanction. Each sanction is lifted as LiftSanctionByID
// lifts it, logged as sanction.lift.
func (db *DB) LiftSanction(ctx context.Context, memberID int64, kind, reason string) error {
	if kind != SanctionSilence && kind != SanctionSuspension && kind != SanctionBan {
		return Errorf(EINVALID, "sanction.kind_invalid", nil).OnField("kind")
	}
	reason, err := cleanText(reason, "reason", SanctionReasonMaxLength)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		target, err := lockTarget(ctx, tx, memberID)
		if err != nil {
			return err
		}
		if err := mayModerate(ctx, target); err != nil {
			return err
		}
		var inForce []Sanction
		if err := tx.SelectContext(ctx, &inForce, lockSanctionsInForceOfKind, target.ID, kind); err != nil {
			return Internal("reading sanctions", err)
		}
		if len(inForce) == 0 {
			return Errorf(ECONFLICT, "sanction.none_in_force", nil)
		}
		for i := range inForce {
			if _, err := applySanctionChangeTx(ctx, tx, &inForce[i], target, reason, nil, lift(ctx, false)); err != nil {
				return err
			}
			if target, err = lockTarget(ctx, tx, memberID); err != nil {
				return err
			}
		}
		return nil
	})
}

const selectMemberSanctions = `SELECT ` + sanctionColumns + ` FROM sanctions WHERE member_id = $1
ORDER BY created_at DESC, id DESC`

// MemberSanctions lists every sanction a member received, newest first: the
// member sees their own, staff see anyone's.
func (db *DB) MemberSanctions(ctx context.Context, memberID int64) ([]Sanction, error) {
	a := ActorFrom(ctx)
	if !a.IsStaff() && (a.Member == nil || a.Member.ID != memberID) {
		if a.Member == nil {
			return nil, Errorf(EUNAUTHORIZED, "error.unauthorized", nil)
		}
		return nil, Errorf(EFORBIDDEN, "error.forbidden", nil)
	}
	out := []Sanction{}
	err := db.pool.SelectContext(ctx, &out, selectMemberSanctions, memberID)
	return out, Internal("listing sanctions", err)
}

const selectSanctionInForce = `SELECT ` + sanctionColumns + ` FROM sanctions
WHERE member_id = $1 AND kind = ANY($2) AND revoked_at IS NULL AND (until IS NULL OR until > now())
ORDER BY (kind = 'ban') DESC, until DESC NULLS FIRST, id DESC
LIMIT 1`

// SuspensionNoticeFor returns why and until when a member may not log in,
// or ENOTFOUND when they may. Part of the login path: no permission check,
// it tells the member about themselves.
func (db *DB) SuspensionNoticeFor(ctx context.Context, memberID int64) (*SuspensionNotice, error) {
	var s Sanction
	err := db.pool.GetContext(ctx, &s, selectSanctionInForce, memberID, stringArray(SanctionSuspension, SanctionBan))
	if err != nil {
		return nil, notFound(err, "sanction.not_suspended", "reading a suspension")
	}
	return &SuspensionNotice{Kind: s.Kind, Reason: s.Reason, Since: s.CreatedAt, Until: s.Until}, nil
}

// RequirePoster returns the member of ctx when they may post now; a
// silenced, suspended or banned member gets EFORBIDDEN saying until when and
// why, and a member who signed up EFORBIDDEN asking them to confirm their
// email address first (Member.MustConfirmEmail).
func (db *DB) RequirePoster(ctx context.Context) (*Member, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if !m.IsSilenced(now) {
		if m.MustConfirmEmail() {
			return nil, Errorf(EFORBIDDEN, "auth.confirm_email_to_post", map[string]any{"Email": m.Email})
		}
		if err := db.RequireGuidelinesAccepted(ctx, m); err != nil {
			return nil, err
		}
		return m, nil
	}
	if m.IsBanned() {
		return nil, Errorf(EFORBIDDEN, "sanction.banned_cannot_post", map[string]any{"Reason": m.SanctionReason})
	}
	kinds := []string{SanctionSilence}
	until := m.SilencedUntil
	if m.IsSuspended(now) {
		kinds, until = []string{SanctionSuspension}, m.SuspendedUntil
	}
	reason := m.SanctionReason
	var s Sanction
	if err := db.pool.GetContext(ctx, &s, selectSanctionInForce, m.ID, stringArray(kinds...)); err == nil {
		reason = s.Reason
	}
	return nil, Errorf(EFORBIDDEN, "sanction.silenced_cannot_post", map[string]any{
		"Until": FormatSanctionDate(*until), "Reason": reason,
	})
}

const appealSanction = `
UPDATE sanctions SET appealed_at = now(), appeal_text = $3
WHERE id = $1 AND member_id = $2 AND appealed_at IS NULL AND revoked_at IS NULL
RETURNING ` + sanctionColumns

// AppealSanction records the sanctioned member's appeal, once per sanction.
// The review queue (issue 6) picks appeals up from there.
func (db *DB) AppealSanction(ctx context.Context, sanctionID int64, text string) (*Sanction, error) {
	m, err := RequireMember(ctx)
	if err != nil {
		return nil, err
	}
	text, err = cleanText(text, "appeal", AppealMaxLength)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, Errorf(EINVALID, "sanction.appeal_required", nil).OnField("appeal")
	}
	var s Sanction
	err = db.pool.GetContext(ctx, &s, appealSanction, sanctionID, m.ID, text)
	if err == nil {
		return &s, nil
	}
	if ErrorCode(notFound(err, "", "")) != ENOTFOUND {
		return nil, Internal("appealing a sanction", err)
	}
	// Nothing updated: unknown, someone else's, already appealed or lifted.
	if err := db.pool.GetContext(ctx, &s, `SELECT `+sanctionColumns+` FROM sanctions WHERE id = $1 AND member_id = $2`, sanctionID, m.ID); err != nil {
		return nil, notFound(err, "sanction.not_found", "reading a sanction")
	}
	if s.RevokedAt != nil {
		return nil, Errorf(ECONFLICT, "sanction.already_lifted", nil)
	}
	return nil, Errorf(ECONFLICT, "sanction.already_appealed", nil)
}
