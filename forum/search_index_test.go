package forum_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Publishing replies wakes the search index's cleaner, which empties the
// index's pending list of their words, then stops once posting stops.
func TestPublishedPostsLeaveTheSearchIndexPendingListEmpty(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	for i := range 5 {
		body := fmt.Sprintf("Le potager partagé, saison %d : tomates, courgettes et haricots.", i)
		if _, err := db.SubmitReply(forumtest.As(author), forum.Reply{ThreadID: th.ID, AuthorID: author.ID,
			BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: forum.StatusPublished}); err != nil {
			t.Fatal(err)
		}
	}
	// The replies' fan-out told the cleaner (they returned after it): it is
	// busy until it has cleaned after the last of them.
	deadline := time.Now().Add(10 * time.Second)
	for forum.SearchIndexCleanerBusy(db) {
		if time.Now().After(deadline) {
			t.Fatal("the cleaner did not clean after the replies")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var pages int
	if err := db.SQL().Get(&pages, `SELECT gin_clean_pending_list('posts_search'::regclass)`); err != nil {
		t.Fatal(err)
	}
	if pages != 0 {
		t.Errorf("%d pages left in the pending list", pages)
	}
}

// A post whose Markdown, HTML and vector together pass the 2 kB past which
// PostgreSQL moves values out of the row keeps its vector in the row (issue
// 27: a common-word search reads the vectors of thousands of recent posts,
// and one moved out cost a lookup in the TOAST table's index each): the
// Markdown and HTML move out instead. The vector's bytes are found in none
// of the TOAST chunks the post wrote.
func TestLongPostKeepsItsSearchVectorInItsRow(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	var toast string
	if err := db.SQL().Get(&toast, `SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'posts'::regclass`); err != nil {
		t.Fatal(err)
	}
	var before int64
	if err := db.SQL().Get(&before, `SELECT coalesce(max(chunk_id::text::bigint), 0) FROM `+toast); err != nil {
		t.Fatal(err)
	}
	// 120 different words of 8 letters: a vector of about 1.4 kB that
	// does not compress, and as much text, twice.
	var words []string
	for i := range 120 {
		w := []byte("mot")
		for n := i + 7919*i; len(w) < 8; n /= 26 {
			w = append(w, byte('a'+n%26))
		}
		words = append(words, string(w))
	}
	body := "<p>" + strings.Join(words, " ") + "</p>"
	_, p := searchThread(t, db, author, cat, "Un long message", body)
	var vectorSize, outOfRow, sameSize int
	err := db.SQL().QueryRow(`
SELECT pg_column_size(p.search_vector),
	(SELECT count(DISTINCT chunk_id) FROM `+toast+` WHERE chunk_id::text::bigint > $2),
	(SELECT count(*) FROM (SELECT sum(octet_length(chunk_data)) AS size FROM `+toast+`
		WHERE chunk_id::text::bigint > $2 GROUP BY chunk_id) c WHERE c.size BETWEEN pg_column_size(p.search_vector) - 4 AND pg_column_size(p.search_vector))
FROM posts p WHERE p.id = $1`, p.ID, before).Scan(&vectorSize, &outOfRow, &sameSize)
	if err != nil {
		t.Fatal(err)
	}
	if vectorSize < 1000 || outOfRow == 0 {
		t.Fatalf("the post should have moved values out of its row: vector of %d bytes, %d values out", vectorSize, outOfRow)
	}
	if sameSize != 0 {
		t.Fatalf("the vector (%d bytes) is among the %d values moved out of the row", vectorSize, outOfRow)
	}
}
