package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// browser is a test client with a cookie jar and its own client address,
// so that the throttles of one test do not reach another.
type browser struct {
	s       *Server
	addr    string
	cookies map[string]*http.Cookie
	header  map[string]string
}

var addrSeq atomic.Int32

func newBrowser(s *Server) *browser {
	n := addrSeq.Add(1)
	return &browser{s: s, addr: fmt.Sprintf("10.77.%d.%d", n/250, n%250+1), cookies: map[string]*http.Cookie{},
		header: map[string]string{"Accept-Language": "en"}}
}

// do sends a request (a form when form is not nil) and keeps the cookies set.
func (b *browser) do(t *testing.T, method, path string, form url.Values, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = b.addr + ":40000"
	for k, v := range b.header {
		req.Header.Set(k, v)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.s.Handler().ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

func (b *browser) json(t *testing.T, method, path, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = b.addr + ":40000"
	for k, v := range b.header {
		req.Header.Set(k, v)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.s.Handler().ServeHTTP(w, req)
	return w
}

func (b *browser) logIn(t *testing.T, login, password string, remember bool) *httptest.ResponseRecorder {
	t.Helper()
	f := url.Values{"login": {login}, "password": {password}}
	if remember {
		f.Set("remember", "1")
	}
	return b.do(t, "POST", "/login", f, nil)
}

// me returns the username the browser is logged in as, "" when anonymous.
func (b *browser) me(t *testing.T) string {
	t.Helper()
	w := b.do(t, "GET", "/api/v1/me", nil, nil)
	if w.Code == http.StatusUnauthorized {
		return ""
	}
	var got struct{ Member forum.Member }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
		t.Fatalf("GET /api/v1/me: %d %s", w.Code, w.Body)
	}
	return got.Member.Username
}

// currentGuidelines makes sure guidelines exist and returns their version.
func currentGuidelines(t *testing.T, db *forum.DB) int {
	t.Helper()
	ctx := context.Background()
	g, err := db.CurrentGuidelines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g != nil {
		return g.Version
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO guideline_versions (version, body_markdown, body_html)
		VALUES (1, 'Be kind.', '<p>Be kind.</p>') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	return currentGuidelines(t, db)
}

func signUpForm(username, email, password string, version int) url.Values {
	return url.Values{"username": {username}, "email": {email}, "password": {password},
		"accept_guidelines_version": {fmt.Sprint(version)}}
}

func TestSignUpRefusesBadInputWithClearErrorsAndKeepsTheForm(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	version := currentGuidelines(t, db)
	existing := forumtest.MustMember(t, db, forum.RoleMember, 0)
	good := forumtest.Unique("newbie")
	cases := []struct {
		label, username, email, password string
		version                          int
		status                           int
		message                          string
	}{
		{"overlong name", strings.Repeat("a", 300), good + "@example.org", "a quiet river bank", version, 400, "at most 20 characters"},
		{"SQL-looking name", "x'; DROP TABLE members;--", good + "@example.org", "a quiet river bank", version, 400, "A username may contain letters"},
		{"confusable with an existing name", "m\u0435" + existing.Username[2:], good + "@example.org", "a quiet river bank", version, 409, "too close to an existing one"},
		{"confusable reserved name", "аdmin", good + "@example.org", "a quiet river bank", version, 400, "reserved"},
		{"same name other case", strings.ToUpper(existing.Username), good + "@example.org", "a quiet river bank", version, 409, "This username is taken"},
		{"bad email", good, "not-an-address", "a quiet river bank", version, 400, "valid email address"},
		{"SQL-looking email", good, "a@b.c' OR '1'='1", "a quiet river bank", version, 400, "valid email address"},
		{"short password", good, good + "@example.org", "short", version, 400, "at least 10 characters"},
		{"common password", good, good + "@example.org", "password123!", version, 400, "most common"},
		{"overlong password", good, good + "@example.org", strings.Repeat("x", 2000), version, 400, "at most 256 characters"},
		{"guidelines not accepted", good, good + "@example.org", "a quiet river bank", 0, 400, "accept the community guidelines"},
		{"old guidelines version", good, good + "@example.org", "a quiet river bank", version - 1, 400, "accept the community guidelines"},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			b := newBrowser(s)
			w := b.do(t, "POST", "/signup", signUpForm(c.username, c.email, c.password, c.version), nil)
			body := html.UnescapeString(w.Body.String())
			if w.Code != c.status || !strings.Contains(body, c.message) {
				t.Fatalf("status %d (want %d), message %q not found:\n%s", w.Code, c.status, c.message, body)
			}
			if strings.Contains(body, `value="`+c.password+`"`) {
				t.Error("the password is sent back")
			}
			if c.email != "" && !strings.Contains(body, `value="`+c.email+`"`) {
				t.Errorf("the form does not come back filled (email %q)", c.email)
			}
		})
	}
	// Invalid UTF-8 is refused before the form is read, by the 400 page
	// every form gets for it (TestEveryFormRouteRefusesInvalidText).
	if w := newBrowser(s).do(t, "POST", "/signup", signUpForm("bad\xff\xfename", good+"@example.org", "a quiet river bank", version), nil); w.Code != 400 ||
		!strings.Contains(html.UnescapeString(w.Body.String()), "invalid UTF-8") {
		t.Errorf("invalid UTF-8 in the username: %d %s", w.Code, w.Body)
	}
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM members WHERE email_key = $1`, good+"@example.org"); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a refused sign-up created %d accounts", n)
	}
}

// A sign-up form with several mistakes shows every one at once, each beside
// its field; the API lists them all too.
func TestSignUpShowsEveryMistakeAtOnce(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	existing := forumtest.MustMember(t, db, forum.RoleMember, 0)
	b := newBrowser(s)
	w := b.do(t, "POST", "/signup", signUpForm(strings.ToUpper(existing.Username), "not-an-address", "short", 0), nil)
	body := html.UnescapeString(w.Body.String())
	for field, message := range map[string]string{
		"username":                  "This username is taken",
		"email":                     "valid email address",
		"password":                  "at least 10 characters",
		"accept_guidelines_version": "accept the community guidelines",
	} {
		if !strings.Contains(body, message) || !strings.Contains(body, `id="e-`+field+`"`) {
			t.Errorf("the form does not say %q beside %s", message, field)
		}
	}

	w = s.do(t, request{method: "POST", path: "/api/v1/members", body: `{"username": "x'; --", "email": "nope", "password": "short"}`})
	var got struct {
		Error struct {
			Code   string
			Fields []struct{ Field, Code, Message string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, f := range got.Error.Fields {
		fields[f.Field] = f.Message != ""
	}
	if w.Code != 400 || !fields["username"] || !fields["email"] || !fields["password"] || !fields["accept_guidelines_version"] {
		t.Errorf("API sign-up with four mistakes: %d %s", w.Code, w.Body)
	}
}

func TestSignUpLogInLogOut(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	version := currentGuidelines(t, db)
	b := newBrowser(s)
	name := forumtest.Unique("Camille_")
	email := name + "@Example.org"

	w := b.do(t, "GET", "/signup", nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="accept_guidelines_version" value="`+fmt.Sprint(version)+`"`) ||
		!strings.Contains(w.Body.String(), "<p>") {
		t.Fatalf("sign-up form without the guidelines: %d %s", w.Code, w.Body)
	}
	w = b.do(t, "POST", "/signup", signUpForm(name, email, "a quiet river bank", version), nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "We sent a message to "+email) {
		t.Fatalf("sign-up: %d %s", w.Code, w.Body)
	}
	if len(b.cookies) != 0 {
		t.Error("sign-up logged the visitor in")
	}
	m, err := db.MemberByUsername(context.Background(), name)
	if err != nil || m.Status != "active" || m.GuidelinesVersion == nil || *m.GuidelinesVersion != version {
		t.Fatalf("member after sign-up: %+v %v", m, err)
	}
	var mails int
	if err := db.GetContext(context.Background(), &mails, `SELECT count(*) FROM outbox WHERE recipient = $1 AND kind = 'verify_email' AND locale = 'en'`, m.Email); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("%d verification mails queued", mails)
	}

	w = b.logIn(t, name, "a wrong password!", false)
	if w.Code != 401 || !strings.Contains(w.Body.String(), "Wrong username, email address or password") ||
		!strings.Contains(w.Body.String(), `value="`+name+`"`) {
		t.Fatalf("wrong password: %d %s", w.Code, w.Body)
	}
	w = b.logIn(t, strings.ToUpper(email), "a quiet river bank", false)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("log-in by email: %d %v %s", w.Code, w.Header(), w.Body)
	}
	ck := b.cookies[SessionCookie]
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge != 0 {
		t.Fatalf("session cookie: %+v", ck)
	}
	if got := b.me(t); got != name {
		t.Fatalf("logged in as %q", got)
	}
	home := b.do(t, "GET", "/", nil, nil).Body.String()
	if !strings.Contains(home, `action="/logout"`) || !strings.Contains(home, `href="/account"`) || strings.Contains(home, `href="/signup"`) {
		t.Errorf("the header of a member lacks the account link or the logout button")
	}
	if w := b.do(t, "GET", "/login?next=/account/tokens", nil, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account/tokens" {
		t.Errorf("log-in page for a member: %d %s", w.Code, w.Header().Get("Location"))
	}
	old := *ck
	w = b.do(t, "POST", "/logout", url.Values{}, nil)
	if w.Code != http.StatusSeeOther || b.cookies[SessionCookie] != nil {
		t.Fatalf("log-out: %d, cookie %v", w.Code, b.cookies[SessionCookie])
	}
	b.cookies[SessionCookie] = &old
	if got := b.me(t); got != "" {
		t.Errorf("the session survives log-out: %q", got)
	}
	if w := b.do(t, "GET", "/logout", nil, nil); w.Code == http.StatusSeeOther || w.Code == 200 {
		t.Errorf("GET /logout answered %d", w.Code)
	}
}

