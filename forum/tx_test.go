package forum_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// listenAll returns what the content and outbox channels carry from now
// on, as "channel:payload".
func listenAll(t *testing.T, db *forum.DB) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	got := make(chan string, 10)
	// Listen first calls every handler once, with "": the handlers pass on
	// what comes after that.
	var started sync.WaitGroup
	started.Add(2)
	handler := func(channel string) func(string) {
		first := true
		return func(p string) {
			if first {
				first = false
				started.Done()
				return
			}
			got <- channel + ":" + p
		}
	}
	var inv forum.Invalidations
	inv.On(forum.ChannelContent, handler(forum.ChannelContent))
	inv.On(forum.ChannelOutbox, handler(forum.ChannelOutbox))
	go func() { // returns when the test ends
		_ = db.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), &inv)
	}()
	started.Wait()
	return got
}

// A hot writer's change is announced once, after its commit, and that
// announcement wakes the workers for the mail it queued, not NOTIFYs inside it (which would hold
// the queue's lock through the commit's flush); a rolled back one is not
// announced; other writers still notify from the triggers.
func TestContentChangesOfHotWritersAreAnnouncedAfterTheirCommit(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	got := listenAll(t, db)
	addCategory := func(tx sqlx.Execer, name string) error {
		_, err := tx.Exec(`INSERT INTO categories (slug, name) VALUES ($1, $1)`, forum.Slugify(forumtest.Unique(name)))
		return err
	}
	if err := db.InContentTx(ctx, func(tx *sqlx.Tx) error {
		if err := addCategory(tx, "chaude"); err != nil {
			return err
		}
		return forum.EnqueueMailTx(ctx, tx, forum.Mail{Recipient: "veilleur@example.org", Kind: "reply", Locale: "fr"})
	}); err != nil {
		t.Fatal(err)
	}
	// Notifications sent inside a commit arrive before those sent after it;
	// the announcement itself wakes the mail workers (main.go).
	if p := <-got; p != forum.ChannelContent+":"+forum.PayloadAfterCommit {
		t.Fatalf("first notification %q: something notified inside the hot transaction", p)
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
	if err := addCategory(db.SQL(), "ordinaire"); err != nil {
		t.Fatal(err)
	}
	if p := <-got; p != forum.ChannelContent+":" {
		t.Errorf("after a rolled back hot write and an ordinary one, got %q, want the trigger's notification", p)
	}
	// Mail queued outside a hot writer wakes the workers at its commit.
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		return forum.EnqueueMailTx(ctx, tx, forum.Mail{Recipient: "veilleur@example.org", Kind: "reply", Locale: "fr"})
	}); err != nil {
		t.Fatal(err)
	}
	if p := <-got; p != forum.ChannelOutbox+":" {
		t.Errorf("after mail queued by an ordinary writer, got %q, want the mail workers woken", p)
	}
}

// A plain reply stored by one statement is announced by the fan-out of its
// notifications, after its commit, with the mail it queued.
func TestDirectRepliesAreAnnouncedByTheirFanOut(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author, replier := forumtest.MustMember(t, db, forum.RoleMember, 2), forumtest.MustMember(t, db, forum.RoleMember, 2)
	th, _ := ntThread(t, db, author, cat, forum.StatusPublished, forum.PostRefs{})
	got := listenAll(t, db)
	p, err := db.SubmitReply(forumtest.As(replier), forum.Reply{
		ThreadID: th.ID, AuthorID: replier.ID, BodyMarkdown: "Bien vu.", BodyHTML: "<p>Bien vu.</p>", Status: forum.StatusPublished,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, author, p.ID, forum.NotifyWatching)
	var heard []string
	for {
		select {
		case n := <-got:
			heard = append(heard, n)
			if n == forum.ChannelContent+":" {
				t.Fatalf("heard %v: the reply's own transaction notified", heard)
			}
			if n != forum.ChannelContent+":"+forum.PayloadAfterCommit {
				continue
			}
			// The mail was queued by the fan-out, whose commit also woke the
			// mail workers.
			if !slices.Contains(heard, forum.ChannelOutbox+":") {
				t.Errorf("heard %v: the mail workers were not woken", heard)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatalf("heard %v, never the announcement", heard)
		}
	}
}
