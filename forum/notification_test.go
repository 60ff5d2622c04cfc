package forum_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// ntThread stores a thread as the pipeline does: the thread, then
// RecordPostTx in the same transaction, then FanOut.
func ntThread(t testing.TB, db *forum.DB, author *forum.Member, cat *forum.Category, status string, refs forum.PostRefs) (*forum.Thread, *forum.Post) {
	t.Helper()
	th, p := queuedThread(t, db, author, cat, status, refs)
	db.FanOut(forumtest.As(author), p.ID)
	return th, p
}

// queuedThread is ntThread without the fan-out: what a server that stopped
// right after the commit leaves.
func queuedThread(t testing.TB, db *forum.DB, author *forum.Member, cat *forum.Category, status string, refs forum.PostRefs) (*forum.Thread, *forum.Post) {
	t.Helper()
	ctx := forumtest.As(author)
	var th *forum.Thread
	var p *forum.Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, p, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{
			CategoryID: cat.ID, AuthorID: author.ID, Title: forumtest.Unique("Sujet "),
			BodyMarkdown: "corps", BodyHTML: "<p>corps</p>", Status: status,
		})
		if err != nil {
			return err
		}
		return forum.RecordPostTx(ctx, tx, p, refs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return th, p
}

func ntReply(t testing.TB, db *forum.DB, author *forum.Member, threadID int64, status string, replyTo *int, refs forum.PostRefs) *forum.Post {
	t.Helper()
	p := queuedReply(t, db, author, threadID, status, replyTo, refs)
	db.FanOut(forumtest.As(author), p.ID)
	return p
}

