package forum_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// searchThread stores a published thread with the given title and body HTML.
func searchThread(t testing.TB, db *forum.DB, author *forum.Member, cat *forum.Category, title, bodyHTML string) (*forum.Thread, *forum.Post) {
	t.Helper()
	ctx := forumtest.As(author)
	var th *forum.Thread
	var p *forum.Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		th, p, err = forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: author.ID,
			Title: title, BodyMarkdown: bodyHTML, BodyHTML: bodyHTML, Status: forum.StatusPublished})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return th, p
}

func searchReply(t testing.TB, db *forum.DB, author *forum.Member, threadID int64, bodyHTML, status string) *forum.Post {
	t.Helper()
	ctx := forumtest.As(author)
	var p *forum.Post
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: threadID, AuthorID: author.ID,
			BodyMarkdown: bodyHTML, BodyHTML: bodyHTML, Status: forum.StatusPublished})
		if err == nil && status != forum.StatusPublished {
			_, err = tx.Exec(`UPDATE posts SET status = $2 WHERE id = $1`, p.ID, status)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func searchIDs(t *testing.T, db *forum.DB, q forum.SearchQuery) []int64 {
	t.Helper()
	page, err := db.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	var ids []int64
	for _, h := range page.Hits {
		ids = append(ids, h.PostID)
	}
	return ids
}

func TestSearchStemsFoldsAccentsRanksTitlesAndEscapes(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice, bob := member(t, db), member(t, db)
	tag := forumtest.Unique("zq")

	th, first := searchThread(t, db, alice, cat, "Le cheval de "+tag, "<p>Parlons équitation "+tag+".</p>")
	p2 := searchReply(t, db, bob, th.ID, "<p>Mon élève monte un cheval gris, "+tag+".</p>", forum.StatusPublished)

	// "chevaux" finds "cheval"; the title (weight A) ranks first.
	if ids := searchIDs(t, db, forum.SearchQuery{Text: "chevaux " + tag}); len(ids) != 2 || ids[0] != first.ID || ids[1] != p2.ID {
		t.Errorf("chevaux: %v, want [%d %d]", ids, first.ID, p2.ID)
	}
	// Accents are folded both ways.
	for _, q := range []string{"eleve", "élève", "ÉLÈVES"} {
		if ids := searchIDs(t, db, forum.SearchQuery{Text: q + " " + tag}); len(ids) != 1 || ids[0] != p2.ID {
			t.Errorf("%s: %v, want [%d]", q, ids, p2.ID)
		}
	}
	// websearch syntax: excluded words.
	if ids := searchIDs(t, db, forum.SearchQuery{Text: tag + " -gris"}); len(ids) != 1 || ids[0] != first.ID {
		t.Errorf("exclusion: %v", ids)
	}

	// Snippets and titles are escaped; only matches are marked.
	evil := searchReply(t, db, bob, th.ID, "<p>&lt;script&gt;alert(1)&lt;/script&gt; <b>zanzibar</b> "+tag+" \ue000piège\ue001 &amp; co</p>", forum.StatusPublished)
	page, err := db.Search(context.Background(), forum.SearchQuery{Text: "zanzibar " + tag})
	if err != nil || len(page.Hits) != 1 || page.Hits[0].PostID != evil.ID {
		t.Fatalf("zanzibar: %+v %v", page, err)
	}
	s := page.Hits[0].SnippetHTML
	bare := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
	if strings.ContainsAny(bare, "<>\"\ue000\ue001") || !strings.Contains(s, "script&gt;") ||
		!strings.Contains(s, "<mark>zanzibar</mark>") || strings.Contains(s, "<mark>piège") {
		t.Errorf("snippet not safe: %q", s)
	}
	if title := page.Hits[0].TitleHTML; title != "Le cheval de "+tag && !strings.Contains(title, "<mark>"+tag+"</mark>") {
		t.Errorf("title: %q", title)
	}

	// English posts are stemmed in English, and found with French ones.
	en := searchReply(t, db, bob, th.ID, "<p>The horses were running "+tag+"</p>", forum.StatusPublished)
	if _, err := db.SQL().Exec(`UPDATE posts SET search_config = 'palabre_english' WHERE id = $1`, en.ID); err != nil {
		t.Fatal(err)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: "run horse " + tag}); len(ids) != 1 || ids[0] != en.ID {
		t.Errorf("English stemming: %v, want [%d]", ids, en.ID)
	}
}

