package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// oneAtATime is a server that works on one request at a time, with a route
// that holds its turn until told to go on.
func oneAtATime(t *testing.T) (s *Server, hold chan struct{}, started chan string) {
	t.Helper()
	cfg, err := LoadConfig(envOf(map[string]string{"PALABRE_MAX_ACTIVE_REQUESTS": "1", "PALABRE_PAGE_CACHE": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	s, err = New(cfg, forumtest.DB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hold, started = make(chan struct{}), make(chan string, 10)
	s.engine.GET("/test-hold/:name", func(c *gin.Context) {
		started <- c.Param("name")
		<-hold
		c.String(http.StatusOK, "ok")
	})
	s.engine.POST("/test-echo", func(c *gin.Context) {
		body, _ := io.ReadAll(c.Request.Body)
		c.String(http.StatusOK, string(body))
	})
	return s, hold, started
}

// next returns the name of the next request to start its work.
func next(t *testing.T, started chan string) string {
	t.Helper()
	select {
	case name := <-started:
		return name
	case <-time.After(5 * time.Second):
		t.Fatal("no request started")
		return ""
	}
}

// waitingIs waits until n requests wait for their turn.
func waitingIs(t *testing.T, s *Server, n int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.metrics.waiting.Load() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests waiting, want %d", s.metrics.waiting.Load(), n)
		}
	}
}

func TestRequestsTakeTheirTurnInArrivalOrder(t *testing.T) {
	s, hold, started := oneAtATime(t)
	var wg sync.WaitGroup
	get := func(name string) {
		wg.Go(func() {
			if w := s.do(t, request{path: "/test-hold/" + name}); w.Code != http.StatusOK {
				t.Errorf("%s: %d", name, w.Code)
			}
		})
	}
	get("first")
	if got := next(t, started); got != "first" {
		t.Fatalf("started %s", got)
	}
	for i, name := range []string{"second", "third", "fourth"} {
		get(name)
		waitingIs(t, s, int64(i+1))
	}
	// Probes do not wait behind the queue.
	if w := s.do(t, request{path: "/healthz"}); w.Code != http.StatusOK {
		t.Errorf("healthz while busy: %d", w.Code)
	}
	for _, want := range []string{"second", "third", "fourth"} {
		hold <- struct{}{}
		if got := next(t, started); got != want {
			t.Fatalf("started %s, want %s", got, want)
		}
	}
	hold <- struct{}{}
	wg.Wait()
}

// A client that sends its body slowly holds no turn: the body is read
// before the request waits for one.
func TestASlowBodyDoesNotHoldATurn(t *testing.T) {
	s, hold, started := oneAtATime(t)
	slow, sending := io.Pipe()
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		r := httptest.NewRequest(http.MethodPost, "/test-echo", slow)
		w := httptest.NewRecorder()
		s.engine.ServeHTTP(w, r)
		done <- w
	}()
	io.WriteString(sending, "début… ")
	go func() { s.do(t, request{path: "/test-hold/other"}) }()
	if got := next(t, started); got != "other" {
		t.Fatalf("started %s", got)
	}
	hold <- struct{}{}
	io.WriteString(sending, "fin")
	if err := sending.Close(); err != nil {
		t.Fatal(err)
	}
	if w := <-done; w.Code != http.StatusOK || w.Body.String() != "début… fin" {
		t.Errorf("the slow request: %d %q", w.Code, w.Body)
	}
	// Too large a body is refused before it waits.
	big := strings.Repeat("x", int(s.cfg.MaxBodyBytes)+1)
	w := httptest.NewRecorder()
	s.engine.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/test-echo", io.NopCloser(strings.NewReader(big))))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large a body: %d", w.Code)
	}
}

