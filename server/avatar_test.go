package server

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestInitialsAndColourOfGeneratedAvatars(t *testing.T) {
	for _, c := range []struct{ name, username, want string }{
		{"Jeanne d’Arc", "jeanne", "JD"},
		{"", "paul_martin", "PM"},
		{"élodie", "x", "É"},
		{"  ", "42", "4"},
		{"", "__", "?"},
		{"ada-lovelace byron", "x", "AL"},
		{"Ünal 3e Örs", "x", "Ü3"},
		{"\xff\xfeabc", "x", "A"},
	} {
		if got := initials(c.name, c.username); got != c.want {
			t.Errorf("initials(%q, %q) = %q, want %q", c.name, c.username, got, c.want)
		}
	}
	if avatarColour("Alice") != avatarColour("alice") {
		t.Error("the colour depends on the username's case")
	}
	// A member's colour never changes between releases: it is the FNV-1a
	// hash of hash/fnv, which the generated avatars' addresses (cached for
	// good) were first derived from.
	for _, u := range []string{"alice", "Bob_42", "Élodie", "jeanne-d-arc", "", "membre06069", "ÇA"} {
		h := fnv.New32a()
		h.Write([]byte(strings.ToLower(u)))
		if got, want := avatarColour(u), int(h.Sum32()%avatarColours); got != want {
			t.Errorf("avatarColour(%q) = %d, hash/fnv gives %d", u, got, want)
		}
	}
	seen := map[int]bool{}
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"} {
		c := avatarColour(u)
		if c < 0 || c >= avatarColours {
			t.Fatalf("colour %d", c)
		}
		seen[c] = true
	}
	if len(seen) < 4 {
		t.Errorf("ten names share %d colours", len(seen))
	}
}

// TestAvatarFromTheAccountPage: the account page's form works without
// JavaScript (multipart), and the profile shows the picture, or the
// initials without one.
func TestAvatarFromTheAccountPage(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	auth := withHeaders(bearer(t, db, m), "Accept-Language", "en")
	profile := func() string {
		t.Helper()
		w := s.do(t, request{path: "/u/" + m.Username})
		if w.Code != 200 {
			t.Fatalf("profile: %d", w.Code)
		}
		return w.Body.String()
	}
	page := profile()
	if !strings.Contains(page, `class="avatar avatar-96 avatar-c`) || !strings.Contains(page, ">"+initials("", m.Username)+"</span>") {
		t.Fatalf("no generated avatar on the profile: %s", page)
	}
	w := s.do(t, request{path: "/account", header: auth})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `enctype="multipart/form-data"`) || !strings.Contains(w.Body.String(), `type="file" name="file"`) {
		t.Fatalf("account page: %d", w.Code)
	}

	body, ct := multipartFile(t, "moi.png", []byte("<html>not a picture</html>"))
	w = s.do(t, request{method: "POST", path: "/account/avatar", body: body, header: withHeaders(auth, "Content-Type", ct)})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `id="e-avatar"`) {
		t.Fatalf("refused picture: %d %s", w.Code, w.Body)
	}

	body, ct = multipartFile(t, "moi.png", testPNG(t))
	w = s.do(t, request{method: "POST", path: "/account/avatar", body: body, header: withHeaders(auth, "Content-Type", ct)})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account?saved=avatar#avatar" {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	avatar, err := db.MemberAvatar(t.Context(), m.ID)
	if err != nil || avatar == nil {
		t.Fatalf("stored avatar: %v %v", avatar, err)
	}
	page = profile()
	if !strings.Contains(page, `<img class="avatar avatar-96" src="`+avatar.URL(96)+`" srcset="`+avatar.URL(192)+` 2x"`) {
		t.Fatalf("no picture on the profile: %s", page)
	}
	if w := s.do(t, request{path: "/account", header: auth}); !strings.Contains(w.Body.String(), `action="/account/avatar/delete"`) {
		t.Fatal("no way to remove the picture")
	}
	w = s.do(t, request{method: "POST", path: "/account/avatar/delete", header: auth})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	if strings.Contains(profile(), `<img class="avatar`) {
		t.Fatal("the picture is still shown")
	}
}

