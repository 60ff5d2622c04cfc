package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func previewOf(t *testing.T, s *Server, header map[string]string, body string) (int, string, *httptest.ResponseRecorder) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"body": body})
	w := s.do(t, request{method: "POST", path: "/api/v1/preview", body: string(b), header: header})
	var out struct{ HTML string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return w.Code, out.HTML, w
}

func TestPreviewRendersAsPublishingWouldAndStoresNothing(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	ctx := forum.WithSystem(context.Background())
	settings, err := db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newcomer := forumtest.MustMember(t, db, forum.RoleMember, settings.ImagesMinTrustLevel-1)
	trusted := forumtest.MustMember(t, db, forum.RoleMember, settings.ImagesMinTrustLevel)
	mentioned := forumtest.MustMember(t, db, forum.RoleMember, 1)

	var postsBefore int
	if err := db.GetContext(ctx, &postsBefore, `SELECT count(*) FROM posts`); err != nil {
		t.Fatal(err)
	}

	body := "Du **gras**, @" + mentioned.Username + " et @personne_de_tel_nom\n\n" +
		"<script>alert(1)</script>\n\n[lien](javascript:alert(2)) ![chat](https://example.org/chat.png)"
	code, html, w := previewOf(t, s, bearer(t, db, trusted), body)
	if code != http.StatusOK {
		t.Fatalf("preview: %d %s", code, w.Body)
	}
	for _, want := range []string{"<strong>gras</strong>", `href="/u/` + mentioned.Username + `"`, `<img src="https://example.org/chat.png"`} {
		if !strings.Contains(html, want) {
			t.Errorf("preview lacks %s: %s", want, html)
		}
	}
	for _, bad := range []string{"<script", "javascript:", `href="/u/personne_de_tel_nom"`} {
		if strings.Contains(html, bad) {
			t.Errorf("preview contains %s: %s", bad, html)
		}
	}

	// The author's trust level decides images, as when publishing.
	_, html, _ = previewOf(t, s, bearer(t, db, newcomer), body)
	if strings.Contains(html, "<img") || !strings.Contains(html, "https://example.org/chat.png") {
		t.Errorf("a newcomer's preview shows the image (or loses its address): %s", html)
	}

	var postsAfter int
	if err := db.GetContext(ctx, &postsAfter, `SELECT count(*) FROM posts`); err != nil {
		t.Fatal(err)
	}
	if postsAfter != postsBefore {
		t.Errorf("previewing stored something: %d posts before, %d after", postsBefore, postsAfter)
	}
}

func TestPreviewRefusals(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	auth := bearer(t, db, m)

	if code, _, w := previewOf(t, s, nil, "texte"); code != http.StatusUnauthorized || decodeError(t, w).Code != forum.EUNAUTHORIZED {
		t.Errorf("anonymous preview: %d %s", code, w.Body)
	}
	w := s.do(t, request{method: "POST", path: "/api/v1/preview", body: `{"body": "x", "title": "y"}`, header: auth})
	if w.Code != http.StatusBadRequest {
		t.Errorf("unknown field: %d %s", w.Code, w.Body)
	}
	// The test server accepts 4 KB bodies: more is refused before reading.
	if code, _, w := previewOf(t, s, auth, strings.Repeat("a", 5000)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized preview: %d %s", code, w.Body)
	}
	// Text the pipeline refuses says why, in the reader's language.
	fr := map[string]string{"Authorization": auth["Authorization"], "Accept-Language": "fr"}
	code, _, w := previewOf(t, s, fr, "bonjour\x00")
	if code != http.StatusBadRequest || !strings.Contains(decodeError(t, w).Message, "caractère") {
		t.Errorf("control character: %d %s", code, w.Body)
	}
	// An empty body previews as nothing, not as an error.
	if code, html, w := previewOf(t, s, auth, "   "); code != http.StatusOK || html != "" {
		t.Errorf("empty preview: %d %s", code, w.Body)
	}
}

func TestPreviewFromThePageWithTheSessionCookie(t *testing.T) {
	s := newTestServer(t)
	b, _ := loggedIn(t, s, forum.RoleMember, 1)
	post := func(fetchSite string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/preview", strings.NewReader(`{"body": "*vu*"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", fetchSite)
		req.RemoteAddr = b.addr + ":40000"
		for _, ck := range b.cookies {
			req.AddCookie(ck)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		return w
	}
	if w := post("same-origin"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `\u003cem\u003evu\u003c/em\u003e`) {
		t.Errorf("same-origin preview: %d %s", w.Code, w.Body)
	}
	if w := post("cross-site"); w.Code != http.StatusForbidden {
		t.Errorf("cross-site preview with the cookie: %d, want 403", w.Code)
	}
}

func TestPreviewLimiter(t *testing.T) {
	l := &previewLimiter{max: 2, window: 10 * time.Second, counts: map[int64]int{}}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		member int64
		at     time.Duration
		want   bool
	}{
		{1, 0, true}, {1, time.Second, true}, {1, 2 * time.Second, false}, // a third within the window
		{2, 3 * time.Second, true},   // another member has their own count
		{1, 10 * time.Second, true},  // a new window
		{1, 11 * time.Second, true},  //
		{1, 12 * time.Second, false}, //
		{2, 13 * time.Second, true},  //
	} {
		if got := l.allow(c.member, t0.Add(c.at)); got != c.want {
			t.Errorf("%d: member %d at %v: %v, want %v", i, c.member, c.at, got, c.want)
		}
	}

	// Through the endpoint: the limit answers 429 with a reason.
	s := newTestServer(t)
	db := forumtest.DB(t)
	auth := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 1))
	// Other tests' previews may have opened the window: it can roll over
	// once during the loop, not twice.
	var last *httptest.ResponseRecorder
	for range 2*previewsPerWindow + 1 {
		if _, _, last = previewOf(t, s, auth, "encore"); last.Code != http.StatusOK {
			break
		}
	}
	if last.Code != http.StatusTooManyRequests || decodeError(t, last).Code != forum.ERATELIMITED {
		t.Errorf("previews in a row: %d %s, want 429 past %d", last.Code, last.Body, previewsPerWindow)
	}
}
