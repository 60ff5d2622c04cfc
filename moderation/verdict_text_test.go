package moderation

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
)

// testRules compiles rules given in memory, numbered from 1.
func testRules(rules ...*Rule) *ruleSet {
	for i, r := range rules {
		r.ID, r.Enabled = int64(i+1), true
		if r.Name == "" {
			r.Name = r.Kind + "/" + r.Action
		}
	}
	return compileRules(rules)
}

func words(action string, patterns ...string) *Rule {
	return &Rule{Kind: KindWords, Action: action, Patterns: patterns}
}

// member is a draft by a member of trust level tl with the default settings.
func member(tl int, body string) textDraft {
	s := forum.DefaultSettings()
	return draftFor(&forum.Member{TrustLevel: tl, Role: forum.RoleMember}, &s, "", body, func(n string) bool { return strings.HasPrefix(n, "m") })
}

func staff(body string) textDraft {
	s := forum.DefaultSettings()
	return draftFor(&forum.Member{TrustLevel: 0, Role: forum.RoleModerator}, &s, "", body, func(string) bool { return true })
}

func TestVerdictByKindAndAction(t *testing.T) {
	rs := testRules(
		words(ActionBlock, "bloquemot"),  // 1
		words(ActionHold, "retenumot"),   // 2
		words(ActionFlag, "signalemot"),  // 3
		words(ActionCensor, "masquemot"), // 4
		&Rule{Kind: KindLinks, Action: ActionBlock, Params: RuleParams{BlockDomains: []string{"spam.example"}}},              // 5
		&Rule{Kind: KindLinks, Action: ActionHold, Params: RuleParams{Limit: true, AllowDomains: []string{"wikipedia.org"}}}, // 6
		&Rule{Kind: KindMentions, Action: ActionBlock},                                                                       // 7
	)
	tests := []struct {
		name    string
		draft   textDraft
		outcome string
		flagged bool
		rules   []int64 // the rules that hit, strongest first
	}{
		{"nothing", member(2, "Bonjour à tous, rien à signaler."), OutcomePublish, false, nil},
		{"block", member(2, "Un bloquemot ici."), OutcomeReject, false, []int64{1}},
		{"hold", member(2, "Un retenumot ici."), OutcomeHold, false, []int64{2}},
		{"flag", member(2, "Un signalemot ici."), OutcomePublish, true, []int64{3}},
		{"censor", member(2, "Un masquemot ici."), OutcomePublishCensored, false, []int64{4}},
		{"censor and flag", member(2, "masquemot et signalemot"), OutcomePublishCensored, true, []int64{3, 4}},
		{"block wins", member(2, "retenumot signalemot bloquemot masquemot"), OutcomeReject, false, []int64{1, 2, 3, 4}},
		{"hold beats flag", member(2, "signalemot puis retenumot"), OutcomeHold, true, []int64{2, 3}},
		{"evasion", member(2, "un r.e.t.e.n.u.m.o.t et un B10QUEM0T"), OutcomeReject, false, []int64{1, 2}},
		{"blocked domain", member(2, "voir https://www.spam.example/offre"), OutcomeReject, false, []int64{5}},
		{"blocked domain in an image", member(2, "![x](https://cdn.spam.example/a.png)"), OutcomeReject, false, []int64{5}},
		{"blocked domain by mail", member(2, "écrivez à <vente@spam.example>"), OutcomeReject, false, []int64{5}},
		{"another domain", member(2, "voir https://notspam.example/"), OutcomePublish, false, nil},
		{"links within the limit", member(0, "https://a.example https://b.example"), OutcomePublish, false, nil},
		{"too many links for TL0", member(0, "https://a.example https://b.example https://c.example"), OutcomeHold, false, []int64{6}},
		{"allowed domains do not count", member(0, "https://a.example https://b.example https://fr.wikipedia.org/wiki/X"), OutcomePublish, false, nil},
		{"TL1 may post more links", member(1, "https://a.example https://b.example https://c.example"), OutcomePublish, false, nil},
		{"mentions within the limit", member(0, "@ma @mb"), OutcomePublish, false, nil},
		{"too many mentions", member(0, "@ma @mb @mc"), OutcomeReject, false, []int64{7}},
		{"unknown names are not mentions", member(0, "@ma @mb @xc @xd"), OutcomePublish, false, nil},
		{"staff: hold words do not apply", staff("retenumot signalemot masquemot"), OutcomePublish, false, nil},
		{"staff: block words apply", staff("bloquemot"), OutcomeReject, false, []int64{1}},
		{"staff: blocked domains apply", staff("https://spam.example"), OutcomeReject, false, []int64{5}},
		{"staff: no link or mention limits", staff("https://a.example https://b.example https://c.example @ma @mb @mc"), OutcomePublish, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := rs.checkText(tc.draft, false)
			v := c.Verdict
			var got []int64
			for _, r := range v.Reasons {
				got = append(got, r.Rule.ID)
			}
			if v.Outcome != tc.outcome || v.Flagged != tc.flagged || !slices.Equal(got, tc.rules) {
				t.Errorf("outcome %s flagged %v rules %v, want %s %v %v", v.Outcome, v.Flagged, got, tc.outcome, tc.flagged, tc.rules)
			}
			if (v.Err() != nil) != (tc.outcome == OutcomeReject) {
				t.Errorf("Err() = %v for outcome %s", v.Err(), v.Outcome)
			}
		})
	}
}

