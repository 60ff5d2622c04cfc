package forum_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// submission is a reply and the member who sends it.
type submission struct {
	as    *forum.Member
	reply forum.Reply
}

// historyReached is the refusal of refuseReached, with the history that
// decided it.
type historyReached struct{ history forum.History }

func (e *historyReached) Error() string { return "a history count reached its limit" }

// refuseReached is the Decide of a caller whose history rules all refuse,
// for a reply asking q: a count that reaches its limit refuses the reply
// (the moderation pipeline's rules are tested in moderation).
func refuseReached(q forum.HistoryQuery, status string) func(forum.History) (string, error) {
	return func(h forum.History) (string, error) {
		if h.RecentPosts != nil && *h.RecentPosts >= q.PostLimit || h.Duplicate != nil && *h.Duplicate ||
			h.Published != nil && *h.Published < q.PublishedLimit {
			return "", &historyReached{h}
		}
		return status, nil
	}
}

// withHistory asks q about the author's history for r, refused when a count
// reaches its limit.
func withHistory(r forum.Reply, q forum.HistoryQuery) forum.Reply {
	r.History, r.Decide = &q, refuseReached(q, r.Status)
	return r
}

type replyResult struct {
	post    *forum.Post
	history *forum.History
	err     error
}

// submitTogether submits replies so that they are stored by one batch: it
// first keeps the worker's batch busy on a thread it holds locked, then
// submits the replies, which wait together in the order given, and lets
// the batch go.
func submitTogether(t *testing.T, db *forum.DB, replies []submission) []replyResult {
	t.Helper()
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	held, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	blocker, err := db.SQL().Beginx()
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
	var wg sync.WaitGroup
	m := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	wg.Go(func() {
		if _, err := db.SubmitReply(forumtest.As(m), forum.Reply{
			ThreadID: held.ID, AuthorID: m.ID, BodyMarkdown: "En attente.", BodyHTML: "<p>En attente.</p>", Status: forum.StatusPublished,
		}); err != nil {
			t.Errorf("a reply to the held thread: %v", err)
		}
	})
	// The worker's batch took it and waits for the lock: the replies
	// below wait for the next batch (as they must for the test to go on).
	forumtest.WaitForRepliesOnLocks(t, db, 1)
	if pending := forum.RepliesWaiting(db); pending != 0 {
		t.Fatalf("%d replies wait, before the replies", pending)
	}

	// One after the other, so that they wait in the order given.
	out := make([]replyResult, len(replies))
	for i, r := range replies {
		wg.Go(func() {
			out[i].post, out[i].err = db.SubmitReply(forumtest.As(r.as), r.reply)
			if reached, ok := errors.AsType[*historyReached](out[i].err); ok {
				out[i].history, out[i].err = &reached.history, nil
			}
		})
		waitFor("the reply to wait", func() bool {
			return forum.RepliesWaiting(db) == i+1
		})
	}
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
	if _, err := db.SQL().Exec(`UPDATE threads SET locked = true WHERE id = $1`, locked.ID); err != nil {
		t.Fatal(err)
	}
	a, b, c := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember),
		forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember),
		forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	// c has posted once already: a limit of one post a minute stops them.
	if _, err := db.SubmitReply(forumtest.As(c), forum.Reply{
		ThreadID: other.ID, AuthorID: c.ID, BodyMarkdown: "Premier.", BodyHTML: "<p>Premier.</p>", Status: forum.StatusPublished,
	}); err != nil {
		t.Fatal(err)
	}
	// a has read the thread: their first reply is read too, not the one
	// after b's.
	if err := db.MarkRead(forumtest.As(a), open.ID, 1); err != nil {
		t.Fatal(err)
	}
	reply := func(m *forum.Member, th int64, body, status string) submission {
		return submission{m, withHistory(forum.Reply{ThreadID: th, AuthorID: m.ID, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: status},
			forum.HistoryQuery{PostLimit: 5, DuplicateMinutes: 10})}
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
		{c, withHistory(forum.Reply{ThreadID: open.ID, AuthorID: c.ID, BodyMarkdown: "Encore.", BodyHTML: "<p>Encore.</p>", Status: forum.StatusPublished},
			forum.HistoryQuery{PostLimit: 1})},
	}
	got := submitTogether(t, db, replies)

	for _, i := range []int{0, 1, 2} {
		if got[i].err != nil || got[i].post == nil {
			t.Fatalf("reply %d: %+v", i, got[i])
		}
	}
	if got[0].post.Number != 2 || got[1].post.Number != 3 || got[2].post.Number != 4 {
		t.Errorf("the three replies to one thread are numbered %d, %d, %d, want 2, 3 and 4 in the order sent",
			got[0].post.Number, got[1].post.Number, got[2].post.Number)
	}
	var read int
	if err := db.SQL().Get(&read, `SELECT last_read_number FROM read_states WHERE member_id = $1 AND thread_id = $2`, a.ID, open.ID); err != nil {
		t.Fatal(err)
	}
	if read != 2 {
		t.Errorf("a has read up to #%d, want #2", read)
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
	if err := db.SQL().Get(&stored, `SELECT post_count, last_post_id, last_post_number FROM threads WHERE id = $1`, open.ID); err != nil {
		t.Fatal(err)
	}
	if stored.PostCount != 4 || stored.LastNum != 4 {
		t.Errorf("the thread counts %+v after three replies", stored)
	}
	for _, i := range []int{0, 1, 2, 3} {
		var told int
		if err := db.SQL().Get(&told, `SELECT count(*) FROM notifications WHERE post_id = $1 AND member_id = $2`, got[i].post.ID, owner.ID); err != nil {
			t.Fatal(err)
		}
		if told != 1 {
			t.Errorf("reply %d returned with %d notifications of the thread's author", i, told)
		}
	}
	if n := transactionsOf(t, db, got[0].post, got[1].post, got[2].post, got[3].post, got[5].post); n != 1 {
		t.Errorf("the replies stored were stored by %d transactions, want one", n)
	}
}

