package forum_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// stillQueued returns which of the posts wait in the notification queue.
func stillQueued(t *testing.T, db *forum.DB, ids ...int64) []int64 {
	t.Helper()
	var out []int64
	if err := db.SQL().Select(&out, `SELECT post_id FROM notification_queue WHERE post_id = ANY($1) ORDER BY post_id`, pq.Array(ids)); err != nil {
		t.Fatal(err)
	}
	return out
}

// mailsTo counts the mails queued for m of the given kind.
func mailsTo(t *testing.T, db *forum.DB, m *forum.Member, kind string) int {
	t.Helper()
	var n int
	if err := db.SQL().Get(&n, `SELECT count(*) FROM outbox WHERE recipient = $1 AND kind = $2`, m.Email, kind); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostsCommittedTogetherAreNotifiedByOneFanOut(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, carol, dave, erin := member(t, db), member(t, db), member(t, db), member(t, db), member(t, db)
	if _, err := db.WatchCategory(forumtest.As(erin), cat.ID, forum.WatchWatching); err != nil {
		t.Fatal(err)
	}
	th, first := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})

	// Three posts of different kinds, in different threads, committed and
	// not yet fanned out: nobody is told anything yet.
	one := 1
	reply := queuedReply(t, db, bob, th.ID, forum.StatusPublished, &one, forum.PostRefs{})
	mention := queuedReply(t, db, carol, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username}, Quotes: []int64{first.ID}})
	_, opening := queuedThread(t, db, bob, cat, forum.StatusPublished, forum.PostRefs{})
	held := queuedReply(t, db, carol, th.ID, forum.StatusHeld, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	ids := []int64{reply.ID, mention.ID, opening.ID, held.ID}
	wantKinds(t, db, alice, reply.ID)
	wantKinds(t, db, dave, mention.ID)
	wantKinds(t, db, erin, opening.ID)
	if got := stillQueued(t, db, ids...); len(got) != 3 {
		t.Fatalf("queued: %v, want the three published posts", got)
	}

	// One fan-out for all of them: each post is told as if alone.
	erinMails := mailsTo(t, db, erin, "notify_new_thread") // of Alice's thread
	db.FanOut(context.Background(), ids...)
	wantKinds(t, db, alice, reply.ID, forum.NotifyReply)
	wantKinds(t, db, alice, mention.ID, forum.NotifyQuote)
	wantKinds(t, db, dave, mention.ID, forum.NotifyMention)
	wantKinds(t, db, bob, mention.ID)
	wantKinds(t, db, erin, opening.ID, forum.NotifyNewThread)
	wantKinds(t, db, erin, reply.ID)
	wantKinds(t, db, dave, held.ID)
	if d, e := mailsTo(t, db, dave, "notify_mention"), mailsTo(t, db, erin, "notify_new_thread"); d != 1 || e != erinMails+1 {
		t.Errorf("the batch did not queue each notification's mail: Dave %d, Erin %d (had %d)", d, e, erinMails)
	}
	if got := stillQueued(t, db, ids...); len(got) != 0 {
		t.Errorf("still queued after the fan-out: %v", got)
	}

	// Fanning out again tells nobody twice.
	db.FanOut(context.Background(), ids...)
	wantKinds(t, db, dave, mention.ID, forum.NotifyMention)
	if mailsTo(t, db, dave, "notify_mention") != 1 {
		t.Error("a second fan-out mailed again")
	}
}

func TestConcurrentPostsAreEachNotifiedOnce(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	th, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	posters := make([]*forum.Member, 24)
	for i := range posters {
		posters[i] = member(t, db)
	}
	posts := make([]*forum.Post, len(posters))
	var wg sync.WaitGroup
	for i, m := range posters {
		wg.Go(func() { posts[i] = ntReply(t, db, m, th.ID, forum.StatusPublished, nil, forum.PostRefs{}) })
	}
	wg.Wait()
	ids := make([]int64, len(posts))
	for i, p := range posts {
		// Each request returns once its own post's notifications exist.
		wantKinds(t, db, alice, p.ID, forum.NotifyWatching)
		ids[i] = p.ID
	}
	if got := stillQueued(t, db, ids...); len(got) != 0 {
		t.Errorf("still queued: %v", got)
	}
}

func TestTheSweepNotifiesPostsAStoppedServerLeftQueued(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob := member(t, db), member(t, db)
	th, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	left := queuedReply(t, db, bob, th.ID, forum.StatusPublished, nil, forum.PostRefs{})
	ctx := forum.WithSystem(context.Background())

	// A post queued a moment ago is its own request's to notify.
	if _, err := db.SweepNotifications(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, alice, left.ID)

	// Queued long ago: its server stopped before the fan-out.
	if _, err := db.SQL().Exec(`UPDATE notification_queue SET queued_at = now() - interval '2 hours' WHERE post_id = $1`, left.ID); err != nil {
		t.Fatal(err)
	}
	n, err := db.SweepNotifications(ctx, time.Hour)
	if err != nil || n < 1 {
		t.Fatalf("swept %d posts: %v", n, err)
	}
	wantKinds(t, db, alice, left.ID, forum.NotifyWatching)
	if got := stillQueued(t, db, left.ID); len(got) != 0 {
		t.Errorf("still queued after the sweep: %v", got)
	}
	// A late fan-out finds nothing left to do.
	db.FanOut(ctx, left.ID)
	wantKinds(t, db, alice, left.ID, forum.NotifyWatching)
}

func TestFinishedJobsArePurged(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	kind := forumtest.Unique("purge.test.")
	insert := func(done, failed string) int64 {
		var id int64
		if err := db.SQL().Get(&id, `INSERT INTO jobs (kind, done_at, failed_at) VALUES ($1, now() - $2::interval, now() - $3::interval) RETURNING id`,
			kind, nullIfEmpty(done), nullIfEmpty(failed)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	oldDone, recentDone := insert("8 days", ""), insert("1 day", "")
	oldFailed, recentFailed := insert("", "31 days"), insert("", "8 days")
	pending := insert("", "")
	if _, err := db.PurgeJobs(ctx); err != nil {
		t.Fatal(err)
	}
	var left []int64
	if err := db.SQL().Select(&left, `SELECT id FROM jobs WHERE kind = $1 ORDER BY id`, kind); err != nil {
		t.Fatal(err)
	}
	want := []int64{recentDone, recentFailed, pending}
	if len(left) != len(want) || left[0] != want[0] || left[1] != want[1] || left[2] != want[2] {
		t.Errorf("jobs left %v, want %v (purged %d and %d)", left, want, oldDone, oldFailed)
	}
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
