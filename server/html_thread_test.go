package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func formRequest(path string, h map[string]string, values url.Values) request {
	hh := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range h {
		hh[k] = v
	}
	return request{method: "POST", path: path, header: hh, body: values.Encode()}
}

func TestThreadPagesRedirectsAndForms(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	ha, hb, hm := bearer(t, db, alice), bearer(t, db, bob), bearer(t, db, mod)
	// Other tests of the package may publish guidelines that members must
	// accept before browsing: these members have accepted every version.
	db.SQL().MustExec(`UPDATE members SET guidelines_version = 1000000 WHERE id IN ($1, $2, $3)`, alice.ID, bob.ID, mod.ID)

	// Start a thread with the HTML form.
	w := s.do(t, formRequest("/new", ha, url.Values{"category_id": {fmt.Sprint(cat.ID)}, "title": {"Un sujet par le formulaire"}, "body": {"Premier message du formulaire."}}))
	if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/t/") {
		t.Fatalf("new thread form: %d %s", w.Code, w.Header())
	}
	canonical := w.Header().Get("Location")
	var id int64
	if _, err := fmt.Sscanf(canonical, "/t/%d/", &id); err != nil {
		t.Fatal(err)
	}
	// A refused form comes back filled.
	w = s.do(t, formRequest("/new", ha, url.Values{"category_id": {fmt.Sprint(cat.ID)}, "title": {""}, "body": {"Texte à garder"}}))
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Texte à garder") {
		t.Errorf("refused new thread: %d", w.Code)
	}
	if w := s.do(t, request{path: "/c/" + cat.Slug + "/new"}); w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("new thread as a visitor: %d %s", w.Code, w.Header().Get("Location"))
	}

	// Canonical URLs.
	for _, p := range []string{fmt.Sprintf("/t/%d", id), fmt.Sprintf("/t/%d/wrong-slug", id)} {
		if w := s.do(t, request{path: p}); w.Code != 301 || w.Header().Get("Location") != canonical {
			t.Errorf("%s: %d → %s, want 301 → %s", p, w.Code, w.Header().Get("Location"), canonical)
		}
	}

	// 25 replies; the permalink of #22 lands on the page after 20.
	var lastReply string
	for i := range 25 {
		w := s.do(t, formRequest(fmt.Sprintf("/t/%d/reply", id), hb, url.Values{"body": {fmt.Sprintf("Réponse %d", i+2)}}))
		if w.Code != 303 {
			t.Fatalf("reply form: %d %s", w.Code, w.Body)
		}
		lastReply = w.Header().Get("Location")
	}
	if want := canonical + "?after=20#p26"; lastReply != want {
		t.Errorf("after replying: %s, want %s", lastReply, want)
	}
	var p22 int64
	if err := db.SQL().Get(&p22, `SELECT id FROM posts WHERE thread_id = $1 AND number = 22`, id); err != nil {
		t.Fatal(err)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/p/%d", p22)}); w.Code != 302 || w.Header().Get("Location") != canonical+"?after=20#p22" {
		t.Errorf("permalink: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = s.do(t, request{path: canonical + "?after=20", header: ha})
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `id="p21"`) || !strings.Contains(body, `id="p26"`) || strings.Contains(body, `id="p20"`) {
		t.Errorf("second page: %d", w.Code)
	}

	// Reading state: bob has read everything, alice only the second page.
	w = s.do(t, request{path: "/c/" + cat.Slug, header: ha})
	if strings.Contains(w.Body.String(), `class="unread"`) {
		t.Errorf("alice has unread posts after reading the last page")
	}
	db.SQL().MustExec(`UPDATE read_states SET last_read_number = 10 WHERE member_id = $1 AND thread_id = $2`, alice.ID, id)
	w = s.do(t, request{path: "/c/" + cat.Slug, header: ha})
	if !strings.Contains(w.Body.String(), "16 non lus") || !strings.Contains(w.Body.String(), fmt.Sprintf("/t/%d/un-sujet-par-le-formulaire?after=10#p11", id)) {
		t.Errorf("unread count and jump link missing")
	}

	// Quote: the reply form is filled with the quoted post.
	var first int64
	if err := db.SQL().Get(&first, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, id); err != nil {
		t.Fatal(err)
	}
	w = s.do(t, request{path: fmt.Sprintf("%s?quote=%d", canonical, first), header: hb})
	if !strings.Contains(w.Body.String(), fmt.Sprintf("[quote=%s post=%d]", alice.Username, first)) || !strings.Contains(w.Body.String(), `name="reply_to" value="1"`) {
		t.Errorf("quote prefill missing")
	}

	// Staff lock with the button; the member's typed reply comes back.
	if w := s.do(t, formRequest(fmt.Sprintf("/t/%d/flags", id), hb, url.Values{"flag": {"locked"}, "value": {"1"}})); w.Code != 403 {
		t.Errorf("member locking: %d", w.Code)
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/t/%d/flags", id), hm, url.Values{"flag": {"locked"}, "value": {"1"}})); w.Code != 303 {
		t.Errorf("moderator locking: %d", w.Code)
	}
	w = s.do(t, formRequest(fmt.Sprintf("/t/%d/reply", id), hb, url.Values{"body": {"Ma réponse précieuse"}}))
	if w.Code != 403 || !strings.Contains(w.Body.String(), "Ma réponse précieuse") || !strings.Contains(w.Body.String(), "verrouillé") {
		t.Errorf("reply to a locked thread: %d", w.Code)
	}

	// Edit and delete pages.
	var p2 int64
	if err := db.SQL().Get(&p2, `SELECT id FROM posts WHERE thread_id = $1 AND number = 2`, id); err != nil {
		t.Fatal(err)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/p/%d/edit", p2), header: ha}); w.Code != 403 {
		t.Errorf("edit page of someone else's post: %d", w.Code)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/p/%d/delete", p2), header: hb}); w.Code != 200 {
		t.Errorf("delete confirmation: %d", w.Code)
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/p/%d/delete", p2), hb, nil)); w.Code != 303 {
		t.Errorf("delete: %d", w.Code)
	}
	w = s.do(t, request{path: canonical, header: hm})
	if !strings.Contains(w.Body.String(), "visible seulement par l’équipe") || !strings.Contains(w.Body.String(), "Réponse 2") {
		t.Errorf("staff do not see the deleted post with its state")
	}
}