// transactionsOf counts the transactions that stored posts (their rows'
// xmin).
func transactionsOf(t *testing.T, db *forum.DB, posts ...*forum.Post) int {
	t.Helper()
	ids := make([]int64, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	var n int
	if err := db.SQL().Get(&n, `SELECT count(DISTINCT xmin::text) FROM posts WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		t.Fatal(err)
	}
	return n
}

// When PostgreSQL refuses a batch, nothing of it is stored, and each reply
// is submitted again on its own: only the one at fault fails.
func TestABatchThatFailsSubmitsEachReplyAlone(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	th, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
	m := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	reply := func(body, status string) submission {
		return submission{m, forum.Reply{ThreadID: th.ID, AuthorID: m.ID, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: status}}
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
	if err := db.SQL().Select(&bodies, `SELECT body_markdown FROM posts WHERE thread_id = $1 AND number > 1 ORDER BY number`, th.ID); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 {
		t.Errorf("stored %q, want the two good replies", bodies)
	}
	if n := transactionsOf(t, db, got[0].post, got[2].post); n != 2 {
		t.Errorf("the good replies of a batch that failed were stored by %d transactions, want one each", n)
	}
}

// A batch decides and writes exactly as its replies stored one by one, in
// the order of their threads: checked on random batches of replies to
// open, locked, held and missing threads, answering posts that exist or
// not, by members near their limits and a moderator, repeating texts.
func TestABatchDoesWhatRepliesOneByOneDo(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	owner := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	var members []*forum.Member
	for range 3 {
		members = append(members, forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	}
	members = append(members, forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustMember))
	var threads []int64
	for _, state := range []string{"open", "open", "locked", "held"} {
		th, _ := ntThread(t, db, owner, cat, forum.StatusPublished, forum.PostRefs{})
		switch state {
		case "locked":
			db.SQL().MustExec(`UPDATE threads SET locked = true WHERE id = $1`, th.ID)
		case "held":
			db.SQL().MustExec(`UPDATE threads SET status = 'held' WHERE id = $1`, th.ID)
		}
		threads = append(threads, th.ID)
	}
	// Earlier posts and reading: one member near their limits, another who
	// has read a thread to its end.
	db.SQL().MustExec(`INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html, status)
VALUES ($1, 2, $2, 'Texte A', '<p>Texte A</p>', 'published')`, threads[1], members[0].ID)
	db.SQL().MustExec(`INSERT INTO read_states (member_id, thread_id, last_read_number) VALUES ($1, $2, 1), ($3, $4, 2)`,
		members[1].ID, threads[0], members[2].ID, threads[1])
	missing := int64(1 << 40)

	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(n int) int { return rng.IntN(n) }
	for round := range 200 {
		batch := make([]forum.Reply, 2+pick(10))
		ctxs := make([]context.Context, len(batch))
		for i := range batch {
			th := missing
			if pick(8) > 0 {
				th = threads[pick(len(threads))]
			}
			author := members[pick(len(members))]
			ctxs[i] = forumtest.As(author)
			body := []string{"Texte A", "Texte B", "Texte C"}[pick(3)]
			batch[i] = forum.Reply{ThreadID: th, AuthorID: author.ID, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>",
				Status: []string{"published", "published", "held"}[pick(3)]}
			if to := pick(4); to > 0 {
				batch[i].ReplyTo = &[]int{1, 2, 3}[to-1]
			}
			if pick(4) > 0 {
				batch[i] = withHistory(batch[i], forum.HistoryQuery{PostLimit: pick(4), DuplicateMinutes: []int{0, 10}[pick(2)], PublishedLimit: pick(3)})
			}
		}
		answersOf := func(tx *sqlx.Tx, together bool) []string {
			answers := make([]string, len(batch))
			answer := func(i int, post *forum.Post, err error) {
				if reached, ok := errors.AsType[*historyReached](err); ok {
					h := reached.history
					answers[i] = fmt.Sprint("history ", deref(h.RecentPosts), " ", deref(h.Duplicate), " ", deref(h.Published))
					return
				}
				if fe := forum.AsError(err); err != nil && fe != nil {
					answers[i] = fmt.Sprint("refused ", fe.Code, " ", fe.Key)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				answers[i] = fmt.Sprint("post #", post.Number, " ", post.Status)
			}
			if together {
				posts, errs, err := forum.StoreRepliesTx(tx, ctxs, batch)
				if err != nil {
					t.Fatal(err)
				}
				for i := range batch {
					answer(i, posts[i], errs[i])
				}
				return answers
			}
			order := make([]int, len(batch))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(batch[a].ThreadID, batch[b].ThreadID) })
			for _, i := range order {
				posts, errs, err := forum.StoreRepliesTx(tx, ctxs[i:i+1], batch[i:i+1])
				if err != nil {
					t.Fatal(err)
				}
				answer(i, posts[0], errs[0])
			}
			return answers
		}
		stateOf := func(tx *sqlx.Tx) []string {
			var state []string
			if err := tx.Select(&state, `
SELECT format('post %s #%s by %s %s %s reply to %s queued=%s', p.thread_id, p.number, p.author_id, p.status, p.body_markdown,
	p.reply_to, EXISTS (SELECT 1 FROM notification_queue q WHERE q.post_id = p.id))
FROM posts p WHERE p.thread_id = ANY ($1) UNION ALL
SELECT format('thread %s: %s posts, last #%s by %s', t.id, t.post_count, t.last_post_number, t.last_poster_id)
FROM threads t WHERE t.id = ANY ($1) UNION ALL
SELECT format('read %s %s #%s', r.member_id, r.thread_id, r.last_read_number) FROM read_states r WHERE r.thread_id = ANY ($1)
ORDER BY 1`, pq.Array(threads)); err != nil {
				t.Fatal(err)
			}
			return state
		}
		run := func(together bool) (answers, state []string) {
			tx, err := db.SQL().Beginx()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			answers = answersOf(tx, together)
			return answers, stateOf(tx)
		}
		oneByOne, wantState := run(false)
		together, gotState := run(true)
		if !slices.Equal(together, oneByOne) {
			t.Fatalf("round %d, %+v:\ntogether  %q\none by one %q", round, batch, together, oneByOne)
		}
		if !slices.Equal(gotState, wantState) {
			t.Fatalf("round %d, %+v:\ntogether  %q\none by one %q", round, batch, gotState, wantState)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
