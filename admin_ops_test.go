package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
	"github.com/palabre/palabre/server"
)

// demoDatabase is a database of its own with the demo community, for
// commands that change roles and rules without touching other tests'.
func demoDatabase(t *testing.T) (env map[string]string, db *forum.DB) {
	t.Helper()
	env = map[string]string{"PALABRE_DATABASE_URL": forumtest.EmptyDatabaseURL(t), "PALABRE_BASE_URL": "https://forum.example.org"}
	if code, _, errOut := runCLI(t, env, "demo"); code != 0 {
		t.Fatalf("palabre demo: %s", errOut)
	}
	cfg, err := server.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	db, err = openDB(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// The default guidelines and rules, as palabre serve writes them.
	if err := moderation.EnsureDefaults(context.Background(), db, "fr"); err != nil {
		t.Fatal(err)
	}
	return env, db
}

func lastLogAction(t *testing.T, db *forum.DB) string {
	t.Helper()
	var action string
	if err := db.SQL().Get(&action, `SELECT action FROM mod_log ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	return action
}

func TestAdminCommandsForOperators(t *testing.T) {
	env, db := demoDatabase(t)
	ctx := forum.WithSystem(context.Background())

	// set-role: through the domain, logged.
	code, out, errOut := runCLI(t, env, "admin", "set-role", "--username", "karim", "--role", "moderator")
	if code != 0 || out != "karim is now moderator\n" {
		t.Errorf("set-role: exit %d, %q %q", code, out, errOut)
	}
	if m, _ := db.MemberByUsername(ctx, "karim"); m == nil || m.Role != forum.RoleModerator {
		t.Errorf("karim's role after set-role: %+v", m)
	}
	if got := lastLogAction(t, db); got != string(forum.LogMemberRole) {
		t.Errorf("set-role logged %q", got)
	}
	if code, _, errOut := runCLI(t, env, "admin", "set-role", "--username", "karim", "--role", "emperor"); code != 1 || !strings.Contains(errOut, "--role") {
		t.Errorf("set-role to a role that does not exist: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, env, "admin", "set-role", "--username", "personne", "--role", "admin"); code != 1 || errOut == "" {
		t.Errorf("set-role of nobody: exit %d, %q", code, errOut)
	}
	if code, _, _ := runCLI(t, env, "admin", "set-role", "--username", "karim"); code != 2 {
		t.Errorf("set-role without --role: exit %d", code)
	}

	// lift-sanction: a silence in force ends, with the reason in the log.
	sophie, err := db.MemberByUsername(ctx, "sophie")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(48 * time.Hour)
	if _, err := db.Sanction(ctx, forum.SanctionOrder{MemberID: sophie.ID, Kind: forum.SanctionSilence, Reason: "Messages agressifs", Until: &until}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, env, "admin", "lift-sanction", "--username", "sophie", "--kind", "silence", "--reason", "Erreur de ma part")
	if code != 0 || out != "lifted the silence of sophie\n" {
		t.Errorf("lift-sanction: exit %d, %q %q", code, out, errOut)
	}
	if m, _ := db.MemberByUsername(ctx, "sophie"); m == nil || m.IsSilenced(time.Now()) {
		t.Errorf("sophie is still silenced: %+v", m)
	}
	if code, _, errOut := runCLI(t, env, "admin", "lift-sanction", "--username", "sophie", "--kind", "silence", "--reason", "encore"); code != 1 || errOut == "" {
		t.Errorf("lifting a sanction not in force: exit %d, %q", code, errOut)
	}

	// reset-password: a link to the reset form, that works once.
	code, out, errOut = runCLI(t, env, "admin", "reset-password", "--username", "jeanne")
	link := regexp.MustCompile(`https://forum\.example\.org/password/reset\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(out)
	if code != 0 || link == nil || !strings.Contains(out, "valid 1h") {
		t.Fatalf("reset-password: exit %d, %q %q", code, out, errOut)
	}
	if err := db.CheckResetToken(context.Background(), link[1]); err != nil {
		t.Errorf("the printed link is not a valid reset token: %v", err)
	}
	if got := lastLogAction(t, db); got != string(forum.LogMemberPasswordReset) {
		t.Errorf("reset-password logged %q", got)
	}
	if _, err := db.ResetPassword(context.Background(), link[1], "un tout nouveau mot de passe"); err != nil {
		t.Errorf("resetting with the printed link: %v", err)
	}

	// reindex-search: queued once; a second call while it waits adds nothing.
	if _, err := db.SQL().Exec(`UPDATE jobs SET done_at = now() WHERE kind = 'search.backfill'`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, env, "admin", "reindex-search")
	if code != 0 || !strings.Contains(out, "queued the search rebuild") {
		t.Errorf("reindex-search: exit %d, %q %q", code, out, errOut)
	}
	var pending int
	if err := db.SQL().Get(&pending, `SELECT count(*) FROM jobs WHERE kind = 'search.backfill' AND done_at IS NULL`); err != nil || pending != 1 {
		t.Errorf("search jobs pending: %d, %v", pending, err)
	}
	if err := db.SQL().Get(&pending, `SELECT count(*) FROM jobs WHERE kind = 'search.backfill_messages' AND done_at IS NULL`); err != nil || pending != 1 || !strings.Contains(out, "and the messages up to") {
		t.Errorf("message search jobs pending: %d, %v (%q)", pending, err, out)
	}
	if code, out, _ := runCLI(t, env, "admin", "reindex-search"); code != 0 || !strings.Contains(out, "already waiting") {
		t.Errorf("reindex-search again: exit %d, %q", code, out)
	}
}

// Rules go out as a file and come back: an edited file replaces what it
// names, adds what is new, and a file with one bad rule changes nothing.
func TestAdminExportAndImportRules(t *testing.T) {
	env, db := demoDatabase(t)
	ctx := forum.WithSystem(context.Background())
	p := moderation.NewPipeline(db)

	code, out, errOut := runCLI(t, env, "admin", "export-rules")
	if code != 0 {
		t.Fatalf("export-rules: %s", errOut)
	}
	var file moderation.RuleFile
	if err := json.Unmarshal([]byte(out), &file); err != nil || file.Version != 1 || len(file.Rules) == 0 {
		t.Fatalf("export-rules wrote %d rules, version %d, %v:\n%.300s", len(file.Rules), file.Version, err, out)
	}
	before, err := p.ListRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Rules) != len(before) {
		t.Errorf("exported %d rules of %d", len(file.Rules), len(before))
	}

	// The same file again: nothing to do.
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.json")
	if code, _, errOut := runCLI(t, env, "admin", "export-rules", "--file", path); code != 0 {
		t.Fatalf("export-rules --file: %s", errOut)
	}
	if code, out, errOut := runCLI(t, env, "admin", "import-rules", "--file", path); code != 0 || out != "rules: 0 added, 0 replaced, "+strconv.Itoa(len(before))+" unchanged\n" {
		t.Errorf("importing the export: exit %d, %q %q", code, out, errOut)
	}

	// Edited: one rule disabled (its name in other capitals), one added.
	off := false
	file.Rules[0].Enabled = &off
	file.Rules[0].Name = strings.ToUpper(file.Rules[0].Name)
	file.Rules = append(file.Rules, moderation.RuleInput{Name: "Vocabulaire maison", Kind: moderation.KindWords,
		Patterns: []string{"arnaque"}, Action: "flag"})
	write := func(f moderation.RuleFile) {
		b, _ := json.Marshal(f)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(file)
	if code, out, errOut := runCLI(t, env, "admin", "import-rules", "--file", path); code != 0 || out != "rules: 1 added, 1 replaced, "+strconv.Itoa(len(before)-1)+" unchanged\n" {
		t.Errorf("importing the edited file: exit %d, %q %q", code, out, errOut)
	}
	after, _ := p.ListRules(ctx)
	if len(after) != len(before)+1 {
		t.Errorf("%d rules after the import, want %d", len(after), len(before)+1)
	}
	for _, r := range after {
		if strings.EqualFold(r.Name, file.Rules[0].Name) && (r.Enabled || r.Name != file.Rules[0].Name) {
			t.Errorf("the replaced rule: %+v", r)
		}
	}
	if got := lastLogAction(t, db); got != string(forum.LogRuleImport) {
		t.Errorf("the import logged %q", got)
	}

	// One bad rule: nothing changes, and the error names it.
	on := true
	file.Rules[0].Enabled = &on
	file.Rules = append(file.Rules, moderation.RuleInput{Name: "", Kind: moderation.KindWords, Patterns: []string{"x"}, Action: "flag"})
	write(file)
	code, _, errOut = runCLI(t, env, "admin", "import-rules", "--file", path)
	if code != 1 || !strings.Contains(errOut, "--rules["+strconv.Itoa(len(file.Rules)-1)+"].name") {
		t.Errorf("a file with a nameless rule: exit %d, %q", code, errOut)
	}
	still, _ := p.ListRules(ctx)
	for _, r := range still {
		if strings.EqualFold(r.Name, file.Rules[0].Name) && r.Enabled {
			t.Error("a refused file changed a rule")
		}
	}
	// From standard input, and a file of another version.
	if code, _, errOut := runCLIWithInput(t, env, `{"version": 2, "rules": []}`, "admin", "import-rules", "--file", "-"); code != 1 || !strings.Contains(errOut, "version") {
		t.Errorf("a file of version 2: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLIWithInput(t, env, `{"version": 1, "rules": [`, "admin", "import-rules", "--file", "-"); code != 1 || !strings.Contains(errOut, "JSON") {
		t.Errorf("broken JSON: exit %d, %q", code, errOut)
	}
}

func runCLIWithInput(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The reset link printed by the command opens the reset form.
func TestResetPasswordLinkOpensTheForm(t *testing.T) {
	env, db := demoDatabase(t)
	_, out, _ := runCLI(t, env, "admin", "reset-password", "--username", "karim")
	token := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(out)
	if token == nil {
		t.Fatalf("no link in %q", out)
	}
	cfg, _ := server.LoadConfig(func(k string) string { return env[k] })
	srv, err := server.New(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/password/reset?token="+token[1], nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="token" value="`+token[1]+`"`) {
		t.Errorf("the link opens: %d", w.Code)
	}
}

// TestAdminMovesUploadsToTheBucket: a forum given an object store after it
// kept its files in PostgreSQL moves them there with one command; the
// files keep their addresses and bytes, and a second run has nothing to do.
func TestAdminMovesUploadsToTheBucket(t *testing.T) {
	env, db := demoDatabase(t)
	ctx := context.Background()
	if code, _, errOut := runCLI(t, env, "admin", "move-uploads"); code != 2 || !strings.Contains(errOut, "PALABRE_UPLOADS_S3_ENDPOINT") {
		t.Fatalf("move-uploads without an object store: exit %d, %q", code, errOut)
	}
	m := forumtest.MustMember(t, db, forum.RoleMember, 2)
	var uploads []*forum.Upload
	var contents [][]byte
	for i := range 3 {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		img.Set(i, i, color.RGBA{uint8(40 * i), 200, 10, 255})
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		u, err := db.StoreUpload(forumtest.As(m), buf.Bytes(), "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		data, err := db.UploadData(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		uploads, contents = append(uploads, u), append(contents, data)
	}
	var inDatabase int
	if err := db.SQL().Get(&inDatabase, `SELECT count(*) FROM upload_blobs`); err != nil || inDatabase < len(uploads) {
		t.Fatalf("files in PostgreSQL before the move: %d %v", inDatabase, err)
	}
	cfg := forumtest.S3(t)
	env["PALABRE_UPLOADS_S3_ENDPOINT"] = cfg.Endpoint
	env["PALABRE_UPLOADS_S3_BUCKET"] = cfg.Bucket
	env["PALABRE_UPLOADS_S3_ACCESS_KEY_ID"] = cfg.AccessKeyID
	env["PALABRE_UPLOADS_S3_SECRET_ACCESS_KEY"] = cfg.SecretAccessKey
	env["PALABRE_UPLOADS_S3_REGION"] = cfg.Region
	env["PALABRE_UPLOADS_S3_PATH_STYLE"] = "1"
	code, out, errOut := runCLI(t, env, "admin", "move-uploads")
	if code != 0 || !strings.HasPrefix(out, "moved "+strconv.Itoa(inDatabase)+" files (") {
		t.Fatalf("move-uploads: exit %d, %q %q", code, out, errOut)
	}
	if err := db.SQL().Get(&inDatabase, `SELECT count(*) FROM upload_blobs`); err != nil || inDatabase != 0 {
		t.Fatalf("files left in PostgreSQL: %d %v", inDatabase, err)
	}
	client, err := forumtest.S3Client(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range uploads {
		obj, err := client.GetObject(ctx, cfg.Bucket, u.SHA256, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		if err != nil || !bytes.Equal(got, contents[i]) {
			t.Fatalf("upload %d in the bucket: %d bytes, %v", i, len(got), err)
		}
	}
	if code, out, _ := runCLI(t, env, "admin", "move-uploads"); code != 0 || !strings.HasPrefix(out, "moved 0 files") {
		t.Fatalf("move-uploads again: exit %d, %q", code, out)
	}
}
