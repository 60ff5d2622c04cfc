package forum_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Pages of a thread come from a snapshot shared by readers, which must never
// hide a committed change, even before any notification arrives (no
// listener runs here), and must keep each reader's own view: their likes,
// their reading state, their held posts, the staff's view.
func TestThreadPagesShowEveryCommittedChangeAtOnce(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	carol := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	ctx := forumtest.As(alice)
	var th *forum.Thread
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: alice.ID, Title: "Instantané",
			BodyMarkdown: "premier", BodyHTML: "<p>premier</p>", Status: forum.StatusPublished})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	reply := func(m *forum.Member, status string) int64 {
		t.Helper()
		ctx := forumtest.As(m)
		var p *forum.Post
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			p, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.ID, AuthorID: m.ID,
				BodyMarkdown: "réponse", BodyHTML: "<p>réponse</p>", Status: status})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	// read reads the page whole, and checks that the page of posts alone
	// (ThreadPagePosts) is the same without what it does not read.
	read := func(ctx context.Context) (*forum.Thread, []forum.Post) {
		t.Helper()
		th, page, err := db.ThreadPage(ctx, th.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		pth, ppage, err := db.ThreadPagePosts(ctx, th.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := *th
		want.Watch, want.Moderates = nil, false
		posts := slices.Clone(page.Posts)
		for i := range posts {
			posts[i].Bookmarked, posts[i].AuthorIgnored = false, false
		}
		if !reflect.DeepEqual(*pth, want) || !reflect.DeepEqual(ppage.Posts, posts) || ppage.Next != page.Next {
			t.Errorf("the page of posts alone differs from the whole page:\n%+v %+v\nwant\n%+v %+v", *pth, ppage.Posts, want, posts)
		}
		return th, page.Posts
	}
	bobCtx, carolCtx := forumtest.As(bob), forumtest.As(carol)

	if _, posts := read(bobCtx); len(posts) != 1 {
		t.Fatalf("bob sees %d posts, want 1", len(posts))
	}
	read(context.Background())
	second := reply(carol, forum.StatusPublished)
	if _, posts := read(bobCtx); len(posts) != 2 || posts[1].ID != second {
		t.Fatalf("after carol's reply bob sees %d posts, want 2", len(posts))
	}
	if _, posts := read(context.Background()); len(posts) != 2 {
		t.Fatalf("after carol's reply a visitor sees %d posts, want 2", len(posts))
	}

	// Likes: the liker sees theirs at once, everyone sees the count.
	if _, err := db.Like(bobCtx, second); err != nil {
		t.Fatal(err)
	}
	if _, posts := read(bobCtx); !posts[1].Liked || posts[1].LikeCount != 1 {
		t.Errorf("bob's like: liked %v, count %d", posts[1].Liked, posts[1].LikeCount)
	}
	if _, posts := read(carolCtx); posts[1].Liked || posts[1].LikeCount != 1 {
		t.Errorf("carol sees bob's like as hers (%v) or a count of %d", posts[1].Liked, posts[1].LikeCount)
	}

	// A held post: its author and the staff see it, nobody else.
	held := reply(carol, forum.StatusHeld)
	if _, posts := read(bobCtx); len(posts) != 2 {
		t.Errorf("bob sees carol's held post: %d posts", len(posts))
	}
	if _, posts := read(carolCtx); len(posts) != 3 || posts[2].ID != held || posts[2].Status != forum.StatusHeld {
		t.Errorf("carol does not see her held post: %d posts", len(posts))
	}
	if _, posts := read(forumtest.As(mod)); len(posts) != 3 {
		t.Errorf("a moderator sees %d posts, want 3 with the held one", len(posts))
	}

	// Edits, hiding and thread flags show at once; a hidden post keeps its
	// body for its author only.
	if _, err := db.SQL().Exec(`UPDATE posts SET body_html = '<p>corrigé</p>' WHERE id = $1`, second); err != nil {
		t.Fatal(err)
	}
	if _, posts := read(bobCtx); posts[1].BodyHTML != "<p>corrigé</p>" {
		t.Errorf("bob reads %q after the edit", posts[1].BodyHTML)
	}
	if _, err := db.SQL().Exec(`UPDATE posts SET status = 'hidden' WHERE id = $1`, second); err != nil {
		t.Fatal(err)
	}
	if _, posts := read(bobCtx); !posts[1].Redacted || posts[1].BodyHTML != "" {
		t.Errorf("bob reads the hidden post: %+v", posts[1])
	}
	if _, posts := read(carolCtx); posts[1].Redacted || posts[1].BodyHTML == "" {
		t.Errorf("carol cannot read her own hidden post")
	}
	if _, posts := read(bobCtx); !posts[1].Redacted {
		t.Errorf("bob reads the hidden post after carol did: the snapshot kept her view")
	}
	if _, err := db.SQL().Exec(`UPDATE threads SET locked = true WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(bobCtx); !got.Locked {
		t.Error("the thread was locked but bob's page does not say so")
	}

	// So is their watching, read with the page.
	if got, _ := read(bobCtx); got.Watch == nil || got.Watch.Effective != forum.WatchNormal {
		t.Errorf("bob's watching before he chose: %+v", got.Watch)
	}
	if _, err := db.WatchCategory(bobCtx, cat.ID, forum.WatchMuted); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(bobCtx); got.Watch == nil || got.Watch.Effective != forum.WatchMuted {
		t.Errorf("bob muted the category, his page says %+v", got.Watch)
	}
	if _, err := db.WatchThread(bobCtx, th.ID, forum.WatchWatching); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(bobCtx); got.Watch == nil || got.Watch.Effective != forum.WatchWatching || got.Watch.Category != forum.WatchMuted {
		t.Errorf("bob watches the thread, his page says %+v", got.Watch)
	}
	if got, _ := read(carolCtx); got.Watch == nil || got.Watch.Effective != forum.WatchNormal {
		t.Errorf("carol got bob's watching: %+v", got.Watch)
	}
	if got, _ := read(context.Background()); got.Watch != nil {
		t.Errorf("a visitor has a watching: %+v", got.Watch)
	}

	// The reading state is the reader's own.
	if err := db.MarkRead(bobCtx, th.ID, 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(bobCtx); got.LastRead == nil || *got.LastRead != 2 {
		t.Errorf("bob's reading state: %v", got.LastRead)
	}
	if got, _ := read(carolCtx); got.LastRead != nil {
		t.Errorf("carol got bob's reading state %d", *got.LastRead)
	}

	// A held thread is its author's and the staff's only.
	if _, err := db.SQL().Exec(`UPDATE threads SET status = 'held' WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ThreadPage(bobCtx, th.ID, 0); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("bob opens a held thread: %v", err)
	}
	if _, _, err := db.ThreadPage(ctx, th.ID, 0); err != nil {
		t.Errorf("alice cannot open her held thread: %v", err)
	}
	if _, _, err := db.ThreadPage(bobCtx, th.ID+1000, 0); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("a missing thread: %v", err)
	}
}

