package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// outcomeThread is a thread by one member with a reply by another, and a
// moderator.
func outcomeThread(t *testing.T, s *Server) (*moderation.Submitted, *forum.Member) {
	t.Helper()
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	cat := forumtest.MustCategory(t, db)
	th, err := s.pipeline.SubmitThread(forumtest.As(author), moderation.ThreadSubmission{CategoryID: cat.ID,
		Title: forumtest.Unique("Un sujet modéré "), Body: forumtest.Unique("Le premier message ")})
	if err != nil {
		t.Fatal(err)
	}
	return th, forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
}

// A post a moderator removed says so, with the rule, in the thread's JSON
// and page; a held post refused before it was public shows nowhere.
func TestRemovedPostsSayWhoRemovedThem(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(t.Context())
	th, mod := outcomeThread(t, s)
	modCtx := forumtest.As(mod)

	word := forumtest.Unique("zretir")
	rule, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Insultes "), Kind: moderation.KindWords,
		Action: moderation.ActionHold, Patterns: []string{word}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.pipeline.DeleteRule(forum.WithSystem(context.Background()), rule.ID); err != nil { // t.Context() has ended
			t.Error(err)
		}
	})

	// A published reply, reported, removed by a moderator citing the rule.
	replier := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	reply, err := s.pipeline.SubmitReply(forumtest.As(replier), moderation.ReplySubmission{ThreadID: th.Thread.ID, Body: "Une réponse publiée."})
	if err != nil {
		t.Fatal(err)
	}
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	rep, err := s.pipeline.ReportPost(forumtest.As(reporter), moderation.ReportInput{PostID: reply.Post.ID, Reason: moderation.ReportSpam})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pipeline.Resolve(modCtx, moderation.Decision{ItemID: rep.ReviewItemID, Action: moderation.ActDelete, RuleID: &rule.ID}); err != nil {
		t.Fatal(err)
	}
	// A held reply, refused.
	held, err := s.pipeline.SubmitReply(forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic)),
		moderation.ReplySubmission{ThreadID: th.Thread.ID, Body: "Texte avec " + word + " dedans."})
	if err != nil || held.Post.Status != forum.StatusHeld {
		t.Fatalf("held reply: %v", err)
	}
	var itemID int64
	if err := db.SQL().Get(&itemID, `SELECT id FROM review_items WHERE post_id = $1 AND status = 'pending'`, held.Post.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pipeline.Resolve(modCtx, moderation.Decision{ItemID: itemID, Action: moderation.ActReject}); err != nil {
		t.Fatal(err)
	}
	// A reply its author deleted.
	own, err := s.pipeline.SubmitReply(forumtest.As(replier), moderation.ReplySubmission{ThreadID: th.Thread.ID, Body: "Je retire ceci."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePost(forumtest.As(replier), own.Post.ID); err != nil {
		t.Fatal(err)
	}
	forumtest.AssertHeldInvariant(t, db)

	visitor := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	for _, h := range []map[string]string{nil, visitor, bearer(t, db, mod)} {
		got := decode[threadAnswer](t, s.do(t, request{path: fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), header: h}).Body.Bytes())
		byID := map[int64]apiPost{}
		for _, p := range got.Posts {
			byID[p.ID] = p
		}
		if p := byID[reply.Post.ID]; p.RemovedBy != forum.RemovedByModerator || p.RemovedRule != rule.Name {
			t.Errorf("removed reply in JSON: %+v", p)
		}
		if p := byID[own.Post.ID]; p.RemovedBy != forum.RemovedByAuthor {
			t.Errorf("deleted reply in JSON: %+v", p)
		}
		if _, ok := byID[held.Post.ID]; ok {
			t.Errorf("a refused held post shows in the thread")
		}
		page := s.do(t, request{path: fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug), header: h}).Body.String()
		if !strings.Contains(page, "Message retiré par la modération — règle : "+rule.Name) {
			t.Errorf("the page does not say a moderator removed the reply")
		}
		if strings.Count(page, "Message supprimé par son auteur") > 1 || strings.Contains(page, "dedans") {
			t.Errorf("the page shows the refused held post or says the wrong remover")
		}
		if !strings.Contains(page, fmt.Sprintf(`id="p%d"`, own.Post.Number)) || strings.Contains(page, fmt.Sprintf(`id="p%d"`, held.Post.Number)) {
			t.Errorf("placeholders: the author's deletion should show, the refused post not")
		}
	}
}

// A decision's email says what happened, in the member's language, not a
// generic "a decision concerns you".
func TestDecisionMailsSayWhatHappened(t *testing.T) {
	cfg, _ := LoadConfig(func(k string) string {
		return map[string]string{"PALABRE_BASE_URL": "https://forum.example.org"}[k]
	})
	w, err := NewMailer(cfg, forumtest.DB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, action, want string }{
		{"en", forum.ModerationApproved, "was approved and published"},
		{"fr", forum.ModerationApproved, "a été approuvé et publié"},
		{"en", forum.ModerationDeleted, "was deleted by the moderators"},
		{"fr", forum.ModerationRejected, "a été refusé par la modération"},
	} {
		subject, body, err := w.Compose(forum.Mail{Kind: "notify_moderation", Locale: c.lang, Data: map[string]string{
			"Username": "sophie", "Title": "Un sujet", "Action": c.action, "Reason": "Insultes",
		}}, "Palabre")
		if err != nil || !strings.Contains(subject, c.want) || !strings.Contains(body, c.want) || !strings.Contains(body, "Insultes") {
			t.Errorf("%s %s: %q / %q, %v", c.lang, c.action, subject, body, err)
		}
	}
}
