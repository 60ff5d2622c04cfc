package moderation

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// withSettings changes settings for the test and restores them after.
func withSettings(t *testing.T, db *forum.DB, patch map[string]any) {
	t.Helper()
	before, err := db.Settings(adminCtx)
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]json.RawMessage{}
	restore := map[string]json.RawMessage{}
	all, _ := json.Marshal(before)
	var old map[string]json.RawMessage
	if err := json.Unmarshal(all, &old); err != nil {
		t.Fatal(err)
	}
	for k, v := range patch {
		raw[k], _ = json.Marshal(v)
		restore[k] = old[k]
	}
	if _, err := db.UpdateSettings(adminCtx, raw); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.UpdateSettings(adminCtx, restore); err != nil {
			t.Error(err)
		}
	})
}

// Rate limits are counted in PostgreSQL: two pipelines (two instances)
// share them.
func TestRateLimitsHoldAcrossInstances(t *testing.T) {
	db := forumtest.DB(t)
	a, b := NewPipeline(db), NewPipeline(db)
	rate := mustRule(t, a, RuleInput{Kind: KindRate, Action: ActionBlock})
	th := mustThread(t, a)
	s, _ := db.Settings(adminCtx)
	limit := s.PostsPerMinute[forum.TrustNew]
	newcomer := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustNew))
	for i := range limit {
		p := []*Pipeline{a, b}[i%2]
		if _, err := p.SubmitReply(newcomer, ReplySubmission{ThreadID: th.ID, Body: fmt.Sprintf("Message numéro %d", i)}); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	before := countPosts(t, th.ID)
	for _, p := range []*Pipeline{a, b} {
		_, err := p.SubmitReply(newcomer, ReplySubmission{ThreadID: th.ID, Body: "Encore un"})
		fe := forum.AsError(err)
		if fe.Code != forum.ERATELIMITED || fe.Key != "rules.rate_posts_block" || fe.Args["Max"] != limit || len(fe.Rules) != 1 || fe.Rules[0] != rate.Ref() {
			t.Fatalf("over the limit: %+v", err)
		}
	}
	if countPosts(t, th.ID) != before {
		t.Error("a refused post was stored")
	}

	// Moderators are exempt from rate limits.
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustNew))
	for i := range limit + 2 {
		if _, err := b.SubmitReply(mod, ReplySubmission{ThreadID: th.ID, Body: fmt.Sprintf("Modération %d", i)}); err != nil {
			t.Fatalf("moderator post %d: %v", i, err)
		}
	}

	// New threads per day.
	withSettings(t, db, map[string]any{"threads_per_day": [5]int{1, 1, 1, 1, 1}})
	starter := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	if _, err := a.SubmitThread(starter, ThreadSubmission{CategoryID: th.CategoryID, Title: "Premier sujet du jour", Body: "Un."}); err != nil {
		t.Fatal(err)
	}
	_, err := b.SubmitThread(starter, ThreadSubmission{CategoryID: th.CategoryID, Title: "Second sujet du jour", Body: "Deux."})
	if fe := forum.AsError(err); fe.Code != forum.ERATELIMITED || fe.Key != "rules.rate_threads_block" {
		t.Fatalf("second thread: %+v", err)
	}
}

