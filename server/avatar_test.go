package server

import (
	"net/http"
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
	} {
		if got := initials(c.name, c.username); got != c.want {
			t.Errorf("initials(%q, %q) = %q, want %q", c.name, c.username, got, c.want)
		}
	}
	if avatarColour("Alice") != avatarColour("alice") {
		t.Error("the colour depends on the username's case")
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