// queuedReply is ntReply without the fan-out.
func queuedReply(t testing.TB, db *forum.DB, author *forum.Member, threadID int64, status string, replyTo *int, refs forum.PostRefs) *forum.Post {
	t.Helper()
	ctx := forumtest.As(author)
	var p *forum.Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{
			ThreadID: threadID, AuthorID: author.ID, ReplyTo: replyTo,
			BodyMarkdown: "réponse", BodyHTML: "<p>réponse</p>", Status: status,
		})
		if err != nil {
			return err
		}
		return forum.RecordPostTx(ctx, tx, p, refs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// kindsFor returns the kind of each notification of m about post, newest first.
func kindsFor(t testing.TB, db *forum.DB, m *forum.Member, postID int64) []string {
	t.Helper()
	page, err := db.Notifications(forumtest.As(m), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range page.Notifications {
		if n.PostID != nil && *n.PostID == postID {
			out = append(out, n.Kind)
		}
	}
	return out
}

func wantKinds(t *testing.T, db *forum.DB, m *forum.Member, postID int64, want ...string) {
	t.Helper()
	got := kindsFor(t, db, m, postID)
	if len(got) != len(want) {
		t.Fatalf("%s about post %d: %v, want %v", m.Username, postID, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s about post %d: %v, want %v", m.Username, postID, got, want)
		}
	}
}

func member(t *testing.T, db *forum.DB) *forum.Member {
	return forumtest.MustMember(t, db, forum.RoleMember, 1)
}

func TestRepliesMentionsQuotesAndWatchersAreNotifiedOncePerPost(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, carol, dave := member(t, db), member(t, db), member(t, db), member(t, db)

	th, first := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	// Alice watches her own thread: every reply notifies her.
	p2 := ntReply(t, db, bob, th.ID, forum.StatusPublished, nil, forum.PostRefs{})
	wantKinds(t, db, alice, p2.ID, forum.NotifyWatching)
	wantKinds(t, db, bob, p2.ID)

	// Carol answers Bob, mentions Dave and herself, quotes Alice: one
	// notification each, the most specific one.
	two := 2
	p3 := ntReply(t, db, carol, th.ID, forum.StatusPublished, &two, forum.PostRefs{
		Mentions: []string{dave.Username, carol.Username}, Quotes: []int64{first.ID},
	})
	wantKinds(t, db, bob, p3.ID, forum.NotifyReply)
	wantKinds(t, db, dave, p3.ID, forum.NotifyMention)
	wantKinds(t, db, alice, p3.ID, forum.NotifyQuote)
	wantKinds(t, db, carol, p3.ID)

	// A mention that is also a reply counts once, as a mention.
	p4 := ntReply(t, db, dave, th.ID, forum.StatusPublished, &p3.Number, forum.PostRefs{Mentions: []string{carol.Username}})
	wantKinds(t, db, carol, p4.ID, forum.NotifyMention)

	// Notifying a second time for the same post changes nothing.
	if err := db.InTx(context.Background(), func(tx *sqlx.Tx) error { return forum.NotifyPublishedTx(context.Background(), tx, p3.ID) }); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, dave, p3.ID, forum.NotifyMention)

	page, err := db.Notifications(forumtest.As(dave), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	n := page.Notifications[0]
	if page.Unread != 1 || n.ActorName == nil || *n.ActorName != carol.Username || n.ThreadTitle == nil || *n.ThreadTitle != th.Title || *n.PostNumber != 3 {
		t.Errorf("Dave's notification: %+v (unread %d)", n, page.Unread)
	}
}

func TestHeldPostsNotifyOnlyOncePublished(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, dave := member(t, db), member(t, db), member(t, db)
	th, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})

	held := ntReply(t, db, bob, th.ID, forum.StatusHeld, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	wantKinds(t, db, dave, held.ID)
	wantKinds(t, db, alice, held.ID)

	// Approval: the review queue publishes the post and calls NotifyPublishedTx.
	sys := forum.WithSystem(context.Background())
	err := db.InTx(sys, func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(`UPDATE posts SET status = 'published' WHERE id = $1`, held.ID); err != nil {
			return err
		}
		return forum.NotifyPublishedTx(sys, tx, held.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, dave, held.ID, forum.NotifyMention)
	wantKinds(t, db, alice, held.ID, forum.NotifyWatching)

	// A held thread tells the category's watchers nothing until approved.
	erin := member(t, db)
	if _, err := db.WatchCategory(forumtest.As(erin), cat.ID, forum.WatchWatching); err != nil {
		t.Fatal(err)
	}
	_, heldFirst := ntThread(t, db, bob, cat, forum.StatusHeld, forum.PostRefs{})
	wantKinds(t, db, erin, heldFirst.ID)
}

func TestMutingSilencesEverythingButModeration(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, dave := member(t, db), member(t, db), member(t, db)
	th, first := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})

	if _, err := db.WatchThread(forumtest.As(alice), th.ID, forum.WatchMuted); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WatchThread(forumtest.As(dave), th.ID, forum.WatchMuted); err != nil {
		t.Fatal(err)
	}
	one := 1
	p := ntReply(t, db, bob, th.ID, forum.StatusPublished, &one, forum.PostRefs{Mentions: []string{dave.Username}, Quotes: []int64{first.ID}})
	wantKinds(t, db, alice, p.ID)
	wantKinds(t, db, dave, p.ID)
	if err := db.InTx(context.Background(), func(tx *sqlx.Tx) error { return forum.NotifyLikeTx(context.Background(), tx, first.ID, bob.ID) }); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, alice, first.ID)

	err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
		return forum.NotifyModerationTx(context.Background(), tx, alice.ID, forum.ModerationNotice{
			Action: forum.ModerationHidden, Reason: "Hors sujet", ThreadID: &th.ID, PostID: &first.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, alice, first.ID, forum.NotifyModeration)
	page, _ := db.Notifications(forumtest.As(alice), 0, 1)
	if d := page.Notifications[0].Data; d.Action != forum.ModerationHidden || d.Reason != "Hors sujet" {
		t.Errorf("moderation data %+v", d)
	}
	if err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
		return forum.NotifyModerationTx(context.Background(), tx, alice.ID, forum.ModerationNotice{Action: "tickled"})
	}); err == nil {
		t.Error("an unknown moderation action was accepted")
	}

	// A muted category mutes its threads, unless the thread says otherwise.
	cat2 := forumtest.MustCategory(t, db)
	th2, _ := ntThread(t, db, alice, cat2, forum.StatusPublished, forum.PostRefs{})
	if _, err := db.WatchCategory(forumtest.As(dave), cat2.ID, forum.WatchMuted); err != nil {
		t.Fatal(err)
	}
	p = ntReply(t, db, bob, th2.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	wantKinds(t, db, dave, p.ID)
	if _, err := db.WatchThread(forumtest.As(dave), th2.ID, forum.WatchNormal); err != nil {
		t.Fatal(err)
	}
	p = ntReply(t, db, bob, th2.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	wantKinds(t, db, dave, p.ID, forum.NotifyMention)
	lv, err := db.WatchLevelsOf(forumtest.As(dave), th2.ID, cat2.ID)
	if err != nil || lv.Thread != forum.WatchNormal || lv.Category != forum.WatchMuted || lv.Effective != forum.WatchNormal {
		t.Errorf("levels %+v %v", lv, err)
	}
	if _, err := db.WatchThread(forumtest.As(dave), th2.ID, "loud"); forum.ErrorCode(err) != forum.EINVALID {
		t.Errorf("bad level: %v", err)
	}
	if _, err := db.WatchThread(context.Background(), th2.ID, forum.WatchMuted); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("visitor watching: %v", err)
	}
}

