package forum_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The candidates are scored by ts_rank and the best of them ranked by
// ts_rank_cd: where the two disagree, the page follows ts_rank_cd; the
// candidates past the finalists follow them, and the pages hold every
// match once.
func TestSearchRanksItsFinalistsByCoverDensity(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	a, b := forumtest.Unique("zra"), forumtest.Unique("zrb")
	th, _ := searchThread(t, db, alice, cat, "Classement", "<p>rien</p>")
	filler := strings.Repeat("mot ", 30)
	// Kinds of posts, from the oldest: far apart (many, past the
	// finalists), the two words side by side once (best by ts_rank_cd),
	// three times with three words between (best by ts_rank).
	kinds := []struct {
		n    int
		body string
	}{
		{230, a + " " + filler + b},
		{20, a + " " + b},
		{30, strings.Repeat(a+" un deux trois "+b+" "+strings.Repeat("mot ", 10), 3)},
	}
	number := 1
	for _, k := range kinds {
		if _, err := db.SQL().Exec(`
INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html)
SELECT $1, $2 + n, $3, 'x', '<p>' || $4 || '</p>' FROM generate_series(1, $5) n`, th.ID, number, alice.ID, k.body, k.n); err != nil {
			t.Fatal(err)
		}
		number += k.n
	}
	q := a + " " + b
	var bestByTSRank, bestByCD string
	err := db.SQL().QueryRow(`
SELECT (SELECT body_html FROM posts p WHERE p.search_vector @@ websearch_to_tsquery('palabre_french', $1)
		ORDER BY ts_rank(p.search_vector, websearch_to_tsquery('palabre_french', $1)) DESC LIMIT 1),
	(SELECT body_html FROM posts p WHERE p.search_vector @@ websearch_to_tsquery('palabre_french', $1)
		ORDER BY ts_rank_cd(p.search_vector, websearch_to_tsquery('palabre_french', $1)) DESC LIMIT 1)`, q).Scan(&bestByTSRank, &bestByCD)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bestByTSRank, "trois") || strings.Contains(bestByCD, "trois") || strings.Contains(bestByCD, "mot") {
		t.Fatalf("the corpus does not set ts_rank against ts_rank_cd: %q, %q", bestByTSRank, bestByCD)
	}

	var want []int64 // every match by ts_rank_cd, then id, newest first
	if err := db.SQL().Select(&want, `
SELECT p.id FROM posts p WHERE p.search_vector @@ websearch_to_tsquery('palabre_french', $1)
ORDER BY ts_rank_cd(p.search_vector, websearch_to_tsquery('palabre_french', $1)) DESC, p.id DESC`, q); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var got []int64
	var ranks []float32
	var pastFinalists []string // the cursors of the pages past the finalists
	query := forum.SearchQuery{Text: q}
	for {
		page, err := db.Search(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(query.After, "p") {
			pastFinalists = append(pastFinalists, query.After)
		}
		for _, h := range page.Hits {
			if seen[h.PostID] {
				t.Fatalf("post %d on two pages", h.PostID)
			}
			seen[h.PostID] = true
			got = append(got, h.PostID)
			ranks = append(ranks, h.Rank)
		}
		if page.Next == "" {
			break
		}
		query.After = page.Next
	}
	if len(got) != len(want) {
		t.Fatalf("%d posts over the pages, want %d", len(got), len(want))
	}
	// The pages past the finalists follow ts_rank: 280 posts, 100
	// finalists (5 pages) and 9 pages more, of which the first starts
	// after the last finalist.
	if len(pastFinalists) != 8 {
		t.Errorf("%d pages start past the finalists, want 8: %v", len(pastFinalists), pastFinalists)
	}
	// A cursor past the finalists as pages wrote it before they carried
	// ts_rank, its rank below zero, is refused as any invalid one.
	old := forum.SearchQuery{Text: q, After: fmt.Sprintf("%g_%d", ranks[len(ranks)-2], got[len(got)-2])}
	if _, err := db.Search(context.Background(), old); forum.ErrorCode(err) != forum.EINVALID {
		t.Errorf("after an old cursor %q: %v, want invalid", old.After, err)
	}
	// The finalists hold the 50 best by ts_rank_cd, in its order.
	if fmt.Sprint(got[:50]) != fmt.Sprint(want[:50]) {
		t.Errorf("the first 50:\n got %v\nwant %v", got[:50], want[:50])
	}
	for i, r := range ranks {
		if (i < forum.SearchFinalists) != (r >= 0) {
			t.Errorf("result %d has rank %g: the %d finalists rank from 0 up, the others below", i, r, forum.SearchFinalists)
			break
		}
		if i > 0 && r > ranks[i-1] {
			t.Errorf("result %d ranks %g after %g", i, r, ranks[i-1])
			break
		}
	}
}