func TestSearchNeverFindsHeldHiddenOrDeletedPosts(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	tag := forumtest.Unique("zq")
	th, first := searchThread(t, db, alice, cat, "Visible "+tag, "<p>ouvert "+tag+"</p>")
	for _, st := range []string{forum.StatusHeld, forum.StatusHidden, forum.StatusDeleted} {
		searchReply(t, db, alice, th.ID, "<p>secret "+tag+"</p>", st)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: tag}); len(ids) != 1 || ids[0] != first.ID {
		t.Errorf("found %v, want only [%d]", ids, first.ID)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: "secret " + tag}); len(ids) != 0 {
		t.Errorf("found unpublished posts %v", ids)
	}
	if _, err := db.SQL().Exec(`UPDATE threads SET status = 'hidden' WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{forum.SearchByRelevance, forum.SearchByLatest} {
		page, err := db.Search(context.Background(), forum.SearchQuery{Text: tag, Order: order})
		if err != nil || len(page.Hits) != 0 || page.Total != 0 {
			t.Errorf("%s: found posts of a hidden thread, or counted them: %+v, %v", order, page, err)
		}
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: "#" + cat.Slug + " @" + alice.Username}); len(ids) != 0 {
		t.Errorf("filters alone found posts of a hidden thread: %v", ids)
	}
}

func TestSearchFiltersAndPages(t *testing.T) {
	db := forumtest.DB(t)
	cat, other := forumtest.MustCategory(t, db), forumtest.MustCategory(t, db)
	alice, bob := member(t, db), member(t, db)
	tag := forumtest.Unique("zq")
	th, _ := searchThread(t, db, alice, cat, "Filtres "+tag, "<p>"+tag+"</p>")
	_, otherFirst := searchThread(t, db, bob, other, "Ailleurs "+tag, "<p>"+tag+"</p>")
	old := searchReply(t, db, bob, th.ID, "<p>ancien "+tag+"</p>", forum.StatusPublished)
	if _, err := db.SQL().Exec(`UPDATE posts SET created_at = '2020-03-15T12:00:00Z' WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: tag, Category: other.Slug}); len(ids) != 1 || ids[0] != otherFirst.ID {
		t.Errorf("category filter: %v", ids)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: tag, Author: "@" + strings.ToUpper(bob.Username)}); len(ids) != 2 {
		t.Errorf("author filter: %v", ids)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: tag, From: "2020-03-15", To: "2020-03-15"}); len(ids) != 1 || ids[0] != old.ID {
		t.Errorf("date filter: %v", ids)
	}
	if ids := searchIDs(t, db, forum.SearchQuery{Text: tag, From: "2020-03-16"}); len(ids) != 2 {
		t.Errorf("from filter: %v", ids)
	}
	for _, q := range []forum.SearchQuery{
		{Text: "a"}, {Text: strings.Repeat("mot ", 60)}, {Text: tag, From: "15/03/2020"}, {Text: tag, Author: "nobody-" + tag},
		{Text: tag, Category: "nowhere-" + tag}, {Text: tag, From: "2021-01-02", To: "2021-01-01"}, {Text: tag, After: "x"},
	} {
		if _, err := db.Search(context.Background(), q); forum.ErrorCode(err) != forum.EINVALID {
			t.Errorf("%+v: %v, want invalid", q, err)
		}
	}

	// Pages: 20 then the rest, nothing repeated or lost.
	for i := range 23 {
		searchReply(t, db, alice, th.ID, fmt.Sprintf("<p>page %s %s</p>", tag, strings.Repeat("bla ", i)), forum.StatusPublished)
	}
	seen := map[int64]bool{}
	q := forum.SearchQuery{Text: "page " + tag}
	for n := 0; ; n++ {
		page, err := db.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Hits {
			if seen[h.PostID] {
				t.Fatalf("post %d on two pages", h.PostID)
			}
			seen[h.PostID] = true
		}
		if page.Next == "" {
			break
		}
		if n == 0 && len(page.Hits) != forum.SearchPageSize {
			t.Errorf("first page: %d hits", len(page.Hits))
		}
		q.After = page.Next
	}
	if len(seen) != 23 {
		t.Errorf("%d posts over the pages, want 23", len(seen))
	}
}

