package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum/forumtest"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIExitStatusesAndMessages(t *testing.T) {
	startServer(t) // the demo is seeded first: the database is not empty below
	db := map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)}
	name := forumtest.Unique("gerard")
	cases := []struct {
		label    string
		env      map[string]string
		args     []string
		code     int
		out, err string
	}{
		{"no command", nil, nil, 2, "", "a command is needed"},
		{"unknown command", nil, []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"version", nil, []string{"version"}, 0, "palabre ", ""},
		{"invalid config", map[string]string{"PALABRE_LOCALE": "de"}, []string{"migrate", "status"}, 1, "", "PALABRE_LOCALE"},
		{"no database", nil, []string{"migrate", "status"}, 1, "", "PALABRE_DATABASE_URL is not set"},
		{"migrate status", db, []string{"migrate", "status"}, 0, "(current)", ""},
		{"migrate bad action", db, []string{"migrate", "down"}, 2, "", "migrate takes up or status"},
		{"create member missing flags", db, []string{"admin", "create-member", "--username", "x"}, 2, "", "--username and --email are required"},
		{"create member unknown flag", db, []string{"admin", "create-member", "--colour", "red"}, 2, "", "flag provided but not defined"},
		{"create member bad role", db, []string{"admin", "create-member", "--username", name + "x", "--email", name + "x@example.org", "--role", "king"}, 1, "", "--role"},
		{"create moderator", db, []string{"admin", "create-member", "--username", name, "--email", name + "@example.org", "--role", "moderator", "--trust-level", "3"}, 0, "created moderator " + name, ""},
		{"create it twice", db, []string{"admin", "create-member", "--username", strings.ToUpper(name), "--email", "other@example.org"}, 1, "", "--username: Ce nom d’utilisateur est déjà pris"},
		{"token", db, []string{"admin", "token", "--username", name}, 0, "plb_", ""},
		{"token unknown member", db, []string{"admin", "token", "--username", "nobody_here"}, 1, "", "Ce membre n’existe pas"},
		{"demo on a non-empty database", db, []string{"demo"}, 1, "", "already has members"},
		{"demo --if-empty on a non-empty database", db, []string{"demo", "--if-empty"}, 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.env, c.args...)
			if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errOut, c.err) {
				t.Errorf("palabre %v = %d\nstdout: %s\nstderr: %s\nwant %d, stdout ∋ %q, stderr ∋ %q", c.args, code, out, errOut, c.code, c.out, c.err)
			}
			if code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 && code != 2 {
				t.Errorf("the error is not one line: %q", errOut)
			}
		})
	}
}

func TestCreateMemberPrintsAGeneratedPassword(t *testing.T) {
	startServer(t)
	name := forumtest.Unique("odile")
	code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)},
		"admin", "create-member", "--username", name, "--email", name+"@example.org", "--role", "admin")
	if code != 0 || !strings.Contains(out, "password: ") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
}

func TestServeRefusesASchemaThatIsBehind(t *testing.T) {
	env := map[string]string{"PALABRE_DATABASE_URL": forumtest.EmptyDatabaseURL(t), "PALABRE_LISTEN": "127.0.0.1:0"}
	code, _, errOut := runCLI(t, env, "serve", "--no-migrate")
	if code != 1 || !strings.Contains(errOut, "this binary needs") {
		t.Errorf("serve --no-migrate on an empty database = %d: %s", code, errOut)
	}
}

func TestServeWaitsForTheDatabaseThenGivesUp(t *testing.T) {
	env := map[string]string{
		"PALABRE_DATABASE_URL": "postgres:///palabre?host=/nonexistent-socket-dir&sslmode=disable",
		"PALABRE_DB_WAIT":      "1s",
		"PALABRE_LISTEN":       "127.0.0.1:0",
	}
	code, _, errOut := runCLI(t, env, "serve")
	if code != 1 || !strings.Contains(errOut, "database not reachable after 1s") {
		t.Errorf("serve without a database = %d: %s", code, errOut)
	}
}

// The demo's members are fictional: seeding it fills the app with
// notifications but mails nobody (make run would log them at start-up).
func TestDemoMailsNobody(t *testing.T) {
	url := forumtest.EmptyDatabaseURL(t)
	env := map[string]string{"PALABRE_DATABASE_URL": url}
	if code, out, errOut := runCLI(t, env, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, env, "demo"); code != 0 || !strings.Contains(out, "password:") {
		t.Fatalf("demo: %d %s %s", code, out, errOut)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mails, notifications int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM notifications)`).Scan(&mails, &notifications); err != nil {
		t.Fatal(err)
	}
	if mails != 0 || notifications == 0 {
		t.Errorf("after the demo: %d mails queued (want 0), %d notifications (want some)", mails, notifications)
	}
}
