package forum

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// A suspended or banned member cannot log in, yet reads why, until when,
// under which rule, and appeals, on a page reached with a link of its own
// purpose: mailed with the sanction, and given when a log-in is refused.
// The link opens that page and nothing else.

// MailNotifySanction is the mail that tells a member about a sanction or
// its change: what was decided, until when, why, how to appeal.
const MailNotifySanction = "notify_sanction"

// TokenSanctionNotice is the purpose of the notice page's links.
const TokenSanctionNotice = "sanction_notice"

// noticeTokenGrace is how long a notice link outlives the suspension it
// shows (an appeal may come late); bans' links last a year.
const (
	noticeTokenGrace   = 30 * 24 * time.Hour
	noticeTokenBanLife = 365 * 24 * time.Hour
)

// createNoticeTokenTx stores a new notice link for a member. Earlier links
// stay valid (the mailed one and those given at each refused log-in).
func createNoticeTokenTx(ctx context.Context, tx sqlx.ExecerContext, memberID int64, email string, until *time.Time) (string, error) {
	ttl := noticeTokenBanLife
	if until != nil {
		ttl = time.Until(*until) + noticeTokenGrace
	}
	plain, hash, err := NewToken("")
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, insertEmailToken, hash, memberID, TokenSanctionNotice, email, ttl.Seconds()); err != nil {
		return "", Internal("storing a link", err)
	}
	return plain, nil
}

// SanctionNoticePage is what the notice page shows: what keeps the member
// out (Kind "" when nothing does any more), since and until when, why, and
// whether they may still appeal.
type SanctionNoticePage struct {
	Username string
	Kind     string // SanctionSuspension or SanctionBan; "" when lifted or over
	Reason   string
	Since    *time.Time
	Until    *time.Time // nil for a ban
	Sanction *Sanction  // the sanction recorded, nil for one set by hand
}

// CanAppeal reports whether the page offers the appeal form.
func (p *SanctionNoticePage) CanAppeal() bool { return p.Sanction != nil && p.Sanction.CanAppeal() }

// SanctionNoticeByToken reads the notice page of a link. No session is
// needed: the link is the member's proof. An unknown or expired link is
// EINVALID.
func (db *DB) SanctionNoticeByToken(ctx context.Context, token string) (*SanctionNoticePage, error) {
	row, err := emailToken(ctx, db.pool, token, TokenSanctionNotice, false)
	if err != nil {
		return nil, err
	}
	var m Member
	if err := db.pool.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE id = $1 AND status <> 'deleted'`, row.MemberID); err != nil {
		if ErrorCode(notFound(err, "", "")) == ENOTFOUND {
			return nil, tokenInvalid()
		}
		return nil, Internal("reading a member", err)
	}
	page := &SanctionNoticePage{Username: m.Username}
	now := time.Now()
	switch {
	case m.IsBanned():
		page.Kind, page.Since = SanctionBan, m.BannedAt
	case m.IsSuspended(now):
		page.Kind, page.Until = SanctionSuspension, m.SuspendedUntil
	default:
		return page, nil
	}
	page.Reason = m.SanctionReason
	var s Sanction
	err = db.pool.GetContext(ctx, &s, selectSanctionInForce, m.ID, stringArray(SanctionSuspension, SanctionBan))
	switch {
	case err == nil:
		page.Sanction, page.Kind, page.Reason, page.Since, page.Until = &s, s.Kind, s.Reason, &s.CreatedAt, s.Until
	case ErrorCode(notFound(err, "", "")) != ENOTFOUND:
		return nil, Internal("reading a sanction", err)
	}
	return page, nil
}

// AppealByToken records the appeal of the sanction a notice link shows,
// as the member it was sent to: it reaches the review queue like every
// appeal.
func (db *DB) AppealByToken(ctx context.Context, token, text string) (*Sanction, error) {
	row, err := emailToken(ctx, db.pool, token, TokenSanctionNotice, false)
	if err != nil {
		return nil, err
	}
	page, err := db.SanctionNoticeByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if page.Sanction == nil {
		return nil, Errorf(ECONFLICT, "sanction.already_lifted", nil)
	}
	if page.Sanction.AppealedAt != nil {
		return nil, Errorf(ECONFLICT, "sanction.already_appealed", nil)
	}
	var m Member
	if err := db.pool.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE id = $1`, row.MemberID); err != nil {
		return nil, Internal("reading a member", err)
	}
	return db.AppealSanction(WithMember(ctx, &m), page.Sanction.ID, text)
}

// noticeTokenFor gives a member refused at log-in the link to their notice.
func (db *DB) noticeTokenFor(ctx context.Context, m *Member) (string, error) {
	until := m.SuspendedUntil
	if m.IsBanned() {
		until = nil
	}
	var token string
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		token, err = createNoticeTokenTx(ctx, tx, m.ID, m.Email, until)
		return err
	})
	return token, err
}
