package forum

import (
	"strconv"
	"strings"
	"time"
)

// EscalationStep is one rung of the escalation ladder (setting
// escalation_ladder): a kind of sanction and, for silences and
// suspensions, how long.
type EscalationStep struct {
	Kind     string        // SanctionWarning, SanctionSilence, SanctionSuspension or SanctionBan
	Duration time.Duration // silences and suspensions only
}

// ladderKinds are the words of the ladder, as admins write them.
var ladderKinds = map[string]string{
	"warn": SanctionWarning, "silence": SanctionSilence, "suspend": SanctionSuspension, "ban": SanctionBan,
}

// ParseDuration reads a sanction's duration: Go's notation ("24h", "90m")
// or whole days ("7d"). It must be positive and at most SanctionMaxDuration.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
		if n > int(SanctionMaxDuration/(24*time.Hour)) {
			d = SanctionMaxDuration + 1
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	switch {
	case err != nil || d <= 0:
		return 0, Errorf(EINVALID, "review.duration_invalid", nil).OnField("duration")
	case d > SanctionMaxDuration:
		return 0, Errorf(EINVALID, "sanction.until_too_far", nil).OnField("duration")
	}
	return d, nil
}

// ParseEscalationStep reads "warn", "silence:24h", "suspend:7d" or "ban".
func ParseEscalationStep(s string) (EscalationStep, error) {
	word, dur, hasDur := strings.Cut(strings.TrimSpace(s), ":")
	kind, ok := ladderKinds[word]
	bad := Errorf(EINVALID, "review.escalation_step_invalid", map[string]any{"Step": s}).OnField("escalation_ladder")
	if !ok {
		return EscalationStep{}, bad
	}
	timed := kind == SanctionSilence || kind == SanctionSuspension
	if timed != hasDur {
		return EscalationStep{}, bad
	}
	step := EscalationStep{Kind: kind}
	if timed {
		d, err := ParseDuration(dur)
		if err != nil {
			return EscalationStep{}, bad
		}
		step.Duration = d
	}
	return step, nil
}

// ValidateEscalationLadder checks every step of a ladder (an empty ladder
// proposes nothing).
func ValidateEscalationLadder(ladder []string) error {
	if len(ladder) > 10 {
		return Errorf(EINVALID, "settings.out_of_range", map[string]any{"Min": 0, "Max": 10}).OnField("escalation_ladder")
	}
	for _, s := range ladder {
		if _, err := ParseEscalationStep(s); err != nil {
			return err
		}
	}
	return nil
}
