package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// loginInstance starts a server over its own handle on the test database
// (another instance), whose password hashing is bounded by its own gate.
func loginInstance(t testing.TB, env map[string]string) *Server {
	t.Helper()
	env["PALABRE_PAGE_CACHE"] = "off"
	if env["PALABRE_HASH_WAIT"] == "" {
		// A long wait: these tests count checked attempts, and must not
		// depend on how fast the machine hashes.
		env["PALABRE_HASH_WAIT"] = "1m"
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, forumtest.Instance(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// burst sends n log-ins at once (released together by a barrier), the i-th
// through browsers[i%len(browsers)], and returns the count of each status.
func burst(t *testing.T, n int, browsers []*browser, login, password string) map[int]int {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := browsers[i%len(browsers)]
			req := url.Values{"login": {login}, "password": {password}}
			<-start
			// Not b.do: the browsers' cookie jars are not shared by goroutines.
			w := b.post(req)
			mu.Lock()
			codes[w]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// post sends a log-in form with the browser's address and cookies, without
// keeping what is set: safe from several goroutines.
func (b *browser) post(form url.Values) int {
	req, _ := http.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = b.addr + ":40000"
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := &statusRecorder{header: http.Header{}}
	b.s.Handler().ServeHTTP(w, req)
	return w.code
}

type statusRecorder struct {
	header http.Header
	code   int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(p), nil
}
func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

// hashed is the number of passwords hashed by the servers' gates.
func hashed(servers ...*Server) int64 {
	var n int64
	for _, s := range servers {
		n += s.db.HashGate().Checked()
	}
	return n
}

func TestConcurrentWrongPasswordsAreCheckedUpToTheLimitOnEveryInstance(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	s1, s2 := loginInstance(t, map[string]string{}), loginInstance(t, map[string]string{})
	attacker := newBrowser(s1)
	same := *attacker // the same address, on the other instance
	same.s = s2

	codes := burst(t, 30, []*browser{attacker, &same}, m.Username, "not the right password")
	limit := forum.LimitLoginPerAccountAddress.Max
	if codes[401] != limit || codes[429] != 30-limit || hashed(s1, s2) != int64(limit) {
		t.Errorf("30 wrong passwords at once on two instances: statuses %v, %d checked; want %d checked",
			codes, hashed(s1, s2), limit)
	}

	// A wave that holds the right password does not get in from there
	// either: the address has used up its attempts on the account.
	codes = burst(t, 45, []*browser{attacker, &same}, m.Username, forumtest.Password)
	if codes[429] != 45 || hashed(s1, s2) != int64(limit) {
		t.Errorf("45 right passwords after the limit: statuses %v, %d checked", codes, hashed(s1, s2))
	}

	// An unknown name costs a hash too, counted the same way.
	ghost := forumtest.Unique("ghost")
	before := hashed(s1, s2)
	codes = burst(t, 30, []*browser{newBrowser(s1), newBrowser(s2)}, ghost, "whatever it is")
	if codes[401] != forum.LimitLoginPerAccount.Max || hashed(s1, s2)-before != int64(forum.LimitLoginPerAccount.Max) {
		t.Errorf("30 attempts on an unknown name from two addresses: statuses %v, %d checked", codes, hashed(s1, s2)-before)
	}
}

func TestTheOwnerOfAKnownDeviceLogsInWhileStrangersAreThrottled(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	s := loginInstance(t, map[string]string{})

	// The owner logged in from this browser before: it is a known device.
	owner := newBrowser(s)
	if w := owner.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("first log-in: %d", w.Code)
	}
	device := owner.cookies[KnownDeviceCookie]
	if device == nil || !device.HttpOnly || device.MaxAge <= 0 || !strings.HasPrefix(device.Value, fmt.Sprint(m.ID)+".") {
		t.Fatalf("known-device cookie: %+v", device)
	}
	owner.do(t, "POST", "/logout", url.Values{}, nil)

	// An attacker who knows the username uses up their address's attempts
	// and, from five more addresses, the strangers' free attempts.
	attacker := newBrowser(s)
	burst(t, 30, []*browser{attacker}, m.Username, "a guess")
	for range forum.LimitLoginPerAccount.Max {
		newBrowser(s).logIn(t, m.Username, "another guess", false)
	}
	// More failures from elsewhere earlier in the hour: the back-off is at
	// its longest (so that how fast this test runs does not matter).
	if _, err := db.ExecContext(context.Background(), `INSERT INTO login_attempts (kind, subject)
		SELECT $1, 'member:' || $2 FROM generate_series(1, 10)`, forum.LimitLoginPerAccount.Kind, m.ID); err != nil {
		t.Fatal(err)
	}
	if w := attacker.logIn(t, m.Username, forumtest.Password, false); w.Code != 429 {
		t.Fatalf("the attacker's address is not throttled: %d", w.Code)
	}
	if w := newBrowser(s).logIn(t, m.Username, forumtest.Password, false); w.Code != 429 {
		t.Fatalf("a stranger's device is not slowed down: %d", w.Code)
	}
	forged := newBrowser(s)
	forged.cookies[KnownDeviceCookie] = &http.Cookie{Name: KnownDeviceCookie, Value: device.Value[:len(device.Value)-2] + "xx"}
	if w := forged.logIn(t, m.Username, forumtest.Password, false); w.Code != 429 {
		t.Errorf("a forged known-device cookie skips the limits: %d", w.Code)
	}

	// The owner's browser, even behind the attacker's address, gets in.
	owner.addr = attacker.addr
	if w := owner.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther || owner.me(t) != m.Username {
		t.Fatalf("the owner's known device: %d", w.Code)
	}
	owner.do(t, "POST", "/logout", url.Values{}, nil)
	// A known device has its own limit: a stolen cookie does not give
	// unlimited guesses.
	codes := burst(t, 20, []*browser{owner}, m.Username, "a thief's guess")
	if codes[401] != forum.LimitLoginPerDevice.Max || codes[429] != 20-forum.LimitLoginPerDevice.Max {
		t.Errorf("guesses from a known device: %v", codes)
	}
}

func TestPasswordHashingIsBoundedAndAnswers503WhenSaturated(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	s := loginInstance(t, map[string]string{"PALABRE_HASH_SLOTS": "1", "PALABRE_HASH_WAIT": "1ms"})
	gate := s.db.HashGate()
	// The only slot is taken: every hash must wait, and gives up.
	if err := gate.Enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(s)
	w := b.logIn(t, m.Username, forumtest.Password, false)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" ||
		!strings.Contains(w.Body.String(), "Too many log-ins at once") || !strings.Contains(w.Body.String(), `value="`+m.Username+`"`) {
		t.Errorf("log-in while hashing is saturated: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = b.json(t, "POST", "/api/v1/auth/token", `{"login": "`+m.Username+`", "password": "wrong"}`, nil)
	if w.Code != http.StatusServiceUnavailable || decodeError(t, w).Code != forum.EUNAVAILABLE || w.Header().Get("Retry-After") == "" {
		t.Errorf("API log-in while hashing is saturated: %d %s", w.Code, w.Body)
	}
	name := forumtest.Unique("busy")
	w = b.do(t, "POST", "/signup", signUpForm(name, name+"@example.org", "a quiet river bank", currentGuidelines(t, db)), nil)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("sign-up while hashing is saturated: %d", w.Code)
	}
	// Attempts that were not checked are not counted.
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM login_attempts WHERE subject LIKE $1`, "%"+b.addr); err != nil {
		t.Fatal(err)
	}
	if n != 0 || gate.Refused() != 3 || gate.Checked() != 0 {
		t.Errorf("%d attempts counted, %d refused, %d checked", n, gate.Refused(), gate.Checked())
	}
	gate.Leave()
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Errorf("log-in once a slot is free: %d", w.Code)
	}
}

func TestALoginLinkLogsInOnceAndExpires(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	ctx := context.Background()
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)

	// The account is slowed down by strangers' failures.
	if _, err := db.ExecContext(ctx, `INSERT INTO login_attempts (kind, subject)
		SELECT $1, 'member:' || $2 FROM generate_series(1, 10)`, forum.LimitLoginPerAccount.Kind, m.ID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(s)
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != 429 {
		t.Fatalf("throttled log-in: %d", w.Code)
	}
	// The owner asks for a link; an unknown name gets the same answer.
	known := b.do(t, "POST", "/login/email", url.Values{"login": {m.Username}}, nil)
	ghost := forumtest.Unique("ghost")
	unknown := b.do(t, "POST", "/login/email", url.Values{"login": {ghost}}, nil)
	if known.Code != 200 || !strings.Contains(known.Body.String(), "we have sent a login link") ||
		strings.ReplaceAll(known.Body.String(), m.Username, "X") != strings.ReplaceAll(unknown.Body.String(), ghost, "X") {
		t.Fatalf("the answers differ between a known and an unknown login:\n%s\n%s", known.Body, unknown.Body)
	}
	if w := b.do(t, "POST", "/login/email", url.Values{"login": {" "}}, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "Enter your username") {
		t.Errorf("empty login: %d", w.Code)
	}
	// A second request (a stranger's, say) does not spoil the first link.
	newBrowser(s).do(t, "POST", "/login/email", url.Values{"login": {m.Email}}, nil)
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := sink.to(m.Email)
	if len(got) != 2 || got[0].Subject != "Your login link for Palabre" {
		t.Fatalf("login link mails: %+v", got)
	}
	first, second := tokenOf(t, got[0], "/login/link"), tokenOf(t, got[1], "/login/link")

	// Opening the link changes nothing (mail scanners open links); the
	// button logs in, once.
	w := b.do(t, "GET", "/login/link?token="+first, nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `action="/login/link"`) || b.me(t) != "" {
		t.Fatalf("login link page: %d %s", w.Code, w.Body)
	}
	w = b.do(t, "POST", "/login/link", url.Values{"token": {first}}, nil)
	if w.Code != http.StatusSeeOther || b.me(t) != m.Username || b.cookies[KnownDeviceCookie] == nil {
		t.Fatalf("log-in with the link: %d %s", w.Code, w.Body)
	}
	other := newBrowser(s)
	if w := other.do(t, "POST", "/login/link", url.Values{"token": {first}}, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "This link is not valid") || other.me(t) != "" {
		t.Errorf("a login link used twice: %d", w.Code)
	}
	if w := other.do(t, "GET", "/login/link?token="+first, nil, nil); w.Code != 400 {
		t.Errorf("the page of a used link: %d", w.Code)
	}
	// The strangers' back-off is cleared: the owner has read their mail.
	if w := newBrowser(s).logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Errorf("password log-in after the link: %d", w.Code)
	}
	// The second link expires.
	if _, err := db.ExecContext(ctx, `UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
		forum.HashToken(second)); err != nil {
		t.Fatal(err)
	}
	if w := other.do(t, "POST", "/login/link", url.Values{"token": {second}}, nil); w.Code != 400 || other.me(t) != "" {
		t.Errorf("an expired login link: %d", w.Code)
	}
	// The French mail.
	fr := newBrowser(s)
	fr.header["Accept-Language"] = "fr"
	fm := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if w := fr.do(t, "POST", "/login/email", url.Values{"login": {fm.Email}}, nil); w.Code != 200 || !strings.Contains(w.Body.String(), "nous avons envoyé un lien de connexion") {
		t.Errorf("French page: %d", w.Code)
	}
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.to(fm.Email); len(got) != 1 || !strings.Contains(got[0].Subject, "Votre lien de connexion") {
		t.Errorf("French login link mail: %+v", got)
	}
}