// The search uses the GIN index, never a sequential scan of posts: on
// 30 000 posts the planner must already prefer it.
func TestSearchUsesTheGINIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the database")
	}
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	tag := forumtest.Unique("zq")
	th, _ := searchThread(t, db, alice, cat, "Volume "+tag, "<p>"+tag+"</p>")
	_, err := db.SQL().Exec(`
INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html)
SELECT $1, n + 1, $2, 'x', '<p>message numéro ' || n || ' sur les chevaux et la pluie ' || md5(n::text) || '</p>'
FROM generate_series(1, 30000) n`, th.ID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A forum has more threads than the package's tests make: with a
	// handful, once autovacuum has counted them, a merge join along
	// posts_thread_id_number_key that stops after the last thread looks
	// cheaper than the index, and the plan changed from run to run.
	if _, err := db.SQL().Exec(`
INSERT INTO threads (category_id, author_id, title, slug)
SELECT $1, $2, 'Fil ' || n, 'fil-' || n FROM generate_series(1, 2000) n`, cat.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`ANALYZE posts, threads`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := db.Search(context.Background(), forum.SearchQuery{Text: tag}); err != nil {
		t.Fatal(err)
	}
	t.Logf("search over 30 000 posts: %s", time.Since(start))
	for _, q := range []string{tag, "chevaux " + tag, "\"la pluie\" " + tag} {
		var plan []string
		if err := db.SQL().Select(&plan, `EXPLAIN SELECT p.id FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE ((p.search_config = 'palabre_french'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_french', $1))
	OR (p.search_config = 'palabre_english'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_english', $1)))
	AND p.status = 'published' AND t.status = 'published'`, q); err != nil {
			t.Fatal(err)
		}
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "posts_search") || strings.Contains(all, "Seq Scan on posts") {
			t.Errorf("%q does not use the GIN index:\n%s", q, all)
		}
	}
}

