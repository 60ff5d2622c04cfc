package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

// Proposal is the sanction the escalation ladder proposes for a member's
// next offence, from the sanctions they already had (lifted ones do not
// count).
type Proposal struct {
	Kind     string        `json:"kind"`     // a forum.Sanction* kind
	Action   string        `json:"action"`   // the decision that applies it: warn, silence, suspend, ban
	Duration string        `json:"duration"` // "24h", "7d"; empty for warnings and bans
	Previous int           `json:"previous"` // sanctions the member had
	length   time.Duration //
}

// until is the end of the proposed sanction, from now.
func (p *Proposal) until() *time.Time {
	if p.length == 0 {
		return nil
	}
	t := time.Now().Add(p.length)
	return &t
}

var actionOfKind = map[string]string{
	forum.SanctionWarning: ActWarn, forum.SanctionSilence: ActSilence,
	forum.SanctionSuspension: ActSuspend, forum.SanctionBan: ActBan,
}

// FormatDuration writes a duration as the forms read it: whole days as
// "7d", otherwise hours and minutes ("24h", "90m").
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

const countSanctions = `SELECT count(*) FROM sanctions WHERE member_id = $1 AND revoked_at IS NULL`

// proposeTx reads the next step of the ladder for a member; nil when the
// ladder is empty.
func proposeTx(ctx context.Context, q sqlx.QueryerContext, s *forum.Settings, memberID int64) (*Proposal, error) {
	if len(s.EscalationLadder) == 0 {
		return nil, nil
	}
	var n int
	if err := sqlx.GetContext(ctx, q, &n, countSanctions, memberID); err != nil {
		return nil, forum.Internal("counting sanctions", err)
	}
	step, err := forum.ParseEscalationStep(s.EscalationLadder[min(n, len(s.EscalationLadder)-1)])
	if err != nil {
		return nil, nil // a ladder that no longer parses proposes nothing
	}
	return &Proposal{Kind: step.Kind, Action: actionOfKind[step.Kind], Duration: FormatDuration(step.Duration),
		Previous: n, length: step.Duration}, nil
}
