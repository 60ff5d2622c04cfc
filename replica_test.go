package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/server"
)

// startReplica makes a streaming replica of pg (pg_basebackup -R through
// its socket: initdb's pg_hba lets local replication in) and starts it,
// socket only, hot standby; t.Cleanup stops it (before pg's own cleanup).
func startReplica(t *testing.T, pg *throwawayCluster) (url string, stop func()) {
	t.Helper()
	data, sock := filepath.Join(pg.dir, "replica"), filepath.Join(pg.dir, "rs")
	pg.sh(fmt.Sprintf(`pg_prepare_owner && mkdir -p %[1]s && { [ "$(id -u)" != 0 ] || chown postgres: %[1]s; } && chmod 700 %[1]s &&
		pg_as "$PG_BINDIR/pg_basebackup" -h %[2]s/s -U postgres -D %[1]s -R -X stream -c fast >/dev/null &&
		pg_start %[1]s %[3]s -c fsync=off -c hot_standby=on`, data, pg.dir, sock))
	stop = func() { pg.sh("pg_stop " + data) }
	t.Cleanup(stop)
	return fmt.Sprintf("postgres:///postgres?host=%s&user=postgres&sslmode=disable", sock), stop
}

// pgBinariesAbsent reports why a test that starts its own clusters cannot
// run here ("" when it can).
func pgBinariesAbsent() string {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "pg_basebackup")); err != nil {
			return "PG_BINDIR has no pg_basebackup"
		}
		return ""
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_basebackup"); len(m) > 0 {
		return ""
	}
	return "no PostgreSQL server binaries (PG_BINDIR or /usr/lib/postgresql/*/bin): the replica test starts its own primary and replica"
}