func TestCensorMasksTheSource(t *testing.T) {
	rs := testRules(words(ActionCensor, "masquemot", "gros mot"))
	d := member(2, "Quel **masquemot**, un m@squem0t et un gros  mot. [lien](https://masquemot.example)")
	d.Title = "Titre masquemot"
	c := rs.checkText(d, false)
	want := "Quel **•••••••••**, un ••••••••• et un ••••  •••. [lien](https://•••••••••.example)"
	if c.Prepared.Markdown != want {
		t.Errorf("masked Markdown\n got %q\nwant %q", c.Prepared.Markdown, want)
	}
	if c.Title != "Titre •••••••••" {
		t.Errorf("masked title %q", c.Title)
	}
	if strings.Contains(strings.ToLower(c.Prepared.HTML), "masquemot") || !strings.Contains(c.Prepared.HTML, "<strong>•••••••••</strong>") {
		t.Errorf("HTML still shows the word or lost its Markdown: %s", c.Prepared.HTML)
	}
	if c.Verdict.Outcome != OutcomePublishCensored || c.Verdict.Reasons[0].Key != "rules.words_censor" {
		t.Errorf("verdict %+v", c.Verdict)
	}
}

func TestRejectionNamesTheRuleAndTheField(t *testing.T) {
	rs := testRules(&Rule{Kind: KindWords, Action: ActionBlock, Name: "Insultes", Description: "Pas d’insultes.", Patterns: []string{"bloquemot"}})
	d := member(2, "Un texte correct.")
	d.Title = "Titre bloquemot"
	err := rs.checkText(d, false).Verdict.Err()
	var fe *forum.Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
	if fe.Code != forum.EREJECTED || fe.Key != "rules.words_block" || fe.Field != "title" ||
		!slices.Equal(fe.Rules, []forum.RuleRef{{ID: 1, Name: "Insultes"}}) ||
		fe.Args["Rule"] != "Insultes" || fe.Args["Excerpt"] != "bloquemot" || fe.Args["Description"] != "Pas d’insultes." {
		t.Errorf("error %+v", fe)
	}
}

func TestRateRejectionIsRateLimited(t *testing.T) {
	rate := &Rule{ID: 9, Name: "Rythme", Kind: KindRate, Action: ActionBlock}
	var v Verdict
	addHistoryHits(&v, []*Rule{rate}, "rate_posts", map[string]any{"Max": 3})
	v.decide()
	if code := forum.ErrorCode(v.Err()); code != forum.ERATELIMITED {
		t.Errorf("rate only: %s", code)
	}
	block := &Rule{ID: 10, Name: "Mots", Kind: KindWords, Action: ActionBlock}
	v.add(reasonFor(block, "words"))
	v.decide()
	if code := forum.ErrorCode(v.Err()); code != forum.EREJECTED {
		t.Errorf("rate and words: %s", code)
	}
}

func TestEveryReasonHasAMessage(t *testing.T) {
	for _, what := range []string{"words", "link_domain", "links", "mentions", "new_member", "rate_posts", "rate_threads", "duplicate"} {
		for _, action := range RuleActions {
			if action == ActionCensor && what != "words" {
				continue
			}
			r := reasonFor(&Rule{ID: 1, Name: "r", Action: action}, what)
			if !strings.HasPrefix(r.Key, "rules.") || (action == ActionFlag) != (r.Key == "rules.flagged") {
				t.Errorf("%s/%s: key %q", what, action, r.Key)
			}
		}
	}
}

