package moderation

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/migrations"
)

// defaultRuleSet compiles the default rules as EnsureDefaults stores them.
func defaultRuleSet(t *testing.T, locale string) *ruleSet {
	t.Helper()
	var rules []*Rule
	for i, d := range defaultRules {
		r, err := RuleInput{Name: d.name[locale], Description: d.description[locale], Kind: d.kind, Action: d.action, Patterns: d.patterns, Exceptions: d.exceptions, Params: d.params}.normalize()
		if err != nil {
			t.Fatalf("default rule %q: %v", d.name[locale], err)
		}
		r.ID = int64(i + 1)
		rules = append(rules, r)
	}
	return compileRules(rules)
}

func TestDefaultWatchedWords(t *testing.T) {
	for _, locale := range []string{"fr", "en"} {
		rs := defaultRuleSet(t, locale)
		if len(rs.byID) != len(defaultRules) {
			t.Fatalf("%s: %d rules compiled", locale, len(rs.byID))
		}
	}
	rs := defaultRuleSet(t, "fr")
	hostile := []struct {
		text, outcome string
	}{
		{"Espèce de con !", OutcomeHold},
		{"quel C0NN4RD celui-là", OutcomeHold},
		{"c.o.n.n.a.r.d", OutcomeHold},
		{"Ferme ta gueule.", OutcomeHold},
		{"sal0pe", OutcomeHold},
		{"Tous des nègres", OutcomeReject},
		{"un n.e.g.r.o", OutcomeReject},
		{"sale   arabe", OutcomeReject},
		{"Je vais te tuer.", OutcomeHold},
		{"Casino en ligne : gagnez de l'argent !", OutcomeHold},
		{"VIAGRA pas cher", OutcomeHold},
		{"Voir https://bit.ly/abc", OutcomeHold},
		{"Ce type est un escroc.", OutcomePublish}, // flagged, still published
	}
	for _, tc := range hostile {
		v := rs.checkText(member(2, tc.text), false).Verdict
		if v.Outcome != tc.outcome || len(v.Reasons) == 0 {
			t.Errorf("%q: %s %+v, want %s", tc.text, v.Outcome, v.Reasons, tc.outcome)
		}
	}
	// The Scunthorpe problem, in French: innocent words that contain a
	// watched one, or look like one, pass.
	innocent := []string{
		"Le contenu de l’économie est draconien.",
		"Un consensus, des contes, une conférence, le Conseil, Draconien, content.",
		"Un homme réputé, qui députe et computer science.",
		"Le Monténégro, un negroni, la négritude de Senghor.",
		"Un travail abrutissant, un vrai casse-tête.",
		"J’ai attrapé la crève, mort de rire.",
		"Le pour et le contre ; la reconnaissance ; Saint-Étienne.",
		"Le chiffre d’affaires de la société a progressé, escroquerie exclue.",
		"Des scones, un constat, une connexion, Connecticut, Cassandre.",
		"class Connection: pass # computer, therapist, assassin, Scunthorpe",
	}
	for _, text := range innocent {
		if v := rs.checkText(member(2, text), false).Verdict; len(v.Reasons) > 0 {
			t.Errorf("%q hit %+v", text, v.Reasons)
		}
	}
}

// The demo community posts nothing the default rules would stop.
func TestDemoPassesTheDefaultRules(t *testing.T) {
	rs := defaultRuleSet(t, "fr")
	trust := map[string]int{}
	for _, m := range demoMembers {
		trust[m.name] = m.trust
	}
	check := func(author, title, body string) {
		d := member(trust[author], body)
		d.Title = title
		if v := rs.checkText(d, false).Verdict; len(v.Reasons) > 0 {
			t.Errorf("%s: %q hit %+v", author, body, v.Reasons)
		}
	}
	for _, th := range demoThreads {
		check(th.author, th.title, th.body)
		for _, r := range th.replies {
			check(r.author, "", r.body)
		}
	}
}

func TestEnsureDefaults(t *testing.T) {
	ctx := context.Background()
	url := forumtest.EmptyDatabaseURL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := forum.Open(ctx, url, forum.PoolOptions{MaxConns: 4, WaitFor: 10 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migrations.Up(db.SQL().DB); err != nil {
		t.Fatal(err)
	}
	if err := db.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice is once
		if err := EnsureDefaults(ctx, db, "en"); err != nil {
			t.Fatal(err)
		}
	}
	var rules, versions, logged int
	if err := db.SQL().Get(&rules, `SELECT count(*) FROM rules`); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&versions, `SELECT count(*) FROM guideline_versions`); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&logged, `SELECT count(*) FROM mod_log WHERE action = 'rule.create' AND actor_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	if rules != len(defaultRules) || versions != 1 || logged != len(defaultRules) {
		t.Fatalf("%d rules, %d versions, %d log lines", rules, versions, logged)
	}
	var name, html string
	if err := db.SQL().Get(&name, `SELECT name FROM rules ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&html, `SELECT body_html FROM guideline_versions WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if name != "Insults" || html == "" {
		t.Errorf("first rule %q, guidelines %q", name, html)
	}

	// The defaults apply to a new member's post.
	p := NewPipeline(db)
	sys := forum.WithSystem(ctx)
	m, err := db.CreateMember(sys, forum.NewMember{Username: "newcomer", Email: "newcomer@example.org", Password: forumtest.Password, Role: forum.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := db.CreateCategory(sys, forum.NewCategory{Name: "General"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.SubmitThread(forumtest.As(m), ThreadSubmission{CategoryID: cat.ID, Title: "Hello everyone", Body: "What an asshole."})
	if err != nil {
		t.Fatal(err)
	}
	if out.Post.Status != forum.StatusHeld || out.Verdict.Deciding()[0].Rule.Name != "Insults" {
		t.Errorf("post %s, verdict %+v", out.Post.Status, out.Verdict)
	}
}

// An @ reads as an "a" anywhere in a word, first letter included
// ("@sshole"), but a mention of an existing member is a name: it is not
// read as an insult and stays a link to the member.
func TestLeadingAtEvasionAndRealMentions(t *testing.T) {
	rs := defaultRuleSet(t, "en")
	s := forum.DefaultSettings()
	draft := func(body string, members ...string) textDraft {
		return draftFor(&forum.Member{TrustLevel: 2, Role: forum.RoleMember}, &s, "", body,
			func(n string) bool { return slices.Contains(members, n) })
	}
	for _, text := range []string{"You @sshole.", "what an @ssh0le", "@SSHOLE!", "a real @$$hole"} {
		if v := rs.checkText(draft(text), false).Verdict; v.Outcome != OutcomeHold {
			t.Errorf("%q: %s, want held", text, v.Outcome)
		}
	}
	for _, text := range []string{"Thanks @sshole for the help.", "@sshole: see above", "cc @sshole."} {
		out := rs.checkText(draft(text, "sshole"), false)
		if out.Verdict.Outcome != OutcomePublish || !strings.Contains(out.Prepared.HTML, `href="/u/sshole"`) {
			t.Errorf("a mention of the member sshole in %q: %s %s", text, out.Verdict.Outcome, out.Prepared.HTML)
		}
	}
	// The member's mention does not shield an insult next to it.
	if v := rs.checkText(draft("@sshole you @sshole", "sshole"), false).Verdict; v.Outcome != OutcomePublish {
		t.Errorf("two mentions of the member: %s", v.Outcome)
	}
	if v := rs.checkText(draft("@sshole is an asshole", "sshole"), false).Verdict; v.Outcome != OutcomeHold {
		t.Errorf("an insult beside a mention: %s", v.Outcome)
	}
}
