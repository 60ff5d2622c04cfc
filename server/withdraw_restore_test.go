package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// threadBy starts a thread by m through the pipeline.
func threadBy(t *testing.T, s *Server, m *forum.Member) *moderation.Submitted {
	t.Helper()
	cat := forumtest.MustCategory(t, forumtest.DB(t))
	out, err := s.pipeline.SubmitThread(forumtest.As(m), moderation.ThreadSubmission{CategoryID: cat.ID,
		Title: forumtest.Unique("Un sujet à retirer "), Body: forumtest.Unique("Mon premier message ")})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func postStatus(t *testing.T, id int64) string {
	t.Helper()
	var st string
	if err := forumtest.DB(t).SQL().Get(&st, `SELECT status FROM posts WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return st
}

// The author of a thread others replied to is offered to withdraw their
// text, not to delete the thread: the page says so, the thread route of
// the API refuses with thread_has_replies, and the withdrawn first post
// reads "withdrawn by its author" while the thread and replies stay. The
// staff restore it from a button on the post.
func TestWithdrawAndRestoreThroughHTTP(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	b, author := loggedIn(t, s, forum.RoleMember, forum.TrustRegular)
	th := threadBy(t, s, author)
	first := th.Post.ID
	replier := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	replyText := forumtest.Unique("Une réponse qui reste ")
	reply, err := s.pipeline.SubmitReply(forumtest.As(replier), moderation.ReplySubmission{ThreadID: th.Thread.ID, Body: replyText})
	if err != nil {
		t.Fatal(err)
	}

	form := b.do(t, "GET", fmt.Sprintf("/p/%d/delete", first), nil, nil)
	if form.Code != http.StatusOK || !strings.Contains(form.Body.String(), "Withdraw my text") ||
		!strings.Contains(form.Body.String(), "the thread, its title and their replies stay") {
		t.Errorf("the delete page does not say the text is withdrawn: %d", form.Code)
	}
	w := s.do(t, request{method: "DELETE", path: fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), header: bearer(t, db, author)})
	if e := decodeError(t, w); w.Code != http.StatusConflict || e.Code != forum.ETHREADREPLIED ||
		e.Message != "D’autres membres ont répondu à ce sujet : vous pouvez retirer votre premier message, pas supprimer le sujet." {
		t.Errorf("DELETE thread by its author: %d %+v", w.Code, e)
	}
	done := b.do(t, "POST", fmt.Sprintf("/p/%d/delete", first), url.Values{}, nil)
	if done.Code != http.StatusSeeOther || !strings.HasPrefix(done.Header().Get("Location"), threadURL(th.Thread)) {
		t.Fatalf("withdrawing: %d to %s", done.Code, done.Header().Get("Location"))
	}
	page := s.do(t, request{path: threadURL(th.Thread)})
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "Message retiré par son auteur.") ||
		!strings.Contains(page.Body.String(), replyText) || !strings.Contains(page.Body.String(), th.Thread.Title) {
		t.Errorf("the thread after the withdrawal: %d", page.Code)
	}

	// A category moderator restores it from the button on the post.
	mb, mod := loggedIn(t, s, forum.RoleMember, forum.TrustRegular)
	if _, err := db.SQL().Exec(`INSERT INTO category_moderators (member_id, category_id) VALUES ($1, $2)`, mod.ID, th.Thread.CategoryID); err != nil {
		t.Fatal(err)
	}
	staffPage := mb.do(t, "GET", threadURL(th.Thread), nil, nil).Body.String()
	if !strings.Contains(staffPage, fmt.Sprintf(`action="/p/%d/restore"`, first)) {
		t.Error("no Restore button on the withdrawn post for its category's moderator")
	}
	if w := mb.do(t, "POST", fmt.Sprintf("/p/%d/restore", first), url.Values{}, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("restore form: %d %s", w.Code, w.Body)
	}
	if st := postStatus(t, first); st != forum.StatusPublished {
		t.Errorf("restored first post: %s", st)
	}
	// Cross-site form posts are refused as on every form.
	if w := mb.do(t, "POST", fmt.Sprintf("/p/%d/restore", reply.Post.ID), url.Values{},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); w.Code != http.StatusForbidden {
		t.Errorf("cross-site restore: %d", w.Code)
	}

	// The API: restore a reply a moderator removed, with a reason.
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader)
	restorePath := fmt.Sprintf("/api/v1/posts/%d/restore", reply.Post.ID)
	if w := s.do(t, request{method: "POST", path: restorePath, header: bearer(t, db, admin)}); w.Code != http.StatusConflict {
		t.Errorf("restoring a published post: %d", w.Code)
	}
	if w := s.do(t, request{method: "DELETE", path: fmt.Sprintf("/api/v1/posts/%d", reply.Post.ID), header: bearer(t, db, admin)}); w.Code != http.StatusNoContent {
		t.Fatalf("removing the reply: %d", w.Code)
	}
	if w := s.do(t, request{method: "POST", path: restorePath, body: `{"reason":"x"}`, header: bearer(t, db, replier)}); w.Code != http.StatusForbidden {
		t.Errorf("a member restoring: %d", w.Code)
	}
	w = s.do(t, request{method: "POST", path: restorePath, body: `{"reason":"Retiré par erreur"}`, header: bearer(t, db, admin)})
	if got := decode[struct{ Post apiPost }](t, w.Body.Bytes()); w.Code != http.StatusOK || got.Post.Status != forum.StatusPublished || got.Post.RemovedBy != "" {
		t.Errorf("API restore: %d %s", w.Code, w.Body)
	}
	var reason string
	if err := db.SQL().Get(&reason, `SELECT reason FROM mod_log WHERE action = 'post.restore' AND target_id = $1`, reply.Post.ID); err != nil || reason != "Retiré par erreur" {
		t.Errorf("post.restore log: %q %v", reason, err)
	}

	// A thread its author deleted (nobody replied) through the API comes
	// back through the API; the staff page offers the button meanwhile.
	lone := threadBy(t, s, author)
	if w := s.do(t, request{method: "DELETE", path: fmt.Sprintf("/api/v1/threads/%d", lone.Thread.ID), header: bearer(t, db, author)}); w.Code != http.StatusNoContent {
		t.Fatalf("author deleting a thread nobody replied to: %d %s", w.Code, w.Body)
	}
	if s.do(t, request{path: threadURL(lone.Thread)}).Code != http.StatusNotFound {
		t.Error("a deleted thread is still public")
	}
	ab := newBrowser(s)
	if w := ab.logIn(t, admin.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	if !strings.Contains(ab.do(t, "GET", threadURL(lone.Thread), nil, nil).Body.String(), fmt.Sprintf(`action="/t/%d/restore"`, lone.Thread.ID)) {
		t.Error("no Restore button on the deleted thread for the staff")
	}
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/restore", lone.Thread.ID), header: bearer(t, db, admin)})
	if w.Code != http.StatusOK || s.do(t, request{path: threadURL(lone.Thread)}).Code != http.StatusOK {
		t.Errorf("API thread restore: %d %s", w.Code, w.Body)
	}
}

// An edit held by a rule answers 202 with the pending text; everyone keeps
// the published thread (no 404); its author sees "your edit is awaiting
// review" and edits the pending text again.
func TestHeldEditThroughHTTP(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(t.Context())
	word := forumtest.Unique("zattente")
	rule, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Retenue "), Kind: moderation.KindWords,
		Action: moderation.ActionHold, Patterns: []string{word}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.pipeline.DeleteRule(forum.WithSystem(context.Background()), rule.ID); err != nil {
			t.Error(err)
		}
	})
	b, author := loggedIn(t, s, forum.RoleMember, forum.TrustRegular)
	th := threadBy(t, s, author)
	published := th.Post.BodyMarkdown

	w := s.do(t, request{method: "PATCH", path: fmt.Sprintf("/api/v1/posts/%d", th.Post.ID),
		body: `{"body":"Mon texte corrigé avec ` + word + `"}`, header: bearer(t, db, author)})
	got := decode[struct {
		Post        apiPost
		PendingEdit struct {
			HTML     string `json:"html"`
			Markdown string `json:"markdown"`
		} `json:"pending_edit"`
	}](t, w.Body.Bytes())
	if w.Code != http.StatusAccepted || !strings.Contains(got.PendingEdit.Markdown, word) || got.Post.Status != forum.StatusPublished {
		t.Fatalf("held edit through the API: %d %s", w.Code, w.Body)
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), threadURL(th.Thread)} {
		w := s.do(t, request{path: path})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), published) || strings.Contains(w.Body.String(), word) {
			t.Errorf("%s while the edit waits: %d", path, w.Code)
		}
	}
	mine := b.do(t, "GET", threadURL(th.Thread), nil, nil).Body.String()
	if !strings.Contains(mine, "Your edit is awaiting review") || !strings.Contains(mine, word) || !strings.Contains(mine, published) {
		t.Error("the author's page does not show the pending edit beside the published version")
	}
	edit := b.do(t, "GET", fmt.Sprintf("/p/%d/edit", th.Post.ID), nil, nil).Body.String()
	if !strings.Contains(edit, word) || !strings.Contains(edit, "Your previous edit is awaiting review") {
		t.Error("the edit form does not start from the pending text")
	}
	forumtest.AssertHeldInvariant(t, db)
}