// The operators of the search text filter as the fields do, in titles,
// by author, category and dates, and order by date.
func TestSearchOperators(t *testing.T) {
	db := forumtest.DB(t)
	cat, other := forumtest.MustCategory(t, db), forumtest.MustCategory(t, db)
	alice, bob := member(t, db), member(t, db)
	tag := forumtest.Unique("zo")
	th, first := searchThread(t, db, alice, cat, "Titre "+tag, "<p>corps sans le mot</p>")
	_, elsewhere := searchThread(t, db, bob, other, "Ailleurs", "<p>"+tag+" ailleurs</p>")
	old := searchReply(t, db, bob, th.ID, "<p>ancien "+tag+"</p>", forum.StatusPublished)
	newer := searchReply(t, db, alice, th.ID, "<p>récent "+tag+" "+tag+" "+tag+"</p>", forum.StatusPublished)
	for id, at := range map[int64]string{first.ID: "2026-01-10T12:00:00Z", elsewhere.ID: "2026-01-20T12:00:00Z",
		old.ID: "2020-03-15T12:00:00Z", newer.ID: "2026-02-01T12:00:00Z"} {
		if _, err := db.SQL().Exec(`UPDATE posts SET created_at = $2 WHERE id = $1`, id, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		q    forum.SearchQuery
		want []int64
	}{
		{forum.SearchQuery{Text: "in:title " + tag}, []int64{first.ID}},
		{forum.SearchQuery{Text: tag + " @" + bob.Username}, []int64{old.ID, elsewhere.ID}}, // same rank: newest id first
		{forum.SearchQuery{Text: tag + " user:" + bob.Username, Author: bob.Username, Order: "latest"}, []int64{elsewhere.ID, old.ID}},
		{forum.SearchQuery{Text: "#" + other.Slug + " " + tag}, []int64{elsewhere.ID}},
		{forum.SearchQuery{Text: tag + " after:2026-01-20 order:latest"}, []int64{newer.ID, elsewhere.ID}},
		{forum.SearchQuery{Text: tag + " before:2026-01-20 order:latest"}, []int64{first.ID, old.ID}},
		{forum.SearchQuery{Text: tag + " after:2026-01-01", To: "2026-01-19", Order: "latest"}, []int64{first.ID}},
		// Newest first, whatever the rank.
		{forum.SearchQuery{Text: tag, Order: "latest"}, []int64{newer.ID, elsewhere.ID, first.ID, old.ID}},
		// Filters alone list the newest posts they let through.
		{forum.SearchQuery{Text: "@" + alice.Username + " #" + cat.Slug}, []int64{newer.ID, first.ID}},
		{forum.SearchQuery{Text: "in:title #" + cat.Slug}, []int64{first.ID}},
	} {
		if got := searchIDs(t, db, c.q); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	// By relevance: the word thrice in a body (3 × 0.4), then once in the
	// title (1), then once in a body, newest first.
	page, err := db.Search(context.Background(), forum.SearchQuery{Text: tag})
	if err != nil {
		t.Fatal(err)
	}
	if ids := []int64{newer.ID, first.ID, old.ID, elsewhere.ID}; len(page.Hits) != 4 || page.Hits[0].PostID != ids[0] ||
		page.Hits[1].PostID != ids[1] || page.Hits[2].PostID != ids[2] || page.Hits[3].PostID != ids[3] || page.Total != 4 ||
		page.TotalCapped || page.Order != forum.SearchByRelevance {
		t.Errorf("by relevance: %+v", page)
	}
	for _, c := range []struct {
		q     forum.SearchQuery
		field string
	}{
		{forum.SearchQuery{Text: `"` + tag}, "q"},
		{forum.SearchQuery{Text: "in:body " + tag}, "q"},
		{forum.SearchQuery{Text: "@nobody-" + tag + " " + tag}, "q"},
		{forum.SearchQuery{Text: "#nowhere-" + tag + " " + tag}, "q"},
		{forum.SearchQuery{Text: "#" + cat.Slug + " " + tag, Category: other.Slug}, "category"},
		{forum.SearchQuery{Text: "@" + alice.Username + " " + tag, Author: bob.Username}, "author"},
		{forum.SearchQuery{Text: "order:latest " + tag, Order: "relevance"}, "order"},
		{forum.SearchQuery{Text: tag, Order: "likes"}, "order"},
		{forum.SearchQuery{Text: tag + " after:2026-02-01 before:2026-01-01"}, "q"},
		{forum.SearchQuery{Text: "in:title"}, "q"},
		{forum.SearchQuery{Text: "order:latest"}, "q"},
		{forum.SearchQuery{Text: tag, Order: "latest", After: "12_34"}, "after"},
		{forum.SearchQuery{Text: tag, After: "p-0.5_34"}, "after"},
		{forum.SearchQuery{Text: tag, After: "pNaN_34"}, "after"},
		{forum.SearchQuery{Text: tag, After: "Inf_34"}, "after"},
		{forum.SearchQuery{Text: tag, After: "0.5_0"}, "after"},
	} {
		_, err := db.Search(context.Background(), c.q)
		if e, ok := err.(*forum.Error); !ok || e.Code != forum.EINVALID || e.Field != c.field {
			t.Errorf("%+v: %v, want invalid on %s", c.q, err, c.field)
		}
	}

	// Pages by date: nothing repeated or lost.
	for i := range 23 {
		searchReply(t, db, bob, th.ID, fmt.Sprintf("<p>suite %s %d</p>", tag, i), forum.StatusPublished)
	}
	seen := map[int64]bool{}
	q := forum.SearchQuery{Text: "suite " + tag + " order:latest"}
	for {
		page, err := db.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 23 {
			t.Errorf("total %d, want 23", page.Total)
		}
		for _, h := range page.Hits {
			if seen[h.PostID] {
				t.Fatalf("post %d on two pages", h.PostID)
			}
			seen[h.PostID] = true
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if len(seen) != 23 {
		t.Errorf("%d posts over the pages, want 23", len(seen))
	}
}

// A search whose words find nothing offers the titles and names that look
// like them; an author that does not exist is answered with the closest name.
func TestSearchDidYouMean(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	tag := forumtest.Unique("zdym")
	th, _ := searchThread(t, db, alice, cat, "Les chevaux de "+tag, "<p>au galop</p>")
	hidden, _ := searchThread(t, db, alice, cat, "Les chevaux cachés de "+tag, "<p>au pas</p>")
	if _, err := db.SQL().Exec(`UPDATE threads SET status = 'hidden' WHERE id = $1`, hidden.ID); err != nil {
		t.Fatal(err)
	}
	page, err := db.Search(context.Background(), forum.SearchQuery{Text: tag + "e"}) // a letter too many: no post has it
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Hits) != 0 || len(page.DidYouMean) == 0 || page.DidYouMean[0].Kind != "thread" || page.DidYouMean[0].ID != th.ID {
		t.Errorf("a typo in a title: %+v", page)
	}
	for _, d := range page.DidYouMean {
		if d.ID == hidden.ID && d.Kind == "thread" {
			t.Errorf("a hidden thread is offered: %+v", d)
		}
	}
	// A name like no other member's.
	alice.Username = "Bartholomea" + tag
	if _, err := db.SQL().Exec(`UPDATE members SET username = $2, username_key = lower($2), username_skeleton = lower($2)
		WHERE id = $1`, alice.ID, alice.Username); err != nil {
		t.Fatal(err)
	}
	name := "Bartolomea" + tag
	page, err = db.Search(context.Background(), forum.SearchQuery{Text: name})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range page.DidYouMean {
		found = found || d.Kind == "member" && d.ID == alice.ID && d.Label == alice.Username
	}
	if !found {
		t.Errorf("a typo in a name: %+v", page.DidYouMean)
	}
	// Results found: nothing offered.
	if page, err := db.Search(context.Background(), forum.SearchQuery{Text: "chevaux " + tag}); err != nil || len(page.Hits) == 0 || page.DidYouMean != nil {
		t.Errorf("found: %+v, %v", page, err)
	}
	_, err = db.Search(context.Background(), forum.SearchQuery{Text: "galop @" + name})
	if e, ok := err.(*forum.Error); !ok || e.Key != "search.author_unknown_like" || e.Args["Like"] != alice.Username || e.Field != "q" {
		t.Errorf("an author's name with a typo: %v", err)
	}
}