// TestAvatarsBesidePostsListsAndNotifications: each post, thread of a list
// and notification shows its member's avatar, the uploaded one read with
// the rows, the generated one as a cached SVG; a new avatar shows at once,
// even on a thread page served from its snapshot.
func TestAvatarsBesidePostsListsAndNotifications(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	for _, m := range []*forum.Member{alice, bob} {
		if v, _ := db.RequiredGuidelinesVersion(forumtest.As(m)); v > 0 {
			if err := db.AcceptGuidelines(forumtest.As(m), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	th := startThread(t, s, ha, cat, "Un sujet illustré")
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID), header: hb, body: `{"body": "Bonjour Alice."}`}); w.Code != 201 {
		t.Fatalf("reply: %d %s", w.Code, w.Body)
	} else if strings.Contains(w.Body.String(), `"avatar_url"`) {
		// Storing a reply reads no avatar: a generated one would be wrong
		// for Bob, who uploaded his.
		t.Errorf("the new reply carries an avatar: %s", w.Body)
	}
	threadURL := fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug)
	get := func(path string, h map[string]string) string {
		t.Helper()
		w := s.do(t, request{path: path, header: h})
		if w.Code != 200 {
			t.Fatalf("%s: %d", path, w.Code)
		}
		return w.Body.String()
	}
	generated := func(m *forum.Member, side int) string {
		return fmt.Sprintf(`<img class="avatar avatar-%d" src="%s" width="%d" height="%d" alt="">`, side,
			generatedAvatarURL(initials(m.DisplayName, m.Username), avatarColour(m.Username)), side, side)
	}
	page := get(threadURL, nil)
	for _, m := range []*forum.Member{alice, bob} {
		if !strings.Contains(page, generated(m, postAvatarSide)) {
			t.Fatalf("no generated avatar of %s beside their post: %s", m.Username, page)
		}
	}

	// Bob's picture, after the page was read (and its snapshot made).
	avatar, err := db.SetAvatar(forumtest.As(bob), testPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	uploaded := fmt.Sprintf(`<img class="avatar avatar-%d" src="%s" srcset="%s 2x" width="%d" height="%d" alt="">`, postAvatarSide,
		avatar.URL(postAvatarSide), avatar.URL(2*postAvatarSide), postAvatarSide, postAvatarSide)
	for _, h := range []map[string]string{nil, ha} {
		page = get(threadURL, h)
		if !strings.Contains(page, uploaded) || !strings.Contains(page, generated(alice, postAvatarSide)) {
			t.Fatalf("avatars on the thread page: %s", page)
		}
	}
	if strings.Count(page, `class="avatar `) != 2 {
		t.Errorf("%d avatars for 2 posts", strings.Count(page, `class="avatar `))
	}

	// Lists: the thread's author.
	for _, p := range []string{"/", "/latest", "/c/" + cat.Slug} {
		if l := get(p, nil); !strings.Contains(l, generated(alice, listAvatarSide)) {
			t.Errorf("%s: no avatar of the thread's author: %s", p, l)
		}
	}
	// Alice's notification of Bob's reply shows Bob's picture.
	n := get("/notifications", ha)
	if !strings.Contains(n, `src="`+avatar.URL(listAvatarSide)+`"`) {
		t.Errorf("no avatar of Bob in Alice's notifications: %s", n)
	}
	if err := db.DeleteAvatar(forumtest.As(bob)); err != nil {
		t.Fatal(err)
	}
	if n := get("/notifications", ha); strings.Contains(n, avatar.URL(listAvatarSide)) || !strings.Contains(n, generated(bob, listAvatarSide)) {
		t.Errorf("a removed avatar is still shown: %s", n)
	}
}

