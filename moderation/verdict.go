package moderation

import (
	"cmp"
	"slices"

	"github.com/palabre/palabre/forum"
)

// Outcomes of the verdict on a submitted text.
const (
	OutcomePublish         = "publish"          // published as written
	OutcomePublishCensored = "publish_censored" // published with watched words masked
	OutcomeHold            = "hold"             // stored, published once a moderator approves
	OutcomeReject          = "reject"           // refused: nothing is stored
)

// Verdict is what the guidelines decided about a text, and why.
type Verdict struct {
	Outcome string `json:"outcome"`
	// Flagged is set when a flag rule hit a text that is published or held:
	// it waits in the review queue.
	Flagged bool `json:"flagged"`
	// Reasons are the rules that hit the text, the strongest action first,
	// each once.
	Reasons []Reason `json:"reasons"`
}

// Reason is one rule that hit a text, in words its author understands: a
// message key of the catalogue (rules.*) and its arguments.
type Reason struct {
	Rule    forum.RuleRef  `json:"rule"`
	Action  string         `json:"action"`
	Key     string         `json:"key"`
	Args    map[string]any `json:"args,omitempty"`
	Excerpt string         `json:"excerpt,omitempty"` // the text that hit, for moderators
	// field is the form field at fault: "title" or "body".
	field string
	// rateLimited marks the reasons of rate rules, which refuse with
	// ERATELIMITED rather than EREJECTED.
	rateLimited bool
}

// Deciding returns the reasons whose action decided the outcome: what the
// author is told (a flag is not shown to the author).
func (v *Verdict) Deciding() []Reason {
	if len(v.Reasons) == 0 {
		return nil
	}
	top := v.Reasons[0].Action
	if top == ActionFlag {
		return nil
	}
	n := 0
	for n < len(v.Reasons) && v.Reasons[n].Action == top {
		n++
	}
	return v.Reasons[:n]
}

// Rules returns the rules of the deciding reasons.
func (v *Verdict) Rules() []forum.RuleRef {
	var out []forum.RuleRef
	for _, r := range v.Deciding() {
		if !slices.Contains(out, r.Rule) {
			out = append(out, r.Rule)
		}
	}
	return out
}

// add records a rule's hit; a rule counts once, with its first reason.
func (v *Verdict) add(r Reason) {
	for _, have := range v.Reasons {
		if have.Rule.ID == r.Rule.ID && have.Key == r.Key {
			return
		}
	}
	v.Reasons = append(v.Reasons, r)
}

// decide orders the reasons, strongest action first, and sets the outcome:
// block > hold > flag > censor > publish.
func (v *Verdict) decide() {
	slices.SortStableFunc(v.Reasons, func(a, b Reason) int {
		return cmp.Compare(actionStrength(b.Action), actionStrength(a.Action))
	})
	v.Outcome, v.Flagged = OutcomePublish, false
	censored := false
	for _, r := range v.Reasons {
		switch r.Action {
		case ActionFlag:
			v.Flagged = true
		case ActionCensor:
			censored = true
		}
	}
	switch {
	case len(v.Reasons) == 0:
	case v.Reasons[0].Action == ActionBlock:
		v.Outcome, v.Flagged = OutcomeReject, false
	case v.Reasons[0].Action == ActionHold:
		v.Outcome = OutcomeHold
	case censored:
		v.Outcome = OutcomePublishCensored
	}
}

// merge adds the reasons of w to v and decides again.
func (v *Verdict) merge(w Verdict) {
	for _, r := range w.Reasons {
		v.add(r)
	}
	v.decide()
}

// Err returns the error that refuses a rejected text, nil otherwise: the
// first deciding reason's message (it names its rule) and every rule that
// refused. A text refused only by rate rules gets ERATELIMITED: waiting is
// enough.
func (v *Verdict) Err() error {
	if v.Outcome != OutcomeReject {
		return nil
	}
	deciding := v.Deciding()
	code := forum.ERATELIMITED
	for _, r := range deciding {
		if !r.rateLimited {
			code = forum.EREJECTED
		}
	}
	first := deciding[0]
	field := first.field
	if field == "" {
		field = "body"
	}
	return forum.Errorf(code, first.Key, first.Args).OnField(field).WithRules(v.Rules())
}

// Status is the status a text with this verdict is stored with.
func (v *Verdict) Status() string {
	if v.Outcome == OutcomeHold {
		return forum.StatusHeld
	}
	return forum.StatusPublished
}
