package forum_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// startThread stores a thread by m in cat, in the given status.
func startThread(t *testing.T, db *forum.DB, cat *forum.Category, m *forum.Member, status string) *forum.Thread {
	t.Helper()
	ctx := forumtest.As(m)
	var th *forum.Thread
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: m.ID, Title: forumtest.Unique("Brouillon "),
			BodyMarkdown: "x", BodyHTML: "<p>x</p>", Status: status})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return th
}

func replyTo(t *testing.T, db *forum.DB, m *forum.Member, threadID int64, status string) {
	t.Helper()
	ctx := forumtest.As(m)
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: threadID, AuthorID: m.ID,
			BodyMarkdown: "r", BodyHTML: "<p>r</p>", Status: status})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func errCode(err error) string {
	var fe *forum.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}

// A draft is kept as typed, read back by its author only, and deleted
// when emptied.
func TestDraftsAreKeptPerMemberAndThread(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 1)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 1)
	th := startThread(t, db, cat, bob, forum.StatusPublished)
	ctx := forumtest.As(alice)

	typed := "  Je commence ma réponse…\r\n\n    du code indenté  "
	d, err := db.SaveDraft(ctx, th.ID, forum.DraftInput{Body: typed, Title: "ignoré", CategoryID: &cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(typed, "\r\n", "\n"); d.Body != want || d.Title != "" || d.CategoryID != nil {
		t.Errorf("saved reply draft = body %q title %q category %v; want the body as typed (%q) and no title or category", d.Body, d.Title, d.CategoryID, want)
	}
	if d.ThreadID == nil || *d.ThreadID != th.ID || d.ThreadTitle == nil || *d.ThreadTitle != th.Title {
		t.Errorf("the draft names thread %v %v, want %d %q", d.ThreadID, d.ThreadTitle, th.ID, th.Title)
	}
	if _, err := db.SaveDraft(ctx, 0, forum.DraftInput{Title: "Une idée", Body: "Le début", CategoryID: &cat.ID}); err != nil {
		t.Fatal(err)
	}
	// Saving again replaces: one draft per thread and one new thread.
	if _, err := db.SaveDraft(ctx, th.ID, forum.DraftInput{Body: "Ma réponse, reprise"}); err != nil {
		t.Fatal(err)
	}
	list, err := db.Drafts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Body != "Ma réponse, reprise" || list[1].Title != "Une idée" || list[1].ThreadID != nil ||
		list[1].CategoryID == nil || *list[1].CategoryID != cat.ID {
		t.Errorf("alice's drafts = %+v, want the reply's (latest) then the new thread's", list)
	}

	// Another member sees none of them.
	if got, err := db.DraftOf(forumtest.As(bob), th.ID); err != nil || got != nil {
		t.Errorf("bob reads alice's draft: %+v, %v", got, err)
	}
	if list, err := db.Drafts(forumtest.As(bob)); err != nil || len(list) != 0 {
		t.Errorf("bob's drafts = %+v, %v; want none", list, err)
	}
	// A visitor may not keep drafts.
	if _, err := db.SaveDraft(context.Background(), th.ID, forum.DraftInput{Body: "x"}); errCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("a visitor's draft: %v, want unauthorized", err)
	}

	// Emptied, it is gone.
	if d, err := db.SaveDraft(ctx, th.ID, forum.DraftInput{Body: " \n "}); err != nil || d != nil {
		t.Errorf("saving an empty draft = %+v, %v; want it deleted", d, err)
	}
	if got, err := db.DraftOf(ctx, th.ID); err != nil || got != nil {
		t.Errorf("after emptying, the draft = %+v, %v", got, err)
	}
	if err := db.DeleteDraft(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDraft(ctx, 0); err != nil {
		t.Errorf("deleting a draft that is gone: %v", err)
	}
	if list, _ := db.Drafts(ctx); len(list) != 0 {
		t.Errorf("drafts left: %+v", list)
	}
}

// What a post may not hold, a draft may not either; a thread one cannot
// open takes no draft.
func TestDraftsRefuseWhatAPostCannotHold(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 1)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 0)
	ctx := forumtest.As(alice)
	settings, err := db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", settings.PostMaxLength+1)
	for _, c := range []struct {
		name, code, field string
		in                forum.DraftInput
	}{
		{"too long", forum.ETOOLARGE, "body", forum.DraftInput{Body: long}},
		{"NUL byte", forum.EINVALID, "body", forum.DraftInput{Body: "a\x00b"}},
		{"invalid UTF-8", forum.EINVALID, "title", forum.DraftInput{Title: "a\xffb", Body: "ok"}},
	} {
		_, err := db.SaveDraft(ctx, 0, c.in)
		var fe *forum.Error
		if !errors.As(err, &fe) || fe.Code != c.code || fe.Field != c.field {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.code, c.field)
		}
	}
	held := startThread(t, db, cat, bob, forum.StatusHeld)
	if _, err := db.SaveDraft(ctx, held.ID, forum.DraftInput{Body: "x"}); errCode(err) != forum.ENOTFOUND {
		t.Errorf("a draft in a held thread of another member: %v, want not found", err)
	}
	if _, err := db.DraftOf(ctx, 1<<40); errCode(err) != forum.ENOTFOUND {
		t.Errorf("a draft in a thread that does not exist: %v, want not found", err)
	}
	// A category deleted meanwhile is forgotten, not an error.
	gone := int64(1 << 40)
	if d, err := db.SaveDraft(ctx, 0, forum.DraftInput{Title: "t", CategoryID: &gone}); err != nil || d.CategoryID != nil {
		t.Errorf("a draft in a missing category = %+v, %v; want kept without the category", d, err)
	}
}

