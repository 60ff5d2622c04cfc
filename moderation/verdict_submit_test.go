package moderation

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

var adminCtx = forum.WithSystem(context.Background())

// mustRule creates a rule through p and deletes it when the test ends.
func mustRule(t *testing.T, p *Pipeline, in RuleInput) *Rule {
	t.Helper()
	if in.Name == "" {
		in.Name = forumtest.Unique("Règle ")
	}
	r, err := p.CreateRule(adminCtx, in)
	if err != nil {
		t.Fatalf("creating rule %+v: %v", in, err)
	}
	t.Cleanup(func() {
		if err := p.DeleteRule(adminCtx, r.ID); err != nil {
			t.Error(err)
		}
	})
	return r
}

// mustThread starts a thread by a trusted member, to reply in.
func mustThread(t *testing.T, p *Pipeline) *forum.Thread {
	t.Helper()
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	cat := forumtest.MustCategory(t, db)
	out, err := p.SubmitThread(forumtest.As(author), ThreadSubmission{CategoryID: cat.ID, Title: forumtest.Unique("Un sujet "), Body: forumtest.Unique("Le premier message ")})
	if err != nil {
		t.Fatal(err)
	}
	return out.Thread
}

type reviewRow struct {
	ID      int64           `db:"id"`
	Kind    string          `db:"kind"`
	Status  string          `db:"status"`
	Reasons json.RawMessage `db:"reasons"`
}

func reviewItems(t *testing.T, postID int64) []reviewRow {
	t.Helper()
	var rows []reviewRow
	if err := forumtest.DB(t).SQL().Select(&rows, `SELECT id, kind, status, reasons FROM review_items WHERE post_id = $1`, postID); err != nil {
		t.Fatal(err)
	}
	return rows
}

func countPosts(t *testing.T, threadID int64) int {
	t.Helper()
	var n int
	if err := forumtest.DB(t).SQL().Get(&n, `SELECT count(*) FROM posts WHERE thread_id = $1`, threadID); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSubmitReplyObeysTheVerdict(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	block, hold, flag, censor := forumtest.Unique("zblok"), forumtest.Unique("zhold"), forumtest.Unique("zflag"), forumtest.Unique("zcens")
	rBlock := mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionBlock, Patterns: []string{block}, Description: "Interdit ici."})
	rHold := mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{hold}})
	rFlag := mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionFlag, Patterns: []string{flag}})
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionCensor, Patterns: []string{censor}})
	th := mustThread(t, p)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))

	// Refused, evasion included: nothing stored, the rule named.
	before := countPosts(t, th.ID)
	_, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Bonjour " + spaced(block) + " !"})
	fe := forum.AsError(err)
	if fe.Code != forum.EREJECTED || !slices.Equal(fe.Rules, []forum.RuleRef{rBlock.Ref()}) || fe.Args["Description"] != "Interdit ici." {
		t.Fatalf("refusal: %+v", err)
	}
	if countPosts(t, th.ID) != before {
		t.Fatal("a refused post was stored")
	}

	// Held: stored as held, with a pending review item and a log line by
	// the system, in the same transaction.
	out, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Bonjour " + strings.ToUpper(hold) + "."})
	if err != nil {
		t.Fatal(err)
	}
	if out.Post.Status != forum.StatusHeld || out.Verdict.Outcome != OutcomeHold || out.Verdict.Deciding()[0].Rule != rHold.Ref() {
		t.Fatalf("held: %s %+v", out.Post.Status, out.Verdict)
	}
	items := reviewItems(t, out.Post.ID)
	if len(items) != 1 || items[0].Kind != ReviewHeld || items[0].Status != ReviewPending || !strings.Contains(string(items[0].Reasons), rHold.Name) {
		t.Fatalf("review items %+v", items)
	}
	var logged int
	if err := db.SQL().Get(&logged, `SELECT count(*) FROM mod_log WHERE action = 'post.hold' AND target_id = $1 AND actor_id IS NULL`, out.Post.ID); err != nil {
		t.Fatal(err)
	}
	if logged != 1 {
		t.Errorf("%d log lines for the held post", logged)
	}
	var stored string
	if err := db.SQL().Get(&stored, `SELECT status FROM posts WHERE id = $1`, out.Post.ID); err != nil {
		t.Fatal(err)
	}
	if stored != forum.StatusHeld {
		t.Errorf("stored status %s", stored)
	}

	// Its author (and the staff) see why; nobody else.
	heldID := out.Post.ID
	for who, ctx := range map[string]context.Context{"author": as, "moderator": forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustMember))} {
		why, err := p.HeldReasons(ctx, []int64{heldID, 0})
		if err != nil || len(why[heldID]) != 1 || why[heldID][0].Rule != rHold.Ref() || why[heldID][0].Key != "rules.words_hold" || why[heldID][0].Args["Rule"] != rHold.Name {
			t.Errorf("%s: held reasons %+v %v", who, why, err)
		}
	}
	if why, _ := p.HeldReasons(forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)), []int64{heldID}); len(why) != 0 {
		t.Errorf("another member sees why: %+v", why)
	}

	// Flagged: published, and in the queue.
	out, err = p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Un " + flag + " ici."})
	if err != nil {
		t.Fatal(err)
	}
	if out.Post.Status != forum.StatusPublished || !out.Verdict.Flagged || len(out.Verdict.Deciding()) != 0 {
		t.Fatalf("flagged: %s %+v", out.Post.Status, out.Verdict)
	}
	if items := reviewItems(t, out.Post.ID); len(items) != 1 || items[0].Kind != ReviewFlagged || !strings.Contains(string(items[0].Reasons), rFlag.Name) {
		t.Fatalf("review items %+v", items)
	}

	// Censored: published with the word masked in the source and the HTML.
	out, err = p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Un *" + censor + "* ici."})
	if err != nil {
		t.Fatal(err)
	}
	var md, html string
	if err := db.SQL().QueryRow(`SELECT body_markdown, body_html FROM posts WHERE id = $1`, out.Post.ID).Scan(&md, &html); err != nil {
		t.Fatal(err)
	}
	masked := strings.Repeat("•", len([]rune(censor)))
	if out.Post.Status != forum.StatusPublished || md != "Un *"+masked+"* ici." || strings.Contains(html, censor) {
		t.Errorf("censored: %s %q %q", out.Post.Status, md, html)
	}
	if items := reviewItems(t, out.Post.ID); len(items) != 0 {
		t.Errorf("a censored post was queued: %+v", items)
	}

	// A thread whose title holds a watched word is held, its title too.
	cat := forumtest.MustCategory(t, db)
	tout, err := p.SubmitThread(as, ThreadSubmission{CategoryID: cat.ID, Title: "Sujet " + hold, Body: "Un corps correct."})
	if err != nil {
		t.Fatal(err)
	}
	if tout.Thread.Status != forum.StatusHeld || tout.Post.Status != forum.StatusHeld || len(reviewItems(t, tout.Post.ID)) != 1 {
		t.Errorf("thread %s post %s", tout.Thread.Status, tout.Post.Status)
	}
}

