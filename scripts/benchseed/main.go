// Command benchseed fills a database with a realistic forum for `make bench`:
// members, categories, threads and posts whose Markdown goes through the real
// render and sanitize stages, inserted with COPY. It prints the ids and
// tokens the load scenarios need as shell assignments.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

func main() {
	members := flag.Int("members", 10_000, "members to create")
	threads := flag.Int("threads", 20_000, "threads to create")
	posts := flag.Int("posts", 200_000, "posts to create, first posts included")
	flag.Parse()
	if err := run(*members, *threads, *posts); err != nil {
		fmt.Fprintln(os.Stderr, "benchseed:", err)
		os.Exit(1)
	}
}

func run(nMembers, nThreads, nPosts int) error {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := forum.Open(ctx, os.Getenv("PALABRE_DATABASE_URL"), forum.PoolOptions{MaxConns: 4, WaitFor: 10 * time.Second}, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(); err != nil {
		return err
	}
	if err := db.Prepare(ctx); err != nil {
		return err
	}
	var have int
	if err := db.SQL().Get(&have, `SELECT count(*) FROM posts`); err != nil {
		return err
	}
	if have < nPosts {
		if have > 0 {
			return fmt.Errorf("the database holds %d posts, fewer than %d: start from an empty database", have, nPosts)
		}
		start := time.Now()
		if err := seed(ctx, db, nMembers, nThreads, nPosts); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "benchseed: seeded %d members, %d threads, %d posts in %s\n", nMembers, nThreads, nPosts, time.Since(start).Round(time.Second))
	}
	// As on a live forum, where starting a thread makes its author watch it:
	// replies notify someone (and queue their email). Kept apart from the
	// seeding so that databases seeded before get it too.
	if _, err := db.ExecContext(ctx, `
		INSERT INTO watches (member_id, thread_id, level)
		SELECT author_id, id, 'watching' FROM threads WHERE author_id IS NOT NULL
		ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("watching threads: %w", err)
	}
	if err := seedHistory(ctx, db); err != nil {
		return err
	}
	if err := seedModeration(ctx, db); err != nil {
		return err
	}
	if err := seedTraffic(ctx, db); err != nil {
		return err
	}
	// The replies of earlier runs queued their emails: the mail worker would
	// send that backlog while the next run measures.
	if _, err := db.ExecContext(ctx, `DELETE FROM outbox`); err != nil {
		return fmt.Errorf("emptying the outbox: %w", err)
	}
	return printScenario(ctx, db)
}

// printScenario prints what the load scenarios need, creating the bench
// accounts' tokens afresh each run.
func printScenario(ctx context.Context, db *forum.DB) error {
	var th struct {
		ID           int64  `db:"id"`
		Slug         string `db:"slug"`
		CategoryID   int64  `db:"category_id"`
		CategorySlug string `db:"category_slug"`
	}
	err := db.SQL().Get(&th, `
		SELECT t.id, t.slug, t.category_id, c.slug AS category_slug FROM threads t JOIN categories c ON c.id = t.category_id
		WHERE t.post_count >= 20 AND t.status = 'published' ORDER BY t.id LIMIT 1`)
	if err != nil {
		return fmt.Errorf("finding a 20-post thread: %w", err)
	}
	// The tokens of earlier runs are of no more use.
	if _, err := db.ExecContext(ctx, `DELETE FROM api_tokens WHERE name = 'bench'`); err != nil {
		return fmt.Errorf("deleting earlier runs' tokens: %w", err)
	}
	sys := forum.WithSystem(ctx)
	tokens := map[string]string{}
	for _, name := range []string{"bench_admin", "membre00001"} {
		m, err := db.MemberByUsername(ctx, name)
		if err != nil {
			return fmt.Errorf("bench member %s: %w", name, err)
		}
		if tokens[name], err = db.CreateAPIToken(sys, m.ID, "bench"); err != nil {
			return err
		}
	}
	posters, err := posterTokens(ctx, db)
	if err != nil {
		return err
	}
	var first, count int64
	if err := db.SQL().Get(&first, `SELECT min(id) FROM threads`); err != nil {
		return err
	}
	if err := db.SQL().Get(&count, `SELECT count(*) FROM threads`); err != nil {
		return err
	}
	fmt.Printf("THREAD_ID=%d\nTHREAD_SLUG=%s\nCATEGORY_ID=%d\nCATEGORY_SLUG=%s\nADMIN_TOKEN=%s\nMEMBER_TOKEN=%s\nPOSTER_TOKENS=%s\nFIRST_THREAD=%d\nTHREADS=%d\n",
		th.ID, th.Slug, th.CategoryID, th.CategorySlug, tokens["bench_admin"], tokens["membre00001"],
		strings.Join(posters, ","), first, count)
	return nil
}

// benchPosters is how many members post in the post-creation scenario: as
// on a live forum, replies come from many members, each through the
// pipeline's history checks (duplicates, their posting lock), not from one
// admin whom those checks exempt and whose row every post would lock. A
// thousand posters at 1,500 posts/s still post a reply every second or so
// each, far more than members do, which the duplicates check pays for
// (it reads the member's posts of the last ten minutes).
const benchPosters = 1000

// posterTokens makes the posters leaders (trust level 4, set by an admin:
// no rate limit, as the default settings give leaders) and returns a fresh
// token for each.
func posterTokens(ctx context.Context, db *forum.DB) ([]string, error) {
	var ids []int64
	if err := db.SelectContext(ctx, &ids, `
		UPDATE members SET trust_level = 4, trust_level_locked = true
		WHERE id IN (SELECT id FROM members WHERE role = 'member' AND status = 'active' AND username LIKE 'membre%'
		             ORDER BY id OFFSET 1 LIMIT $1)
		RETURNING id`, benchPosters); err != nil {
		return nil, fmt.Errorf("choosing the posters: %w", err)
	}
	sys := forum.WithSystem(ctx)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, err := db.CreateAPIToken(sys, id, "bench")
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, nil
}

func seed(ctx context.Context, db *forum.DB, nMembers, nThreads, nPosts int) error {
	rng := rand.New(rand.NewPCG(1, 2)) // the same forum every time
	hash, err := forum.HashPassword("bench password 2026")
	if err != nil {
		return err
	}
	sys := forum.WithSystem(ctx)
	if _, err := db.CreateMember(sys, forum.NewMember{Username: "bench_admin", Email: "bench_admin@example.org",
		Password: "bench password 2026", Role: forum.RoleAdmin, TrustLevel: forum.TrustLeader}); err != nil {
		return err
	}
	// Members share one password hash: hashing 10,000 with argon2id would
	// take minutes and measure nothing the scenarios use. They confirmed
	// their addresses when they joined.
	err = copyRows(ctx, db, "members", []string{"username", "username_key", "username_skeleton", "email", "email_key",
		"password_hash", "trust_level", "created_at", "email_verified_at"}, nMembers, func(i int) []any {
		name := fmt.Sprintf("membre%05d", i+1)
		joined := time.Now().AddDate(0, 0, -rng.IntN(900))
		return []any{name, name, forum.UsernameSkeleton(name), name + "@example.org", name + "@example.org",
			hash, i % 5, joined, joined.Add(10 * time.Minute)}
	})
	if err != nil {
		return err
	}
	var firstMember int64
	if err := db.SQL().Get(&firstMember, `SELECT min(id) FROM members WHERE username_key LIKE 'membre%'`); err != nil {
		return err
	}

	var catIDs []int64
	for i, name := range categoryNames {
		c, err := db.CreateCategory(sys, forum.NewCategory{Name: name, Description: "Catégorie de démonstration pour les mesures.", Position: i})
		if err != nil {
			return err
		}
		catIDs = append(catIDs, c.ID)
	}

	// Posts per thread: the first hundred threads have 25 posts (thread-page
	// scenarios), the others share the rest.
	perThread := make([]int, nThreads)
	remaining := nPosts
	for i := range perThread {
		perThread[i] = 1
		remaining--
	}
	for i := 0; i < 100 && i < nThreads && remaining > 0; i++ {
		add := min(24, remaining)
		perThread[i] += add
		remaining -= add
	}
	for remaining > 0 {
		i := 100 + rng.IntN(max(nThreads-100, 1))
		if i >= nThreads {
			i = rng.IntN(nThreads)
		}
		perThread[i]++
		remaining--
	}

	start := time.Now().Add(-time.Duration(nThreads) * time.Minute)
	type threadRow struct {
		category, author int64
		title            string
		at               time.Time
	}
	rows := make([]threadRow, nThreads)
	for i := range rows {
		rows[i] = threadRow{catIDs[rng.IntN(len(catIDs))], firstMember + int64(rng.IntN(nMembers)), title(rng), start.Add(time.Duration(i) * time.Minute)}
	}
	err = copyRows(ctx, db, "threads", []string{"category_id", "author_id", "title", "slug", "status", "last_post_at", "created_at"}, nThreads, func(i int) []any {
		r := rows[i]
		return []any{r.category, r.author, r.title, forum.Slugify(r.title), "published", r.at, r.at}
	})
	if err != nil {
		return err
	}
	var firstThread int64
	if err := db.SQL().Get(&firstThread, `SELECT min(id) FROM threads`); err != nil {
		return err
	}

	// Render every body with the real pipeline stages, on every core.
	type postRow struct {
		thread, author int64
		number         int
		md, html       string
		at             time.Time
	}
	all := make([]postRow, 0, nPosts)
	for i, n := range perThread {
		for k := 1; k <= n; k++ {
			all = append(all, postRow{thread: firstThread + int64(i), number: k, author: firstMember + int64(rng.IntN(nMembers)),
				md: body(rng), at: rows[i].at.Add(time.Duration(k) * time.Second)})
		}
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(all); i += workers {
				r := moderation.Render(all[i].md, moderation.RenderOptions{AllowImages: true})
				all[i].html = moderation.Sanitize(r.HTML, true)
			}
		})
	}
	wg.Wait()
	err = copyRows(ctx, db, "posts", []string{"thread_id", "number", "author_id", "body_markdown", "body_html", "status", "created_at"}, len(all), func(i int) []any {
		p := all[i]
		return []any{p.thread, p.number, p.author, p.md, p.html, "published", p.at}
	})
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `
		UPDATE threads t SET post_count = p.n, last_post_at = p.last_at, last_post_id = p.last_id, last_poster_id = p.last_author
		FROM (SELECT DISTINCT ON (thread_id) thread_id, count(*) OVER (PARTITION BY thread_id) AS n,
		             created_at AS last_at, id AS last_id, author_id AS last_author
		      FROM posts ORDER BY thread_id, number DESC) p
		WHERE p.thread_id = t.id`)
	if err != nil {
		return fmt.Errorf("counting posts: %w", err)
	}
	// As autovacuum would on a live forum: the statistics, and the GIN
	// index's pending list flushed (searches scan it otherwise).
	_, err = db.ExecContext(ctx, `VACUUM ANALYZE`)
	return err
}

// seedHistory gives the forum what its members' reading and posting would
// have left on a live forum, once (kept apart from seed, so that databases
// seeded before get it too):
//
//   - the notifications of its replies: each told the thread's author, who
//     watched it, and those older than a day were read;
//   - read states: each member read a thread up to their last post in it.
//
// Without them, the tables that every reply writes start empty in each
// run: the plans PostgreSQL caches for empty tables (a sequential scan of
// notifications for each fan-out) stay until autovacuum first analyses
// them, a minute into the run, and the read-state update of each reply
// finds no row to write.
func seedHistory(ctx context.Context, db *forum.DB) error {
	var have bool
	if err := db.GetContext(ctx, &have, `SELECT EXISTS (SELECT 1 FROM notifications)`); err != nil || have {
		return err
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id, created_at, read_at)
		SELECT t.author_id, 'watching', p.author_id, p.thread_id, p.id, p.created_at,
		       CASE WHEN p.created_at < now() - interval '1 day' THEN p.created_at + interval '1 hour' END
		FROM posts p JOIN threads t ON t.id = p.thread_id
		WHERE p.number > 1 AND p.status = 'published' AND t.author_id IS NOT NULL
		  AND p.author_id IS DISTINCT FROM t.author_id`); err != nil {
		return fmt.Errorf("notifying the replies: %w", err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO read_states (member_id, thread_id, last_read_number, updated_at)
		SELECT author_id, thread_id, max(number), max(created_at) FROM posts WHERE author_id IS NOT NULL
		GROUP BY author_id, thread_id
		ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("recording what members read: %w", err)
	}
	_, err := db.ExecContext(ctx, `VACUUM ANALYZE notifications, read_states`)
	return err
}

// copyRows inserts n rows with COPY, in one transaction.
func copyRows(ctx context.Context, db *forum.DB, table string, cols []string, n int, row func(int) []any) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
		if err != nil {
			return fmt.Errorf("COPY %s: %w", table, err)
		}
		for i := range n {
			if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
				return fmt.Errorf("COPY %s row %d: %w", table, i, err)
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			return fmt.Errorf("COPY %s: %w", table, err)
		}
		return stmt.Close()
	})
}

