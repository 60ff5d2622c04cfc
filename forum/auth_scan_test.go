package forum_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The authentication queries scan their member by hand (no reflection):
// what they return is the member as read anywhere else, every field, with
// the unread count of the header.
func TestAuthenticatedMemberIsTheWholeMember(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleModerator, 3)
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	db.SQL().MustExec(`UPDATE members SET display_name = 'Zoé', locale = 'en', guidelines_version = 2, silenced_until = $2,
		sanction_reason = 'essai', email_verified_at = now(), last_seen_at = now() WHERE id = $1`, m.ID, until)
	want, err := db.MemberByID(forum.WithSystem(context.Background()), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	token, err := db.CreateAPIToken(forum.WithSystem(context.Background()), m.ID, "essai")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.MemberByAPIToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if got.UnreadNotifications == nil || *got.UnreadNotifications != 0 {
		t.Errorf("unread count %v, want 0", got.UnreadNotifications)
	}
	if got.UnreadConversations == nil || *got.UnreadConversations != 0 {
		t.Errorf("unread conversations %v, want 0", got.UnreadConversations)
	}
	got.UnreadNotifications, got.UnreadConversations = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by token:\n%+v\nwant\n%+v", got, want)
	}
	session, _, err := db.RotateSession(context.Background(), "", forum.NewSession{MemberID: m.ID, UserAgent: "test", ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, got, _, err = db.SessionMember(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	got.UnreadNotifications, got.UnreadConversations = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by session:\n%+v\nwant\n%+v", got, want)
	}
}

// The thread lists scan by hand too: each thread listed is the thread as
// read on its own, with the reader's reading state and unread count.
func TestListedThreadIsTheWholeThread(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	replier := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ctx := forumtest.As(author)
	var th *forum.Thread
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, _, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: author.ID, Title: "Liste",
			BodyMarkdown: "x", BodyHTML: "<p>x</p>", Status: forum.StatusPublished})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rctx := forumtest.As(replier)
	for range 3 {
		if err := db.InTx(rctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(rctx, tx, forum.NewReply{ThreadID: th.ID, AuthorID: replier.ID, BodyMarkdown: "r", BodyHTML: "<p>r</p>", Status: forum.StatusPublished})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.SQL().MustExec(`UPDATE threads SET pinned = true, locked = true WHERE id = $1`, th.ID)
	want, err := db.ThreadByID(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	for name, list := range map[string]func() (*forum.ThreadList, error){
		"category": func() (*forum.ThreadList, error) { return db.CategoryThreads(ctx, cat.ID, nil, 10) },
		"latest":   func() (*forum.ThreadList, error) { return db.LatestThreadsAfter(ctx, nil, 10) },
	} {
		l, err := list()
		if err != nil {
			t.Fatal(err)
		}
		var got *forum.Thread
		for i := range l.Threads {
			if l.Threads[i].ID == th.ID {
				got = &l.Threads[i]
			}
		}
		if got == nil {
			t.Fatalf("%s: the thread is not listed", name)
		}
		if got.Unread == nil || *got.Unread != 3 {
			t.Errorf("%s: unread %v, want 3 (the replies after the author's post)", name, got.Unread)
		}
		got.Unread = nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n%+v\nwant\n%+v", name, got, want)
		}
	}
}

// The credential cache is right only if every table the authentication
// queries read announces its changes (docs/DEVELOPING.md): each relation in
// their plans has triggers on UPDATE and DELETE whose function calls
// announce_members. A new column on those tables is covered; a new table
// read by the authentication fails here until it has such triggers.
func TestEveryTableTheAuthenticationReadsAnnouncesItsChanges(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	relations := map[string]bool{}
	for _, q := range forum.AuthenticationQueries {
		var plan string
		if err := db.SQL().QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+q, []byte("x")).Scan(&plan); err != nil {
			t.Fatalf("explaining %s: %v", q, err)
		}
		var nodes []any
		if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
			t.Fatal(err)
		}
		collectRelations(nodes, relations)
	}
	if !relations["members"] || !relations["sessions"] || !relations["api_tokens"] || !relations["notifications"] {
		t.Fatalf("the plans name %v: the test no longer sees the authentication's tables", relations)
	}
	for rel := range relations {
		for _, event := range []string{"UPDATE", "DELETE"} {
			var n int
			err := db.SQL().QueryRowContext(ctx, `
SELECT count(*) FROM information_schema.triggers tr
JOIN pg_proc p ON tr.action_statement = 'EXECUTE FUNCTION ' || p.proname || '()'
WHERE tr.event_object_table = $1 AND tr.event_manipulation = $2 AND tr.action_timing = 'AFTER'
  AND p.prosrc LIKE '%announce_members%'`, rel, event).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("the authentication reads %s, which has no AFTER %s trigger announcing the members it changes (announce_members)", rel, event)
			}
		}
	}
}

// collectRelations gathers the "Relation Name" of every node of an EXPLAIN
// (FORMAT JSON) plan.
func collectRelations(v any, into map[string]bool) {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			collectRelations(x, into)
		}
	case map[string]any:
		if name, ok := v["Relation Name"].(string); ok {
			into[name] = true
		}
		for _, x := range v {
			collectRelations(x, into)
		}
	}
}
