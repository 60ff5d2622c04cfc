package forum_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// listed is a thread as a list shows it, to compare two reads of a list.
func listed(t forum.Thread) string {
	deref := func(p *int) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	name := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	return fmt.Sprintf("%d %d %s %s %s %q %s %s %v %v %v %d %s %d %s %s read=%s unread=%s",
		t.ID, t.CategoryID, t.CategorySlug, t.CategoryName, name(t.AuthorName), t.Title, t.Slug, t.Status,
		t.Pinned, t.Locked, t.Closed, t.PostCount, t.LastPostAt.UTC(), t.LastPostNumber, name(t.LastPosterName),
		t.CreatedAt.UTC(), deref(t.LastRead), deref(t.Unread))
}

// The home page's latest threads and categories come from a snapshot shared
// by readers, which must never hide a committed change, even before any
// notification arrives (no listener runs here), and must keep each
// reader's own view: their reading state, their held threads, the staff's
// view. Each read is compared with latest_threads itself.
func TestLatestListsShowEveryCommittedChangeAtOnce(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	start := func(m *forum.Member, title, status string) *forum.Thread {
		t.Helper()
		ctx := forumtest.As(m)
		var th *forum.Thread
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: m.ID, Title: title,
				BodyMarkdown: "premier", BodyHTML: "<p>premier</p>", Status: status})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return th
	}
	reply := func(m *forum.Member, th *forum.Thread) {
		t.Helper()
		ctx := forumtest.As(m)
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.ID, AuthorID: m.ID,
				BodyMarkdown: "réponse", BodyHTML: "<p>réponse</p>", Status: forum.StatusPublished})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Other tests' threads share the list, some dated in the future (the
	// dashboard's): the assertions look for this test's threads in a page
	// long enough to hold them all.
	const limit = 50
	pos := func(threads []forum.Thread, id int64) int {
		for i := range threads {
			if threads[i].ID == id {
				return i
			}
		}
		return -1
	}
	find := func(step string, threads []forum.Thread, id int64) *forum.Thread {
		t.Helper()
		if i := pos(threads, id); i >= 0 {
			return &threads[i]
		}
		t.Fatalf("%s: thread %d is not listed", step, id)
		return nil
	}
	// check compares the home page of viewer (nil: a visitor) with what
	// latest_threads and the categories read now, and reports whether the
	// snapshot served it.
	check := func(step string, viewer *forum.Member) (threads []forum.Thread) {
		t.Helper()
		ctx, id := context.Background(), int64(0)
		if viewer != nil {
			ctx, id = forumtest.As(viewer), viewer.ID
		}
		cats, got, err := db.Home(ctx, limit)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var want []forum.Thread
		if err := db.SQL().Select(&want, `SELECT * FROM latest_threads($1, 'infinity', $2, $3, $4)`,
			id, int64(math.MaxInt64), limit, viewer != nil && viewer.IsStaff()); err != nil {
			t.Fatal(err)
		}
		var g, w []string
		for _, th := range got {
			g = append(g, listed(th))
		}
		for _, th := range want {
			w = append(w, listed(th))
		}
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: the home page lists\n%s\nwant\n%s", step, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
		wantCats, err := db.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(cats) != fmt.Sprint(wantCats) {
			t.Errorf("%s: the home page's categories are\n%v\nwant\n%v", step, cats, wantCats)
		}
		// The first page of /latest is the same list.
		l, err := db.LatestThreadsAfter(ctx, nil, limit)
		if err != nil {
			t.Fatal(err)
		}
		var latest []string
		for _, th := range l.Threads {
			latest = append(latest, listed(th))
		}
		if strings.Join(latest, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: /latest lists\n%s\nwant\n%s", step, strings.Join(latest, "\n"), strings.Join(w, "\n"))
		}
		return got
	}
	served := func(step string, viewer *forum.Member, want bool) {
		t.Helper()
		ctx := context.Background()
		if viewer != nil {
			ctx = forumtest.As(viewer)
		}
		ok, err := db.LatestServedFromSnapshot(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		if ok != want {
			t.Errorf("%s: served from the snapshot: %v, want %v", step, ok, want)
		}
	}

	first := start(alice, "Premier fil", forum.StatusPublished)
	check("a visitor, first", nil)
	check("bob, first", bob)
	served("bob, once the snapshot is made", bob, true)
	served("a visitor", nil, true)
	served("a moderator", mod, false)

	second := start(mod, "Deuxième fil", forum.StatusPublished)
	if got := check("bob, after a new thread", bob); pos(got, second.ID) < 0 || pos(got, second.ID) > pos(got, first.ID) {
		t.Errorf("the new thread is not before the first for bob")
	}
	reply(bob, first)
	if got := check("bob, after his reply", bob); pos(got, first.ID) < 0 || pos(got, first.ID) > pos(got, second.ID) {
		t.Errorf("the thread bob replied to is not before the other for him")
	}
	check("a visitor, after bob's reply", nil)

	// The reading state is each reader's own.
	if err := db.MarkRead(forumtest.As(bob), first.ID, 1); err != nil {
		t.Fatal(err)
	}
	if th := find("bob, after reading", check("bob, after reading", bob), first.ID); th.Unread == nil || *th.Unread != 1 {
		t.Errorf("bob's unread count of the first thread: %v", th.Unread)
	}
	if err := db.MarkRead(forumtest.As(bob), first.ID, 2); err != nil {
		t.Fatal(err)
	}
	if th := find("bob, after reading all", check("bob, after reading all", bob), first.ID); th.Unread == nil || *th.Unread != 0 {
		t.Errorf("bob's unread count of the first thread: %v", th.Unread)
	}
	if th := find("alice, after bob read", check("alice, after bob read", alice), first.ID); th.LastRead != nil && *th.LastRead == 2 {
		t.Errorf("alice got bob's reading state")
	}
	served("bob, reading state", bob, true)

	// Edits, locks and moves of a listed thread, renamed categories and new
	// ones show at once.
	for i, q := range []string{
		`UPDATE threads SET title = 'Titre corrigé' WHERE id = ` + fmt.Sprint(second.ID),
		`UPDATE threads SET locked = true WHERE id = ` + fmt.Sprint(first.ID),
		`UPDATE categories SET name = 'Rebaptisée' WHERE id = ` + fmt.Sprint(cat.ID),
		`INSERT INTO categories (slug, name, position) VALUES ('nouvelle-` + forumtest.Unique("c") + `', 'Nouvelle', 99)`,
		`UPDATE threads SET status = 'hidden' WHERE id = ` + fmt.Sprint(second.ID),
	} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("bob, after change %d", i), bob)
		check(fmt.Sprintf("a visitor, after change %d", i), nil)
	}

	// A held thread is its author's and the staff's only.
	held := start(alice, "Fil en attente", forum.StatusHeld)
	find("alice, with a held thread", check("alice, with a held thread", alice), held.ID)
	if got := check("bob, beside alice's held thread", bob); pos(got, held.ID) >= 0 {
		t.Errorf("bob sees alice's held thread")
	}
	find("a moderator", check("a moderator", mod), held.ID)
	served("alice, with a held thread", alice, false)
	served("bob, beside alice's held thread", bob, true)
}
