package forum_test

import (
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// submission is a reply and the member who sends it.
type submission struct {
	as    *forum.Member
	reply forum.DirectReply
}

type replyResult struct {
	post    *forum.Post
	history *forum.History
	err     error
}

// submitTogether submits replies so that they are stored by one batch: it
// first keeps every batch runner busy on a thread it holds locked, then
// submits the replies, which wait together, and lets the runners go.
func submitTogether(t *testing.T, db *forum.DB, replies []submission) []replyResult {
	t.Helper()
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	held, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	blocker, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	if _, err := blocker.Exec(`SELECT 1 FROM threads WHERE id = $1 FOR UPDATE`, held.ID); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s", what)
			}
		}
	}
	waiting := func() int {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%submit_repl%'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var wg sync.WaitGroup
	for i := range forum.ReplyBatchesRunning {
		m := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
		wg.Go(func() {
			if _, _, err := db.SubmitReply(forumtest.As(m), forum.DirectReply{
				ThreadID: held.ID, AuthorID: m.ID, BodyMarkdown: "En attente.", BodyHTML: "<p>En attente.</p>", Status: forum.StatusPublished,
			}); err != nil {
				t.Errorf("a reply to the held thread: %v", err)
			}
		})
		waitFor("a batch runner to wait on the thread", func() bool { return waiting() == i+1 })
	}
	if running, pending, _ := forum.ReplyBatches(db); running != forum.ReplyBatchesRunning || pending != 0 {
		t.Fatalf("%d batches run and %d replies wait, before the replies", running, pending)
	}

	out := make([]replyResult, len(replies))
	for i, r := range replies {
		wg.Go(func() {
			out[i].post, out[i].history, out[i].err = db.SubmitReply(forumtest.As(r.as), r.reply)
		})
	}
	waitFor("the replies to wait together", func() bool {
		_, pending, _ := forum.ReplyBatches(db)
		return pending == len(replies)
	})
	if err := blocker.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return out
}

