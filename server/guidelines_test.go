package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestGuidelinesArePublishedVersionedAndAccepted(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	member := forumtest.MustMember(t, db, forum.RoleMember, 1)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 3)
	// The version published below requires acceptance: the other tests of
	// the package share the database and must not meet it.
	t.Cleanup(func() {
		db.SQL().MustExec(`UPDATE guideline_versions SET requires_acceptance = false`)
		db.InvalidateGuidelines()
	})

	v1 := "## Respect\n\nOn se respecte, même en désaccord.\n\n## Pas de spam\n\nNi publicité ni liens répétés."
	w := s.do(t, request{method: "PUT", path: "/api/v1/guidelines", body: `{"body_markdown": ` + quote(v1) + `}`, header: bearer(t, db, admin)})
	if w.Code != 200 {
		t.Fatalf("PUT guidelines as admin: %d %s", w.Code, w.Body)
	}
	var first forum.GuidelineVersion
	if err := json.Unmarshal(w.Body.Bytes(), &first); err != nil {
		t.Fatal(err)
	}

	for _, h := range []map[string]string{nil, bearer(t, db, member), bearer(t, db, mod)} {
		w := s.do(t, request{method: "PUT", path: "/api/v1/guidelines", body: `{"body_markdown": "x"}`, header: h})
		if w.Code != http.StatusUnauthorized && w.Code != http.StatusForbidden {
			t.Errorf("PUT guidelines as non-admin: %d", w.Code)
		}
	}
	w = s.do(t, request{method: "PUT", path: "/api/v1/guidelines", body: `{"body_markdown": "court"}`, header: bearer(t, db, admin)})
	if w.Code != 400 || decodeError(t, w).Field != "body_markdown" {
		t.Errorf("too short guidelines: %d %s", w.Code, w.Body)
	}

	// The member accepts the current version; then a version that requires
	// acceptance is published.
	ctx := forumtest.As(member)
	if err := db.AcceptGuidelines(ctx, first.Version); err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(v1, "Ni publicité ni liens répétés.", "Ni publicité, ni liens répétés, ni <script>alert(1)</script>.", 1)
	w = s.do(t, request{method: "PUT", path: "/api/v1/guidelines", body: `{"body_markdown": ` + quote(v2) + `, "requires_acceptance": true}`, header: bearer(t, db, admin)})
	if w.Code != 200 {
		t.Fatalf("second version: %d %s", w.Code, w.Body)
	}
	var second forum.GuidelineVersion
	if err := json.Unmarshal(w.Body.Bytes(), &second); err != nil {
		t.Fatal(err)
	}
	if second.Version != first.Version+1 || strings.Contains(second.BodyHTML, "<script") {
		t.Fatalf("second version: %+v", second)
	}

	w = s.do(t, request{path: "/api/v1/guidelines"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"version":`+itoa(second.Version)) {
		t.Errorf("GET guidelines: %s", w.Body)
	}
	w = s.do(t, request{path: "/guidelines"})
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "<del>Ni publicité ni liens répétés.</del>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("guidelines page lacks the diff:\n%s", body)
	}

	// The member is sent to the acceptance page before anything else…
	refreshed, _ := db.MemberByID(context.Background(), member.ID)
	w = s.do(t, request{path: "/", header: bearer(t, db, refreshed)})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/guidelines/accept?next=") {
		t.Fatalf("member not sent to accept: %d %v", w.Code, w.Header())
	}
	w = s.do(t, request{path: "/guidelines/accept", header: bearer(t, db, refreshed)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="version" value="`+itoa(second.Version)+`"`) {
		t.Fatalf("accept page: %d", w.Code)
	}
	// …must tick the box…
	form := "version=" + itoa(second.Version) + "&next=%2Fc%2Fentraide"
	w = s.doForm(t, "/guidelines/accept", form, bearer(t, db, refreshed))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "field-error") {
		t.Errorf("accepting without the box: %d", w.Code)
	}
	// …and then goes on where they were going.
	w = s.doForm(t, "/guidelines/accept", form+"&accept=yes", bearer(t, db, refreshed))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/c/entraide" {
		t.Errorf("accepting: %d %v", w.Code, w.Header())
	}
	refreshed, _ = db.MemberByID(context.Background(), member.ID)
	if w := s.do(t, request{path: "/", header: bearer(t, db, refreshed)}); w.Code != 200 {
		t.Errorf("after accepting: %d", w.Code)
	}
	// A redirect target on another site is ignored.
	if localPath("//evil.example/x") != "" || localPath("https://evil.example") != "" || localPath("/c/x") != "/c/x" {
		t.Error("localPath lets foreign URLs through")
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func (s *Server) doForm(t *testing.T, path, form string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return s.do(t, request{method: "POST", path: path, body: form, header: h})
}

func TestDiffLines(t *testing.T) {
	got := diffLines("a\nb\nc", "a\nc\nd")
	want := []diffLine{{' ', "a"}, {'-', "b"}, {' ', "c"}, {'+', "d"}}
	if len(got) != len(want) {
		t.Fatalf("diff = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %v, want %v", i, got[i], want[i])
		}
	}
}
