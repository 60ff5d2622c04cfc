package moderation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/palabre/palabre/forum"
)

// ChannelRules is the NOTIFY channel of rule changes: every instance
// rebuilds its compiled rules.
const ChannelRules = "palabre_rules"

// ruleSet is the enabled rules compiled for the pipeline: the watched words
// of every words rule in one automaton, and the other rules by kind. It is
// never changed once built, so requests read it without locking.
type ruleSet struct {
	byID       map[int64]*Rule
	words      *WordMatcher
	links      []*Rule
	mentions   []*Rule
	newMembers []*Rule
	rate       []*Rule
	duplicates []*Rule
}

// compileRules builds the rule set of rules; disabled rules are left out.
func compileRules(rules []*Rule) *ruleSet {
	rs := &ruleSet{byID: make(map[int64]*Rule, len(rules))}
	var words []WatchedWord
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		rs.byID[r.ID] = r
		switch r.Kind {
		case KindWords:
			for _, p := range r.Patterns {
				words = append(words, WatchedWord{RuleID: r.ID, Pattern: p})
			}
			for _, p := range r.Exceptions {
				words = append(words, WatchedWord{RuleID: r.ID, Pattern: p, Exception: true})
			}
		case KindLinks:
			rs.links = append(rs.links, r)
		case KindMentions:
			rs.mentions = append(rs.mentions, r)
		case KindNewMembers:
			rs.newMembers = append(rs.newMembers, r)
		case KindRate:
			rs.rate = append(rs.rate, r)
		case KindDuplicates:
			rs.duplicates = append(rs.duplicates, r)
		}
	}
	if len(words) > 0 {
		rs.words = CompileWatchedWords(words)
	}
	return rs
}

// ruleCache holds a pipeline's compiled rules behind an atomic pointer:
// requests read it, a rebuild swaps it.
type ruleCache struct {
	current atomic.Pointer[ruleSet]
	build   sync.Mutex // one build at a time
	// The rebuilder (RunRuleRebuilds), which Main runs: whether it runs,
	// and the signal that asks it for a rebuild.
	mu      sync.Mutex
	running bool
	wake    chan struct{}
}

// ruleSet returns the compiled rules, building them on first use.
func (p *Pipeline) ruleSet(ctx context.Context) (*ruleSet, error) {
	if rs := p.rules.current.Load(); rs != nil {
		return rs, nil
	}
	p.rules.build.Lock()
	defer p.rules.build.Unlock()
	if rs := p.rules.current.Load(); rs != nil {
		return rs, nil
	}
	return p.reloadRules(ctx)
}

// reloadRules reads the enabled rules and swaps in their compiled set. The
// caller holds p.rules.build.
func (p *Pipeline) reloadRules(ctx context.Context) (*ruleSet, error) {
	rules, err := p.loadRules(ctx, true)
	if err != nil {
		return nil, err
	}
	rs := compileRules(rules)
	p.rules.current.Store(rs)
	return rs, nil
}

// RulesChanged has the compiled rules rebuilt (NOTIFY handler; also
// called when a change made through this pipeline could not be applied at
// once): by the rebuilder, in the background, when it runs (calls that come
// while a rebuild waits to start share it; a change that comes while one
// reads the rules gets a new one), or at once otherwise (a command, a test).
func (p *Pipeline) RulesChanged() {
	p.rules.mu.Lock()
	if p.rules.running {
		select {
		case p.rules.wake <- struct{}{}:
		default: // a rebuild is already asked for
		}
		p.rules.mu.Unlock()
		return
	}
	p.rules.mu.Unlock()
	p.rebuildRules()
}

// RunRuleRebuilds rebuilds the compiled rules each time RulesChanged asks,
// until ctx ends. Main runs it beside the listener whose notifications ask.
func (p *Pipeline) RunRuleRebuilds(ctx context.Context) error {
	p.rules.mu.Lock()
	if p.rules.wake == nil {
		p.rules.wake = make(chan struct{}, 1)
	}
	p.rules.running = true
	wake := p.rules.wake
	p.rules.mu.Unlock()
	defer func() {
		p.rules.mu.Lock()
		p.rules.running = false
		p.rules.mu.Unlock()
	}()
	for {
		select {
		case <-wake:
			p.rebuildRules()
		case <-ctx.Done():
			return nil
		}
	}
}

// rebuildRules reads and compiles the rules again.
func (p *Pipeline) rebuildRules() {
	p.rules.build.Lock()
	defer p.rules.build.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.reloadRules(ctx); err != nil {
		// The previous rules stay in force; the next notification (a
		// reconnection calls every handler) tries again.
		slog.Warn("rebuilding the guideline rules", "error", err)
	}
}

// RegisterCaches registers the pipeline's compiled rules on inv: a
// notification rebuilds them.
func (p *Pipeline) RegisterCaches(inv *forum.Invalidations) {
	inv.On(ChannelRules, func(string) { p.RulesChanged() })
}

// rulesUpdatedHere swaps in the rules after a change made through this
// pipeline, at once, so that the admin who made it sees it applied; other
// instances learn of it through NOTIFY.
func (p *Pipeline) rulesUpdatedHere(ctx context.Context) {
	p.rules.build.Lock()
	_, err := p.reloadRules(forum.WithSystem(context.WithoutCancel(ctx)))
	p.rules.build.Unlock()
	if err != nil {
		slog.Warn("rebuilding the guideline rules", "error", err)
		p.RulesChanged()
	}
}