// Storing the post (published or held) uses its draft up: the thread's
// for a reply, the new thread's for a first post; others stay.
func TestStoringAPostUsesItsDraftUp(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 1)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 1)
	one := startThread(t, db, cat, bob, forum.StatusPublished)
	two := startThread(t, db, cat, bob, forum.StatusPublished)
	ctx := forumtest.As(alice)
	for _, id := range []int64{one.ID, two.ID} {
		if _, err := db.SaveDraft(ctx, id, forum.DraftInput{Body: "réponse en cours"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SaveDraft(ctx, 0, forum.DraftInput{Title: "nouveau", Body: "sujet en cours"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDraft(forumtest.As(bob), one.ID, forum.DraftInput{Body: "la réponse de bob"}); err != nil {
		t.Fatal(err)
	}
	kept := func(m *forum.Member) string {
		list, err := db.Drafts(forumtest.As(m))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range list {
			switch {
			case d.ThreadID == nil:
				out = append(out, "new")
			case *d.ThreadID == one.ID:
				out = append(out, "one")
			case *d.ThreadID == two.ID:
				out = append(out, "two")
			}
		}
		return strings.Join(out, ",")
	}

	replyTo(t, db, alice, one.ID, forum.StatusHeld) // held for review: stored all the same
	if got := kept(alice); got != "new,two" {
		t.Errorf("after her held reply in one, alice keeps drafts %q, want new,two", got)
	}
	if got := kept(bob); got != "one" {
		t.Errorf("alice's reply took bob's draft: bob keeps %q", got)
	}
	startThread(t, db, cat, alice, forum.StatusPublished)
	if got := kept(alice); got != "two" {
		t.Errorf("after starting a thread, alice keeps drafts %q, want two", got)
	}
}

// A member keeps at most MaxDraftsPerMember drafts: the oldest goes.
func TestDraftsAreBounded(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 1)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 1)
	ctx := forumtest.As(alice)
	var first int64
	for i := 0; i <= forum.MaxDraftsPerMember; i++ {
		th := startThread(t, db, cat, bob, forum.StatusPublished)
		if i == 0 {
			first = th.ID
		}
		if _, err := db.SaveDraft(ctx, th.ID, forum.DraftInput{Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.Drafts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != forum.MaxDraftsPerMember {
		t.Fatalf("alice has %d drafts, want %d", len(list), forum.MaxDraftsPerMember)
	}
	for _, d := range list {
		if *d.ThreadID == first {
			t.Error("the oldest draft was kept")
		}
	}
}

// The composer offers the thread's writers first, then other members by
// name; never the one asking, nor deleted or banned accounts.
func TestMentionSuggestions(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	tag := strings.ToLower(forumtest.Unique("z"))
	named := func(name string) *forum.Member {
		m := forumtest.MustMember(t, db, forum.RoleMember, 1)
		if _, err := db.SQL().Exec(`UPDATE members SET username = $2, username_key = $3, username_skeleton = $3 WHERE id = $1`,
			m.ID, name, strings.ToLower(name)); err != nil {
			t.Fatal(err)
		}
		m.Username = name
		return m
	}
	asker := named(tag + "_moi")
	early := named(tag + "_Ancien")
	late := named(tag + "_recent")
	other := named(tag + "_autre")
	banned := named(tag + "_banni")
	named(tag + "x_joker") // matches "tag" but not "tag_": the _ is no wildcard
	if _, err := db.SQL().Exec(`UPDATE members SET banned_at = now() WHERE id = $1`, banned.ID); err != nil {
		t.Fatal(err)
	}
	th := startThread(t, db, cat, early, forum.StatusPublished)
	replyTo(t, db, late, th.ID, forum.StatusPublished)
	replyTo(t, db, asker, th.ID, forum.StatusPublished)
	replyTo(t, db, banned, th.ID, forum.StatusPublished)
	_ = other

	names := func(prefix string, thread int64) string {
		t.Helper()
		got, err := db.SuggestMentions(forumtest.As(asker), prefix, thread)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range got {
			n := strings.TrimPrefix(s.Username, tag+"_")
			if s.InThread {
				n += "*"
			}
			out = append(out, n)
		}
		return strings.Join(out, ",")
	}
	if got, want := names(tag+"_", th.ID), "recent*,Ancien*,autre"; got != want {
		t.Errorf("@%s_ in the thread offers %q, want %q", tag, got, want)
	}
	if got, want := names("@"+strings.ToUpper(tag)+"_A", th.ID), "Ancien*,autre"; got != want {
		t.Errorf("a prefix in capitals offers %q, want %q", got, want)
	}
	if got, want := names("", th.ID), "recent*,Ancien*"; got != want {
		t.Errorf("a bare @ offers %q, want the thread's writers %q", got, want)
	}
	if got, want := names(tag+"_", 0), "Ancien,autre,recent"; got != want {
		t.Errorf("outside a thread @%s_ offers %q, want %q", tag, got, want)
	}
	if got := names("", 0); got != "" {
		t.Errorf("a bare @ outside a thread offers %q, want nobody", got)
	}
	if got := names("a b%", 0); got != "" {
		t.Errorf("a prefix no username can start with offers %q", got)
	}
	if _, err := db.SuggestMentions(context.Background(), tag, 0); errCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("a visitor's suggestions: %v, want unauthorized", err)
	}
}