func TestLogInRotatesTheSessionAndRemembers(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	b := newBrowser(s)
	// A cookie planted before log-in (session fixation) is not adopted.
	b.cookies[SessionCookie] = &http.Cookie{Name: SessionCookie, Value: "planted-by-an-attacker"}
	if w := b.logIn(t, m.Username, forumtest.Password, true); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", w.Code, w.Body)
	}
	first := b.cookies[SessionCookie]
	if first.Value == "planted-by-an-attacker" || first.MaxAge != int(forum.RememberSessionLifetime.Seconds()) {
		t.Fatalf("remembered cookie: %+v", first)
	}
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("second log-in: %d", w.Code)
	}
	second := b.cookies[SessionCookie]
	if second.Value == first.Value {
		t.Fatal("the session id did not change at log-in")
	}
	if b.me(t) != m.Username {
		t.Fatal("the new session does not work")
	}
	stale := newBrowser(s)
	stale.cookies[SessionCookie] = first
	if got := stale.me(t); got != "" {
		t.Errorf("the session before log-in is still valid: %q", got)
	}
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM sessions WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d sessions after two log-ins in one browser", n)
	}
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	db := forumtest.DB(t)
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"PALABRE_BASE_URL": "https://forum.example.org"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, db, newTestServer(t).log)
	if err != nil {
		t.Fatal(err)
	}
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	b := newBrowser(s)
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", w.Code, w.Body)
	}
	if ck := b.cookies[SessionCookie]; ck == nil || !ck.Secure || !ck.HttpOnly {
		t.Errorf("cookie on https: %+v", ck)
	}
}

