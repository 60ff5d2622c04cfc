package forum

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kinds of sanction, from the mildest.
const (
	SanctionWarning    = "warning"    // a message on record, nothing else
	SanctionSilence    = "silence"    // can read, cannot post, until a date
	SanctionSuspension = "suspension" // cannot log in, until a date
	SanctionBan        = "ban"        // cannot log in, for good
)

// Bounds of the texts of a sanction, in runes.
const (
	SanctionReasonMaxLength = 1000
	AppealMaxLength         = 2000
	// SanctionMaxDuration is the longest silence or suspension: beyond, ban.
	SanctionMaxDuration = 10 * 365 * 24 * time.Hour
)

// Sanction is a measure a moderator took against a member, with the reason
// the member sees.
type Sanction struct {
	ID            int64      `db:"id" json:"id"`
	MemberID      int64      `db:"member_id" json:"member_id"`
	Kind          string     `db:"kind" json:"kind"`
	Reason        string     `db:"reason" json:"reason"`
	Until         *time.Time `db:"until" json:"until,omitempty"`
	CreatedBy     *int64     `db:"created_by" json:"-"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	RevokedAt     *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
	AppealedAt    *time.Time `db:"appealed_at" json:"appealed_at,omitempty"`
	AppealText    string     `db:"appeal_text" json:"appeal_text,omitempty"`
	AppealOutcome string     `db:"appeal_outcome" json:"appeal_outcome,omitempty"`
}

// InForce reports whether the sanction still applies at now: not lifted,
// and not past its date (warnings are never "in force", bans always are).
func (s *Sanction) InForce(now time.Time) bool {
	if s.RevokedAt != nil || s.Kind == SanctionWarning {
		return false
	}
	return s.Until == nil || now.Before(*s.Until)
}

// CanAppeal reports whether the member may still appeal the sanction.
func (s *Sanction) CanAppeal() bool { return s.AppealedAt == nil && s.RevokedAt == nil }

// SanctionOrder is what a moderator decides: a kind, the reason the member
// will read and, for silences and suspensions, the end.
type SanctionOrder struct {
	MemberID int64
	Kind     string
	Reason   string
	Until    *time.Time
	// What the sanction answers, when it comes from the review queue: the
	// member's notification links to it and the log records it.
	ThreadID, PostID, ReviewItemID *int64
}

// validate checks the order at now and cleans its reason.
func (o *SanctionOrder) validate(now time.Time) error {
	reason, err := cleanText(o.Reason, "reason", SanctionReasonMaxLength)
	if err != nil {
		return err
	}
	if reason == "" {
		return Errorf(EINVALID, "sanction.reason_required", nil).OnField("reason")
	}
	o.Reason = reason
	switch o.Kind {
	case SanctionWarning, SanctionBan:
		o.Until = nil
	case SanctionSilence, SanctionSuspension:
		switch {
		case o.Until == nil:
			return Errorf(EINVALID, "sanction.until_required", nil).OnField("until")
		case !o.Until.After(now):
			return Errorf(EINVALID, "sanction.until_past", nil).OnField("until")
		case o.Until.Sub(now) > SanctionMaxDuration:
			return Errorf(EINVALID, "sanction.until_too_far", nil).OnField("until")
		}
	default:
		return Errorf(EINVALID, "sanction.kind_invalid", nil).OnField("kind")
	}
	return nil
}

// cleanText checks a plain text typed by a person: valid UTF-8, no control
// characters but newlines and tabs, at most max runes; it returns it trimmed
// with \n line endings.
func cleanText(s, field string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "text.invalid_utf8", nil).OnField(field)
	}
	return checkText(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), field, max)
}

// checkText is cleanText without the trimming, for a text kept as typed (a
// draft): s must be valid UTF-8; \r\n line endings become \n.
func checkText(s, field string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "text.invalid_utf8", nil).OnField(field)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		// U+FFFD is what a decoder leaves of invalid bytes (JSON does so
		// silently): nobody types it.
		if r == utf8.RuneError {
			return "", Errorf(EINVALID, "text.invalid_utf8", nil).OnField(field)
		}
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", Errorf(EINVALID, "text.control_chars", nil).OnField(field)
		}
	}
	if utf8.RuneCountInString(s) > max {
		return "", Errorf(ETOOLARGE, "text.too_long", map[string]any{"Max": max}).OnField(field)
	}
	return s, nil
}

// mayModerate checks that the actor of ctx may sanction or lift a sanction
// on target: staff only; moderators may not act on other staff; nobody acts
// on themselves.
func mayModerate(ctx context.Context, target *Member) error {
	if err := RequireStaff(ctx); err != nil {
		return err
	}
	a := ActorFrom(ctx)
	if a.System {
		return nil
	}
	if a.Member.ID == target.ID {
		return Errorf(EFORBIDDEN, "sanction.self", nil)
	}
	if target.IsStaff() && !a.Member.IsAdmin() {
		return Errorf(EFORBIDDEN, "sanction.target_staff", nil)
	}
	return nil
}

// FormatSanctionDate is how sanction ends appear in messages: unambiguous in
// every language.
func FormatSanctionDate(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// SuspensionNotice is what a suspended or banned member is told when they
// try to log in: since when, until when (nil for a ban) and why.
type SuspensionNotice struct {
	Kind   string
	Reason string
	Since  time.Time
	Until  *time.Time
}
