package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/migrations"
)

// previousRelease is the commit of the release before this one: the newest
// tag reachable from HEAD when releases are tagged, otherwise the commit
// before the newest migration landed (the code that ran on the schema this
// release's migrations change).
func previousRelease(t *testing.T) string {
	t.Helper()
	git := func(args ...string) string {
		out, err := exec.Command("git", args...).Output()
		if err != nil {
			t.Fatalf("git %s: %v (the upgrade test needs the repository's history: a clone, not an archive)", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	if git("rev-parse", "--is-shallow-repository") == "true" {
		t.Skip("a shallow clone has no previous release to build: clone the whole history to run the upgrade test")
	}
	if tag, err := exec.Command("git", "describe", "--tags", "--abbrev=0", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(tag))
	}
	added := git("log", "-1", "--diff-filter=A", "--format=%H", "--", "migrations/*.up.sql")
	if added == "" {
		t.Fatal("no commit added a migration: is this a shallow clone?")
	}
	return git("rev-parse", added+"^")
}

// buildRelease builds the palabre binary of a commit, from the
// repository's history, into dir.
func buildRelease(t *testing.T, rev, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(dir, "src.tar")
	if out, err := exec.Command("git", "archive", "--format=tar", "--output="+tarball, rev).CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v %s", rev, err, out)
	}
	if out, err := exec.Command("tar", "-x", "-f", tarball, "-C", src).CombinedOutput(); err != nil {
		t.Fatalf("extracting %s: %v %s", rev, err, out)
	}
	bin := filepath.Join(dir, "palabre-previous")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", rev, err, out)
	}
	return bin
}

// A rolling upgrade: the new release migrates the database while instances
// of the previous one still serve it. The previous release's binary, run
// against the migrated schema, serves the pages, logs members in and
// stores their posts, and the new release reads what it wrote.
// Migrations are expand/contract (docs/operations.md): a column or table is
// dropped only a release after the code stopped reading it.
func TestPreviousReleaseServesTheMigratedSchema(t *testing.T) {
	rev := previousRelease(t)
	bin := buildRelease(t, rev, t.TempDir())

	// The database, migrated and seeded by this release.
	dbURL := forumtest.EmptyDatabaseURL(t)
	env := map[string]string{"PALABRE_DATABASE_URL": dbURL}
	code, out, errOut := runCLI(t, env, "demo")
	if code != 0 {
		t.Fatalf("palabre demo: %s", errOut)
	}
	var member, password string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[2] == "password:" && f[1] == "member" {
			member, password = f[0], f[3]
			break
		}
	}
	code, out, errOut = runCLI(t, env, "admin", "token", "--username", member)
	if code != 0 {
		t.Fatalf("admin token: %s", errOut)
	}
	token := strings.TrimSpace(out)

	// The previous release serves it, without migrating (it does not know
	// the newest migrations).
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var logs lockedBuffer // written by the process while the test reads it
	cmd := exec.Command(bin, "serve", "--no-migrate")
	cmd.Env = append(os.Environ(), "PALABRE_DATABASE_URL="+dbURL, fmt.Sprintf("PALABRE_LISTEN=127.0.0.1:%d", port), "PALABRE_LOCALE=fr")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when the process ends, with its error in exitErr.
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-exited
		if exitErr != nil && !t.Failed() {
			t.Errorf("the previous release did not stop cleanly: %v\n%s", exitErr, logs.String())
		}
	})
	// Ready when /readyz says so; the deadline only bounds a start that
	// hangs.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("the previous release (%s) stopped on the migrated schema: %v\n%s", rev, exitErr, logs.String())
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the previous release (%s) is not ready on the migrated schema (%d migrations): %v\n%s", rev, migrations.Latest(), err, logs.String())
		}
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, header ...string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("previous release, GET %s: %d\n%s\n%s", path, resp.StatusCode, b, logs.String())
		}
		return string(b)
	}
	home := get("/")
	thread := regexp.MustCompile(`href="/t/(\d+)/([^"#?]+)"`).FindStringSubmatch(home)
	category := regexp.MustCompile(`href="(/c/[^"#?]+)"`).FindStringSubmatch(home)
	if thread == nil || category == nil {
		t.Fatalf("the previous release's home page links no thread or category:\n%s", home)
	}
	for _, p := range []string{"/latest", category[1], "/t/" + thread[1] + "/" + thread[2], "/api/v1/threads/" + thread[1],
		"/guidelines", "/search?q=compost", "/u/" + member, "/feed.atom"} {
		get(p)
	}
	auth := []string{"Authorization", "Bearer " + token}
	get("/", auth...)
	get("/t/"+thread[1]+"/"+thread[2], auth...)
	get("/notifications", auth...)
	get("/account", auth...)

	// A member posts through the previous release…
	body := `{"body": "Écrit pendant la mise à jour, par l’ancienne version."}`
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/threads/"+thread[1]+"/posts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("previous release, posting: %d %s\n%s", resp.StatusCode, b, logs.String())
	}
	var posted struct {
		Post struct {
			ID int64 `json:"id"`
		} `json:"post"`
	}
	if err := json.Unmarshal(b, &posted); err != nil || posted.Post.ID == 0 {
		t.Fatalf("previous release, posting: %s (%v)", b, err)
	}
	// …logs in with a password…
	form := strings.NewReader(url.Values{"login": {member}, "password": {password}}.Encode())
	req, _ = http.NewRequest(http.MethodPost, base+"/login", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Errorf("previous release, logging in: %d", resp.StatusCode)
	}
	// …and the new release reads what the previous one wrote.
	current := serveDatabase(t, dbURL)
	resp, err = http.Get(fmt.Sprintf("%s/p/%d", current, posted.Post.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "par l’ancienne version") {
		t.Errorf("the new release does not show the post the previous one stored: %d", resp.StatusCode)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the previous release logged errors on the migrated schema:\n%s", logs.String())
	}
}