var categoryNames = []string{"Annonces", "Présentations", "Entraide", "Discussions libres", "Suggestions",
	"Événements", "Outils du community manager", "Réseaux sociaux", "Modération", "Hors sujet"}

var titleWords = []string{"Comment", "mesurer", "l’engagement", "de", "la", "communauté", "sur", "un", "forum",
	"francophone", "quels", "outils", "pour", "modérer", "les", "messages", "animer", "discussions", "nouveaux", "membres",
	"charte", "bonnes", "pratiques", "question", "idée", "retour", "d’expérience", "réseaux", "sociaux", "temps", "réponse"}

var sentences = []string{
	"Le community manager anime la communauté et veille au respect de la charte.",
	"Un nouveau membre qui n’obtient pas de réponse ne revient pas : répondre vite compte plus que tout.",
	"Je mesure l’engagement par le nombre de membres actifs, pas seulement inscrits.",
	"La modération doit rester bienveillante, mais ferme quand la charte n’est pas respectée.",
	"Avez-vous essayé d’ouvrir un fil mensuel pour que les membres discrets prennent la parole ?",
	"Les indicateurs utiles : temps de première réponse, sujets sans réponse, signalements traités.",
	"On peut citer les sources, mais il faut éviter le copier-coller de pages entières.",
	"Merci pour ce retour d’expérience, c’est exactement ce que je cherchais !",
	"Les réseaux sociaux amènent du trafic, le forum garde la mémoire des échanges.",
	"Pensez à remercier publiquement les membres qui aident les autres : ça entretient la dynamique.",
}

