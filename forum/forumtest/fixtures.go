package forumtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
)

var seq atomic.Int64

// Unique returns a short name unique within the test binary, for rows that
// must not clash between tests sharing the database.
func Unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, seq.Add(1))
}

// Password is the password of every member MustMember creates.
const Password = "correct horse battery staple"

// MustMember creates a member with the given role and trust level, whose
// address is confirmed (as most members' are: notification mail goes only
// to confirmed addresses). MustUnconfirmedMember's is not.
func MustMember(t testing.TB, db *forum.DB, role forum.Role, trust int) *forum.Member {
	t.Helper()
	m := MustUnconfirmedMember(t, db, role, trust)
	// Unannounced: nothing can have remembered a member just created, and
	// a late announcement would be mistaken for another in the tests of
	// the caches.
	now := time.Now()
	Unannounced(t, db, `UPDATE members SET email_verified_at = $2 WHERE id = $1`, m.ID, now)
	m.EmailVerifiedAt = &now
	return m
}

// MustUnconfirmedMember creates a member who has not confirmed their
// address yet.
func MustUnconfirmedMember(t testing.TB, db *forum.DB, role forum.Role, trust int) *forum.Member {
	t.Helper()
	name := Unique("member")
	m, err := db.CreateMember(forum.WithSystem(context.Background()), forum.NewMember{
		Username: name, Email: name + "@example.org", Password: Password, Role: role, TrustLevel: trust,
	})
	if err != nil {
		t.Fatalf("creating member %s: %v", name, err)
	}
	return m
}

// MustCategory creates a category.
func MustCategory(t testing.TB, db *forum.DB) *forum.Category {
	t.Helper()
	name := Unique("Catégorie ")
	c, err := db.CreateCategory(forum.WithSystem(context.Background()), forum.NewCategory{Name: name})
	if err != nil {
		t.Fatalf("creating category %s: %v", name, err)
	}
	return c
}

// As returns a context in which m acts.
func As(m *forum.Member) context.Context {
	return forum.WithMember(context.Background(), m)
}

// Unannounced runs a change without firing the database's triggers, so
// that no cache hears of it: what a cache answers afterwards shows whether
// it remembered.
func Unannounced(t testing.TB, db *forum.DB, query string, args ...any) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(`SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		_, err := tx.Exec(query, args...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// WaitForRepliesOnLocks waits until n statements storing replies
// (reply_facts) wait for a lock held elsewhere.
func WaitForRepliesOnLocks(t testing.TB, db *forum.DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting int
		if err := db.SQL().Get(&waiting, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%reply_facts%'`); err != nil {
			t.Fatal(err)
		}
		if waiting == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies wait for a lock, want %d", waiting, n)
		}
	}
}
