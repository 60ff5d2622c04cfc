package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/palabre/palabre/server"
)

// throwawayCluster is a PostgreSQL cluster of one test's own, which the
// test may stop, restart and freeze without touching the shared test
// cluster (scripts/pg.sh starts it, socket only).
type throwawayCluster struct {
	t   *testing.T
	dir string
	URL string
}

func startThrowawayCluster(t *testing.T) *throwawayCluster {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "palabre-outage-")
	if err != nil {
		t.Fatal(err)
	}
	// As root, the cluster belongs to the postgres user, who must reach it.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg := &throwawayCluster{t: t, dir: dir, URL: fmt.Sprintf("postgres:///postgres?host=%s&user=postgres&sslmode=disable", filepath.Join(dir, "s"))}
	t.Cleanup(func() {
		pg.signal(syscall.SIGCONT)
		pg.sh("pg_stop " + dir + "/pg")
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	})
	pg.start()
	return pg
}

func (pg *throwawayCluster) sh(script string) {
	pg.t.Helper()
	cmd := exec.Command("bash", "-c", ". scripts/pg.sh && pg_find_bindir && "+script)
	if out, err := cmd.CombinedOutput(); err != nil {
		pg.t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

func (pg *throwawayCluster) start() {
	pg.t.Helper()
	pg.sh(fmt.Sprintf("pg_start %s/pg %s/s -c fsync=off -c synchronous_commit=off", pg.dir, pg.dir))
}

// stop is a restart's first half: pg_ctl stop -m fast (connections are
// terminated, new ones refused).
func (pg *throwawayCluster) stop() {
	pg.t.Helper()
	pg.sh("pg_stop " + pg.dir + "/pg")
}

// signal sends sig to the postmaster and all its children (SIGSTOP: the
// database stalls, alive but answering nothing).
func (pg *throwawayCluster) signal(sig syscall.Signal) {
	b, err := os.ReadFile(filepath.Join(pg.dir, "pg", "postmaster.pid"))
	if err != nil {
		return
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		return
	}
	pids := []int{postmaster}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: the fields after the last ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(postmaster) {
			pid, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(st, "/proc/"), "/stat"))
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig) // a backend already gone is what we want
	}
}

// During a PostgreSQL restart, requests are answered 503 with Retry-After,
// and the outage is logged once as it starts and once as it ends (issue 19:
// every request answered 500 and logged an ERROR line). With the database
// stalled (its processes stopped), requests and /readyz answer 503 instead
// of waiting for as long as it lasts.
func TestDatabaseOutageAnswers503AndIsLoggedOnce(t *testing.T) {
	pg := startThrowawayCluster(t)
	logs := &lockedBuffer{}
	cfg, err := server.LoadConfig(func(k string) string {
		return map[string]string{
			"PALABRE_DATABASE_URL": pg.URL, "PALABRE_LISTEN": "127.0.0.1:0", "PALABRE_PAGE_CACHE": "off",
			"PALABRE_REQUEST_TIMEOUT": "3s", "PALABRE_LOCALE": "en",
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
			t.Logf("the server ended with: %v", err) // the faults are the test's
		}
	}()

	// Generous: the checks are on statuses, not on speed.
	client := &http.Client{Timeout: time.Minute}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get("http://" + m.Addr() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("still not %s after a minute; log:\n%s", what, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	ready := func() bool { code, _ := get("/readyz"); return code == http.StatusOK }
	paths := []string{"/api/v1/members/nobody_here", "/u/nobody_here"}
	for _, p := range paths {
		if code, _ := get(p); code != http.StatusNotFound {
			t.Fatalf("GET %s with the database up: %d", p, code)
		}
	}

	pg.stop()
	for range 20 {
		for _, p := range append(paths, "/readyz") {
			if code, retry := get(p); code != http.StatusServiceUnavailable || retry == "" {
				t.Fatalf("GET %s with the database stopped: %d, Retry-After %q", p, code, retry)
			}
		}
	}
	pg.start()
	waitFor("ready after the restart", ready)
	waitFor("logged as over", func() bool { return strings.Contains(logs.String(), "database available again") })
	log := logs.String()
	if n := strings.Count(log, "database unavailable"); n != 1 {
		t.Errorf("the outage's start is logged %d times, want once:\n%s", n, log)
	}
	if n := strings.Count(log, "database available again"); n != 1 || !strings.Contains(log, "after=") {
		t.Errorf("the outage's end is logged %d times (want once, with its duration):\n%s", n, log)
	}
	if strings.Contains(log, "request failed") || strings.Contains(log, "form failed") {
		t.Errorf("requests refused during the outage are logged one by one:\n%s", log)
	}
	for _, p := range paths {
		if code, _ := get(p); code != http.StatusNotFound {
			t.Errorf("GET %s after the restart: %d", p, code)
		}
	}

	// Stalled: the processes are stopped, connections stay open and
	// nothing answers.
	pg.signal(syscall.SIGSTOP)
	if code, retry := get("/readyz"); code != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("/readyz with the database stalled: %d, Retry-After %q", code, retry)
	}
	for _, p := range paths {
		if code, retry := get(p); code != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("GET %s with the database stalled: %d, Retry-After %q", p, code, retry)
		}
	}
	pg.signal(syscall.SIGCONT)
	waitFor("ready after the stall", ready)
}

// When PostgreSQL stops, each background worker (jobs, mail, LISTEN) logs
// one line as it starts failing and one as it works again, however many of
// its attempts fail in between (issue 19: a line per failed round).
func TestBackgroundWorkLogsAnOutageOnce(t *testing.T) {
	pg := startThrowawayCluster(t)
	logs := &lockedBuffer{}
	cfg, err := server.LoadConfig(func(k string) string {
		return map[string]string{
			"PALABRE_DATABASE_URL": pg.URL, "PALABRE_LISTEN": "127.0.0.1:0", "PALABRE_PAGE_CACHE": "off", "PALABRE_LOCALE": "en",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(logs, nil)), JobPoll: 20 * time.Millisecond}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	m.mailer.Every = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("the server ended with: %v", err) // the faults are the test's
		}
	}()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("still not %s after two minutes; log:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	workers := []string{"jobs", "mail", "listen"}

	pg.stop()
	// Each worker fails several attempts in a row.
	waitFor("failing three times each", func() bool {
		failing := m.db.FailingWork()
		for _, w := range workers {
			if failing[w] < 3 {
				return false
			}
		}
		return true
	})
	pg.start()
	waitFor("working again", func() bool { return len(m.db.FailingWork()) == 0 })
	log := logs.String()
	for _, w := range workers {
		if n := strings.Count(log, `msg="background work paused: the database is unavailable" work=`+w+" "); n != 1 {
			t.Errorf("%s: its outage is logged %d times as it starts, want once:\n%s", w, n, log)
		}
		if n := strings.Count(log, `msg="background work resumed" work=`+w+" "); n != 1 {
			t.Errorf("%s: its outage is logged %d times as it ends, want once:\n%s", w, n, log)
		}
	}
	for _, line := range []string{"running jobs", "sending mail", "LISTEN connection", "scheduling a job"} {
		if strings.Contains(log, `msg="`+line) {
			t.Errorf("a failed attempt is logged on its own (%q):\n%s", line, log)
		}
	}
}