func TestLogInNextIsLocalOnly(t *testing.T) {
	s := newTestServer(t)
	m := forumtest.MustMember(t, forumtest.DB(t), forum.RoleMember, 0)
	for next, want := range map[string]string{
		"/c/general?page=2":        "/c/general?page=2",
		"https://evil.example/":    "/",
		"//evil.example/x":         "/",
		"/\\evil.example":          "/",
		"javascript:alert(1)":      "/",
		"/login":                   "/",
		"":                         "/",
		"/\r\nSet-Cookie: x=1":     "/",
		"/t/1/hello#post-3":        "/t/1/hello#post-3",
		"http:///evil.example/abc": "/",
	} {
		b := newBrowser(s)
		f := url.Values{"login": {m.Username}, "password": {forumtest.Password}, "next": {next}}
		w := b.do(t, "POST", "/login", f, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
			t.Errorf("next=%q: %d → %q, want %q", next, w.Code, w.Header().Get("Location"), want)
		}
	}
}

var secondsRe = regexp.MustCompile(`try again in (1[0-5]|[1-9]) seconds?\.`)

func TestLogInIsThrottled(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)

	// Per account, from several addresses: past five failures, strangers
	// are slowed down (an exponential back-off), not locked out for long.
	for i := range forum.LimitLoginPerAccount.Max {
		w := newBrowser(s).logIn(t, m.Username, fmt.Sprintf("wrong password %d", i), false)
		if w.Code != 401 {
			t.Fatalf("failure %d: %d", i, w.Code)
		}
	}
	w := newBrowser(s).logIn(t, m.Email, forumtest.Password, false)
	// (The wait is 15 s from the latest failure, less the time since.)
	retry, _ := strconv.Atoi(w.Header().Get("Retry-After"))
	if w.Code != 429 || !secondsRe.MatchString(w.Body.String()) || retry < 1 || retry > 15 {
		t.Fatalf("slowed-down account, right password: %d %v %s", w.Code, w.Header(), w.Body)
	}
	// The page offers a login link for the account typed.
	if !strings.Contains(w.Body.String(), `action="/login/email"`) || !strings.Contains(w.Body.String(), `name="login" value="`+m.Email+`"`) {
		t.Errorf("no login link offered while throttled: %s", w.Body)
	}
	w = newBrowser(s).json(t, "POST", "/api/v1/auth/token", `{"login": "`+m.Username+`", "password": "`+forumtest.Password+`"}`, nil)
	if w.Code != 429 || decodeError(t, w).Code != forum.ERATELIMITED || w.Header().Get("Retry-After") == "" {
		t.Errorf("slowed-down account through the API: %d %s", w.Code, w.Body)
	}

	// An unknown account is throttled the same way: the limit tells nothing.
	ghost := forumtest.Unique("ghost")
	for range forum.LimitLoginPerAccount.Max {
		newBrowser(s).logIn(t, ghost, "whatever it is", false)
	}
	if w := newBrowser(s).logIn(t, ghost, "whatever it is", false); w.Code != 429 || !secondsRe.MatchString(w.Body.String()) {
		t.Errorf("unknown account after 5 failures: %d", w.Code)
	}

	// Per address: many accounts tried from one address.
	b := newBrowser(s)
	for i := range forum.LimitLoginPerAddress.Max {
		if w := b.logIn(t, forumtest.Unique("someone"), "not the password", false); w.Code != 401 {
			t.Fatalf("address failure %d: %d", i, w.Code)
		}
	}
	other := forumtest.MustMember(t, db, forum.RoleMember, 0)
	if w := b.logIn(t, other.Username, forumtest.Password, false); w.Code != 429 || !strings.Contains(w.Body.String(), "try again in 15 minutes") {
		t.Errorf("address over the limit: %d %s", w.Code, w.Body)
	}
	if w := newBrowser(s).logIn(t, other.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Errorf("another address is not limited: %d", w.Code)
	}
	b.header["Accept-Language"] = "fr"
	if w := b.logIn(t, other.Username, forumtest.Password, false); !strings.Contains(w.Body.String(), "Veuillez réessayer dans 15 minutes") {
		t.Errorf("French throttling message: %s", w.Body)
	}
}

