package forum_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// pathologicalBody is about size bytes of "a_b_" between two unique words:
// the full-text parser backtracks on such a run, in time quadratic in its
// length (issue 19: 5 to 13 s for 31 KB).
func pathologicalBody(head, tail string, size int) string {
	return "<p>" + head + " " + strings.Repeat("a_b_", size/4) + " " + tail + "</p>"
}

// Posts of 31 KB and 60 KB of "a_b_" are stored, by the direct path and as
// an opening post, and found by the words before and after the run; what
// the parser reads of them has no run longer than 64 characters, so its
// cost is linear in the text (the timings are in BenchmarkPathologicalPost).
func TestPathologicalPostsAreStoredAndSearchable(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	for _, size := range []int{31 << 10, 60 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			head, tail := forumtest.Unique("debut"), forumtest.Unique("fin")
			th, first := searchThread(t, db, author, cat, "Un sujet "+head, pathologicalBody(head, tail, size))
			rhead, rtail := forumtest.Unique("debut"), forumtest.Unique("fin")
			body := pathologicalBody(rhead, rtail, size)
			reply, err := db.SubmitReply(forumtest.As(author), forum.Reply{ThreadID: th.ID, AuthorID: author.ID,
				BodyMarkdown: body, BodyHTML: body, Status: forum.StatusPublished})
			if err != nil || reply == nil {
				t.Fatalf("storing a %d-byte reply: %v", size, err)
			}
			for q, want := range map[string]int64{head: first.ID, tail: first.ID, rhead: reply.ID, rtail: reply.ID} {
				if ids := searchIDs(t, db, forum.SearchQuery{Text: q}); len(ids) != 1 || ids[0] != want {
					t.Errorf("search %q: %v, want [%d]", q, ids, want)
				}
			}
			page, err := db.Search(context.Background(), forum.SearchQuery{Text: "a_b " + rhead})
			if err != nil || len(page.Hits) != 1 || !strings.Contains(page.Hits[0].SnippetHTML, "<mark>") {
				t.Errorf("search a_b: %+v, %v", page, err)
			}
			var longest int
			if err := db.SQL().Get(&longest, `SELECT max(length(w)) FROM regexp_split_to_table(palabre_search_text($1), '\s+') w`, body); err != nil {
				t.Fatal(err)
			}
			if longest > 64 {
				t.Errorf("the parser reads a run of %d characters", longest)
			}
		})
	}
}

// What the parser reads keeps the words, drops the tags and entities'
// surroundings as before, and is cut after 100,000 characters.
func TestSearchTextKeepsWordsAndBoundsRuns(t *testing.T) {
	db := forumtest.DB(t)
	for _, c := range []struct{ html, want string }{
		{`<p>Bonjour <a href="https://example.org/a/very/long/path/that/goes/on/and/on/and/on/for/ever">le lien</a></p>`, " Bonjour  le lien  "},
		{"<p>" + strings.Repeat("x", 130) + "</p>", " " + strings.Repeat("x", 64) + " " + strings.Repeat("x", 64) + " xx "},
	} {
		var got string
		if err := db.SQL().Get(&got, `SELECT palabre_search_text($1)`, c.html); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("palabre_search_text(%q) = %q, want %q", c.html, got, c.want)
		}
	}
	var n int
	if err := db.SQL().Get(&n, `SELECT length(palabre_search_text($1))`, strings.Repeat("mot ", 40000)); err != nil {
		t.Fatal(err)
	}
	if n != 100000 {
		t.Errorf("%d characters read, want 100000", n)
	}
}

// A statement that runs past its purpose's timeout is cancelled by
// PostgreSQL and answered as the purpose's "unavailable", not as an
// internal error; the pool then serves the next statement.
func TestABoundedReadIsCutByItsTimeout(t *testing.T) {
	db := forumtest.DB(t)
	err := db.BoundedRead(context.Background(), 50_000_000, "search.too_slow", func(ctx context.Context, q *sqlx.DB) error {
		_, err := q.QueryContext(ctx, `SELECT pg_sleep(30)`)
		return forum.Internal("sleeping", err)
	})
	if fe := forum.AsError(err); forum.ErrorCode(err) != forum.EUNAVAILABLE || fe.Key != "search.too_slow" {
		t.Fatalf("a statement past its timeout: %v (%s), want unavailable search.too_slow", err, forum.ErrorCode(err))
	}
	// The connection the cut statement held serves the next read. Its
	// bound is far above any wait on a loaded machine: the test is about the
	// connection, not about speed.
	var ok bool
	if err := db.BoundedRead(context.Background(), 30*time.Second, "search.too_slow", func(ctx context.Context, q *sqlx.DB) error {
		return sqlx.GetContext(ctx, q, &ok, `SELECT true`)
	}); err != nil || !ok {
		t.Fatalf("a quick statement after: %v", err)
	}
}