func TestDuplicatesAreRefused(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	mustRule(t, p, RuleInput{Kind: KindDuplicates, Action: ActionBlock})
	th := mustThread(t, p)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	body := forumtest.Unique("Le même message ")
	if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: body}); err != nil {
		t.Fatal(err)
	}
	_, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "  " + body + "\r\n"})
	if fe := forum.AsError(err); fe.Code != forum.EREJECTED || fe.Key != "rules.duplicate_block" {
		t.Fatalf("duplicate: %+v", err)
	}
	// Someone else may say the same.
	other := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	if _, err := p.SubmitReply(other, ReplySubmission{ThreadID: th.ID, Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestNewMembersFirstPostsAreHeld(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	mustRule(t, p, RuleInput{Kind: KindNewMembers, Action: ActionHold})
	withSettings(t, db, map[string]any{"new_member_held_posts": 1})
	th := mustThread(t, p)
	newcomer := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustNew)
	out, err := p.SubmitReply(forumtest.As(newcomer), ReplySubmission{ThreadID: th.ID, Body: "Bonjour, je suis nouveau."})
	if err != nil {
		t.Fatal(err)
	}
	if out.Post.Status != forum.StatusHeld || out.Verdict.Deciding()[0].Key != "rules.new_member_hold" || len(reviewItems(t, out.Post.ID)) != 1 {
		t.Fatalf("first post: %s %+v", out.Post.Status, out.Verdict)
	}
	// Once a post is approved, the next ones are published.
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	if _, err := p.Resolve(mod, Decision{ItemID: reviewItems(t, out.Post.ID)[0].ID, Action: ActApprove}); err != nil {
		t.Fatal(err)
	}
	out, err = p.SubmitReply(forumtest.As(newcomer), ReplySubmission{ThreadID: th.ID, Body: "Merci pour l’accueil."})
	if err != nil || out.Post.Status != forum.StatusPublished {
		t.Fatalf("second post: %v %+v", err, out)
	}
	// Members above trust level 0 are not new.
	basic := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic))
	if out, err := p.SubmitReply(basic, ReplySubmission{ThreadID: th.ID, Body: "Bonjour !"}); err != nil || out.Post.Status != forum.StatusPublished {
		t.Fatalf("TL1: %v", err)
	}
}

// Duplicates are the same text whatever its case, spacing and punctuation
// (migration 0035's duplicate_key); another word is another text.
func TestDuplicatesSeeThroughCaseSpacingPunctuation(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	mustRule(t, p, RuleInput{Kind: KindDuplicates, Action: ActionBlock})
	th := mustThread(t, p)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	as := forumtest.As(author)
	tag := forumtest.Unique("z")
	if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Le même message, à nouveau " + tag + "."}); err != nil {
		t.Fatal(err)
	}
	for _, again := range []string{
		"LE MÊME MESSAGE, À NOUVEAU " + strings.ToUpper(tag) + ".",
		"Le   même\nmessage à nouveau " + tag,
		"**Le même message** — à nouveau… " + tag + " !!!",
	} {
		_, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: again})
		if fe := forum.AsError(err); fe.Code != forum.EREJECTED || fe.Key != "rules.duplicate_block" {
			t.Errorf("%q: %+v, want a duplicate", again, err)
		}
	}
	if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Le même message, à nouveau " + tag + " ? Non."}); err != nil {
		t.Errorf("another text: %v", err)
	}
	// A text without a letter or a digit is a duplicate only of itself.
	if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "!!! ???"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "... ???"}); err != nil {
		t.Errorf("another text without letters: %v", err)
	}
	if _, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "!!! ???"}); forum.AsError(err).Key != "rules.duplicate_block" {
		t.Errorf("the same text without letters: %v, want a duplicate", err)
	}
	// Each post keeps the hash of its key, which the rule looks up
	// (migration 0060).
	var hashed, all int
	if err := db.SQL().QueryRow(`SELECT count(body_key_hash), count(*) FROM posts WHERE author_id = $1`, author.ID).Scan(&hashed, &all); err != nil || hashed != all || all == 0 {
		t.Fatalf("%d of %d posts hashed, %v", hashed, all, err)
	}
}

func TestRuleExceptionsAreStored(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	word := forumtest.Unique("zexc")
	r, err := p.CreateRule(as, RuleInput{Name: forumtest.Unique("Exceptions "), Kind: KindWords, Action: ActionBlock,
		Patterns: []string{word + "*"}, Exceptions: []string{" " + word + "ion ", word + "ion", "", word + " ok*"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.RuleByID(as, r.ID)
	if err != nil || !slices.Equal(got.Exceptions, []string{word + "ion", word + " ok*"}) {
		t.Fatalf("stored exceptions %q, %v", got.Exceptions, err)
	}
	rs, err := p.ruleSet(as)
	if err != nil {
		t.Fatal(err)
	}
	for text, hits := range map[string]bool{word + "er": true, word + "ion": false, word + " OK!": false, word + "ions": true} {
		if found := len(rs.words.Match(text)) > 0; found != hits {
			t.Errorf("%q hit: %v, want %v", text, found, hits)
		}
	}
	if _, err := p.CreateRule(as, RuleInput{Name: forumtest.Unique("Bad "), Kind: KindWords, Action: ActionBlock,
		Patterns: []string{word}, Exceptions: []string{"***"}}); forum.AsError(err).Field != "exceptions" {
		t.Errorf("an exception without a letter: %v", err)
	}
}