func TestSignUpsAreThrottledPerAddress(t *testing.T) {
	s := newTestServer(t)
	version := currentGuidelines(t, forumtest.DB(t))
	b := newBrowser(s)
	start := time.Now()
	for i := range forum.LimitSignUpPerAddr.Max {
		name := forumtest.Unique("flood")
		if w := b.do(t, "POST", "/signup", signUpForm(name, name+"@example.org", "a quiet river bank", version), nil); w.Code != 200 {
			t.Fatalf("sign-up %d: %d %s", i, w.Code, w.Body)
		}
	}
	name := forumtest.Unique("flood")
	w := b.do(t, "POST", "/signup", signUpForm(name, name+"@example.org", "a quiet river bank", version), nil)
	if w.Code != 429 || !strings.Contains(w.Body.String(), "try again in 60 minutes") || !strings.Contains(w.Body.String(), `value="`+name+`"`) {
		t.Errorf("fourth sign-up in an hour: %d %s", w.Code, w.Body)
	}
	// An hour after the first sign-up: the sign-ups took some seconds on
	// a busy machine (hashing), which the wait no longer includes.
	elapsed := int(time.Since(start)/time.Second) + 1
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra > 3600 || ra < 3600-elapsed {
		t.Errorf("fourth sign-up in an hour: Retry-After %q, want 3600 (60 minutes) less the %d s the sign-ups took", w.Header().Get("Retry-After"), elapsed)
	}
}