func TestDomainListed(t *testing.T) {
	list := []string{"example.org", "bit.ly"}
	for host, want := range map[string]bool{
		"example.org": true, "www.example.org": true, "a.b.example.org": true,
		"notexample.org": false, "example.org.evil.net": false, "bit.ly": true, "": false,
	} {
		if got := domainListed(host, list); got != want {
			t.Errorf("%q: %v", host, got)
		}
	}
	for u, want := range map[string]string{
		"https://WWW.Example.org./x": "www.example.org", "mailto:a@Example.org?subject=x": "example.org",
		"http://[::1]:80/": "::1", "mailto:nobody": "",
	} {
		if got := linkHost(u); got != want {
			t.Errorf("linkHost(%q) = %q, want %q", u, got, want)
		}
	}
}

func TestRuleInputValidation(t *testing.T) {
	ok := RuleInput{Name: " Insultes ", Kind: KindWords, Action: ActionHold, Patterns: []string{" con ", "con", "", "gros   mot"}}
	r, err := ok.normalize()
	if err != nil || r.Name != "Insultes" || !slices.Equal([]string(r.Patterns), []string{"con", "gros mot"}) || !r.Enabled {
		t.Fatalf("%+v %v", r, err)
	}
	links, err := RuleInput{Name: "l", Kind: KindLinks, Action: ActionHold, Params: RuleParams{BlockDomains: []string{" *.Bit.LY. "}}}.normalize()
	if err != nil || !slices.Equal(links.Params.BlockDomains, []string{"bit.ly"}) {
		t.Fatalf("%+v %v", links, err)
	}
	for _, tc := range []struct {
		in    RuleInput
		key   string
		field string
	}{
		{RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{"x"}}, "moderation.empty", "name"},
		{RuleInput{Name: "n", Kind: "regex", Action: ActionHold}, "rules.kind_invalid", "kind"},
		{RuleInput{Name: "n", Kind: KindWords, Action: "delete"}, "rules.action_invalid", "action"},
		{RuleInput{Name: "n", Kind: KindLinks, Action: ActionCensor, Params: RuleParams{Limit: true}}, "rules.censor_words_only", "action"},
		{RuleInput{Name: "n", Kind: KindWords, Action: ActionHold}, "rules.patterns_required", "patterns"},
		{RuleInput{Name: "n", Kind: KindWords, Action: ActionHold, Patterns: []string{"***"}}, "rules.pattern_no_letter", "patterns"},
		{RuleInput{Name: "n", Kind: KindLinks, Action: ActionHold}, "rules.links_nothing", "block_domains"},
		{RuleInput{Name: "n", Kind: KindLinks, Action: ActionHold, Params: RuleParams{BlockDomains: []string{"http://x.org/"}}}, "rules.domain_invalid", "block_domains"},
	} {
		_, err := tc.in.normalize()
		fe := forum.AsError(err)
		if err == nil || fe.Key != tc.key || fe.Field != tc.field {
			t.Errorf("%+v: %v, want %s on %s", tc.in, err, tc.key, tc.field)
		}
	}
}

// Code is quoted, not said: watched words are not looked for in inline
// code and code blocks, links are; the same words outside code still hit.
func TestWatchedWordsNotInCode(t *testing.T) {
	rs := defaultRuleSet(t, "fr")
	publish := []string{
		"Le type `net.Conn` ferme la connexion : `c, err := ln.Accept()` puis `con := c`.",
		"```go\nvar con net.Conn\ncon, err = net.Dial(\"tcp\", addr) // salope\n```",
		"~~~\nnègre connard\n~~~",
		"Un bloc indenté :\n\n    con := pool.Get()\n    defer con.Close()\n",
		"Conn's lab, Mr Twatt and a negro-spiritual.",
	}
	for _, body := range publish {
		if v := rs.checkText(member(2, body), false).Verdict; len(v.Reasons) > 0 {
			t.Errorf("%q hit %+v", body, v.Reasons)
		}
	}
	hold := []string{
		"`con` et quel con !",
		"```\ncode\n```\nEspèce de connard.",
		"Pas du code : ' con ' ni \\`con\\`",
	}
	for _, body := range hold {
		if v := rs.checkText(member(2, body), false).Verdict; v.Outcome != OutcomeHold {
			t.Errorf("%q: %s, want %s", body, v.Outcome, OutcomeHold)
		}
	}
	// Links in code are still checked against the blocked domains.
	body := "```\ncurl https://bit.ly/xyz\n```"
	if v := rs.checkText(member(2, body), false).Verdict; v.Outcome != OutcomeHold {
		t.Errorf("%q: %s, want %s (a shortener in code)", body, v.Outcome, OutcomeHold)
	}
	// A censored word outside code is masked; the code beside it is not.
	cs := testRules(words(ActionCensor, "zut"))
	c := cs.checkText(member(2, "zut et `zut`"), false)
	if c.Prepared.Markdown != "••• et `zut`" {
		t.Errorf("censored: %q", c.Prepared.Markdown)
	}
}