func title(rng *rand.Rand) string {
	n := 4 + rng.IntN(6)
	w := make([]string, n)
	for i := range w {
		w[i] = titleWords[rng.IntN(len(titleWords))]
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	return strings.Join(w, " ")
}

// body writes about a kilobyte of Markdown with the usual features: several
// paragraphs, emphasis, a list, sometimes a link, a quote or code.
func body(rng *rand.Rand) string {
	var b strings.Builder
	for p := 0; p < 2+rng.IntN(3); p++ {
		for s := 0; s < 2+rng.IntN(3); s++ {
			b.WriteString(sentences[rng.IntN(len(sentences))])
			b.WriteByte(' ')
		}
		b.WriteString("\n\n")
	}
	switch rng.IntN(5) {
	case 0:
		b.WriteString("- **Premier point** : définir les objectifs\n- *Deuxième point* : mesurer\n- Troisième point : ajuster\n\n")
	case 1:
		b.WriteString("> Une communauté, c’est d’abord des gens qui se parlent.\n\n")
	case 2:
		b.WriteString("Plus d’informations sur https://example.org/guide-du-community-manager et [la charte](/guidelines).\n\n")
	case 3:
		b.WriteString("```\nSELECT count(*) FROM membres WHERE actif;\n```\n\n")
	}
	return b.String()
}
