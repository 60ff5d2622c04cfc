package moderation

import (
	"errors"

	"github.com/palabre/palabre/forum"
)

// VerdictHit is one rule that hit a submitted text, and what it asked.
type VerdictHit struct {
	RuleID int64
	Rule   string // the rule's name
	Action string // ActionBlock, ActionHold, ActionFlag, ActionCensor…
}

// VerdictObserver is told the outcome of every text submitted through the
// pipeline (threads, replies, edits, messages) and the rules that hit it:
// what the server's metrics count. It must not block.
type VerdictObserver func(outcome string, hits []VerdictHit)

// ObserveVerdicts has f told every verdict from now on (set once, before
// the pipeline serves).
func (p *Pipeline) ObserveVerdicts(f VerdictObserver) { p.observer = f }

// submission is what a Submit function answers: it carries its verdict.
type submission interface {
	verdict() *Verdict
}

func (s *Submitted) verdict() *Verdict {
	if s == nil {
		return nil
	}
	return s.Verdict
}

func (s *MessageSubmitted) verdict() *Verdict {
	if s == nil {
		return nil
	}
	return s.Verdict
}

// observed tells the observer the verdict of a submission and passes the
// submission on.
func observed[T submission](p *Pipeline, out T, err error) (T, error) {
	p.observe(out.verdict(), err)
	return out, err
}

// observe tells the observer the verdict of a submission that ended with v
// and err: a stored text's verdict, or a refusal's rules.
func (p *Pipeline) observe(v *Verdict, err error) {
	if p.observer == nil {
		return
	}
	if err == nil {
		if v == nil {
			return
		}
		hits := make([]VerdictHit, len(v.Reasons))
		for i, r := range v.Reasons {
			hits[i] = VerdictHit{RuleID: r.Rule.ID, Rule: r.Rule.Name, Action: r.Action}
		}
		p.observer(v.Outcome, hits)
		return
	}
	// A refusal by the rules names them; other errors (a silenced author,
	// a closed thread, a text too long) are not verdicts.
	var fe *forum.Error
	if !errors.As(err, &fe) || len(fe.Rules) == 0 {
		return
	}
	hits := make([]VerdictHit, len(fe.Rules))
	for i, r := range fe.Rules {
		hits[i] = VerdictHit{RuleID: r.ID, Rule: r.Name, Action: ActionBlock}
	}
	p.observer(OutcomeReject, hits)
}
