package forum_test

import (
	"context"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Posts indexed before migration 0036 have vectors computed from their
// whole HTML: the backfill job rewrites those that differ from the bounded
// definition, resumes from its cursor, and writes nothing when run again.
func TestSearchBackfillRewritesStaleVectorsOnly(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 1)
	th := mustThread(t, db, author, forumtest.MustCategory(t, db), "published")
	plain, err := reply(forumtest.As(author), db, author, th.ID, "published", nil)
	if err != nil {
		t.Fatal(err)
	}
	var stale int64
	if err := db.SQL().Get(&stale, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, th.ID); err != nil {
		t.Fatal(err)
	}
	// The first post holds a URL longer than 64 characters; its vector is
	// set as before migration 0036, from the unbounded HTML (setting the
	// vector alone fires no trigger).
	if _, err := db.SQL().Exec(`UPDATE posts SET body_html = '<p>voir https://example.org/' || repeat('abcdefghij', 12) || ' merci</p>' WHERE id = $1`, stale); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`
UPDATE posts p SET search_vector = setweight(to_tsvector(p.search_config, t.title), 'A') || setweight(to_tsvector(p.search_config, p.body_html), 'B')
FROM threads t WHERE t.id = p.thread_id AND p.id = $1`, stale); err != nil {
		t.Fatal(err)
	}
	current := func(id int64) (ok bool, xmin string) {
		t.Helper()
		err := db.SQL().QueryRow(`
SELECT p.search_vector = palabre_post_search_vector(p.search_config, CASE WHEN p.number = 1 THEN t.title END, p.body_html), p.xmin::text
FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1`, id).Scan(&ok, &xmin)
		if err != nil {
			t.Fatal(err)
		}
		return ok, xmin
	}
	if ok, _ := current(stale); ok {
		t.Fatal("the unbounded vector equals the bounded one: the test proves nothing")
	}
	runner := &forum.JobRunner{DB: db, Worker: forumtest.Unique("backfill"),
		Handlers: map[string]forum.JobHandler{forum.JobSearchBackfill: db.SearchBackfillJob}}
	backfill := func(after, upto int64) {
		t.Helper()
		if _, err := db.EnqueueJob(context.Background(), forum.NewJob{Kind: forum.JobSearchBackfill,
			Payload: map[string]int64{"after": after, "upto": upto}}); err != nil {
			t.Fatal(err)
		}
		if _, err := runner.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		var pending int
		if err := db.SQL().Get(&pending, `SELECT count(*) FROM jobs WHERE kind = $1 AND done_at IS NULL`, forum.JobSearchBackfill); err != nil {
			t.Fatal(err)
		}
		if pending != 0 {
			t.Fatalf("%d backfill jobs not done", pending)
		}
	}

	// A cursor past the stale post leaves it alone.
	backfill(stale, plain.ID)
	if ok, _ := current(stale); ok {
		t.Error("a post before the cursor was rewritten")
	}

	_, plainXmin := current(plain.ID)
	backfill(stale-1, plain.ID)
	ok, staleXmin := current(stale)
	if !ok {
		t.Error("the stale vector was not rewritten")
	}
	if ok, xmin := current(plain.ID); !ok || xmin != plainXmin {
		t.Errorf("a current vector was rewritten (xmin %s → %s) or is wrong (%v)", plainXmin, xmin, ok)
	}
	var found bool
	if err := db.SQL().Get(&found, `SELECT search_vector @@ to_tsquery(search_config, 'merci') FROM posts WHERE id = $1`, stale); err != nil || !found {
		t.Errorf("the rewritten post is not found by a word after its long URL: %v %v", found, err)
	}

	// Again: nothing to write.
	backfill(stale-1, plain.ID)
	if _, xmin := current(stale); xmin != staleXmin {
		t.Error("a second backfill wrote the post again")
	}
}

// `palabre admin reindex-search` queues the messages' rebuild with the
// posts': the job rewrites the messages whose vector differs from what
// the trigger of migration 0070 computes, the title in the first one's.
func TestMessageSearchBackfillRewritesStaleVectors(t *testing.T) {
	db := forumtest.DB(t)
	alice, bob := member(t, db), member(t, db)
	conv, first := conversation(t, db, alice, []*forum.Member{bob}, "Le jardin partagé", "<p>Les tomates mûrissent.</p>")
	second := message(t, db, bob, conv, "<p>Et les courgettes aussi.</p>", forum.MessagePublished)
	// Vectors as a bug or an older definition left them (setting the
	// vector alone fires no trigger).
	if _, err := db.SQL().Exec(`UPDATE conversation_messages SET search_vector = to_tsvector('simple', 'rien') WHERE conversation_id = $1`, conv.ID); err != nil {
		t.Fatal(err)
	}
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 2)
	r, queued, err := db.QueueSearchRebuild(forumtest.As(admin))
	if err != nil || !queued || r.MessagesUpto < second.ID {
		t.Fatalf("queueing: %+v %v %v", r, queued, err)
	}
	runner := &forum.JobRunner{DB: db, Worker: forumtest.Unique("backfill"),
		Handlers: map[string]forum.JobHandler{forum.JobMessageSearchBackfill: db.MessageSearchBackfillJob}}
	if _, err := runner.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var pending int
	if err := db.SQL().Get(&pending, `SELECT count(*) FROM jobs WHERE kind = $1 AND done_at IS NULL`, forum.JobMessageSearchBackfill); err != nil || pending != 0 {
		t.Fatalf("%d message backfill jobs not done, %v", pending, err)
	}
	for _, c := range []struct {
		id    int64
		query string
	}{{first.ID, "jardin & tomate"}, {second.ID, "courgette"}} {
		var ok bool
		if err := db.SQL().Get(&ok, `SELECT search_vector @@ to_tsquery(search_config, $2) FROM conversation_messages WHERE id = $1`, c.id, c.query); err != nil || !ok {
			t.Errorf("message %d not rebuilt (%q): %v", c.id, c.query, err)
		}
	}
	if _, again, err := db.QueueSearchRebuild(forumtest.As(admin)); err != nil || !again {
		t.Errorf("a rebuild after the last one is done: %v %v", again, err)
	}
	if _, again, err := db.QueueSearchRebuild(forumtest.As(admin)); err != nil || again {
		t.Errorf("a rebuild while both wait: %v %v", again, err)
	}
}
