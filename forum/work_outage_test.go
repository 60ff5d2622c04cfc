package forum_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/palabre/palabre/forum/forumtest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A worker that fails because the database cannot be reached logs once as
// it starts failing and once as it works again; a failure of another kind
// is logged each time.
func TestWorkLogsAnOutageOnceAndOtherFailuresEachTime(t *testing.T) {
	db := forumtest.DB(t)
	logs := &syncBuffer{}
	w := db.Work(forumtest.Unique("work"), slog.New(slog.NewTextHandler(logs, nil)))

	// A real unreachable server: a socket directory that does not exist.
	gone, err := sql.Open("postgres", "host=/nonexistent/palabre-socket user=nobody dbname=nothing sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	down := gone.Ping()
	if down == nil {
		t.Fatal("a server without a socket answered")
	}
	_, wrong := db.SQL().Exec("SELECT no_such_column FROM posts")
	if wrong == nil {
		t.Fatal("a wrong statement ran")
	}

	for range 5 {
		w.Failed("doing its work", down)
	}
	if n := w.Failing(); n != 5 {
		t.Errorf("failing %d attempts, want 5", n)
	}
	w.Failed("doing its work", wrong)
	w.Failed("doing its work", wrong)
	w.Succeeded()
	w.Succeeded()
	log := logs.String()
	if n := strings.Count(log, "background work paused"); n != 1 {
		t.Errorf("the outage's start is logged %d times, want once:\n%s", n, log)
	}
	if n := strings.Count(log, "background work resumed"); n != 1 || !strings.Contains(log, "failed_attempts=5") {
		t.Errorf("the outage's end is logged %d times, want once with its 5 failed attempts:\n%s", n, log)
	}
	if n := strings.Count(log, "no_such_column"); n != 2 {
		t.Errorf("a wrong statement is logged %d times, want at each failure:\n%s", n, log)
	}
	if w.Failing() != 0 {
		t.Error("still failing after a success")
	}
}
