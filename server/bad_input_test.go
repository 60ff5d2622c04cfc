package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Bad input is refused with a 400 and a message of the catalogue naming
// the field, and stores nothing: invalid UTF-8 is not mended into U+FFFD,
// NUL characters and numbers out of range never reach PostgreSQL, and the
// decoder's own words never reach clients.
func TestBadInputIsRefusedCleanlyAndStoresNothing(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	th := startThread(t, s, bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2)), cat, "Un sujet à réponses")
	h := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2))
	posts := fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID)
	count := func() (n int) {
		if err := db.SQL().Get(&n, `SELECT count(*) FROM posts WHERE thread_id = $1`, th.Thread.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for _, c := range []struct {
		name, method, path, body string
		code                     int
		key, field               string
	}{
		{"invalid UTF-8 in JSON", "POST", posts, "{\"body\": \"caf\xe9 cr\xe8me, merci\"}", 400, "error.body_invalid_text", "body"},
		{"escaped NUL in JSON", "POST", posts, `{"body": "Bonjour\u0000 à tous"}`, 400, "error.body_invalid_text", "body"},
		{"raw NUL in JSON", "POST", posts, "{\"body\": \"Bonjour\x00 à tous\"}", 400, "error.body_invalid_text", "body"},
		{"lone surrogate in JSON", "POST", posts, `{"body": "Bonjour \ud800 à tous"}`, 400, "error.body_invalid_text", "body"},
		{"a pair of surrogates is fine", "POST", posts, `{"body": "Bonjour \ud83d\ude00 à tous"}`, 201, "", ""},
		{"wrong type", "POST", posts, `{"body": 12}`, 400, "error.body_field_invalid", "body"},
		{"unknown field", "POST", posts, `{"body": "Bonjour à tous", "colour": "red"}`, 400, "error.body_field_unknown", ""},
		{"not JSON", "POST", posts, `{"body": "Bonjour`, 400, "error.body_invalid_json", ""},
		{"reply_to zero", "POST", posts, `{"body": "Bonjour à tous", "reply_to": 0}`, 400, "post.reply_to_invalid", "reply_to"},
		{"reply_to negative", "POST", posts, `{"body": "Bonjour à tous", "reply_to": -4}`, 400, "post.reply_to_invalid", "reply_to"},
		{"reply_to past integer", "POST", posts, `{"body": "Bonjour à tous", "reply_to": 3000000000}`, 400, "post.reply_to_invalid", "reply_to"},
		{"reply_to past int64", "POST", posts, `{"body": "Bonjour à tous", "reply_to": 99999999999999999999}`, 400, "error.body_field_invalid", "reply_to"},
		{"reply_to fractional", "POST", posts, `{"body": "Bonjour à tous", "reply_to": 1.5}`, 400, "error.body_field_invalid", "reply_to"},
		{"reply_to no such post", "POST", posts, `{"body": "Bonjour à tous", "reply_to": 4000}`, 400, "post.reply_to_invalid", "reply_to"},
		{"search with NUL", "GET", "/api/v1/search?q=bon%00jour", "", 400, "search.text_invalid", "q"},
		{"search with invalid UTF-8", "GET", "/api/v1/search?q=caf%E9", "", 400, "search.text_invalid", "q"},
		{"author with NUL", "GET", "/api/v1/search?q=bonjour&author=a%00", "", 400, "search.text_invalid", "author"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := s.do(t, request{method: c.method, path: c.path, header: h, body: c.body})
			if w.Code != c.code {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, c.code)
			}
			if c.code < 400 {
				return
			}
			e := decodeError(t, w)
			name := c.field
			if c.key == "error.body_field_unknown" {
				name = "colour" // named in the message, not as the field at fault
			}
			args := map[string]any{"Field": name}
			fr, en := s.catalog.Lang("fr").Msg(c.key, args), s.catalog.Lang("en").Msg(c.key, args)
			if (e.Message != fr && e.Message != en) || e.Field != c.field {
				t.Errorf("message %q on %q, want %q on %q", e.Message, e.Field, fr, c.field)
			}
			for _, leak := range []string{"json", "unmarshal", "Go value", "pq:", "int64"} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("the decoder's words reach the client: %q", e.Message)
				}
			}
		})
	}
	if n := count(); n != before+1 {
		t.Errorf("%d posts stored, want %d (the one valid reply)", n-before, 1)
	}
	var replacement int
	if err := db.SQL().Get(&replacement, `SELECT count(*) FROM posts WHERE thread_id = $1 AND body_markdown LIKE '%' || chr(65533) || '%'`, th.Thread.ID); err != nil {
		t.Fatal(err)
	}
	if replacement != 0 {
		t.Errorf("%d posts stored with U+FFFD", replacement)
	}
}

// The search page answers 400 with its form filled when a field holds a
// NUL character (PostgreSQL refused it with a 500).
func TestTheSearchPageRefusesNUL(t *testing.T) {
	s := newTestServer(t)
	if w := s.do(t, request{path: "/search?q=bon%00jour"}); w.Code != 400 {
		t.Errorf("search page with NUL: %d", w.Code)
	}
}

// A PATCH of a member that is refused in part changes nothing: the role
// was committed before the refused field.
func TestARefusedMemberChangeChangesNothing(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	auth := bearer(t, db, admin)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	path := "/api/v1/admin/members/" + strconv.FormatInt(m.ID, 10)
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"role": "moderator", "trust_level": 9}`, 400},
		{`{"role": "moderator", "trust_level": 3, "moderated_categories": [999999999]}`, 404},
		{`{"role": "moderator", "trust_level": "three"}`, 400},
	} {
		w := s.do(t, request{method: "PATCH", path: path, header: auth, body: c.body})
		if w.Code != c.code {
			t.Errorf("%s: %d %s, want %d", c.body, w.Code, w.Body, c.code)
		}
		got, err := db.AdminMemberByID(forumtest.As(admin), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Role != forum.RoleMember || got.TrustLevel != 1 || got.TrustLevelLocked {
			t.Errorf("%s: the member became %s, trust %d (locked %v)", c.body, got.Role, got.TrustLevel, got.TrustLevelLocked)
		}
	}
	var logged int
	if err := db.GetContext(context.Background(), &logged, `SELECT count(*) FROM mod_log WHERE target_type = 'member' AND target_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if logged != 0 {
		t.Errorf("%d changes logged", logged)
	}
}

// A form refused because the service is busy or a statement ran too long
// (503) says so, rather than "internal error": a search page answers
// "too many searches, try again" with the form filled.
func TestAFormRefusedAsUnavailableSaysWhy(t *testing.T) {
	s := newTestServer(t)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("GET", "/search?q=bonjour", nil)
	form := &Form{Values: map[string]string{"q": "bonjour"}, Errors: map[string]string{}}
	status := s.setError(c, form, forum.Errorf(forum.EUNAVAILABLE, "search.busy", nil))
	if want := s.lang(c).Msg("search.busy", nil); status != 503 || form.Error != want {
		t.Errorf("%d %q, want 503 %q", status, form.Error, want)
	}
}
