package server

import (
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// queriesOf counts the SQL statements a request costs, with PostgreSQL's
// pg_stat_statements (make test loads it), so that pages stay a handful of
// indexed queries whatever their length: no N+1.
func queriesOf(t *testing.T, s *Server, r request) int {
	t.Helper()
	return statementsOf(t, s, r, 200, "")
}

// roundTripsOf counts the statements a request sends to PostgreSQL itself,
// leaving out those run inside functions and triggers.
func roundTripsOf(t *testing.T, s *Server, r request, code int) int {
	t.Helper()
	return statementsOf(t, s, r, code, "AND toplevel")
}

// backgroundStatement matches what the server sends PostgreSQL on its own
// timers, whoever asks: the search index's cleaner empties the index's
// pending list 100 ms after posts are published (forum/search_index.go),
// so a request that takes longer than that, on a loaded machine, would find
// it in its count. The counting queries themselves are left out too.
const backgroundStatement = `query LIKE '%gin_clean_pending_list%' OR query LIKE '%pg_stat_statements%'`

func statementsOf(t *testing.T, s *Server, r request, code int, where string) int {
	t.Helper()
	db := forumtest.DB(t)
	if _, err := db.SQL().Exec(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		t.Fatalf("pg_stat_statements is needed (make test preloads it): %v", err)
	}
	total := `SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND NOT (` + backgroundStatement + `) ` + where
	var before, after int
	if err := db.SQL().Get(&before, total); err != nil {
		t.Fatal(err)
	}
	if w := s.do(t, r); w.Code != code {
		t.Fatalf("%s: %d %s", r.path, w.Code, w.Body)
	}
	if err := db.SQL().Get(&after, total); err != nil {
		t.Fatal(err)
	}
	return after - before
}

func TestPagesCostAFewQueriesWhateverTheirLength(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	reader := forumtest.MustMember(t, db, forum.RoleMember, 2)
	if v, _ := db.RequiredGuidelinesVersion(forumtest.As(reader)); v > 0 {
		if err := db.AcceptGuidelines(forumtest.As(reader), v); err != nil {
			t.Fatal(err)
		}
	}
	hr := bearer(t, db, reader)
	short := startThread(t, s, bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2)), cat, "Un sujet court")
	long := startThread(t, s, bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2)), cat, "Un sujet long")
	authors := []*forum.Member{forumtest.MustMember(t, db, forum.RoleMember, 2), forumtest.MustMember(t, db, forum.RoleMember, 2)}
	for i := range 19 {
		a := authors[i%2]
		ctx := forumtest.As(a)
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: long.Thread.ID, AuthorID: a.ID,
				BodyMarkdown: fmt.Sprintf("réponse %d", i), BodyHTML: fmt.Sprintf("<p>réponse %d</p>", i), Status: forum.StatusPublished})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range []struct {
		label  string
		header map[string]string
	}{{"visitor", nil}, {"member", hr}} {
		pages := func(th threadAnswer) []string {
			return []string{fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug), fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID)}
		}
		// A first visit writes once (the day's visit, the reading state);
		// the counts compare pages read again.
		for _, p := range append(pages(short), pages(long)...) {
			s.do(t, request{path: p, header: who.header})
		}
		for i, p := range pages(short) {
			q1 := queriesOf(t, s, request{path: p, header: who.header})
			q20 := queriesOf(t, s, request{path: pages(long)[i], header: who.header})
			if q20 > q1 {
				t.Errorf("%s: a 20-post thread costs %d queries, a 1-post thread %d: a query per post", who.label, q20, q1)
			}
			if q20 > 8 {
				t.Errorf("%s: %s costs %d queries", who.label, pages(long)[i], q20)
			}
		}
		for _, p := range []string{"/", "/latest", "/c/" + cat.Slug} {
			if n := queriesOf(t, s, request{path: p, header: who.header}); n > 8 {
				t.Errorf("%s: %s costs %d queries", who.label, p, n)
			}
		}
	}
}

// A plain reply, the commonest write, is one statement for the
// authentication, a transaction of four (BEGIN, reply_facts that locks and
// reads what the rules decide on, store_replies, COMMIT: under load, for a
// whole batch of replies), and the fan-out that notifies and announces it;
// one that mentions someone looks the name up, and records the mention in
// the same transaction: two more.
func TestAPlainReplyIsSixRoundTrips(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	th := startThread(t, s, bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2)), cat, "Un sujet animé")
	poster := forumtest.MustMember(t, db, forum.RoleMember, 2)
	h := bearer(t, db, poster)
	path := fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID)
	// The first request of a token records when it was used.
	s.do(t, request{method: "POST", path: path, header: h, body: `{"body": "Bonjour à tous."}`})
	if n := roundTripsOf(t, s, request{method: "POST", path: path, header: h, body: `{"body": "Merci pour ce sujet."}`}, 201); n != 6 {
		t.Errorf("a plain reply: %d round trips, want 6", n)
	}
	mention := fmt.Sprintf(`{"body": "Merci @%s."}`, forumtest.MustMember(t, db, forum.RoleMember, 1).Username)
	if n := roundTripsOf(t, s, request{method: "POST", path: path, header: h, body: mention}, 201); n != 8 {
		t.Errorf("a reply with a mention: %d round trips, want 8", n)
	}
}
