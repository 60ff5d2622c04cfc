package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func postJSON(t *testing.T, s *Server, path string, hdr map[string]string, body any, want int) map[string]json.RawMessage {
	t.Helper()
	b, _ := json.Marshal(body)
	w := s.do(t, request{method: "POST", path: path, body: string(b), header: hdr})
	if w.Code != want {
		t.Fatalf("POST %s: %d, want %d: %s", path, w.Code, want, w.Body)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNotificationsSearchAndFeedsThroughTheEngine(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	// Both have accepted whatever guidelines other tests of the package published.
	if _, err := db.SQL().Exec(`UPDATE members SET guidelines_version = 1000000 WHERE id IN ($1, $2)`, alice.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	tag := forumtest.Unique("zq")

	// Alice starts a thread; Bob replies with a mention and a quote.
	out := postJSON(t, s, "/api/v1/threads", ha, map[string]any{"category_id": cat.ID,
		"title": "Les chevaux du " + tag, "body": "Qui monte à cheval ? <script>alert(1)</script> " + tag}, http.StatusCreated)
	var created struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	}
	if err := json.Unmarshal(out["thread"], &created); err != nil {
		t.Fatal(err)
	}
	var firstPost struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(out["post"], &firstPost); err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || firstPost.ID == 0 {
		t.Fatalf("thread not created: %v", out)
	}
	postJSON(t, s, fmt.Sprintf("/api/v1/threads/%d/posts", created.ID), hb, map[string]any{
		"body": fmt.Sprintf("[quote=%d]\nQui monte\n[/quote]\n\nMoi, @%s ! %s", firstPost.ID, alice.Username, tag)}, http.StatusCreated)

	// Alice sees one notification (a mention wins over the quote and her watch).
	w := s.do(t, request{path: "/api/v1/notifications", header: merge(ha, map[string]string{"Accept-Language": "en"})})
	var list struct {
		Notifications []notificationItem `json:"notifications"`
		Unread        int                `json:"unread"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != 200 || len(list.Notifications) != 1 || list.Unread != 1 {
		t.Fatalf("notifications: %d %s", w.Code, w.Body)
	}
	n := list.Notifications[0]
	if n.Kind != forum.NotifyMention || !strings.Contains(n.Text, bob.Username+" mentioned you") || !strings.HasPrefix(n.URL, "/p/") {
		t.Errorf("notification: %+v", n)
	}
	// The badge is in the header of her pages, not of visitors'.
	page := s.do(t, request{path: "/notifications", header: ha})
	if page.Code != 200 || !strings.Contains(page.Body.String(), `class="badge"`) || !strings.Contains(page.Body.String(), "vous a mentionné") ||
		!strings.Contains(page.Body.String(), fmt.Sprintf("/notifications/%d/open", n.ID)) {
		t.Errorf("notifications page: %d %s", page.Code, page.Body)
	}
	if w := s.do(t, request{path: "/search"}); strings.Contains(w.Body.String(), `class="badge"`) {
		t.Error("a visitor sees a badge")
	}
	if w := s.do(t, request{path: "/api/v1/notifications"}); w.Code != 401 {
		t.Errorf("visitor's notifications: %d", w.Code)
	}
	// Opening it leads to the post and reads it.
	w = s.do(t, request{path: fmt.Sprintf("/notifications/%d/open", n.ID), header: ha})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != n.URL {
		t.Errorf("open: %d %s", w.Code, w.Header().Get("Location"))
	}
	if out := postJSON(t, s, "/api/v1/notifications/read", ha, map[string]any{}, 200); string(out["unread"]) != "0" {
		t.Errorf("unread after reading: %s", out["unread"])
	}
	if w := s.do(t, request{method: "POST", path: "/api/v1/notifications/read", body: `{"all": true}`, header: ha}); w.Code != 400 {
		t.Errorf("unknown field: %d", w.Code)
	}

	// Watching through the API.
	w = s.do(t, request{method: "PUT", path: fmt.Sprintf("/api/v1/threads/%d/watch", created.ID), body: `{"level": "muted"}`, header: hb})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"effective":"muted"`) {
		t.Errorf("watch thread: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "PUT", path: fmt.Sprintf("/api/v1/categories/%d/watch", cat.ID), body: `{"level": "loud"}`, header: hb})
	if w.Code != 400 || decodeError(t, w).Code != forum.EINVALID {
		t.Errorf("bad level: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/t/%d/watch", created.ID), body: "", header: merge(hb, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})})
	if w.Code != 400 {
		t.Errorf("HTML watch without a level: %d", w.Code)
	}

	// Search: French stemming, escaped snippets, in the API and the page.
	w = s.do(t, request{path: "/api/v1/search?q=" + tag})
	var res struct {
		Results []searchResult `json:"results"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || w.Code != 200 || len(res.Results) != 2 {
		t.Fatalf("search: %d %s", w.Code, w.Body)
	}
	for _, r := range res.Results {
		if strings.Contains(r.Snippet, "<script") || !strings.Contains(r.Snippet, "<mark>") {
			t.Errorf("snippet %q", r.Snippet)
		}
	}
	if res.Results[0].Thread.ID != created.ID || res.Results[0].Post.ID != firstPost.ID {
		t.Errorf("the opening post (title match) should rank first: %+v", res.Results[0])
	}
	w = s.do(t, request{path: "/search?q=chevaux+" + tag + "&author=" + alice.Username, header: map[string]string{"Accept-Language": "en"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<mark>") || strings.Contains(w.Body.String(), "<script>alert") ||
		!strings.Contains(w.Body.String(), fmt.Sprintf(`href="/p/%d"`, firstPost.ID)) || !strings.Contains(w.Body.String(), "by "+alice.Username) {
		t.Errorf("search page: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/search?q=" + tag + "&from=yesterday", header: map[string]string{"Accept-Language": "en"}})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Expected a date as YYYY-MM-DD") || !strings.Contains(w.Body.String(), `value="yesterday"`) {
		t.Errorf("bad date: the form must come back filled with the error: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: "/api/v1/search?q=x"}); w.Code != 400 || decodeError(t, w).Code != forum.EINVALID {
		t.Errorf("short query: %d %s", w.Code, w.Body)
	}

	// Feeds, read by a real feed parser.
	parser := gofeed.NewParser()
	for _, c := range []struct {
		path  string
		title string
		want  int
	}{
		{"/feed.atom", "Les chevaux du " + tag, -1},
		{"/c/" + cat.Slug + "/feed.atom", "Les chevaux du " + tag, 1},
		{fmt.Sprintf("/t/%d/feed.atom", created.ID), "", 2},
	} {
		w := s.do(t, request{path: c.path})
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("%s: %d %s", c.path, w.Code, w.Body)
		}
		f, err := parser.ParseString(w.Body.String())
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", c.path, err, w.Body)
		}
		if f.FeedType != "atom" || (c.want >= 0 && len(f.Items) != c.want) {
			t.Fatalf("%s: %s with %d entries", c.path, f.FeedType, len(f.Items))
		}
		found := c.title == ""
		for _, it := range f.Items {
			found = found || it.Title == c.title
			if !strings.HasPrefix(it.Link, "http://") || it.UpdatedParsed == nil || it.Content == "" || strings.Contains(it.Content, "<script") {
				t.Errorf("%s: entry %+v", c.path, it)
			}
		}
		if !found {
			t.Errorf("%s lacks %q", c.path, c.title)
		}
		etag := w.Header().Get("ETag")
		if w := s.do(t, request{path: c.path, header: map[string]string{"If-None-Match": etag}}); etag == "" || w.Code != http.StatusNotModified {
			t.Errorf("%s revalidation: %d", c.path, w.Code)
		}
		if w := s.do(t, request{path: c.path, header: map[string]string{"If-Modified-Since": w.Header().Get("Last-Modified")}}); w.Code != http.StatusNotModified {
			t.Errorf("%s If-Modified-Since: %d", c.path, w.Code)
		}
	}
	if w := s.do(t, request{path: "/t/999999999/feed.atom"}); w.Code != 404 {
		t.Errorf("missing thread feed: %d", w.Code)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
