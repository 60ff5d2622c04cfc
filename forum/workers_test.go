package forum_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Storage's workers run only while Main runs them: before StartWorkers and
// after its stop, each request stores its reply and notifies about it
// itself; in between, the workers do, and stopping them finishes what was
// given to them. Every reply is stored and its author's thread notified.
func TestRepliesAreStoredWithAndWithoutTheWorkers(t *testing.T) {
	ctx := context.Background()
	db, err := forum.Open(ctx, forumtest.URL(t), forum.PoolOptions{MaxConns: 4, WaitFor: 10 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	th, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	replier := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	reply := func(when string) {
		t.Helper()
		body := fmt.Sprintf("Réponse %s.", when)
		p, err := db.SubmitReply(forumtest.As(replier), forum.Reply{ThreadID: th.ID, AuthorID: replier.ID,
			BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: forum.StatusPublished})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		var told int
		if err := db.SQL().Get(&told, `SELECT count(*) FROM notifications WHERE post_id = $1 AND member_id = $2`, p.ID, owner.ID); err != nil {
			t.Fatal(err)
		}
		if told != 1 {
			t.Errorf("%s: the reply returned with %d notifications of the thread's author, want 1", when, told)
		}
	}
	reply("before the workers")
	stop := db.StartWorkers()
	reply("while they run")
	stop()
	if pending := forum.RepliesWaiting(db); pending != 0 {
		t.Errorf("after stop: %d replies wait", pending)
	}
	reply("after they stopped")
	var n int
	if err := db.SQL().Get(&n, `SELECT count(*) FROM posts WHERE thread_id = $1 AND number > 1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d replies stored, want 3", n)
	}
}