// A member's page is served from the snapshot when nothing changed since it
// was made: the fingerprint read with the reader's part (in SQL, by
// ThreadPage and by ThreadPagePosts) is the one made of the snapshot's rows
// (in Go), on the first page, a later one, the last one and one past the
// end, around held and unpublished posts.
func TestThreadPagesAreServedFromTheirSnapshot(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ctx := forumtest.As(alice)
	var th *forum.Thread
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: alice.ID, Title: "Empreinte",
			BodyMarkdown: "premier", BodyHTML: "<p>premier</p>", Status: forum.StatusPublished})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var unpublished int64
	for i := range forum.PostsPerPage + 5 {
		status := forum.StatusPublished
		if i == 3 {
			status = forum.StatusHeld // left out of every snapshot
		}
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			p, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.ID, AuthorID: alice.ID,
				BodyMarkdown: "réponse", BodyHTML: "<p>réponse</p>", Status: status})
			if i == 5 {
				unpublished = p.ID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().Exec(`UPDATE posts SET status = 'deleted', removal = 'unpublished' WHERE id = $1`, unpublished); err != nil {
		t.Fatal(err)
	}
	for _, after := range []int{0, 2, forum.PostsPerPage, forum.PostsPerPage + 10} {
		for _, whole := range []bool{true, false} {
			ok, err := db.ThreadPageFromSnapshot(forumtest.As(bob), th.ID, after, whole)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Errorf("after %d (whole page %v): the page is not served from its snapshot (its fingerprint differs)", after, whole)
			}
		}
	}
}