// spaced writes a word with a dot between its letters: "c.o.n".
func spaced(w string) string { return strings.Join(strings.Split(w, ""), ".") }

func TestEditGoesThroughTheRules(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	hold, block := forumtest.Unique("zedith"), forumtest.Unique("zeditb")
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{hold}})
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionBlock, Patterns: []string{block}})
	th := mustThread(t, p)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	out, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Un message correct."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SubmitEdit(as, EditSubmission{PostID: out.Post.ID, Body: "Devenu " + block}); forum.ErrorCode(err) != forum.EREJECTED {
		t.Fatalf("refused edit: %v", err)
	}
	edited, err := p.SubmitEdit(as, EditSubmission{PostID: out.Post.ID, Body: "Devenu " + hold})
	if err != nil {
		t.Fatal(err)
	}
	// The published version stays while the held edit waits for review.
	if edited.Post.Status != forum.StatusPublished || !edited.PendingEdit || len(reviewItems(t, out.Post.ID)) != 1 {
		t.Errorf("held edit: %s, pending %v", edited.Post.Status, edited.PendingEdit)
	}
}

func TestLengthLimitsComeFromTheSettings(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th := mustThread(t, p)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	s, _ := db.Settings(adminCtx)
	_, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: strings.Repeat("a", s.PostMaxLength+1)})
	if fe := forum.AsError(err); fe.Code != forum.ETOOLARGE || fe.Args["Max"] != s.PostMaxLength {
		t.Errorf("too long: %+v", err)
	}
	_, err = p.SubmitThread(as, ThreadSubmission{CategoryID: th.CategoryID, Title: strings.Repeat("é", s.TitleMinLength-1), Body: "Un corps."})
	if fe := forum.AsError(err); fe.Code != forum.EINVALID || fe.Field != "title" || fe.Args["Min"] != s.TitleMinLength {
		t.Errorf("short title: %+v", err)
	}
}

func TestScreenTextForProfilesAndNotes(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	block, hold, censor, flag := forumtest.Unique("zscrb"), forumtest.Unique("zscrh"), forumtest.Unique("zscrc"), forumtest.Unique("zscrf")
	rBlock := mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionBlock, Patterns: []string{block}})
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{hold}})
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionCensor, Patterns: []string{censor}})
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionFlag, Patterns: []string{flag}})
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustMember))

	_, err := p.ScreenText(as, "bio", "Moi, "+strings.ToUpper(block))
	if fe := forum.AsError(err); fe.Code != forum.EREJECTED || fe.Field != "bio" || fe.Key != "rules.text_refused" || fe.Rules[0] != rBlock.Ref() {
		t.Errorf("block: %+v", err)
	}
	if _, err := p.ScreenText(as, "display_name", hold); forum.ErrorCode(err) != forum.EREJECTED {
		t.Errorf("hold: %v", err)
	}
	got, err := p.ScreenText(as, "bio", "Un "+censor+" et un "+flag)
	if want := "Un " + strings.Repeat("•", len(censor)) + " et un " + flag; err != nil || got != want {
		t.Errorf("censor: %q %v, want %q", got, err, want)
	}
	if got, err := p.ScreenText(mod, "bio", hold+" "+censor); err != nil || got != hold+" "+censor {
		t.Errorf("moderator: %q %v", got, err)
	}
	if _, err := p.ScreenText(mod, "bio", block); forum.ErrorCode(err) != forum.EREJECTED {
		t.Errorf("moderator and block: %v", err)
	}
}

// A member mentioned by an edit is told once; one already told is not told
// again.
func TestEditsNotifyNewMentionsOnce(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th := mustThread(t, p)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	first := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	later := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	as := forumtest.As(author)
	out, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Bonjour @" + first.Username})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SubmitEdit(as, EditSubmission{PostID: out.Post.ID, Body: "Bonjour @" + first.Username + " et @" + later.Username}); err != nil {
		t.Fatal(err)
	}
	count := func(m *forum.Member) int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM notifications WHERE member_id = $1 AND post_id = $2 AND kind = 'mention'`, m.ID, out.Post.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b := count(first), count(later); a != 1 || b != 1 {
		t.Errorf("mentions notified: %d for the first, %d for the one added by the edit; want 1 and 1", a, b)
	}
}