// With PALABRE_DATABASE_REPLICA_URL, page reads go to a real streaming
// replica: with its replay paused, a thread just posted is missing from
// what another member and a visitor read, but not from what its author
// reads (read-your-writes, by the position in their cookie or remembered
// here); once the replica has replayed it, everyone sees it. Writes go to
// the primary (the replica refuses them). The replica stopped, pages are
// still answered, from the primary, and the outage is logged once.
func TestReadReplica(t *testing.T) {
	if why := pgBinariesAbsent(); why != "" {
		t.Skip(why)
	}
	pg := startThrowawayCluster(t)
	replicaURL, stopReplica := startReplica(t, pg)

	logs := &lockedBuffer{}
	cfg, err := server.LoadConfig(func(k string) string {
		return map[string]string{
			"PALABRE_DATABASE_URL": pg.URL, "PALABRE_DATABASE_REPLICA_URL": replicaURL,
			// The replica is paused on purpose below: its lag, counted from
			// its last replayed transaction, is not what this test is about.
			"PALABRE_DATABASE_REPLICA_MAX_LAG": "24h",
			"PALABRE_LISTEN":                   "127.0.0.1:0", "PALABRE_LOCALE": "en",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(logs, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("the server ended with: %v", err)
		}
	}()

	primary, err := sqlx.Open("postgres", pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	replica, err := sqlx.Open("postgres", replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("still not %s after a minute; log:\n%s", what, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	caughtUp := func() bool {
		var ok bool
		var target string
		if err := primary.Get(&target, `SELECT pg_current_wal_lsn()::text`); err != nil {
			t.Fatal(err)
		}
		if err := replica.Get(&ok, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, target); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	author := forumtest.MustMember(t, m.db, forum.RoleMember, 2)
	other := forumtest.MustMember(t, m.db, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, m.db)
	token := func(mb *forum.Member) string {
		tok, err := m.db.CreateAPIToken(forumtest.As(mb), mb.ID, "replica test")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	authorToken, otherToken := token(author), token(other)
	waitFor("replayed by the replica (schema and fixtures)", caughtUp)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.Addr()
	authorClient := &http.Client{Timeout: time.Minute, Jar: jar}
	client := &http.Client{Timeout: time.Minute}
	do := func(c *http.Client, method, path, bearer, body string, cookies ...*http.Cookie) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	listPath := fmt.Sprintf("/api/v1/categories/%d/threads", cat.ID)
	feedPath := "/c/" + cat.Slug + "/feed.atom"
	sees := func(who string, c *http.Client, path, bearer, title string, cookies ...*http.Cookie) bool {
		t.Helper()
		resp, body := do(c, "GET", path, bearer, "", cookies...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s as %s: %d %s", path, who, resp.StatusCode, body)
		}
		return strings.Contains(body, title)
	}
	post := func(title string) *http.Response {
		t.Helper()
		resp, body := do(authorClient, "POST", "/api/v1/threads", authorToken,
			fmt.Sprintf(`{"category_id": %d, "title": %q, "body": "Posted by the replica test: %s."}`, cat.ID, title, title))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("posting %q: %d %s", title, resp.StatusCode, body)
		}
		return resp
	}

	// The replica paused: what is written now is on the primary only.
	if _, err := replica.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	waitFor("paused", func() bool {
		var state string
		if err := replica.Get(&state, `SELECT pg_get_wal_replay_pause_state()`); err != nil {
			t.Fatal(err)
		}
		return state == "paused"
	})
	title := forumtest.Unique("Fil écrit sur le primaire ")
	resp := post(title) // the replica refuses writes: this one went to the primary
	var walCookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == server.WALCookie {
			walCookie = ck
		}
	}
	if walCookie == nil || walCookie.Value == "" {
		t.Fatalf("the author's write left no %s cookie: %v", server.WALCookie, resp.Header.Values("Set-Cookie"))
	}
	readsBefore := m.db.ReplicaStats().Reads
	if sees("another member", client, listPath, otherToken, title) {
		t.Errorf("another member's category list shows %q: it was not read from the paused replica", title)
	}
	if sees("a visitor", client, feedPath, "", title) {
		t.Errorf("a visitor's feed shows %q: it was not read from the paused replica", title)
	}
	if got := m.db.ReplicaStats().Reads; got < readsBefore+2 {
		t.Errorf("replica reads went from %d to %d, want 2 more", readsBefore, got)
	}
	if !sees("its author", authorClient, listPath, authorToken, title) {
		t.Errorf("the author's category list misses the thread they just posted (read-your-writes)")
	}
	// The position travels in the cookie: any instance honours it.
	if !sees("another member with the author's position", client, listPath, otherToken, title, walCookie) {
		t.Errorf("a reader whose cookie carries the write's position still reads the paused replica")
	}
	// Cached pages come from the primary: the cache is not filled with
	// what the replica has not replayed.
	if !sees("a visitor (cached list)", client, listPath, "", title) {
		t.Errorf("a visitor's cached category list was read from the paused replica")
	}
	// Private messages are searched where their pages read them, on the
	// primary: the recipient finds the message just sent, which the paused
	// replica does not have.
	word := forumtest.Unique("zreplique")
	if resp, body := do(client, "POST", "/api/v1/conversations", authorToken,
		fmt.Sprintf(`{"recipients": [%q], "title": "Message privé", "body": "Le mot %s."}`, other.Username, word)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("starting a conversation: %d %s", resp.StatusCode, body)
	}
	readsBefore = m.db.ReplicaStats().Reads
	if !sees("the recipient (in:messages)", client, "/api/v1/search?q="+url.QueryEscape(word+" in:messages"), otherToken, word) {
		t.Errorf("the recipient's in:messages search misses the message just sent: it was read from the paused replica")
	}
	if got := m.db.ReplicaStats().Reads; got != readsBefore {
		t.Errorf("an in:messages search read the replica (%d reads, %d before)", got, readsBefore)
	}

	if _, err := replica.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	waitFor("replayed by the replica", caughtUp)
	waitFor("seen by another member from the replica", func() bool { return sees("another member", client, listPath, otherToken, title) })
	waitFor("seen in a visitor's feed", func() bool { return sees("a visitor", client, feedPath, "", title) })

	// The replica stopped: pages are answered from the primary.
	stopReplica()
	later := forumtest.Unique("Fil écrit sans réplique ")
	post(later)
	for range 5 {
		for _, p := range []struct {
			who    string
			c      *http.Client
			path   string
			bearer string
		}{{"its author", authorClient, listPath, authorToken}, {"another member", client, listPath, otherToken}, {"a visitor", client, feedPath, ""}} {
			if !sees(p.who, p.c, p.path, p.bearer, later) {
				t.Errorf("with the replica stopped, %s misses %q on %s", p.who, later, p.path)
			}
		}
	}
	resp, body := do(client, "GET", "/readyz", "", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"replica":"unavailable"`) {
		t.Errorf("/readyz with the replica stopped: %d %s", resp.StatusCode, body)
	}
	if n := strings.Count(logs.String(), "read replica unavailable"); n != 1 {
		t.Errorf("the replica's outage is logged %d times, want once:\n%s", n, logs.String())
	}
}