func TestGeneratedAvatarIsACachedSVG(t *testing.T) {
	s := newTestServer(t)
	u := generatedAvatarURL("ÉA", 3)
	w := s.do(t, request{path: u})
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") ||
		w.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("%s: %d %v", u, w.Code, w.Header())
	}
	if b := w.Body.String(); !strings.HasPrefix(b, "<svg") || !strings.Contains(b, `fill="`+avatarPalette[3]+`"`) || !strings.Contains(b, ">ÉA</text>") {
		t.Fatalf("drawing: %s", b)
	}
	for _, bad := range []string{"/avatars/c12-AB.svg", "/avatars/c1-ABC.svg", "/avatars/c1-%3Cb%3E.svg", "/avatars/c1-AB.png", "/avatars/x1-AB.svg", "/avatars/c-1-A.svg"} {
		if w := s.do(t, request{path: bad}); w.Code != 404 {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
}

func TestAvatarPaletteMatchesCSS(t *testing.T) {
	css, err := os.ReadFile("../static/css/palabre.css")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range avatarPalette {
		if !strings.Contains(string(css), fmt.Sprintf(".avatar-c%d { background: %s; }", i, c)) {
			t.Errorf("colour %d: %s is not .avatar-c%d's", i, c, i)
		}
	}
}

// TestAvatarsInTheJSONAPI: the API's posts, thread lists, notifications and
// private messages give their member's avatar URL, uploaded or generated,
// read with the rows (no query per post).
func TestAvatarsInTheJSONAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	for _, m := range []*forum.Member{alice, bob} {
		if v, _ := db.RequiredGuidelinesVersion(forumtest.As(m)); v > 0 {
			if err := db.AcceptGuidelines(forumtest.As(m), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	avatar, err := db.SetAvatar(forumtest.As(bob), testPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	aliceURL := generatedAvatarURL(initials(alice.DisplayName, alice.Username), avatarColour(alice.Username))
	bobURL := avatar.URL(jsonAvatarSide)
	th := startThread(t, s, ha, cat, "Un sujet à visages")
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID), header: hb, body: `{"body": "Bonjour Alice."}`}); w.Code != 201 {
		t.Fatalf("reply: %d %s", w.Code, w.Body)
	} else if strings.Contains(w.Body.String(), `"avatar_url"`) {
		// Storing a reply reads no avatar: a generated one would be wrong
		// for Bob, who uploaded his.
		t.Errorf("the new reply carries an avatar: %s", w.Body)
	}
	for _, h := range []map[string]string{nil, ha} {
		page := decode[struct {
			Posts []struct {
				Author struct {
					Username  string `json:"username"`
					AvatarURL string `json:"avatar_url"`
				} `json:"author"`
			} `json:"posts"`
		}](t, s.do(t, request{path: fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), header: h}).Body.Bytes())
		if len(page.Posts) != 2 || page.Posts[0].Author.AvatarURL != aliceURL || page.Posts[1].Author.AvatarURL != bobURL {
			t.Fatalf("posts' avatars: %+v, want %s and %s", page.Posts, aliceURL, bobURL)
		}
	}
	list := decode[struct {
		Threads []struct {
			ID              int64  `json:"id"`
			AuthorAvatarURL string `json:"author_avatar_url"`
		} `json:"threads"`
	}](t, s.do(t, request{path: fmt.Sprintf("/api/v1/categories/%d/threads", cat.ID)}).Body.Bytes())
	if len(list.Threads) != 1 || list.Threads[0].ID != th.Thread.ID || list.Threads[0].AuthorAvatarURL != aliceURL {
		t.Fatalf("the list's avatars: %+v", list.Threads)
	}
	notes := decode[struct {
		Notifications []struct {
			Actor *struct {
				Username  string `json:"username"`
				AvatarURL string `json:"avatar_url"`
			} `json:"actor"`
		} `json:"notifications"`
	}](t, s.do(t, request{path: "/api/v1/notifications", header: ha}).Body.Bytes())
	if len(notes.Notifications) == 0 || notes.Notifications[0].Actor == nil || notes.Notifications[0].Actor.AvatarURL != bobURL {
		t.Fatalf("notifications' avatars: %+v", notes.Notifications)
	}
	conv := startConversation(t, s, hb, []string{alice.Username}, "Bonjour", "Un message privé.", 201)
	msgs := decode[struct {
		Messages []struct {
			AuthorAvatarURL string `json:"author_avatar_url"`
		} `json:"messages"`
	}](t, s.do(t, request{path: fmt.Sprintf("/api/v1/conversations/%d", conv.Conversation.ID), header: ha}).Body.Bytes())
	if len(msgs.Messages) != 1 || msgs.Messages[0].AuthorAvatarURL != bobURL {
		t.Fatalf("messages' avatars: %+v", msgs.Messages)
	}
}
