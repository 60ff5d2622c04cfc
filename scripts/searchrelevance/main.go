// Command searchrelevance compares the top ten results of forum.Search with
// those of the search as it ranked before issue 27 (its statement is frozen
// below), for the bench's queries and a few more, on the forum at
// PALABRE_DATABASE_URL (a bench forum: .data/bench-SCALE). It prints a
// Markdown table: how many of the ten posts each keeps (issue 27: at least 8).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/palabre/palabre/forum"
)

// queries are the bench's (scripts/bench.sh), then other words of its seed.
var queries = []string{"communauté charte", "montres", "modération bienveillante", "réseaux sociaux",
	"engagement membres", `"retour d’expérience"`, "indicateurs réponse", "forum francophone", "copier-coller sources",
	"outils -modérer"}

// rankedBefore is forum.Search's ranking before issue 27: the 2,000 most
// recent matches of published threads, by ts_rank_cd, then id.
const rankedBefore = `
SELECT p.id FROM posts p
JOIN threads t ON t.id = p.thread_id
WHERE ((p.search_config = 'palabre_french'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_french', $1))
	OR (p.search_config = 'palabre_english'::regconfig AND p.search_vector @@ websearch_to_tsquery('palabre_english', $1)))
	AND p.status = 'published' AND t.status = 'published'
ORDER BY p.id DESC
LIMIT 2000`

const topBefore = `
SELECT id FROM (
	SELECT p.id, ts_rank_cd(p.search_vector, CASE WHEN p.search_config = 'palabre_english'::regconfig
		THEN websearch_to_tsquery('palabre_english', $1) ELSE websearch_to_tsquery('palabre_french', $1) END) AS rank
	FROM posts p WHERE p.id IN (` + rankedBefore + `)
) r ORDER BY rank DESC, id DESC LIMIT 10`

func main() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := forum.Open(ctx, os.Getenv("PALABRE_DATABASE_URL"), forum.PoolOptions{MaxConns: 4, WaitFor: 10 * time.Second}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	fmt.Println("| query | results | top 10 kept |")
	fmt.Println("|---|---|---|")
	for _, q := range queries {
		var before []int64
		if err := db.SQL().SelectContext(ctx, &before, topBefore, q); err != nil {
			fmt.Fprintln(os.Stderr, q, err)
			os.Exit(1)
		}
		page, err := db.Search(ctx, forum.SearchQuery{Text: q})
		if err != nil {
			fmt.Fprintln(os.Stderr, q, err)
			os.Exit(1)
		}
		after := map[int64]bool{}
		for i, h := range page.Hits {
			if i < 10 {
				after[h.PostID] = true
			}
		}
		kept := 0
		for _, id := range before {
			if after[id] {
				kept++
			}
		}
		total := fmt.Sprint(page.Total)
		if page.TotalCapped {
			total = "> " + total
		}
		fmt.Printf("| %s | %s | %d of %d |\n", q, total, kept, len(before))
	}
}
