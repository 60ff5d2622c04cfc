package forum_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// mustThread stores a thread as the pipeline would, with the given status.
func mustThread(t testing.TB, db *forum.DB, author *forum.Member, cat *forum.Category, status string) *forum.Thread {
	t.Helper()
	var th *forum.Thread
	err := db.InTx(forumtest.As(author), func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(forumtest.As(author), tx, forum.NewThread{
			CategoryID: cat.ID, AuthorID: author.ID, Title: forumtest.Unique("Sujet "),
			BodyMarkdown: "corps", BodyHTML: "<p>corps</p>", Status: status,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func reply(ctx context.Context, db *forum.DB, author *forum.Member, threadID int64, status string, replyTo *int) (*forum.Post, error) {
	var p *forum.Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{
			ThreadID: threadID, AuthorID: author.ID, ReplyTo: replyTo,
			BodyMarkdown: "réponse", BodyHTML: "<p>réponse</p>", Status: status,
		})
		return err
	})
	return p, err
}

func mustReply(t testing.TB, db *forum.DB, author *forum.Member, threadID int64, status string) *forum.Post {
	t.Helper()
	p, err := reply(forumtest.As(author), db, author, threadID, status, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Paging through a category while others start threads and reply loses
// and repeats nothing that existed before (new and bumped threads go to
// the top, before the cursor).
func TestCategoryPaginationUnderConcurrentPosting(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	reader := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, db)
	existing := map[int64]bool{}
	for range 45 {
		existing[mustThread(t, db, author, cat, forum.StatusPublished).ID] = true
	}
	pinned := mustThread(t, db, author, cat, forum.StatusPublished)
	existing[pinned.ID] = true
	yes := true
	if _, err := db.SetThreadFlags(forum.WithSystem(context.Background()), pinned.ID, forum.ThreadFlags{Pinned: &yes}); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				mustThread(t, db, author, cat, forum.StatusPublished)
			}
		}
	}()

	seen := map[int64]int{}
	var after *forum.Cursor
	pages := 0
	for {
		l, err := db.CategoryThreads(forumtest.As(reader), cat.ID, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 && (len(l.Threads) == 0 || l.Threads[0].ID != pinned.ID) {
			t.Errorf("the pinned thread does not come first")
		}
		for _, th := range l.Threads {
			seen[th.ID]++
		}
		pages++
		if l.Next == "" {
			break
		}
		if after, err = forum.ParseCursor(l.Next); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for id := range existing {
		if seen[id] != 1 {
			t.Errorf("thread %d seen %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("thread %d repeated %d times", id, n)
		}
	}
	if pages < 5 {
		t.Errorf("only %d pages for 46 threads by 10", pages)
	}
}

func TestParseCursorRefusesGarbage(t *testing.T) {
	for _, s := range []string{"!!", "Mi4xLjE", "abc", "MS4xMjM0NTYuLTE"} {
		if _, err := forum.ParseCursor(s); forum.ErrorCode(err) != forum.EINVALID {
			t.Errorf("ParseCursor(%q) = %v, want invalid", s, err)
		}
	}
	c := forum.Cursor{Pinned: true, At: time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC), ID: 42}
	got, err := forum.ParseCursor(c.String())
	if err != nil || *got != c {
		t.Errorf("round trip: %v %v", got, err)
	}
}

// Counters stay right under concurrent posting: every reply is counted
// once and numbered without gaps.
func TestCountersUnderConcurrentReplies(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, db)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	const writers, each = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		m := forumtest.MustMember(t, db, forum.RoleMember, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := reply(forumtest.As(m), db, m, th.ID, forum.StatusPublished, nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := db.ThreadByID(forumtest.As(author), th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + writers*each; got.PostCount != want || got.LastPostNumber != want {
		t.Errorf("post_count %d, last_post_number %d, want %d", got.PostCount, got.LastPostNumber, want)
	}
	var numbers []int
	if err := db.SQL().Select(&numbers, `SELECT number FROM posts WHERE thread_id = $1 ORDER BY number`, th.ID); err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers {
		if n != i+1 {
			t.Fatalf("post numbers have a gap or a repeat at %d: %d", i+1, n)
		}
	}
}

// A member never sees another member's held thread or post; the author and
// staff do.
func TestHeldPostsAreVisibleOnlyToAuthorAndStaff(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 0)
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	cat := forumtest.MustCategory(t, db)

	held := mustThread(t, db, author, cat, forum.StatusHeld)
	open := mustThread(t, db, other, cat, forum.StatusPublished)
	heldReply := mustReply(t, db, author, open.ID, forum.StatusHeld)
	mustReply(t, db, other, open.ID, forum.StatusPublished)

	inList := func(ctx context.Context, id int64) bool {
		l, err := db.CategoryThreads(ctx, cat.ID, nil, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range l.Threads {
			if th.ID == id {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		who  string
		ctx  context.Context
		sees bool
	}{
		{"visitor", context.Background(), false},
		{"other member", forumtest.As(other), false},
		{"author", forumtest.As(author), true},
		{"moderator", forumtest.As(mod), true},
	} {
		t.Run(tc.who, func(t *testing.T) {
			_, err := db.ThreadByID(tc.ctx, held.ID)
			if (err == nil) != tc.sees {
				t.Errorf("held thread: %v", err)
			}
			if inList(tc.ctx, held.ID) != tc.sees {
				t.Errorf("held thread in the category list: %v, want %v", !tc.sees, tc.sees)
			}
			page, err := db.ThreadPosts(tc.ctx, open.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range page.Posts {
				found = found || p.ID == heldReply.ID
			}
			if found != tc.sees {
				t.Errorf("held reply on the thread page: %v, want %v", found, tc.sees)
			}
			if _, _, err := db.PostByID(tc.ctx, heldReply.ID); (err == nil) != tc.sees {
				t.Errorf("PostByID of the held reply: %v", err)
			}
		})
	}
	got, _ := db.ThreadByID(context.Background(), open.ID)
	if got.PostCount != 2 || got.Replies() != 1 {
		t.Errorf("a held reply is counted: post_count %d", got.PostCount)
	}
	if _, err := reply(forumtest.As(other), db, other, held.ID, forum.StatusPublished, nil); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("replying to someone's held thread: %v", err)
	}
}

func TestDeletingAndHidingKeepsCountersRight(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	cat := forumtest.MustCategory(t, db)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	p2 := mustReply(t, db, other, th.ID, forum.StatusPublished)
	p3 := mustReply(t, db, other, th.ID, forum.StatusPublished)

	if _, err := db.DeletePost(forumtest.As(author), p3.ID); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("deleting someone else's post: %v", err)
	}
	if _, err := db.DeletePost(forumtest.As(other), p3.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := db.ThreadByID(context.Background(), th.ID)
	if got.PostCount != 2 || got.LastPostNumber != 2 || !got.LastPostAt.Equal(p2.CreatedAt) {
		t.Errorf("after deleting the last post: count %d, last %d at %v (want %v)", got.PostCount, got.LastPostNumber, got.LastPostAt, p2.CreatedAt)
	}
	if _, err := db.DeletePost(forumtest.As(other), p3.ID); forum.ErrorCode(err) != forum.ECONFLICT {
		t.Errorf("deleting twice: %v", err)
	}
	// Others see a placeholder; staff see the content.
	page, _ := db.ThreadPosts(forumtest.As(author), th.ID, 0)
	if last := page.Posts[len(page.Posts)-1]; last.ID != p3.ID || !last.Redacted || last.BodyHTML != "" || last.Status != forum.StatusDeleted {
		t.Errorf("deleted post for a member: %+v", last)
	}
	page, _ = db.ThreadPosts(forumtest.As(mod), th.ID, 0)
	if last := page.Posts[len(page.Posts)-1]; last.Redacted || last.BodyHTML == "" {
		t.Errorf("deleted post for staff: %+v", last)
	}
	// Hiding by moderation (the moderation actions call SetPostStatusTx).
	err := db.InTx(forumtest.As(mod), func(tx *sqlx.Tx) error {
		return forum.SetPostStatusTx(forumtest.As(mod), tx, p2.ID, forum.StatusHidden)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = db.ThreadByID(context.Background(), th.ID)
	if got.PostCount != 1 || got.LastPostNumber != 1 {
		t.Errorf("after hiding: count %d, last %d", got.PostCount, got.LastPostNumber)
	}
	if p, _, _ := db.PostByID(forumtest.As(other), p2.ID); p.Redacted {
		t.Errorf("the author of a hidden post cannot read it")
	}
	if p, _, _ := db.PostByID(forumtest.As(author), p2.ID); !p.Redacted {
		t.Errorf("a hidden post is readable by others")
	}
	// Deleting the first post deletes the thread.
	if _, err := db.DeletePost(forumtest.As(mod), postID(t, db, th.ID, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ThreadByID(forumtest.As(other), th.ID); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("deleted thread: %v", err)
	}
	var logged int
	if err := db.SQL().Get(&logged, `SELECT count(*) FROM mod_log WHERE action = 'post.delete' AND actor_id = $1`, mod.ID); err != nil {
		t.Fatal(err)
	}
	if logged != 1 {
		t.Errorf("staff deletion logged %d times", logged)
	}
}

func postID(t *testing.T, db *forum.DB, threadID int64, number int) int64 {
	t.Helper()
	var id int64
	if err := db.SQL().Get(&id, `SELECT id FROM posts WHERE thread_id = $1 AND number = $2`, threadID, number); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLockedThreadsRefuseRepliesAndReplyToIsChecked(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	cat := forumtest.MustCategory(t, db)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	one, nine := 1, 9
	if _, err := reply(forumtest.As(author), db, author, th.ID, forum.StatusPublished, &nine); forum.ErrorCode(err) != forum.EINVALID {
		t.Errorf("reply to a missing post: %v", err)
	}
	if p, err := reply(forumtest.As(author), db, author, th.ID, forum.StatusPublished, &one); err != nil || *p.ReplyTo != 1 {
		t.Errorf("reply to #1: %v", err)
	}
	yes := true
	if _, err := db.SetThreadFlags(forumtest.As(author), th.ID, forum.ThreadFlags{Locked: &yes}); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a member locking: %v", err)
	}
	if _, err := db.SetThreadFlags(forumtest.As(mod), th.ID, forum.ThreadFlags{Locked: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := reply(forumtest.As(author), db, author, th.ID, forum.StatusPublished, nil); forum.AsError(err).Key != "thread.locked" {
		t.Errorf("reply to a locked thread: %v", err)
	}
	if _, err := reply(forumtest.As(mod), db, mod, th.ID, forum.StatusPublished, nil); err != nil {
		t.Errorf("staff reply to a locked thread: %v", err)
	}
	var logged int
	if err := db.SQL().Get(&logged, `SELECT count(*) FROM mod_log WHERE action = 'thread.lock' AND target_id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if logged != 1 {
		t.Errorf("lock logged %d times", logged)
	}
}

func TestEditWindowAndRevisions(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	cat := forumtest.MustCategory(t, db)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	first := postID(t, db, th.ID, 1)
	edit := func(ctx context.Context, window time.Duration, body string) error {
		return db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.EditPostTx(ctx, tx, window, forum.PostEdit{PostID: first, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>"})
			return err
		})
	}
	if err := edit(forumtest.As(author), time.Hour, "v2"); err != nil {
		t.Fatal(err)
	}
	if err := edit(forumtest.As(other), time.Hour, "pirate"); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("editing someone else's post: %v", err)
	}
	db.SQL().MustExec(`UPDATE posts SET created_at = now() - interval '2 hours' WHERE id = $1`, first)
	if err := edit(forumtest.As(author), time.Hour, "v3"); forum.AsError(err).Key != "post.edit_window_passed" {
		t.Errorf("editing after the window: %v", err)
	}
	if err := edit(forumtest.As(author), 0, "v3"); err != nil {
		t.Errorf("no window: %v", err)
	}
	if err := edit(forumtest.As(mod), time.Hour, "v4"); err != nil {
		t.Errorf("staff edit: %v", err)
	}
	p, _, revs, err := db.Revisions(forumtest.As(author), first)
	if err != nil {
		t.Fatal(err)
	}
	if p.BodyMarkdown != "v4" || p.EditCount != 3 || len(revs) != 3 || revs[0].BodyMarkdown != "v3" || revs[2].BodyMarkdown != "corps" {
		t.Errorf("revisions: %+v %+v", p, revs)
	}
	if _, _, _, err := db.Revisions(forumtest.As(other), first); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("revisions for another member: %v", err)
	}
	if _, _, _, err := db.Revisions(forumtest.As(mod), first); err != nil {
		t.Errorf("revisions for staff: %v", err)
	}
}

func TestLikesAndReadingState(t *testing.T) {
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	fans := []*forum.Member{forumtest.MustMember(t, db, forum.RoleMember, 2), forumtest.MustMember(t, db, forum.RoleMember, 2)}
	cat := forumtest.MustCategory(t, db)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	first := postID(t, db, th.ID, 1)
	if _, err := db.Like(forumtest.As(author), first); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("liking one's own post: %v", err)
	}
	if _, err := db.Like(context.Background(), first); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("a visitor liking: %v", err)
	}
	var wg sync.WaitGroup
	for _, f := range fans {
		for range 3 { // liking again changes nothing, even at the same time
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.Like(forumtest.As(f), first); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	st, err := db.Unlike(forumtest.As(fans[0]), first)
	if err != nil || st.Count != 1 || st.Liked {
		t.Errorf("after unlike: %+v %v", st, err)
	}
	page, _ := db.ThreadPosts(forumtest.As(fans[1]), th.ID, 0)
	if page.Posts[0].LikeCount != 1 || !page.Posts[0].Liked {
		t.Errorf("like shown: %+v", page.Posts[0])
	}
	held := mustReply(t, db, author, th.ID, forum.StatusHeld)
	if _, err := db.Like(forumtest.As(fans[0]), held.ID); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("liking a held post: %v", err)
	}

	// Reading state: unread counts on lists, never going backwards.
	reader := fans[0]
	for range 4 {
		mustReply(t, db, author, th.ID, forum.StatusPublished)
	}
	unread := func() *int {
		l, _ := db.CategoryThreads(forumtest.As(reader), cat.ID, nil, 10)
		for _, x := range l.Threads {
			if x.ID == th.ID {
				return x.Unread
			}
		}
		t.Fatal("thread not listed")
		return nil
	}
	if u := unread(); u != nil {
		t.Errorf("never opened: unread %v, want none (new)", *u)
	}
	if err := db.MarkRead(forumtest.As(reader), th.ID, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkRead(forumtest.As(reader), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if u := unread(); u == nil || *u != 3 { // posts 4, 5, 6 (2 is held)
		t.Errorf("unread = %v, want 3", u)
	}
	got, _ := db.ThreadByID(forumtest.As(reader), th.ID)
	if n, after, ok := got.FirstUnread(); !ok || n != 4 || after != 3 {
		t.Errorf("FirstUnread = %d %d %v", n, after, ok)
	}
	if err := db.MarkRead(context.Background(), th.ID, 5); err != nil {
		t.Errorf("visitor: %v", err)
	}
}

// The thread page and the lists are served by their indexes. The test
// tables are small and their statistics change as the package's tests
// write (autovacuum), so the planner is told to avoid scanning and sorting
// where it can: what is checked is that an index can serve the query's
// order, as it must at a forum's scale.
func TestHotQueriesUseTheirIndexes(t *testing.T) {
	db := forumtest.DB(t)
	for _, tc := range []struct{ label, query, index string }{
		{"thread page", `EXPLAIN SELECT id FROM posts p WHERE p.thread_id = 1 AND p.number > 20 ORDER BY p.number LIMIT 21`, "posts_thread_id_number_key"},
		{"category", `EXPLAIN SELECT id FROM threads t WHERE t.category_id = 1 AND (t.pinned, t.last_post_at, t.id) < (true, 'infinity'::timestamptz, 99) ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC LIMIT 21`, "threads_category_pinned_activity"},
		{"latest", `EXPLAIN SELECT id FROM threads t WHERE (t.last_post_at, t.id) < (now(), 99) ORDER BY t.last_post_at DESC, t.id DESC LIMIT 21`, "threads_activity"},
	} {
		var plan []string
		err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
			if _, err := tx.Exec(`SET LOCAL enable_seqscan = off`); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(`SET LOCAL enable_sort = off`); err != nil {
				t.Fatal(err)
			}
			return tx.Select(&plan, tc.query)
		})
		if err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprint(plan)
		if !contains(text, tc.index) || contains(text, "Sort") {
			t.Errorf("%s: plan does not use %s without sorting:\n%s", tc.label, tc.index, text)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