func TestRequestsThatWaitTooLongAreToldTheForumIsBusy(t *testing.T) {
	s, hold, started := oneAtATime(t)
	defer func(d time.Duration) { admissionWait = d }(admissionWait)
	admissionWait = 50 * time.Millisecond
	go s.do(t, request{path: "/test-hold/first"})
	next(t, started)
	w := s.do(t, request{path: "/api/v1/categories"})
	hold <- struct{}{}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"unavailable"`) {
		t.Errorf("a request that waited too long: %d %s %q", w.Code, w.Header(), w.Body)
	}
	if s.metrics.turnedAway.Load() != 1 || s.metrics.waiting.Load() != 0 {
		t.Errorf("turned away %d, waiting %d", s.metrics.turnedAway.Load(), s.metrics.waiting.Load())
	}
}

// A request whose client left is not an error of the server's: 499, and
// nothing in the error log.
func TestAClientThatLeftIsNotAnError(t *testing.T) {
	cfg, err := LoadConfig(envOf(map[string]string{"PALABRE_PAGE_CACHE": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	s, err := New(cfg, forumtest.DB(t), slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.engine.GET("/test-query", func(c *gin.Context) {
		_, err := s.db.ExecContext(c.Request.Context(), `SELECT pg_sleep(0)`)
		s.fail(c, forum.Internal("reading", err))
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	s.engine.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/test-query", nil).WithContext(ctx))
	if w.Code != statusClientClosed || strings.Contains(logged.String(), "request failed") {
		t.Errorf("a client that left: %d, logged %q", w.Code, logged.String())
	}
	// PostgreSQL's answer to the cancel of the client's statement is not
	// an outage of the database either.
	s.engine.GET("/test-cancelled", func(c *gin.Context) {
		s.fail(c, forum.Internal("reading", &pq.Error{Code: "57014", Message: "canceling statement due to user request"}))
	})
	w = httptest.NewRecorder()
	s.engine.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/test-cancelled", nil).WithContext(ctx))
	if w.Code != statusClientClosed || strings.Contains(logged.String(), "database") || strings.Contains(logged.String(), "request failed") {
		t.Errorf("a statement cancelled as its client left: %d, logged %q", w.Code, logged.String())
	}
	// Nor on a page that shows its errors in its form (a search, whose
	// statement or wait for a slot stops as its client leaves): its status
	// is 499, not the 503 or 500 of the error.
	s.engine.GET("/test-form", func(c *gin.Context) {
		f := &Form{Values: map[string]string{"q": "x"}, Errors: map[string]string{}}
		c.Status(s.setError(c, f, forum.Internal("searching", context.Canceled)))
	})
	w = httptest.NewRecorder()
	s.engine.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/test-form", nil).WithContext(ctx))
	if w.Code != statusClientClosed || strings.Contains(logged.String(), "request failed") {
		t.Errorf("a form whose client left: %d, logged %q", w.Code, logged.String())
	}
}

// A reply that waits for its batch gives its turn back: the next request
// is worked on meanwhile (forum.WithYield).
func TestAReplyWaitingForItsBatchGivesItsTurnBack(t *testing.T) {
	s, hold, started := oneAtATime(t)
	cat := forumtest.MustCategory(t, s.db)
	alice := forumtest.MustMember(t, s.db, forum.RoleMember, forum.TrustMember)
	h := bearer(t, s.db, alice)
	th := startThread(t, s, h, cat, "Un sujet retenu un instant")
	// The thread's row is held elsewhere: the reply's batch waits for it.
	lock, err := s.db.SQL().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`SELECT 1 FROM threads WHERE id = $1 FOR UPDATE`, th.Thread.ID); err != nil {
		t.Fatal(err)
	}
	replied := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		replied <- s.do(t, request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID),
			header: h, body: `{"body": "Une réponse patiente."}`})
	}()
	forumtest.WaitForRepliesOnLocks(t, s.db, 1)
	go s.do(t, request{path: "/test-hold/other"})
	if got := next(t, started); got != "other" {
		t.Fatalf("started %s", got)
	}
	hold <- struct{}{}
	if err := lock.Commit(); err != nil {
		t.Fatal(err)
	}
	if w := <-replied; w.Code != http.StatusCreated {
		t.Errorf("the reply: %d %s", w.Code, w.Body)
	}
}

// stalledClient is a client that does not read its answer: the first
// write to it blocks until the test lets it go.
type stalledClient struct {
	header  http.Header
	writing chan struct{} // closed at the first write
	release chan struct{}
	once    sync.Once
	got     bytes.Buffer // what it read once released
}

func newStalledClient() *stalledClient {
	return &stalledClient{header: http.Header{}, writing: make(chan struct{}), release: make(chan struct{})}
}

func (c *stalledClient) Header() http.Header { return c.header }
func (c *stalledClient) WriteHeader(int)     {}
func (c *stalledClient) Write(b []byte) (int, error) {
	c.once.Do(func() { close(c.writing) })
	<-c.release
	return c.got.Write(b)
}

// firstWrite waits until the client's answer starts to go out.
func (c *stalledClient) firstWrite(t *testing.T) {
	t.Helper()
	select {
	case <-c.writing:
	case <-time.After(10 * time.Second):
		t.Fatal("the answer was never written")
	}
}

// A client that reads its answer slowly holds a connection, not a turn:
// the turn goes back as the answer starts to go out, and the forum serves
// the others meanwhile.
func TestASlowReaderDoesNotHoldATurn(t *testing.T) {
	s, _, _ := oneAtATime(t)
	defer func(d time.Duration) { admissionWait = d }(admissionWait)
	admissionWait = 50 * time.Millisecond
	client := newStalledClient()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.engine.ServeHTTP(client, httptest.NewRequest(http.MethodGet, "/api/v1/categories", nil))
	}()
	client.firstWrite(t)
	if w := s.do(t, request{path: "/api/v1/categories"}); w.Code != http.StatusOK {
		t.Errorf("a request while another's answer is stuck going out: %d %s", w.Code, w.Body)
	}
	close(client.release)
	<-done
}
