package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/server"
)

func TestMain(m *testing.M) { forumtest.Main(m) }

// testServer is a real Palabre server started through Main on port 0 against
// the test package's database, seeded with the demo community once.
type testServer struct {
	URL      string
	Accounts map[string]string // username → password of the demo accounts
	main     *Main
}

var sharedServer *testServer

// startServer starts Main once for the package (like `palabre serve` after
// `palabre demo`) and returns it; it stops when the test binary ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	if sharedServer != nil {
		return sharedServer
	}
	dbURL := forumtest.URL(t)
	// Webhooks may reach the tests' own receivers, on loopback.
	env := map[string]string{"PALABRE_DATABASE_URL": dbURL, "PALABRE_LISTEN": "127.0.0.1:0", "PALABRE_LOCALE": "fr",
		"PALABRE_WEBHOOKS_ALLOW_PRIVATE": "1", "PALABRE_METRICS_TOKEN": "jeton-des-metriques-de-test"}
	getenv := func(k string) string { return env[k] }

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo"}, getenv, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("palabre demo exited %d: %s", code, errOut.String())
	}
	accounts := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[2] == "password:" {
			accounts[f[0]] = f[3]
		}
	}
	if len(accounts) == 0 {
		t.Fatalf("palabre demo printed no accounts:\n%s", out.String())
	}

	cfg, err := server.LoadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("opening the server: %v", err)
	}
	go func() {
		// Serves until the test binary exits; the process end closes it.
		if err := m.Run(context.Background()); err != nil {
			panic(err)
		}
	}()
	sharedServer = &testServer{URL: "http://" + m.Addr(), Accounts: accounts, main: m}
	return sharedServer
}

// settle returns once the server has heard every change committed before
// the call (its caches dropped what the change made stale): a cached
// anonymous answer read after a write then shows it, whatever the load.
func (ts *testServer) settle(t *testing.T) {
	t.Helper()
	ts.main.db.SettleWrite(context.Background())
}

func TestEndToEndServeAnswersHealthAndHome(t *testing.T) {
	ts := startServer(t)
	client := &http.Client{Timeout: 10 * time.Second}

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}

	resp, err := client.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	for _, want := range []string{"Présentations", "Entraide"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	// The demo's welcome thread: found by its title, wherever the threads
	// other tests start on this shared server have pushed it in the lists.
	resp, err = client.Get(ts.URL + "/api/v1/search?q=" + url.QueryEscape("bienvenue forum in:title"))
	if err != nil {
		t.Fatal(err)
	}
	var found struct {
		Results []struct {
			Thread struct {
				Title string `json:"title"`
			} `json:"thread"`
		} `json:"results"`
	}
	err = json.NewDecoder(resp.Body).Decode(&found)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("searching the welcome thread: %d %v", resp.StatusCode, err)
	}
	welcome := false
	for _, r := range found.Results {
		welcome = welcome || r.Thread.Title == "Bienvenue sur le forum !"
	}
	if !welcome {
		t.Errorf("the demo's welcome thread is not found by its title: %+v", found.Results)
	}
}

func TestEndToEndAdminTokenAuthenticatesTheAPI(t *testing.T) {
	ts := startServer(t)
	env := map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"admin", "token", "--username", "camille"}, func(k string) string { return env[k] }, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("admin token exited %d: %s", code, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, "plb_") || strings.Contains(token, "\n") {
		t.Fatalf("admin token printed %q, want a single plb_ token", out.String())
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Member struct {
			Username string `json:"username"`
			Role     string `json:"role"`
		} `json:"member"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/me = %d, %v", resp.StatusCode, err)
	}
	if got.Member.Username != "camille" || got.Member.Role != "admin" {
		t.Errorf("me = %+v", got.Member)
	}
}

// Cancelling Run's context (SIGTERM, SIGINT) stops accepting connections,
// stops the background work and returns; Close then releases the database.
func TestGracefulShutdown(t *testing.T) {
	startServer(t) // the database is migrated and seeded
	cfg, err := server.LoadConfig(func(k string) string {
		return map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t), "PALABRE_LISTEN": "127.0.0.1:0", "PALABRE_SHUTDOWN_TIMEOUT": "5s"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := m.Addr()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A page view counted in memory is written when the server stops.
	referrer := strings.ToLower(forumtest.Unique("shutdown-")) + ".example.org"
	req, _ := http.NewRequest("GET", "http://"+addr+"/latest", nil)
	req.Header.Set("Referer", "https://"+referrer+"/")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
	var views int
	if err := m.db.SQL().Get(&views, `SELECT coalesce(sum(views), 0) FROM traffic_referrers WHERE domain = $1`, referrer); err != nil || views != 1 {
		t.Errorf("the view counted before shutdown: %d views written (%v), want 1", views, err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// A reply's notification mail is sent at once, not at the mail worker's
// next round (every 30 s): the post's announcement on the content channel
// wakes the worker (backgroundWork).
func TestEndToEndReplyMailIsSentAtOnce(t *testing.T) {
	ts := startServer(t)
	dbURL := forumtest.URL(t)
	env := map[string]string{"PALABRE_DATABASE_URL": dbURL}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"admin", "token", "--username", "camille"}, func(k string) string { return env[k] }, nil, &out, &errOut); code != 0 {
		t.Fatalf("admin token exited %d: %s", code, errOut.String())
	}
	token := strings.TrimSpace(out.String())
	db := forumtest.DB(t)
	var thread struct {
		ID    int64  `db:"id"`
		Email string `db:"email"`
	}
	if err := db.SQL().Get(&thread, `
		SELECT t.id, m.email FROM threads t JOIN members m ON m.id = t.author_id
		JOIN watches w ON w.thread_id = t.id AND w.member_id = m.id AND w.level = 'watching'
		WHERE t.status = 'published' AND NOT t.locked AND NOT t.closed AND m.username <> 'camille' AND m.email_on_reply
		ORDER BY t.id LIMIT 1`); err != nil {
		t.Fatalf("a demo thread watched by its author: %v", err)
	}
	// Notification mail goes to confirmed addresses only: the demo's
	// members have not confirmed theirs.
	if _, err := db.SQL().Exec(`UPDATE members SET email_verified_at = now() WHERE email = $1`, thread.Email); err != nil {
		t.Fatal(err)
	}
	// The first reply may meet the worker's first round, at its start; the
	// second comes when the worker waits for its next one.
	for i := range 2 {
		body := strings.NewReader(fmt.Sprintf(`{"body": "Réponse %d pour vérifier que le courriel part tout de suite."}`, i))
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/threads/"+strconv.FormatInt(thread.ID, 10)+"/posts", body)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("reply %d: %d", i, resp.StatusCode)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var status string
			err := db.SQL().Get(&status, `SELECT status FROM outbox WHERE recipient = $1 AND kind = 'notify_watching' ORDER BY id DESC LIMIT 1`, thread.Email)
			if err == nil && status == "sent" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("reply %d: the notification mail to %s is still %q (%v) after 10 s", i, thread.Email, status, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
