package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// A category's moderators pin, lock, move (to another category they
// moderate), edit and delete in it, and are offered only that; elsewhere
// they are members.
func TestCategoryModeratorsActInTheirCategoriesOnly(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	catMod := forumtest.MustMember(t, db, forum.RoleMember, 3)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mine, second, other := forumtest.MustCategory(t, db), forumtest.MustCategory(t, db), forumtest.MustCategory(t, db)
	for _, c := range []*forum.Category{mine, second} {
		if err := db.SetCategoryModerator(sys, catMod.ID, c.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	submit := func(cat *forum.Category) *moderation.Submitted {
		out, err := s.pipeline.SubmitThread(forumtest.As(author), moderation.ThreadSubmission{CategoryID: cat.ID,
			Title: "Une question de " + forumtest.Unique("jardin"), Body: "Comment tailler les rosiers en hiver ?"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	here, there := submit(mine), submit(other)
	h := bearer(t, db, catMod)
	thread := func(id int64) string { return "/api/v1/threads/" + strconv.FormatInt(id, 10) }

	// Pin and lock in their category; not elsewhere.
	if w := s.do(t, request{method: "PATCH", path: thread(here.Thread.ID), body: `{"pinned": true, "locked": true}`, header: h}); w.Code != 200 {
		t.Errorf("category moderator pins in their category: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "PATCH", path: thread(there.Thread.ID), body: `{"pinned": true}`, header: h}); w.Code != http.StatusForbidden {
		t.Errorf("category moderator pins elsewhere: %d", w.Code)
	}
	// Edit and delete someone else's post in their category; not elsewhere.
	if w := s.do(t, request{method: "PATCH", path: "/api/v1/posts/" + strconv.FormatInt(here.Post.ID, 10), body: `{"body": "Comment tailler les rosiers en hiver ? (titre précisé)"}`, header: h}); w.Code != 200 {
		t.Errorf("category moderator edits in their category: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "PATCH", path: "/api/v1/posts/" + strconv.FormatInt(there.Post.ID, 10), body: `{"body": "Modifié"}`, header: h}); w.Code != http.StatusForbidden {
		t.Errorf("category moderator edits elsewhere: %d", w.Code)
	}
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/posts/" + strconv.FormatInt(there.Post.ID, 10), header: h}); w.Code != http.StatusForbidden {
		t.Errorf("category moderator deletes elsewhere: %d", w.Code)
	}

	// The page offers them the actions they have, with the categories to
	// move to; not on another category's thread.
	w := s.do(t, request{path: "/t/" + strconv.FormatInt(here.Thread.ID, 10) + "/" + here.Thread.Slug, header: en(bearer(t, db, catMod))})
	body := w.Body.String()
	for _, want := range []string{`action="/t/` + strconv.FormatInt(here.Thread.ID, 10) + `/flags"`, `action="/t/` + strconv.FormatInt(here.Thread.ID, 10) + `/move"`,
		`<option value="` + strconv.FormatInt(second.ID, 10) + `">`, `href="/p/` + strconv.FormatInt(here.Post.ID, 10) + `/edit"`, `href="/p/` + strconv.FormatInt(here.Post.ID, 10) + `/delete"`} {
		if !strings.Contains(body, want) {
			t.Errorf("their thread's page lacks %s", want)
		}
	}
	for _, form := range []string{"/edit", "/delete"} {
		if w := s.do(t, request{path: "/p/" + strconv.FormatInt(here.Post.ID, 10) + form, header: h}); w.Code != 200 {
			t.Errorf("GET %s form of their category's post: %d", form, w.Code)
		}
	}
	if strings.Contains(body, `<option value="`+strconv.FormatInt(other.ID, 10)+`">`) {
		t.Error("moving to a category they do not moderate is offered")
	}
	w = s.do(t, request{path: "/t/" + strconv.FormatInt(there.Thread.ID, 10) + "/" + there.Thread.Slug, header: bearer(t, db, catMod)})
	if body := w.Body.String(); w.Code != 200 || strings.Contains(body, "/flags") || strings.Contains(body, "/move") || strings.Contains(body, "/edit\"") {
		t.Errorf("another category's thread offers moderation: %d", w.Code)
	}

	// Move: to a category they moderate, through the API and the form;
	// not to one they do not; logged.
	if w := s.do(t, request{method: "PATCH", path: thread(here.Thread.ID), body: fmt.Sprintf(`{"category_id": %d}`, other.ID), header: h}); w.Code != http.StatusForbidden {
		t.Errorf("move to a category they do not moderate: %d", w.Code)
	}
	w = s.do(t, request{method: "PATCH", path: thread(here.Thread.ID), body: fmt.Sprintf(`{"category_id": %d}`, second.ID), header: h})
	var got struct{ Thread forum.Thread }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || got.Thread.CategoryID != second.ID {
		t.Fatalf("move through the API: %d %s", w.Code, w.Body)
	}
	w = s.doForm(t, "/t/"+strconv.FormatInt(here.Thread.ID, 10)+"/move", "category_id="+strconv.FormatInt(mine.ID, 10), h)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("move through the form: %d %s", w.Code, w.Body)
	}
	var moves int
	if err := db.SQL().Get(&moves, `SELECT count(*) FROM mod_log WHERE action = 'thread.move' AND target_id = $1 AND actor_id = $2`, here.Thread.ID, catMod.ID); err != nil {
		t.Fatal(err)
	}
	if moves != 2 {
		t.Errorf("%d moves logged, want 2", moves)
	}
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/posts/" + strconv.FormatInt(here.Post.ID, 10), header: h}); w.Code != http.StatusNoContent {
		t.Errorf("category moderator deletes in their category: %d %s", w.Code, w.Body)
	}
	// A plain member still may not.
	if w := s.do(t, request{method: "PATCH", path: thread(there.Thread.ID), body: `{"locked": true}`, header: bearer(t, db, author)}); w.Code != http.StatusForbidden {
		t.Errorf("a member locks: %d", w.Code)
	}
}

// A reply the forum refuses brings the thread page back with the form and
// its error: a category moderator keeps their buttons on it.
func TestCategoryModeratorKeepsTheirButtonsAfterARefusedReply(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	catMod := forumtest.MustMember(t, db, forum.RoleMember, 3)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat, second := forumtest.MustCategory(t, db), forumtest.MustCategory(t, db)
	for _, c := range []*forum.Category{cat, second} {
		if err := db.SetCategoryModerator(forum.WithSystem(context.Background()), catMod.ID, c.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	out, err := s.pipeline.SubmitThread(forumtest.As(author), moderation.ThreadSubmission{CategoryID: cat.ID,
		Title: "Semis de " + forumtest.Unique("tomates"), Body: "Quand semer les tomates sous abri ?"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(out.Thread.ID, 10)
	h := en(bearer(t, db, catMod))
	h["Content-Type"] = "application/x-www-form-urlencoded"
	w := s.do(t, request{method: "POST", path: "/t/" + id + "/reply", body: "body=", header: h})
	body := w.Body.String()
	if w.Code != http.StatusBadRequest || !strings.Contains(body, `action="/t/`+id+`/reply"`) {
		t.Fatalf("refused reply: %d", w.Code)
	}
	for _, want := range []string{`action="/t/` + id + `/flags"`, `action="/t/` + id + `/move"`,
		`<option value="` + strconv.FormatInt(second.ID, 10) + `">`,
		`href="/p/` + strconv.FormatInt(out.Post.ID, 10) + `/edit"`, `href="/p/` + strconv.FormatInt(out.Post.ID, 10) + `/delete"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page of the refused reply lacks %s", want)
		}
	}
}