func TestCrossSiteWritesAreRefused(t *testing.T) {
	s := newTestServer(t)
	m := forumtest.MustMember(t, forumtest.DB(t), forum.RoleMember, 0)
	b := newBrowser(s)
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d", w.Code)
	}
	f := url.Values{"login": {m.Username}, "password": {forumtest.Password}}
	if w := newBrowser(s).do(t, "POST", "/login", f, map[string]string{"Sec-Fetch-Site": "cross-site"}); w.Code != http.StatusForbidden {
		t.Errorf("cross-site log-in: %d", w.Code)
	}
	if w := b.do(t, "POST", "/logout", url.Values{}, map[string]string{"Origin": "https://evil.example"}); w.Code != http.StatusForbidden {
		t.Errorf("cross-origin log-out: %d", w.Code)
	}
	if w := b.do(t, "POST", "/account/tokens", url.Values{"name": {"stolen"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); w.Code != http.StatusForbidden {
		t.Errorf("cross-site token creation: %d", w.Code)
	}
	if b.me(t) != m.Username {
		t.Error("a refused cross-site log-out logged the member out")
	}
	if w := b.do(t, "POST", "/logout", url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}); w.Code != http.StatusSeeOther {
		t.Errorf("same-origin log-out: %d", w.Code)
	}
}

func TestSignUpAndTokenThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	version := currentGuidelines(t, db)
	existing := forumtest.MustMember(t, db, forum.RoleMember, 0)
	b := newBrowser(s)
	name := forumtest.Unique("api_user")
	body := func(username, email string, v int) string {
		return fmt.Sprintf(`{"username": %q, "email": %q, "password": "a quiet river bank", "accept_guidelines_version": %d}`, username, email, v)
	}
	w := b.json(t, "POST", "/api/v1/members", body(name, name+"@example.org", version), nil)
	newAddress := w.Body.String()
	if w.Code != 202 || strings.Contains(newAddress, "password") {
		t.Fatalf("API sign-up: %d %s", w.Code, w.Body)
	}
	if created, err := db.MemberByUsername(context.Background(), name); err != nil || created.Status != "active" {
		t.Fatalf("the new member: %+v, %v", created, err)
	}
	for _, c := range []struct {
		label, body string
		status      int
		code, field string
	}{
		{"taken name", body(name, "x"+name+"@example.org", version), 409, forum.ECONFLICT, "username"},
		{"no guidelines", `{"username": "` + forumtest.Unique("newcomer") + `", "email": "n@example.org", "password": "a quiet river bank"}`, 400, forum.EINVALID, "accept_guidelines_version"},
		{"unknown field", `{"username": "x", "admin": true}`, 400, forum.EINVALID, ""},
		{"invalid UTF-8", "{\"username\": \"a\xffb\", \"email\": \"n@example.org\", \"password\": \"a quiet river bank\"}", 400, forum.EINVALID, ""},
	} {
		w := b.json(t, "POST", "/api/v1/members", c.body, nil)
		e := decodeError(t, w)
		if w.Code != c.status || e.Code != c.code || (c.field != "" && e.Field != c.field) || e.Message == "" {
			t.Errorf("%s: %d %s", c.label, w.Code, w.Body)
		}
	}
	// An address that has an account: not revealed, its owner gets a mail.
	w = b.json(t, "POST", "/api/v1/members", body(forumtest.Unique("intruder"), strings.ToUpper(existing.Email), version), nil)
	// The same status and body as for a new address (issue 19: 201 against
	// 202 told who is a member).
	if w.Code != 202 || w.Body.String() != newAddress {
		t.Errorf("existing address: %d %s, want the new address's 202 %s", w.Code, w.Body, newAddress)
	}
	var notices int
	if err := db.GetContext(context.Background(), &notices, `SELECT count(*) FROM outbox WHERE recipient = $1 AND kind = 'signup_existing'`, existing.Email); err != nil {
		t.Fatal(err)
	}
	if notices != 1 {
		t.Errorf("%d notices to the owner of the address", notices)
	}

	w = b.json(t, "POST", "/api/v1/auth/token", `{"login": "`+name+`", "password": "not it at all"}`, nil)
	if w.Code != 401 || decodeError(t, w).Message != "Wrong username, email address or password." {
		t.Errorf("wrong password: %d %s", w.Code, w.Body)
	}
	w = b.json(t, "POST", "/api/v1/auth/token", `{"login": "nobody-`+name+`", "password": "not it at all"}`, nil)
	if w.Code != 401 || decodeError(t, w).Message != "Wrong username, email address or password." {
		t.Errorf("unknown account: %d %s", w.Code, w.Body)
	}
	w = b.json(t, "POST", "/api/v1/auth/token", `{"login": "`+name+`", "password": "a quiet river bank", "name": "my script"}`, nil)
	var tok struct {
		Token  string
		Member forum.Member
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil {
		t.Fatal(err)
	}
	if w.Code != 201 || !strings.HasPrefix(tok.Token, forum.APITokenPrefix) || tok.Member.Username != name {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	w = b.json(t, "GET", "/api/v1/me", "", map[string]string{"Authorization": "Bearer " + tok.Token})
	if w.Code != 200 || !strings.Contains(w.Body.String(), name) {
		t.Errorf("/me with the new token: %d %s", w.Code, w.Body)
	}
}

func setRegistrationMode(t *testing.T, db *forum.DB, mode string) {
	t.Helper()
	sys := forum.WithSystem(context.Background())
	if _, err := db.UpdateSettings(sys, map[string]json.RawMessage{"registration_mode": json.RawMessage(`"` + mode + `"`)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.UpdateSettings(sys, map[string]json.RawMessage{"registration_mode": json.RawMessage(`"open"`)}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRegistrationByApprovalAndClosed(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	version := currentGuidelines(t, db)
	setRegistrationMode(t, db, forum.RegistrationApproval)
	b := newBrowser(s)
	name := forumtest.Unique("waiting")
	w := b.do(t, "POST", "/signup", signUpForm(name, name+"@example.org", "a quiet river bank", version), nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "once an administrator approves it") {
		t.Fatalf("sign-up by approval: %d %s", w.Code, w.Body)
	}
	m, err := db.MemberByUsername(context.Background(), name)
	if err != nil || m.Status != "pending" {
		t.Fatalf("member: %+v %v", m, err)
	}
	w = b.logIn(t, name, "a quiet river bank", false)
	if w.Code != 403 || !strings.Contains(html.UnescapeString(w.Body.String()), "waiting for an administrator’s approval") {
		t.Errorf("pending member logs in: %d %s", w.Code, w.Body)
	}
	if w := b.logIn(t, name, "the wrong password", false); w.Code != 401 {
		t.Errorf("pending member, wrong password: %d (must not say more than for anyone)", w.Code)
	}
	if _, err := db.ApproveMember(forumtest.As(m), m.ID); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a member approves themself: %v", err)
	}
	if _, err := db.ApproveMember(forum.WithSystem(context.Background()), m.ID); err != nil {
		t.Fatal(err)
	}
	if w := b.logIn(t, name, "a quiet river bank", false); w.Code != http.StatusSeeOther {
		t.Errorf("approved member: %d %s", w.Code, w.Body)
	}

	setRegistrationMode(t, db, forum.RegistrationClosed)
	c := newBrowser(s)
	if w := c.do(t, "GET", "/signup", nil, nil); !strings.Contains(w.Body.String(), "Registration is closed") || strings.Contains(w.Body.String(), `action="/signup"`) {
		t.Errorf("closed sign-up page: %s", w.Body)
	}
	name = forumtest.Unique("late")
	if w := c.do(t, "POST", "/signup", signUpForm(name, name+"@example.org", "a quiet river bank", version), nil); w.Code != 403 {
		t.Errorf("closed sign-up: %d", w.Code)
	}
	if w := c.json(t, "POST", "/api/v1/members", `{"username": "`+name+`", "email": "`+name+`@example.org", "password": "a quiet river bank", "accept_guidelines_version": `+fmt.Sprint(version)+`}`, nil); w.Code != 403 {
		t.Errorf("closed API sign-up: %d %s", w.Code, w.Body)
	}
}

func TestSuspendedMembersAreLoggedOutAndToldWhy(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	b := newBrowser(s)
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d", w.Code)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `UPDATE members SET suspended_until = now() + interval '2 days', sanction_reason = 'Repeated insults' WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if got := b.me(t); got != "" {
		t.Errorf("a suspended member is still logged in as %q", got)
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM sessions WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d sessions left to a suspended member", n)
	}
	// The log-in leads to the page that says why and until when.
	w := b.logIn(t, m.Username, forumtest.Password, false)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/suspended?token=") {
		t.Fatalf("suspended log-in: %d %v", w.Code, w.Header())
	}
	w = b.do(t, "GET", w.Header().Get("Location"), nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Your account is suspended") || !strings.Contains(w.Body.String(), "Repeated insults") {
		t.Errorf("suspended log-in: %d %s", w.Code, w.Body)
	}
	if w := b.logIn(t, m.Username, "not the password at all", false); strings.Contains(w.Body.String(), "suspended") {
		t.Error("the suspension is told to someone without the password")
	}

	// An app logging in through the API gets the same page's link.
	body := fmt.Sprintf(`{"login": %q, "password": %q}`, m.Username, forumtest.Password)
	w = s.do(t, request{method: "POST", path: "/api/v1/auth/token", body: body, header: map[string]string{"Accept-Language": "en"}})
	var refused struct {
		Error struct {
			Code, Message string
			NoticeURL     string `json:"notice_url"`
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &refused); err != nil || w.Code != http.StatusForbidden ||
		!strings.HasPrefix(refused.Error.NoticeURL, "/suspended?token=") {
		t.Fatalf("suspended API log-in: %d %s", w.Code, w.Body)
	}
	if page := b.do(t, "GET", refused.Error.NoticeURL, nil, nil); page.Code != 200 || !strings.Contains(page.Body.String(), "Repeated insults") {
		t.Errorf("the API's notice link: %d", page.Code)
	}
	body = fmt.Sprintf(`{"login": %q, "password": "not the password at all"}`, m.Username)
	if w := s.do(t, request{method: "POST", path: "/api/v1/auth/token", body: body}); strings.Contains(w.Body.String(), "notice_url") {
		t.Errorf("the notice link is given without the password: %s", w.Body)
	}
}

func TestAccountSessionsAndTokens(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	laptop, phone := newBrowser(s), newBrowser(s)
	laptop.header["User-Agent"] = "Laptop browser"
	phone.header["User-Agent"] = "Phone <browser>"
	laptop.logIn(t, m.Username, forumtest.Password, true)
	phone.logIn(t, m.Username, forumtest.Password, false)

	w := laptop.do(t, "GET", "/account/sessions", nil, nil)
	page := w.Body.String()
	if w.Code != 200 || !strings.Contains(page, "Laptop browser") || !strings.Contains(page, "Phone &lt;browser&gt;") ||
		strings.Count(page, `class="tag">this device`) != 1 || !strings.Contains(page, "10.77.") {
		t.Fatalf("sessions page: %d %s", w.Code, page)
	}
	if w := laptop.do(t, "POST", "/account/sessions/revoke-others", url.Values{}, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke others: %d", w.Code)
	}
	if phone.me(t) != "" || laptop.me(t) != m.Username {
		t.Error("revoking the other sessions did not keep exactly this one")
	}
	if w := laptop.do(t, "POST", "/account/sessions/revoke", url.Values{"id": {"00ff"}}, nil); w.Code != 404 {
		t.Errorf("revoking an unknown session: %d", w.Code)
	}
	if w := newBrowser(s).do(t, "GET", "/account/sessions", nil, nil); w.Code != http.StatusSeeOther ||
		!strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
		t.Errorf("anonymous sessions page: %d %v", w.Code, w.Header())
	}

	// Tokens: created and shown once, listed by name, usable, revocable.
	if w := laptop.do(t, "POST", "/account/tokens", url.Values{"name": {"  "}}, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "Give the token a name") {
		t.Errorf("token without a name: %d %s", w.Code, w.Body)
	}
	w = laptop.do(t, "POST", "/account/tokens", url.Values{"name": {"backup script"}}, nil)
	i := strings.Index(w.Body.String(), forum.APITokenPrefix)
	if w.Code != 201 || i < 0 {
		t.Fatalf("token creation: %d %s", w.Code, w.Body)
	}
	token := w.Body.String()[i : i+len(forum.APITokenPrefix)+43]
	bearer := map[string]string{"Authorization": "Bearer " + token}
	if w := newBrowser(s).json(t, "GET", "/api/v1/me", "", bearer); w.Code != 200 {
		t.Fatalf("the new token does not work: %d", w.Code)
	}
	list := laptop.do(t, "GET", "/account/tokens", nil, nil).Body.String()
	if !strings.Contains(list, "backup script") || strings.Contains(list, token) {
		t.Fatalf("token list (must name it and not show it): %s", list)
	}
	tokens, _ := db.APITokens(forumtest.As(m))
	if len(tokens) != 1 {
		t.Fatalf("%d tokens", len(tokens))
	}
	other := newBrowser(s)
	intruder := forumtest.MustMember(t, db, forum.RoleMember, 1)
	other.logIn(t, intruder.Username, forumtest.Password, false)
	if w := other.do(t, "POST", fmt.Sprintf("/account/tokens/%d/revoke", tokens[0].ID), url.Values{}, nil); w.Code != 404 {
		t.Errorf("revoking someone else's token: %d", w.Code)
	}
	if w := laptop.do(t, "POST", fmt.Sprintf("/account/tokens/%d/revoke", tokens[0].ID), url.Values{}, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("revoking: %d", w.Code)
	}
	if w := newBrowser(s).json(t, "GET", "/api/v1/me", "", bearer); w.Code != 401 {
		t.Errorf("a revoked token still works: %d", w.Code)
	}
}