// Replies sent at once are stored by one statement, and each gets the
// answer it would have got alone: its number in its thread, a refusal, the
// history that decides for the caller's rules; its notifications exist
// when it returns.
func TestRepliesSentAtOnceAreStoredTogether(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	open, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	other, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	locked, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	if _, err := db.Exec(`UPDATE threads SET locked = true WHERE id = $1`, locked.ID); err != nil {
		t.Fatal(err)
	}
	a, b, c := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember),
		forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember),
		forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	// c has posted once already: a limit of one post a minute stops them.
	if _, _, err := db.SubmitReply(forumtest.As(c), forum.DirectReply{
		ThreadID: other.ID, AuthorID: c.ID, BodyMarkdown: "Premier.", BodyHTML: "<p>Premier.</p>", Status: forum.StatusPublished,
	}); err != nil {
		t.Fatal(err)
	}
	_, _, gatheredBefore := forum.ReplyBatches(db)

	reply := func(m *forum.Member, th int64, body, status string) submission {
		return submission{m, forum.DirectReply{ThreadID: th, AuthorID: m.ID, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: status,
			History: &forum.HistoryQuery{PostLimit: 5, DuplicateMinutes: 10}}}
	}
	replies := []submission{
		reply(a, open.ID, "Un.", forum.StatusPublished),
		reply(b, open.ID, "Deux.", forum.StatusPublished),
		reply(a, open.ID, "Trois.", forum.StatusPublished),
		reply(b, other.ID, "Ailleurs.", forum.StatusPublished),
		reply(b, open.ID, "Deux.", forum.StatusPublished), // the same text again: the history says so
		reply(a, other.ID, "En attente de relecture.", forum.StatusHeld),
		reply(a, locked.ID, "Fermé ?", forum.StatusPublished),
		reply(b, 1<<40, "Nulle part.", forum.StatusPublished),
		{c, forum.DirectReply{ThreadID: open.ID, AuthorID: c.ID, BodyMarkdown: "Encore.", BodyHTML: "<p>Encore.</p>", Status: forum.StatusPublished,
			History: &forum.HistoryQuery{PostLimit: 1}}},
	}
	got := submitTogether(t, db, replies)

	numbers := map[int]bool{}
	for _, i := range []int{0, 1, 2} {
		if got[i].err != nil || got[i].post == nil {
			t.Fatalf("reply %d: %+v", i, got[i])
		}
		numbers[got[i].post.Number] = true
	}
	if !numbers[2] || !numbers[3] || !numbers[4] {
		t.Errorf("the three replies to one thread are numbered %v, want 2, 3 and 4", numbers)
	}
	if got[3].err != nil || got[3].post == nil || got[3].post.Number != 3 {
		t.Errorf("the reply to the other thread: %+v", got[3])
	}
	if h := got[4].history; got[4].err != nil || got[4].post != nil || h == nil || h.Duplicate == nil || !*h.Duplicate {
		t.Errorf("the same text again: %+v, want the history saying it is a duplicate", got[4])
	}
	if got[5].err != nil || got[5].post == nil || got[5].post.Status != forum.StatusHeld {
		t.Errorf("the held reply: %+v", got[5])
	}
	if fe := forum.AsError(got[6].err); fe == nil || fe.Key != "thread.locked" {
		t.Errorf("the reply to a locked thread: %+v", got[6])
	}
	if fe := forum.AsError(got[7].err); fe == nil || fe.Code != forum.ENOTFOUND {
		t.Errorf("the reply to a missing thread: %+v", got[7])
	}
	if h := got[8].history; got[8].err != nil || got[8].post != nil || h == nil || h.RecentPosts == nil || *h.RecentPosts != 1 {
		t.Errorf("a second post within the minute: %+v, want the history counting one", got[8])
	}

	var stored struct {
		PostCount int   `db:"post_count"`
		LastPost  int64 `db:"last_post_id"`
		LastNum   int   `db:"last_post_number"`
	}
	if err := db.Get(&stored, `SELECT post_count, last_post_id, last_post_number FROM threads WHERE id = $1`, open.ID); err != nil {
		t.Fatal(err)
	}
	if stored.PostCount != 4 || stored.LastNum != 4 {
		t.Errorf("the thread counts %+v after three replies", stored)
	}
	for _, i := range []int{0, 1, 2, 3} {
		var told int
		if err := db.Get(&told, `SELECT count(*) FROM notifications WHERE post_id = $1 AND member_id = $2`, got[i].post.ID, owner.ID); err != nil {
			t.Fatal(err)
		}
		if told != 1 {
			t.Errorf("reply %d returned with %d notifications of the thread's author", i, told)
		}
	}
	if _, _, gathered := forum.ReplyBatches(db); gathered-gatheredBefore != len(replies) {
		t.Errorf("%d replies stored together, want %d", gathered-gatheredBefore, len(replies))
	}
}

// When PostgreSQL refuses a batch, nothing of it is stored, and each reply
// is submitted again on its own: only the one at fault fails.
func TestABatchThatFailsSubmitsEachReplyAlone(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	th, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	m := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	_, _, gatheredBefore := forum.ReplyBatches(db)
	reply := func(body, status string) submission {
		return submission{m, forum.DirectReply{ThreadID: th.ID, AuthorID: m.ID, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: status}}
	}
	got := submitTogether(t, db, []submission{
		reply("Bon.", forum.StatusPublished),
		reply("Mauvais état.", "bogus"), // the posts table's check refuses it
		reply("Bon aussi.", forum.StatusPublished),
	})
	if got[0].err != nil || got[2].err != nil || got[0].post == nil || got[2].post == nil {
		t.Fatalf("the good replies: %+v, %+v", got[0], got[2])
	}
	if got[1].err == nil {
		t.Errorf("the reply with a bad status was stored: %+v", got[1].post)
	}
	var bodies []string
	if err := db.Select(&bodies, `SELECT body_markdown FROM posts WHERE thread_id = $1 AND number > 1 ORDER BY number`, th.ID); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 {
		t.Errorf("stored %q, want the two good replies", bodies)
	}
	if _, _, gathered := forum.ReplyBatches(db); gathered != gatheredBefore {
		t.Errorf("%d replies counted as stored together by a batch that failed", gathered-gatheredBefore)
	}
}
