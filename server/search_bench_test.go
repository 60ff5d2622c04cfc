package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// benchSearchPost is a post of the bench's forum (scripts/benchseed), about
// a kilobyte, holding the words the bench searches.
const benchSearchPost = `Le community manager anime la communauté et veille au respect de la charte. Un nouveau membre qui n’obtient pas de réponse ne revient pas : répondre vite compte plus que tout. Les indicateurs utiles : temps de première réponse, sujets sans réponse, signalements traités.

Merci pour ce retour d’expérience, c’est exactement ce que je cherchais ! Les réseaux sociaux amènent du trafic, le forum garde la mémoire des échanges. La modération doit rester bienveillante, mais ferme quand la charte n’est pas respectée.

Avez-vous essayé d’ouvrir un fil mensuel pour que les membres discrets prennent la parole ? Pensez à remercier publiquement les membres qui aident les autres : ça entretient la dynamique.

- **Premier point** : définir les objectifs
- *Deuxième point* : mesurer`

// BenchmarkSearchPage serves a visitor's search for common words through
// the whole engine: the statement, then the titles, snippets and page made
// in Go. make bench measures it at 1M posts under load; this one is for
// profiling the Go side (the database's part is small at this size).
func BenchmarkSearchPage(b *testing.B) {
	s := newTestServer(b)
	db := forumtest.DB(b)
	cat := forumtest.MustCategory(b, db)
	author := forumtest.MustMember(b, db, forum.RoleMember, 2)
	th := startThread(b, s, bearer(b, db, author), cat, "Comment mesurer l’engagement de la communauté sur un forum")
	html := moderation.Sanitize(moderation.Render(benchSearchPost, moderation.RenderOptions{}).HTML, false)
	ctx := forumtest.As(author)
	for range 40 {
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.Thread.ID, AuthorID: author.ID,
				BodyMarkdown: benchSearchPost, BodyHTML: html, Status: forum.StatusPublished})
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	r := request{path: "/search?q=" + url.QueryEscape("communauté charte")}
	if w := s.do(b, r); w.Code != 200 || strings.Count(w.Body.String(), "<mark>") < 2*forum.SearchPageSize {
		b.Fatalf("search: %d, %d marks", w.Code, strings.Count(w.Body.String(), "<mark>"))
	}
	b.ReportAllocs()
	for b.Loop() {
		if w := s.do(b, r); w.Code != 200 {
			b.Fatalf("search: %d", w.Code)
		}
	}
}
