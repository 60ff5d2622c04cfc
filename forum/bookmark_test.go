package forum_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A member bookmarks posts they can see, with a note and a reminder; the
// reminder job notifies them once when it is due, and not for a post that
// is no longer visible.
func TestBookmarksAndTheirReminders(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 1)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 1)
	ctx := forumtest.As(alice)
	th := startThread(t, db, cat, bob, forum.StatusPublished)
	replyTo(t, db, bob, th.ID, forum.StatusPublished)
	replyTo(t, db, bob, th.ID, forum.StatusHeld)
	var first, second, held int64
	for n, dst := range map[int]*int64{1: &first, 2: &second, 3: &held} {
		if err := db.SQL().Get(dst, `SELECT id FROM posts WHERE thread_id = $1 AND number = $2`, th.ID, n); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := db.BookmarkPost(ctx, held, forum.BookmarkInput{}); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("bookmarking another member's held post: %v", err)
	}
	if _, err := db.BookmarkPost(context.Background(), first, forum.BookmarkInput{}); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("a visitor's bookmark: %v", err)
	}
	past := time.Now().Add(-time.Minute)
	far := time.Now().AddDate(2, 0, 0)
	for _, c := range []struct {
		in    forum.BookmarkInput
		field string
	}{
		{forum.BookmarkInput{RemindAt: &past}, "remind_at"},
		{forum.BookmarkInput{RemindAt: &far}, "remind_at"},
		{forum.BookmarkInput{Remind: "yesterday"}, "remind"},
		{forum.BookmarkInput{Note: strings.Repeat("n", forum.BookmarkNoteMax+1)}, "note"},
	} {
		if _, err := db.BookmarkPost(ctx, first, c.in); forum.AsError(err).Field != c.field {
			t.Errorf("bookmark %+v: %v, want an error on %s", c.in, err, c.field)
		}
	}

	soon := time.Now().Add(time.Hour)
	b, err := db.BookmarkPost(ctx, first, forum.BookmarkInput{Note: "  à relire  ", RemindAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	if b.Note != "à relire" || b.RemindAt == nil || !b.Available || b.ThreadTitle != th.Title || b.PostNumber != 1 || b.Author == nil || *b.Author != bob.Username {
		t.Errorf("the bookmark: %+v", b)
	}
	if _, err := db.BookmarkPost(ctx, second, forum.BookmarkInput{RemindAt: &soon}); err != nil {
		t.Fatal(err)
	}
	page, err := db.Bookmarks(ctx, 0)
	if err != nil || len(page.Bookmarks) != 2 || page.Bookmarks[0].PostID != second {
		t.Fatalf("alice's bookmarks: %+v, %v", page, err)
	}
	if other, _ := db.Bookmarks(forumtest.As(bob), 0); len(other.Bookmarks) != 0 {
		t.Errorf("bob sees bookmarks: %+v", other.Bookmarks)
	}
	marks, err := db.BookmarkedPosts(ctx, []int64{first, second, held})
	if err != nil || !marks[first] || !marks[second] || marks[held] {
		t.Errorf("bookmarked posts: %v, %v", marks, err)
	}

	reminders := func() int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = 'bookmark_reminder'`, alice.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	run := func() {
		if err := db.BookmarkRemindersJob(forum.WithSystem(context.Background()), nil); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := reminders(); n != 0 {
		t.Fatalf("%d reminders sent before they were due", n)
	}
	// Both become due; the second post is deleted meanwhile.
	if _, err := db.SQL().Exec(`UPDATE bookmarks SET remind_at = now() - interval '1 second' WHERE member_id = $1`, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE posts SET status = 'deleted' WHERE id = $1`, second); err != nil {
		t.Fatal(err)
	}
	run()
	run()
	if n := reminders(); n != 1 {
		t.Errorf("%d reminders, want 1 (once, and not for the deleted post)", n)
	}
	var note string
	if err := db.SQL().Get(&note, `SELECT data->>'reason' FROM notifications WHERE member_id = $1 AND kind = 'bookmark_reminder'`, alice.ID); err != nil || note != "à relire" {
		t.Errorf("the reminder carries %q, %v", note, err)
	}
	page, _ = db.Bookmarks(ctx, 0)
	if page.Bookmarks[0].Available || page.Bookmarks[0].Excerpt != "" || page.Bookmarks[1].RemindedAt == nil {
		t.Errorf("after the reminders: %+v", page.Bookmarks)
	}
	// A new reminder is sent again.
	later := time.Now().Add(2 * time.Hour)
	b, err = db.BookmarkPost(ctx, first, forum.BookmarkInput{Note: "à relire", RemindAt: &later})
	if err != nil || b.RemindedAt != nil {
		t.Errorf("a new reminder keeps the old one sent: %+v, %v", b, err)
	}
	// A preset falls in the forum's time zone (the default, Europe/Paris:
	// the setting is the whole package database's, which other tests
	// read); "keep" leaves it; "none" removes it.
	paris, _ := time.LoadLocation(forum.DefaultTimeZone)
	b, err = db.BookmarkPost(ctx, first, forum.BookmarkInput{Remind: forum.RemindTomorrow})
	if err != nil || b.RemindAt == nil {
		t.Fatalf("a reminder for tomorrow: %+v, %v", b, err)
	}
	at := b.RemindAt.In(paris)
	tomorrow := time.Now().In(paris).AddDate(0, 0, 1)
	if at.Hour() != 8 || at.Minute() != 0 || at.Day() != tomorrow.Day() {
		t.Errorf("tomorrow's reminder falls at %v in the forum's time zone", at)
	}
	if b, err = db.BookmarkPost(ctx, first, forum.BookmarkInput{Note: "autre note", Remind: forum.RemindKeep}); err != nil || b.RemindAt == nil || !b.RemindAt.Equal(at) {
		t.Errorf("keeping the reminder: %+v, %v", b, err)
	}
	if b, err = db.BookmarkPost(ctx, first, forum.BookmarkInput{Remind: forum.RemindNone}); err != nil || b.RemindAt != nil {
		t.Errorf("removing the reminder: %+v, %v", b, err)
	}

	if err := db.DeleteBookmark(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteBookmark(ctx, first); err != nil {
		t.Errorf("removing a bookmark twice: %v", err)
	}
	if b, err := db.BookmarkOf(ctx, first); err != nil || b != nil {
		t.Errorf("after removing: %+v, %v", b, err)
	}
}
