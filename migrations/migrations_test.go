package migrations_test

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/migrations"
)

func emptyDatabase(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", forumtest.EmptyDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConcurrentUpAppliesEachMigrationOnce(t *testing.T) {
	db := emptyDatabase(t)
	st, err := migrations.Check(db)
	if err != nil || st.Current != 0 || !st.Behind() || st.Latest == 0 {
		t.Fatalf("fresh database: %+v, %v", st, err)
	}
	// Several instances starting together: the advisory lock serialises them.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = migrations.Up(db)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	st, err = migrations.Check(db)
	if err != nil || st.Current != migrations.Latest() || st.Dirty || st.Behind() {
		t.Fatalf("after Up: %+v, %v", st, err)
	}
	// The pool the caller passed is still usable: Up must not close it.
	if err := db.Ping(); err != nil {
		t.Errorf("Up closed the caller's pool: %v", err)
	}
}

func TestFingerprintIsStable(t *testing.T) {
	if a, b := migrations.Fingerprint(), migrations.Fingerprint(); a != b || len(a) != 12 {
		t.Errorf("Fingerprint = %q, %q", a, b)
	}
}

// TestLandedMigrationsNeverChange holds every landed migration to the
// checksum recorded in landed.sha256: a database migrated yesterday must end
// in the same schema as one migrated today, and golang-migrate goes by
// version only. A file not yet listed is a migration on its way to landing:
// its number must be above every landed one (a number reused or slipped in
// between would never run on databases already past it).
func TestLandedMigrationsNeverChange(t *testing.T) {
	raw, err := os.ReadFile("landed.sha256")
	if err != nil {
		t.Fatal(err)
	}
	landed := map[string]string{}
	var highest uint64
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			t.Fatalf("landed.sha256 line %d: want \"sha256  name\", got %q", i+1, line)
		}
		sum, name := fields[0], fields[1]
		landed[name] = sum
		b, err := migrations.FS.ReadFile(name)
		if err != nil {
			t.Errorf("landed migration %s is gone (renamed or deleted): add a new migration instead", name)
			continue
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != sum {
			t.Errorf("landed migration %s was edited (sha256 %s, landed as %s): revert it and add a new migration", name, got, sum)
		}
		highest = max(highest, version(t, name))
	}
	seen := map[uint64]string{}
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".up.sql") {
			continue
		}
		v := version(t, name)
		if other, dup := seen[v]; dup {
			t.Errorf("migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		if _, ok := landed[name]; !ok && v <= highest {
			t.Errorf("migration %s is numbered %d, at or below the newest landed one (%d): databases past it would never run it", name, v, highest)
		}
	}
}

func version(t *testing.T, name string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.SplitN(name, "_", 2)[0], 10, 32)
	if err != nil {
		t.Fatalf("migration %s: no version number: %v", name, err)
	}
	return v
}

// TestRepairRestoresMemberAnnouncements replays the database that ran the
// first, deleted 0029: it never ran 0029_member_changes_notify, so it lacks
// the credential cache's triggers. Migration 0039 must put them back.
func TestRepairRestoresMemberAnnouncements(t *testing.T) {
	db := emptyDatabase(t)
	if err := migrations.Up(db); err != nil {
		t.Fatal(err)
	}
	const repair = 39
	triggers := func() int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%\_announce' AND NOT tgisinternal
			AND tgrelid IN ('members'::regclass, 'sessions'::regclass, 'api_tokens'::regclass, 'notifications'::regclass)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := triggers(); n != 9 {
		t.Fatalf("a fresh database has %d member announcement triggers, want 9", n)
	}
	// The database as the deleted 0029 left it, then the migrations after it
	// up to the one before the repair.
	for _, stmt := range []string{
		`DROP TRIGGER members_updated_announce ON members`,
		`DROP TRIGGER members_deleted_announce ON members`,
		`DROP TRIGGER sessions_updated_announce ON sessions`,
		`DROP TRIGGER sessions_deleted_announce ON sessions`,
		`DROP TRIGGER api_tokens_updated_announce ON api_tokens`,
		`DROP TRIGGER api_tokens_deleted_announce ON api_tokens`,
		`DROP TRIGGER notifications_inserted_announce ON notifications`,
		`DROP TRIGGER notifications_updated_announce ON notifications`,
		`DROP TRIGGER notifications_deleted_announce ON notifications`,
		`DROP FUNCTION members_announce(), member_rows_announce(), announce_members(text)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	before := uint64(0)
	entries, _ := fs.ReadDir(migrations.FS, ".")
	for _, e := range entries {
		if v := version(t, e.Name()); v < repair {
			before = max(before, v)
		}
	}
	if _, err := db.Exec(`UPDATE schema_migrations SET version = $1`, before); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(db); err != nil {
		t.Fatal(err)
	}
	if n := triggers(); n != 9 {
		t.Fatalf("after the repair: %d member announcement triggers, want 9", n)
	}
	// And the functions they call are back.
	var fn int
	if err := db.QueryRow(`SELECT count(*) FROM pg_proc WHERE proname IN ('announce_members', 'members_announce', 'member_rows_announce')`).Scan(&fn); err != nil || fn != 3 {
		t.Fatalf("functions after the repair: %d, %v", fn, err)
	}
}

// TestEveryEmailTokenPurposeIsAllowed: migrations written side by side
// once each restated the purpose check with their own purpose only, and
// the later one dropped the other's (0040 repairs it).
func TestEveryEmailTokenPurposeIsAllowed(t *testing.T) {
	db := emptyDatabase(t)
	if err := migrations.Up(db); err != nil {
		t.Fatal(err)
	}
	var def string
	if err := db.QueryRow(`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'email_tokens_purpose_check'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	for _, purpose := range []string{forum.TokenVerifyEmail, forum.TokenResetPassword, forum.TokenLoginLink, forum.TokenSanctionNotice} {
		if !strings.Contains(def, "'"+purpose+"'") {
			t.Errorf("email_tokens_purpose_check %s does not allow %q", def, purpose)
		}
	}
}

// An instance of the previous release restarting during a rolling upgrade
// finds the database migrated past its migrations: it leaves it as it is
// and serves (migrations are expand/contract, docs/operations.md).
func TestUpLeavesANewerSchemaAlone(t *testing.T) {
	db := emptyDatabase(t)
	if err := migrations.Up(db); err != nil {
		t.Fatal(err)
	}
	newer := migrations.Latest() + 1
	if _, err := db.Exec(`UPDATE schema_migrations SET version = $1`, newer); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(db); err != nil {
		t.Fatalf("Up on a newer schema: %v", err)
	}
	st, err := migrations.Check(db)
	if err != nil || st.Current != newer || st.Dirty || st.Behind() {
		t.Fatalf("after Up: %+v, %v", st, err)
	}
}