// When every search slot is taken, a search is turned away as busy rather
// than waiting for a connection that posting needs.
func TestSearchesBeyondTheirSlotsAreTurnedAway(t *testing.T) {
	db := forumtest.DB(t)
	release := forum.HoldSearchSlots(t, db)
	_, err := db.Search(context.Background(), forum.SearchQuery{Text: "bonjour"})
	// A search whose client leaves while it waits says so: the server
	// answers 499, not 503, to a client that is no longer there.
	gone, leave := context.WithCancel(context.Background())
	leave()
	_, errGone := db.Search(gone, forum.SearchQuery{Text: "bonjour"})
	release()
	if fe := forum.AsError(err); forum.ErrorCode(err) != forum.EUNAVAILABLE || fe.Key != "search.busy" || errors.Is(err, context.Canceled) {
		t.Fatalf("a search without a slot: %v, want unavailable search.busy", err)
	}
	if !errors.Is(errGone, context.Canceled) || forum.ErrorCode(errGone) != forum.EUNAVAILABLE {
		t.Errorf("a search whose client left while it waited: %v, want context.Canceled", errGone)
	}
	if _, err := db.Search(context.Background(), forum.SearchQuery{Text: "bonjour"}); err != nil {
		t.Fatalf("a search once slots are free: %v", err)
	}
}

// Search text PostgreSQL would refuse is refused first, on its field.
func TestSearchRefusesNULAndInvalidUTF8(t *testing.T) {
	db := forumtest.DB(t)
	for _, q := range []forum.SearchQuery{{Text: "bon\x00jour"}, {Text: "bon\xffjour"}, {Text: "bonjour", Author: "a\x00b"},
		{Text: "bonjour", Category: "\xc3"}} {
		_, err := db.Search(context.Background(), q)
		if forum.ErrorCode(err) != forum.EINVALID || forum.AsError(err).Key != "search.text_invalid" {
			t.Errorf("search %+q: %v, want invalid search.text_invalid", q, err)
		}
	}
}

func BenchmarkPathologicalPost(b *testing.B) {
	db := forumtest.DB(b)
	cat := forumtest.MustCategory(b, db)
	author := forumtest.MustMember(b, db, forum.RoleAdmin, 4) // no rate limit
	th, _ := searchThread(b, db, author, cat, "Un sujet", "<p>Ouverture.</p>")
	for _, size := range []int{31 << 10, 60 << 10} {
		b.Run(fmt.Sprintf("store-%dKB", size>>10), func(b *testing.B) {
			body := pathologicalBody("debut", "fin", size)
			for b.Loop() {
				if _, err := db.SubmitReply(forumtest.As(author), forum.Reply{ThreadID: th.ID, AuthorID: author.ID,
					BodyMarkdown: body, BodyHTML: body, Status: forum.StatusPublished}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("search-a_b", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Search(context.Background(), forum.SearchQuery{Text: "a_b"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The server's connections carry a default statement_timeout: a runaway
// statement of any request is cancelled by PostgreSQL and answered 503
// ("took too long"), not 500.
func TestTheDefaultStatementTimeoutCutsARunawayStatement(t *testing.T) {
	db, err := forum.Open(context.Background(), forumtest.URL(t), forum.PoolOptions{MaxConns: 1, WaitFor: 10 * time.Second,
		StatementTimeout: 100 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var timeout string
	if err := db.SQL().Get(&timeout, `SHOW statement_timeout`); err != nil || timeout != "100ms" {
		t.Fatalf("statement_timeout %q, %v; want 100ms", timeout, err)
	}
	_, err = db.SQL().Exec(`SELECT pg_sleep(30)`)
	err = forum.Internal("sleeping", err)
	if fe := forum.AsError(err); fe.Code != forum.EUNAVAILABLE || fe.Key != "error.statement_timeout" {
		t.Fatalf("a runaway statement: %v, want unavailable error.statement_timeout", err)
	}
}
