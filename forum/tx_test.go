package forum_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A hot writer's change is announced once, after its commit, and not by the
// triggers inside it (whose NOTIFY would hold the queue's lock through the
// commit's flush); a rolled back one is not announced; other writers still
// notify from the triggers.
func TestContentChangesOfHotWritersAreAnnouncedAfterTheirCommit(t *testing.T) {
	db := forumtest.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 10)
	ready := make(chan struct{})
	go db.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), map[string]func(string){forum.ChannelContent: func(p string) {
		select {
		case <-ready:
			got <- p
		default:
			close(ready) // the call every handler gets when listening starts
		}
	}})
	<-ready
	addCategory := func(tx sqlx.Execer, name string) error {
		_, err := tx.Exec(`INSERT INTO categories (slug, name) VALUES ($1, $1)`, forum.Slugify(forumtest.Unique(name)))
		return err
	}
	if err := db.InContentTx(ctx, func(tx *sqlx.Tx) error { return addCategory(tx, "chaude") }); err != nil {
		t.Fatal(err)
	}
	if p := <-got; p != "after_commit" {
		t.Fatalf("first notification %q: the trigger notified inside the hot transaction", p)
	}
	refused := errors.New("refused")
	if err := db.InContentTx(ctx, func(tx *sqlx.Tx) error {
		if err := addCategory(tx, "annulée"); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("rolled back: %v", err)
	}
	if err := addCategory(db, "ordinaire"); err != nil {
		t.Fatal(err)
	}
	if p := <-got; p != "" {
		t.Errorf("after a rolled back hot write and an ordinary one, got %q, want the trigger's notification", p)
	}
}
