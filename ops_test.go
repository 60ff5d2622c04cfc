package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/server"
)

// A malformed PALABRE_DATABASE_URL is reported without its password, in
// whichever way it is malformed (issue 19: the URL parser's message quoted it).
func TestMalformedDatabaseURLDoesNotPrintItsPassword(t *testing.T) {
	for _, url := range []string{
		"postgres://palabre:Sesame-0pen@db.example:badport/palabre",
		"postgres://palabre:Sesame-0pen@[::1/palabre",
		"postgres://palabre:Sesame 0pen@db.example/palabre",
		"postgres://palabre:Sesame-0pen%zz@db.example/palabre",
		"postgres://palabre:Sesame-0pen@db.example/palabre?sslmode=sometimes",
		"host=db.example password=Sesame-0pen port=five",
		"host=db.example password='Sesame-0pen' nonsense",
	} {
		code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": url}, "migrate", "status")
		if code != 1 || !strings.Contains(errOut, "database URL") {
			t.Errorf("%s: exit %d, stderr %q", url, code, errOut)
		}
		if strings.Contains(out+errOut, "Sesame") {
			t.Errorf("the password is printed: %q", errOut)
		}
	}
}

// lockedBuffer collects a server's log for a test to read while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// With a moderator's page on /mod/events, a shutdown ends the stream at once
// and Run returns nil, long before the shutdown timeout (issue 19: it waited
// the whole PALABRE_SHUTDOWN_TIMEOUT and exited 1).
func TestShutdownEndsEventStreams(t *testing.T) {
	startServer(t)
	dbURL := forumtest.URL(t)
	code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": dbURL}, "admin", "token", "--username", "camille")
	if code != 0 {
		t.Fatalf("admin token: %s", errOut)
	}
	token := strings.TrimSpace(out)
	cfg, err := server.LoadConfig(func(k string) string {
		// A timeout no test run reaches: the shutdown must not depend on it.
		return map[string]string{"PALABRE_DATABASE_URL": dbURL, "PALABRE_LISTEN": "127.0.0.1:0", "PALABRE_SHUTDOWN_TIMEOUT": "10m"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	req, _ := http.NewRequest(http.MethodGet, "http://"+m.Addr()+"/mod/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /mod/events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := bufio.NewReader(resp.Body)
	// The stream is open: its first event has come.
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended before its first event: %v", err)
		}
		if strings.HasPrefix(line, "event: queue") {
			break
		}
	}

	cancel()
	// The stream ends (EOF), and Run returns nil.
	if _, err := io.Copy(io.Discard, events); err != nil {
		t.Errorf("the stream did not end cleanly: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run with an open event stream: %v, want nil", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after the shutdown with an open event stream")
	}
}
