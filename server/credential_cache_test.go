package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A member's requests are authenticated from memory on a server that
// listens (forum/credential_cache.go), and a write request on that server
// that may change them is seen by the next request.
func TestSignedInRequestsRememberTheirCredentials(t *testing.T) {
	db := forumtest.DB(t)
	s, _, hold := pausableInstance(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	h := bearer(t, db, m)
	// Recent enough not to be recorded again (which would be announced).
	forumtest.Unannounced(t, db, `UPDATE members SET last_seen_at = now() WHERE id = $1`, m.ID)
	forumtest.Unannounced(t, db, `UPDATE api_tokens SET last_used_at = now() WHERE member_id = $1`, m.ID)
	me := request{path: "/api/v1/me", header: h}
	if first := roundTripsOf(t, s, me, 200); first == 0 {
		t.Fatal("the first request read nothing")
	}
	hits, _ := s.db.CredentialCacheStats()
	if again := roundTripsOf(t, s, me, 200); again != 0 {
		t.Errorf("a remembered member's /api/v1/me costs %d round trips", again)
	}
	if now, _ := s.db.CredentialCacheStats(); now != hits+1 {
		t.Errorf("hits counted: %d, then %d", hits, now)
	}

	current := func() forum.Member {
		t.Helper()
		w := s.do(t, me)
		var body struct{ Member forum.Member }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		return body.Member
	}
	name := func() string { t.Helper(); return current().DisplayName }
	forumtest.Unannounced(t, db, `UPDATE members SET display_name = 'Changé' WHERE id = $1`, m.ID)
	if got := name(); got == "Changé" {
		t.Fatal("the member was read again without a reason")
	}
	// With the announcements held back, so that only the barrier can
	// explain what follows: a member's own write request forgets them when
	// it ends, even one refused…
	hold.Lock()
	if w := s.do(t, request{method: "POST", path: "/api/v1/notifications/read", body: "{", header: h}); w.Code != 400 {
		t.Fatalf("malformed write: %d %s", w.Code, w.Body)
	}
	if got := name(); got != "Changé" {
		t.Errorf("after a write of theirs: display name %q", got)
	}
	if again := roundTripsOf(t, s, me, 200); again != 0 {
		t.Errorf("remembered again, /api/v1/me costs %d round trips", again)
	}
	// A write that cannot change credentials (previewing, posting) keeps
	// them: still the name read before this change.
	forumtest.Unannounced(t, db, `UPDATE members SET display_name = 'Ignoré' WHERE id = $1`, m.ID)
	if w := s.do(t, request{method: "POST", path: "/api/v1/preview", body: `{"body": "*vu*"}`, header: h}); w.Code != 200 {
		t.Fatalf("preview: %d %s", w.Code, w.Body)
	}
	if got := name(); got != "Changé" {
		t.Errorf("after a preview: display name %q", got)
	}
	// …and a staff member's write, which may change anyone's credentials,
	// is answered only once this server has heard of its changes.
	admin := bearer(t, db, forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	answered := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		answered <- s.do(t, request{method: "PATCH", path: "/api/v1/admin/members/" + strconv.FormatInt(m.ID, 10),
			header: admin, body: `{"trust_level": 3}`})
	}()
	var w *httptest.ResponseRecorder
	select {
	case w = <-answered:
		t.Error("the write was answered before this server heard of it")
	case <-time.After(100 * time.Millisecond):
	}
	hold.Unlock()
	if w == nil {
		w = <-answered
	}
	if w.Code != 200 {
		t.Fatalf("PATCH /api/v1/admin/members/%d: %d %s", m.ID, w.Code, w.Body)
	}
	if got := current(); got.TrustLevel != 3 {
		t.Errorf("after the admin's change: trust level %d", got.TrustLevel)
	}
}

// Every write route is classified in writeRoutes, and every entry names a
// route: a new write route fails here until someone decides whether it may
// change what the authentication reads.
func TestEveryWriteRouteIsClassified(t *testing.T) {
	s := newTestServer(t)
	registered := map[string]bool{}
	for _, r := range s.engine.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			continue
		}
		key := r.Method + " " + r.Path
		registered[key] = true
		if writeRoutes[key] == 0 {
			t.Errorf("write route %q is not classified in writeRoutes (server/write_routes.go)", key)
		}
	}
	for key := range writeRoutes {
		if !registered[key] {
			t.Errorf("writeRoutes classifies %q, which is not a registered route", key)
		}
	}
}
