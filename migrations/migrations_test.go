package migrations_test

import (
	"database/sql"
	"sync"
	"testing"

	_ "github.com/lib/pq"

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
