package server

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

type draftAnswer struct {
	Draft *forum.Draft `json:"draft"`
}

// A draft saved through the API is there on any device; publishing the
// reply uses it up, and a reply the pipeline refuses leaves it.
func TestDraftsThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	th := startThread(t, s, hb, cat, "Un sujet à brouillons")
	draft := fmt.Sprintf("/api/v1/threads/%d/draft", th.Thread.ID)

	if w := s.do(t, request{path: draft}); w.Code != http.StatusUnauthorized {
		t.Errorf("a visitor reads a draft: %d", w.Code)
	}
	if w := s.do(t, request{method: "PUT", path: draft, body: `{"body": "x"}`}); w.Code != http.StatusUnauthorized {
		t.Errorf("a visitor saves a draft: %d", w.Code)
	}
	if got := decode[draftAnswer](t, s.do(t, request{path: draft, header: ha}).Body.Bytes()); got.Draft != nil {
		t.Errorf("a draft before any was saved: %+v", got.Draft)
	}
	w := s.do(t, request{method: "PUT", path: draft, header: ha, body: `{"body": "Ma réponse commence ainsi"}`})
	if w.Code != http.StatusOK {
		t.Fatalf("saving a draft: %d %s", w.Code, w.Body)
	}
	if got := decode[draftAnswer](t, s.do(t, request{path: draft, header: ha}).Body.Bytes()); got.Draft == nil || got.Draft.Body != "Ma réponse commence ainsi" {
		t.Errorf("the draft read back: %+v", got.Draft)
	}
	if got := decode[draftAnswer](t, s.do(t, request{path: draft, header: hb}).Body.Bytes()); got.Draft != nil {
		t.Errorf("bob reads alice's draft: %+v", got.Draft)
	}
	w = s.do(t, request{method: "PUT", path: "/api/v1/drafts/new", header: ha,
		body: fmt.Sprintf(`{"title": "Une idée", "body": "À développer", "category_id": %d}`, cat.ID)})
	if w.Code != http.StatusOK {
		t.Fatalf("saving a new thread's draft: %d %s", w.Code, w.Body)
	}
	list := decode[struct{ Drafts []forum.Draft }](t, s.do(t, request{path: "/api/v1/drafts", header: ha}).Body.Bytes())
	if len(list.Drafts) != 2 || list.Drafts[0].Title != "Une idée" || list.Drafts[1].ThreadTitle == nil || *list.Drafts[1].ThreadTitle != "Un sujet à brouillons" {
		t.Errorf("alice's drafts: %+v", list.Drafts)
	}

	// Bad input: a clear error on the field (lengths: forum's
	// TestDraftsRefuseWhatAPostCannotHold), the draft kept as it was.
	if w := s.do(t, request{method: "PUT", path: draft, header: ha, body: `{"body": "a\u0000b"}`}); w.Code != http.StatusBadRequest || decodeError(t, w).Field != "body" {
		t.Errorf("a draft with a NUL: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "PUT", path: draft, header: ha, body: `{"body": `}); w.Code != http.StatusBadRequest {
		t.Errorf("a draft in broken JSON: %d", w.Code)
	}
	if w := s.do(t, request{method: "PUT", path: "/api/v1/threads/abc/draft", header: ha, body: `{"body": "x"}`}); w.Code != http.StatusNotFound {
		t.Errorf("a draft of thread abc: %d", w.Code)
	}

	// A reply the pipeline refuses comes back with its reason; the draft stays.
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID), header: ha, body: `{"body": "a"}`})
	if w.Code < 400 || w.Code >= 500 {
		t.Fatalf("a one-letter reply: %d %s", w.Code, w.Body)
	}
	if got := decode[draftAnswer](t, s.do(t, request{path: draft, header: ha}).Body.Bytes()); got.Draft == nil {
		t.Error("a refused reply took the draft")
	}
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID), header: ha,
		body: `{"body": "Ma réponse commence ainsi, et la voici entière."}`})
	if w.Code != http.StatusCreated {
		t.Fatalf("replying: %d %s", w.Code, w.Body)
	}
	if got := decode[draftAnswer](t, s.do(t, request{path: draft, header: ha}).Body.Bytes()); got.Draft != nil {
		t.Errorf("the published reply left its draft: %+v", got.Draft)
	}
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/drafts/new", header: ha}); w.Code != http.StatusNoContent {
		t.Errorf("deleting the new thread's draft: %d %s", w.Code, w.Body)
	}
	if list := decode[struct{ Drafts []forum.Draft }](t, s.do(t, request{path: "/api/v1/drafts", header: ha}).Body.Bytes()); len(list.Drafts) != 0 {
		t.Errorf("drafts left: %+v", list.Drafts)
	}
}

func TestMentionSuggestionsThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	th := startThread(t, s, hb, cat, "Qui a écrit ici ?")

	if w := s.do(t, request{path: "/api/v1/mentions?q=a"}); w.Code != http.StatusUnauthorized {
		t.Errorf("a visitor asks for members: %d", w.Code)
	}
	if w := s.do(t, request{path: "/api/v1/mentions?q=a&thread=x", header: ha}); w.Code != http.StatusBadRequest || decodeError(t, w).Field != "thread" {
		t.Errorf("a bad thread: %d %s", w.Code, w.Body)
	}
	w := s.do(t, request{path: fmt.Sprintf("/api/v1/mentions?thread=%d", th.Thread.ID), header: ha})
	got := decode[struct{ Members []forum.MentionSuggestion }](t, w.Body.Bytes())
	if w.Code != http.StatusOK || len(got.Members) != 1 || got.Members[0].Username != bob.Username || !got.Members[0].InThread {
		t.Errorf("a bare @ in bob's thread: %d %s", w.Code, w.Body)
	}
}

// The composer's labels reach the script as one JSON attribute, in the
// reader's language, on every page with a post form.
func TestComposerLabelsReachTheScript(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	w := s.do(t, request{path: "/new", header: bearer(t, db, alice)})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /new: %d", w.Code)
	}
	m := regexp.MustCompile(`<script src="/static/js/compose\.[^"]+" data-labels="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no composer script with its labels on /new:\n%s", w.Body)
	}
	labels := decode[map[string]string](t, []byte(html.UnescapeString(m[1])))
	for _, key := range composeLabels {
		name := strings.TrimPrefix(key, "compose.")
		if labels[name] == "" || labels[name] == key {
			t.Errorf("label %s = %q", name, labels[name])
		}
	}
	if labels["bold"] != "Gras" {
		t.Errorf("the bold button reads %q in French", labels["bold"])
	}
}
