package moderation

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestRulesAreForAdmins(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	in := RuleInput{Name: forumtest.Unique("Règle "), Kind: KindWords, Action: ActionHold, Patterns: []string{"zadmin"}}
	for _, role := range []forum.Role{forum.RoleMember, forum.RoleModerator} {
		as := forumtest.As(forumtest.MustMember(t, db, role, forum.TrustLeader))
		if _, err := p.CreateRule(as, in); forum.ErrorCode(err) != forum.EFORBIDDEN {
			t.Errorf("%s creates a rule: %v", role, err)
		}
		if _, err := p.ListRules(as); forum.ErrorCode(err) != forum.EFORBIDDEN {
			t.Errorf("%s lists rules: %v", role, err)
		}
		if _, err := p.TestText(as, "x"); forum.ErrorCode(err) != forum.EFORBIDDEN {
			t.Errorf("%s tests a text: %v", role, err)
		}
	}
	if _, err := p.CreateRule(context.Background(), in); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("a visitor creates a rule: %v", err)
	}
}

func TestRuleLifecycleIsLogged(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader)
	as := forumtest.As(admin)
	word := forumtest.Unique("zcycle")
	in := RuleInput{Name: forumtest.Unique("Cycle "), Description: "Pour tester.", Kind: KindWords, Action: ActionHold, Patterns: []string{word}}
	r, err := p.CreateRule(as, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.CreatedBy == nil || *r.CreatedBy != admin.ID || !r.Enabled {
		t.Errorf("created %+v", r)
	}
	if _, err := p.CreateRule(as, in); forum.AsError(err).Key != "rules.name_taken" {
		t.Errorf("same name: %v", err)
	}
	// Applied at once on this instance.
	if tt, err := p.TestText(as, "un "+word); err != nil || tt.Verdict.Outcome != OutcomeHold || len(tt.Matches) != 1 || tt.Matches[0].Excerpt != word {
		t.Fatalf("test text: %+v %v", tt, err)
	}
	in.Action, in.Enabled = ActionBlock, new(bool)
	up, err := p.UpdateRule(as, r.ID, in)
	if err != nil || up.Action != ActionBlock || up.Enabled {
		t.Fatalf("update: %+v %v", up, err)
	}
	if tt, _ := p.TestText(as, "un "+word); tt.Verdict.Outcome != OutcomePublish {
		t.Errorf("a disabled rule applies: %+v", tt.Verdict)
	}
	if err := p.DeleteRule(as, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteRule(as, r.ID); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("deleted twice: %v", err)
	}
	var actions []string
	if err := db.SQL().Select(&actions, `SELECT action FROM mod_log WHERE target_type = 'rule' AND target_id = $1 AND actor_id = $2 ORDER BY id`, r.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 3 || actions[0] != "rule.create" || actions[1] != "rule.update" || actions[2] != "rule.delete" {
		t.Errorf("log %v", actions)
	}
	var before, after string
	if err := db.SQL().QueryRow(`SELECT before->>'action', after->>'action' FROM mod_log WHERE target_type = 'rule' AND target_id = $1 AND action = 'rule.update'`, r.ID).Scan(&before, &after); err != nil {
		t.Fatal(err)
	}
	if before != ActionHold || after != ActionBlock {
		t.Errorf("update logged %q → %q", before, after)
	}
}

// waitRules waits until p's compiled rules satisfy ok (rebuilt in the
// background); the deadline only tells a lost notification from a slow
// machine.
func waitRules(t *testing.T, p *Pipeline, what string, ok func(*ruleSet) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rs := p.rules.current.Load(); rs != nil && ok(rs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rules were never rebuilt: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A rule created through one instance applies on another, through NOTIFY.
func TestRuleChangesReachEveryInstance(t *testing.T) {
	db := forumtest.DB(t)
	a, b := NewPipeline(db), NewPipeline(db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var inv forum.Invalidations
	b.RegisterCaches(&inv)
	// As Main runs them: the listener, and the rebuilder it asks.
	rebuilder := make(chan error, 1)
	go func() { rebuilder <- b.RunRuleRebuilds(ctx) }()
	go func() { done <- db.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), &inv) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := <-rebuilder; err != nil {
			t.Error(err)
		}
	})
	// Listen calls every handler once it listens: a first build.
	waitRules(t, b, "first build", func(*ruleSet) bool { return true })

	word := forumtest.Unique("znotify")
	r := mustRule(t, a, RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{word}})
	waitRules(t, b, "the new rule on the other instance", func(rs *ruleSet) bool { return rs.byID[r.ID] != nil })
	th := mustThread(t, b)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	out, err := b.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Un " + word})
	if err != nil || out.Post.Status != forum.StatusHeld {
		t.Fatalf("%v %+v", err, out)
	}
}

func TestPreviewRule(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	word := forumtest.Unique("zpreview")
	th := mustThread(t, p)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	for _, body := range []string{"Un " + word + " ici", "Rien à voir", "Encore " + word} {
		if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	imp, err := p.PreviewRule(adminCtx, 0, RuleInput{Name: "Aperçu", Kind: KindWords, Action: ActionHold, Patterns: []string{word}}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Scanned < 3 || imp.Held != 2 || imp.Blocked+imp.Flagged+imp.Censored != 0 || len(imp.Examples) != 2 || imp.Examples[0].Excerpt != word {
		t.Errorf("impact %+v", imp)
	}
	if _, err := p.PreviewRule(adminCtx, 0, RuleInput{Name: "R", Kind: KindRate, Action: ActionBlock}, 50); forum.AsError(err).Key != "rules.preview_unsupported" {
		t.Errorf("rate preview: %v", err)
	}
	if _, err := p.PreviewRule(adminCtx, 0, RuleInput{Name: "R", Kind: KindWords, Action: ActionBlock, Patterns: []string{"x"}}, 0); forum.AsError(err).Key != "rules.preview_count_invalid" {
		t.Errorf("0 posts: %v", err)
	}
}

// Without the rebuilder Main runs (a command, a test), a change's
// notification rebuilds the rules at once, in the listener.
func TestRulesAreRebuiltAtOnceWithoutTheRebuilder(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	before, err := p.ruleSet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.RulesChanged()
	if rs := p.rules.current.Load(); rs == nil || rs == before {
		t.Fatal("RulesChanged returned before the rules were rebuilt")
	}
}
