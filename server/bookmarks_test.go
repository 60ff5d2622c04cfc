package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The bookmark form under a post keeps it with a note and a reminder; the
// bookmarks page lists it and removes it; the API does the same.
func TestBookmarksThroughPagesAndAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	th := startThread(t, s, hb, cat, "Un sujet à garder")
	post := th.Post.ID

	w := s.do(t, formRequest(fmt.Sprintf("/p/%d/bookmark", post), ha, url.Values{"note": {"Pour le compost"}, "remind": {"tomorrow"}}))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != fmt.Sprintf("/p/%d", post) {
		t.Fatalf("the bookmark form: %d %s", w.Code, w.Header().Get("Location"))
	}
	b, err := db.BookmarkOf(forumtest.As(alice), post)
	// 8 a.m. in the forum's time zone (Europe/Paris by default).
	if err != nil || b == nil || b.Note != "Pour le compost" || b.RemindAt == nil || b.RemindAt.In(paris(t)).Hour() != 8 || !b.RemindAt.After(time.Now()) {
		t.Fatalf("the bookmark stored: %+v, %v", b, err)
	}
	page0 := s.do(t, request{path: "/bookmarks", header: ha}).Body.String()
	if !strings.Contains(page0, `<option value="keep" selected>`) || !strings.Contains(page0, `name="note" maxlength="500" value="Pour le compost"`) {
		t.Errorf("the bookmarks page does not offer to change the note and keep the reminder")
	}
	// Changing the note keeps the reminder.
	w = s.do(t, formRequest(fmt.Sprintf("/p/%d/bookmark", post), ha, url.Values{"note": {"Pour le compost, vite"}, "remind": {"keep"}, "next": {"/bookmarks?done=saved"}}))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/bookmarks?done=saved" {
		t.Fatalf("saving from the bookmarks page: %d %s", w.Code, w.Header().Get("Location"))
	}
	if kept, _ := db.BookmarkOf(forumtest.As(alice), post); kept == nil || kept.Note != "Pour le compost, vite" || kept.RemindAt == nil || !kept.RemindAt.Equal(*b.RemindAt) {
		t.Errorf("after changing the note: %+v", kept)
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/p/%d/bookmark", post), ha, url.Values{"remind": {"someday"}})); w.Code != http.StatusBadRequest {
		t.Errorf("a reminder not offered: %d", w.Code)
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/p/%d/bookmark", post), ha, url.Values{"next": {"https://evil.example/"}})); w.Header().Get("Location") != fmt.Sprintf("/p/%d", post) {
		t.Errorf("the form follows a foreign next: %s", w.Header().Get("Location"))
	}
	page := s.do(t, request{path: "/bookmarks", header: ha})
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "Un sujet à garder") || strings.Contains(page.Body.String(), "Pour le compost") {
		// The last form emptied the note: the page shows the bookmark without it.
		t.Errorf("the bookmarks page: %d", page.Code)
	}
	if w := s.do(t, request{path: "/bookmarks"}); w.Code != http.StatusSeeOther && w.Code != http.StatusUnauthorized {
		t.Errorf("a visitor's bookmarks page: %d", w.Code)
	}

	// The API.
	w = s.do(t, request{method: "PUT", path: fmt.Sprintf("/api/v1/posts/%d/bookmark", post), header: ha, body: `{"note": "via l’API", "remind_at": "2000-01-01T00:00:00Z"}`})
	if w.Code != http.StatusBadRequest || decodeError(t, w).Field != "remind_at" {
		t.Errorf("a reminder in the past: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "PUT", path: fmt.Sprintf("/api/v1/posts/%d/bookmark", post), header: ha, body: `{"note": "via l’API"}`})
	if w.Code != http.StatusOK || decode[struct{ Bookmark forum.Bookmark }](t, w.Body.Bytes()).Bookmark.Note != "via l’API" {
		t.Errorf("bookmarking through the API: %d %s", w.Code, w.Body)
	}
	list := decode[struct{ Bookmarks []forum.Bookmark }](t, s.do(t, request{path: "/api/v1/me/bookmarks", header: ha}).Body.Bytes())
	if len(list.Bookmarks) != 1 || list.Bookmarks[0].PostID != post {
		t.Errorf("alice's bookmarks: %+v", list.Bookmarks)
	}
	w = s.do(t, formRequest(fmt.Sprintf("/p/%d/bookmark/delete", post), ha, url.Values{"next": {"/bookmarks?done=removed"}}))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/bookmarks?done=removed" {
		t.Errorf("removing from the page: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := s.do(t, request{method: "DELETE", path: fmt.Sprintf("/api/v1/posts/%d/bookmark", post), header: ha}); w.Code != http.StatusNoContent {
		t.Errorf("removing again through the API: %d", w.Code)
	}
	if w := s.do(t, request{method: "PUT", path: "/api/v1/posts/999999999/bookmark", header: ha}); w.Code != http.StatusNotFound {
		t.Errorf("bookmarking nothing: %d", w.Code)
	}
}

// paris is the default forum time zone.
func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(forum.DefaultTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
