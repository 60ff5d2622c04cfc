package forum_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// What a member writes is read by them, but posts that arrived while they
// were writing stay unread.
func TestOwnPostsAreReadButNotWhatArrivedMeanwhile(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	lastRead := func(m *forum.Member, threadID int64) int {
		var n int
		if err := db.SQL().Get(&n, `SELECT coalesce(max(last_read_number), 0) FROM read_states WHERE member_id = $1 AND thread_id = $2`, m.ID, threadID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	reply := func(m *forum.Member, threadID int64) {
		ctx := forumtest.As(m)
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: threadID, AuthorID: m.ID,
				BodyMarkdown: "r", BodyHTML: "<p>r</p>", Status: forum.StatusPublished})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := forumtest.As(alice)
	var th *forum.Thread
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: alice.ID, Title: "Lecture",
			BodyMarkdown: "x", BodyHTML: "<p>x</p>", Status: forum.StatusPublished})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := lastRead(alice, th.ID); n != 1 {
		t.Errorf("after starting the thread, alice has read up to %d, want 1", n)
	}
	reply(alice, th.ID) // #2, right after her own #1
	if n := lastRead(alice, th.ID); n != 2 {
		t.Errorf("after her reply, alice has read up to %d, want 2", n)
	}
	reply(bob, th.ID) // #3: bob never opened the thread, so it stays new to him
	if n := lastRead(bob, th.ID); n != 0 {
		t.Errorf("bob's reply marked the thread read up to %d without his reading it", n)
	}
	reply(alice, th.ID) // #4, while #3 is unread to her
	if n := lastRead(alice, th.ID); n != 2 {
		t.Errorf("alice's reply hid bob's #3: read up to %d, want 2", n)
	}
	if err := db.MarkRead(context.Background(), th.ID, 4); err != nil {
		t.Fatal(err)
	}
}