func TestNobodyIsNotifiedOfWhatTheyCannotSee(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, dave := member(t, db), member(t, db)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	th, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	if _, err := db.SQL().Exec(`UPDATE threads SET status = 'hidden' WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	other := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	p := ntReply(t, db, mod, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username, other.Username}})
	wantKinds(t, db, dave, p.ID)
	wantKinds(t, db, alice, p.ID)
	wantKinds(t, db, other, p.ID, forum.NotifyMention)

	// A post hidden after the fact takes its notification away.
	th2, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	p = ntReply(t, db, mod, th2.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	wantKinds(t, db, dave, p.ID, forum.NotifyMention)
	before, _ := db.UnreadNotifications(forumtest.As(dave))
	if _, err := db.SQL().Exec(`UPDATE posts SET status = 'hidden' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, dave, p.ID)
	if after, _ := db.UnreadNotifications(forumtest.As(dave)); after != before-1 {
		t.Errorf("unread %d after hiding, was %d", after, before)
	}
	// The badge each signed-in page reads with its member counts the same.
	badge := func() int {
		t.Helper()
		token, err := db.CreateAPIToken(forum.WithSystem(context.Background()), dave.ID, "badge")
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.MemberByAPIToken(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		if m.UnreadNotifications == nil {
			t.Fatal("no unread count with the member")
		}
		return *m.UnreadNotifications
	}
	if n := badge(); n != before-1 {
		t.Errorf("badge %d after hiding, want %d", n, before-1)
	}
	// Restored, it comes back; its thread hidden, it goes again; the staff
	// count it all along.
	if _, err := db.SQL().Exec(`UPDATE posts SET status = 'published' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, dave, p.ID, forum.NotifyMention)
	if n := badge(); n != before {
		t.Errorf("badge %d after restoring, want %d", n, before)
	}
	modBefore, _ := db.UnreadNotifications(forumtest.As(mod))
	if _, err := db.SQL().Exec(`UPDATE threads SET status = 'hidden' WHERE id = $1`, th2.ID); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, db, dave, p.ID)
	if n := badge(); n != before-1 {
		t.Errorf("badge %d with the thread hidden, want %d", n, before-1)
	}
	if n, _ := db.UnreadNotifications(forumtest.As(mod)); n != modBefore {
		t.Errorf("the moderator's unread count went from %d to %d when a thread was hidden", modBefore, n)
	}
	if _, err := db.SQL().Exec(`UPDATE threads SET status = 'published' WHERE id = $1`, th2.ID); err != nil {
		t.Fatal(err)
	}
	if n := badge(); n != before {
		t.Errorf("badge %d with the thread published again, want %d", n, before)
	}
}

func TestLikesAreBatchedPerPostAndDay(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	_, first := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	like := func(by *forum.Member) {
		t.Helper()
		if err := db.InTx(context.Background(), func(tx *sqlx.Tx) error {
			return forum.NotifyLikeTx(context.Background(), tx, first.ID, by.ID)
		}); err != nil {
			t.Fatal(err)
		}
	}
	like(alice) // one's own post: nothing
	wantKinds(t, db, alice, first.ID)
	likers := []*forum.Member{member(t, db), member(t, db), member(t, db)}
	for _, m := range likers {
		like(m)
	}
	like(likers[0]) // again: nothing more
	wantKinds(t, db, alice, first.ID, forum.NotifyLike)
	page, _ := db.Notifications(forumtest.As(alice), 0, 1)
	n := page.Notifications[0]
	if n.LikeCount() != 3 || *n.ActorName != likers[2].Username {
		t.Fatalf("like batch: %d likers, actor %v", n.LikeCount(), *n.ActorName)
	}
	if _, err := db.MarkNotificationsRead(forumtest.As(alice), nil); err != nil {
		t.Fatal(err)
	}
	like(member(t, db))
	page, _ = db.Notifications(forumtest.As(alice), 0, 1)
	if m := page.Notifications[0]; m.LikeCount() != 4 || !m.Unread() || m.ID <= n.ID {
		t.Errorf("a new like must bring the batch back on top, unread: %+v", m)
	}
}

func TestCategoryWatchersHearOfNewThreadsOnly(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, erin := member(t, db), member(t, db), member(t, db)
	if _, err := db.WatchCategory(forumtest.As(erin), cat.ID, forum.WatchWatching); err != nil {
		t.Fatal(err)
	}
	th, first := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	wantKinds(t, db, erin, first.ID, forum.NotifyNewThread)
	p := ntReply(t, db, bob, th.ID, forum.StatusPublished, nil, forum.PostRefs{})
	wantKinds(t, db, erin, p.ID)
	if _, err := db.WatchCategory(forumtest.As(erin), 1<<40, forum.WatchWatching); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("unknown category: %v", err)
	}
}

func TestNotificationPagesAndMarkingRead(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, dave := member(t, db), member(t, db), member(t, db)
	th, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	var ids []int64
	for range 5 {
		ntReply(t, db, bob, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	}
	seen := map[int64]bool{}
	var cursor int64
	for pages := 0; ; pages++ {
		page, err := db.Notifications(forumtest.As(dave), cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page.Notifications {
			if seen[n.ID] || (len(ids) > 0 && n.ID >= ids[len(ids)-1]) {
				t.Fatalf("notification %d repeated or out of order", n.ID)
			}
			seen[n.ID] = true
			ids = append(ids, n.ID)
		}
		if page.Next == 0 {
			break
		}
		cursor = page.Next
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(ids) != 5 {
		t.Fatalf("%d notifications, want 5", len(ids))
	}
	// Nobody marks another member's notifications.
	if _, err := db.MarkNotificationsRead(forumtest.As(bob), ids); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.UnreadNotifications(forumtest.As(dave)); n != 5 {
		t.Fatalf("unread %d after another member's marking, want 5", n)
	}
	if n, err := db.MarkNotificationsRead(forumtest.As(dave), ids[:2]); err != nil || n != 3 {
		t.Fatalf("unread after marking two: %d %v", n, err)
	}
	if _, err := db.OpenNotification(forumtest.As(bob), ids[2]); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("opening another's notification: %v", err)
	}
	if n, err := db.OpenNotification(forumtest.As(dave), ids[2]); err != nil || n.PostID == nil || n.ReadAt == nil {
		t.Fatalf("open: %+v %v", n, err)
	}
	if n, _ := db.MarkNotificationsRead(forumtest.As(dave), nil); n != 0 {
		t.Errorf("unread after marking all: %d", n)
	}
	if n, err := db.UnreadNotifications(context.Background()); n != 0 || err != nil {
		t.Errorf("visitor badge: %d %v", n, err)
	}
}

func TestNotificationEmailsFollowPreferences(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob, dave := member(t, db), member(t, db), member(t, db)
	th, first := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	mention := ntReply(t, db, bob, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{dave.Username}})
	if _, err := db.SQL().Exec(`UPDATE members SET email_on_mention = false WHERE id = $1`, alice.ID); err != nil {
		t.Fatal(err)
	}
	ntReply(t, db, bob, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{alice.Username}})
	if err := db.InTx(context.Background(), func(tx *sqlx.Tx) error { return forum.NotifyLikeTx(context.Background(), tx, first.ID, bob.ID) }); err != nil {
		t.Fatal(err)
	}
	count := func(to *forum.Member, kind string) int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM outbox WHERE recipient = $1 AND kind = $2`, to.Email, kind); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(dave, "notify_mention") != 1 {
		t.Error("Dave gets no email for his mention")
	}
	if count(alice, "notify_mention") != 0 || count(alice, "notify_like") != 0 {
		t.Error("Alice got an email she did not ask for")
	}
	if count(alice, "notify_watching") != 1 {
		t.Errorf("Alice's watched-thread emails: %d, want 1 (the first reply)", count(alice, "notify_watching"))
	}
	// The mail carries what its text is composed from, in its recipient's
	// language.
	var mail struct {
		Locale string `db:"locale"`
		Data   string `db:"data"`
	}
	if err := db.SQL().Get(&mail, `SELECT locale, data::text AS data FROM outbox WHERE recipient = $1 AND kind = 'notify_mention'`, dave.Email); err != nil {
		t.Fatal(err)
	}
	var data map[string]string
	if err := json.Unmarshal([]byte(mail.Data), &data); err != nil {
		t.Fatal(err)
	}
	var key string
	if err := db.SQL().Get(&key, `SELECT unsubscribe_key FROM members WHERE id = $1`, dave.ID); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Username": dave.Username, "Actor": bob.Username, "Title": th.Title, "Path": fmt.Sprintf("/p/%d", mention.ID),
		"Unsubscribe": fmt.Sprintf("/email/unsubscribe?member=%d&key=%s&list=mention", dave.ID, key)}
	if fmt.Sprint(data) != fmt.Sprint(want) || mail.Locale != dave.Locale {
		t.Errorf("Dave's mail: %s in %q, want %v in %q", mail.Data, mail.Locale, want, dave.Locale)
	}
}
