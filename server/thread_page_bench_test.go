package server

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
	"github.com/palabre/palabre/templates"
)

// benchReply is a reply of about 1 KB, as members write them: paragraphs,
// emphasis, a list, a link and a quote.
const benchReply = `Bonjour à tous,

Je reviens sur la discussion d'hier à propos de la **réunion de quartier** : j'ai relu le compte rendu
et je pense qu'on a oublié un point important. La salle des fêtes n'est disponible que le *jeudi
soir*, ce qui pose problème pour les familles avec de jeunes enfants.

Quelques propositions :

- avancer la réunion à 18 h 30 ;
- proposer une garderie (la MJC est d'accord, voir https://mjc-exemple.fr/garderie) ;
- publier l'ordre du jour une semaine avant.

> Il faudrait aussi prévoir un vote en ligne pour ceux qui ne peuvent pas venir.

Pour le vote en ligne, je ne suis pas sûr que ce soit simple à mettre en place, mais on peut
essayer avec un formulaire. Merci d'avance, et bonne soirée à toutes et à tous !
`

// BenchmarkThreadPage serves a 20-post thread page through the whole
// engine (authentication, queries, templates), without the anonymous page
// cache: what a signed-in member costs, and a visitor when the cache misses;
// then gzipped, for a member (compressed on the fly) and for a visitor served
// from the page cache; then the thread's JSON and the home page for a member. make bench measures the same under load; this one is
// for profiling.
func BenchmarkThreadPage(b *testing.B) {
	s := newTestServer(b)
	db := forumtest.DB(b)
	cat := forumtest.MustCategory(b, db)
	reader := forumtest.MustMember(b, db, forum.RoleMember, 2)
	if v, _ := db.RequiredGuidelinesVersion(forumtest.As(reader)); v > 0 {
		if err := db.AcceptGuidelines(forumtest.As(reader), v); err != nil {
			b.Fatal(err)
		}
	}
	th := startThread(b, s, bearer(b, db, forumtest.MustMember(b, db, forum.RoleMember, 2)), cat, "Réunion de quartier : les propositions")
	authors := []*forum.Member{forumtest.MustMember(b, db, forum.RoleMember, 2), forumtest.MustMember(b, db, forum.RoleMember, 2)}
	html := moderation.Sanitize(moderation.Render(benchReply, moderation.RenderOptions{}).HTML, false)
	for i := range forum.PostsPerPage - 1 {
		a := authors[i%2]
		ctx := forumtest.As(a)
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.Thread.ID, AuthorID: a.ID,
				BodyMarkdown: benchReply, BodyHTML: html, Status: forum.StatusPublished})
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	path := fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug)
	// cached is a server with the anonymous page cache on, as in production:
	// after the first visit a visitor gets the page from memory.
	cfg, err := LoadConfig(func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cached, err := New(cfg, db, s.log)
	if err != nil {
		b.Fatal(err)
	}
	gzipped := func(h map[string]string) map[string]string {
		out := map[string]string{"Accept-Encoding": "gzip"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	member := bearer(b, db, reader)
	api := fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID)
	// The database's announcements, heard as Main hears them: members are
	// then authenticated from memory, as in production.
	listenAsMain(b, db, s, cached)
	for _, who := range []struct {
		name   string
		srv    *Server
		header map[string]string
		path   string
	}{
		{"visitor", s, nil, path}, {"member", s, member, path},
		// gzip: the compression middleware on a rendered page, and the
		// page cache's own gzip copy.
		{"member-gzip", s, gzipped(member), path}, {"visitor-cached-gzip", cached, gzipped(nil), path},
		// The same page of the thread as JSON, for a member, and the
		// members' home page.
		{"member-json", s, member, api}, {"member-home", s, member, "/"},
	} {
		b.Run(who.name, func(b *testing.B) {
			s := who.srv
			path := who.path
			r := request{path: path, header: who.header}
			if w := s.do(b, r); w.Code != 200 { // the first visit writes the reading state
				b.Fatalf("%s: %d", path, w.Code)
			}
			if _, ok := who.header["Accept-Encoding"]; ok {
				if w := s.do(b, r); w.Header().Get("Content-Encoding") != "gzip" {
					b.Fatalf("%s: not compressed", path)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if w := s.do(b, r); w.Code != 200 {
					b.Fatalf("%s: %d", path, w.Code)
				}
			}
		})
	}
}

// BenchmarkThreadPageTemplate renders a member's thread page of twenty
// posts through its templates alone (the layout, the page, the posts),
// without the engine or the database.
func BenchmarkThreadPageTemplate(b *testing.B) {
	catalog, err := LoadCatalog(templates.FS, "locales", "fr")
	if err != nil {
		b.Fatal(err)
	}
	la := testLayoutAssets(b)
	lang := catalog.Lang("fr")
	html := template.HTML(moderation.Sanitize(moderation.Render(benchReply, moderation.RenderOptions{}).HTML, false))
	author := "alice"
	th := &forum.Thread{ID: 7, CategorySlug: "vie-du-quartier", CategoryName: "Vie du quartier", Title: "Réunion de quartier : les propositions",
		Slug: "reunion-de-quartier-les-propositions", Status: forum.StatusPublished, PostCount: 20, AuthorName: &author}
	d := &threadPage{Thread: th, CanReply: true, Form: &Form{Values: map[string]string{}, Errors: map[string]string{}},
		Watch: forum.WatchLevels{Effective: forum.WatchWatching}, Static: testThreadStatic(b, catalog, la, "fr")}
	now := time.Now()
	for i := range forum.PostsPerPage {
		created := now.Add(-time.Duration(20-i) * time.Hour)
		d.Posts = append(d.Posts, postView{ID: int64(100 + i), Number: i + 1,
			Path: "/p/" + strconv.Itoa(100+i), Anchor: "p" + strconv.Itoa(i+1), HeadingID: "h-p" + strconv.Itoa(i+1), Status: forum.StatusPublished, HTML: html,
			Author: []string{"alice", "bob"}[i%2], Created: timeElement(created, "", lang.DateTime(created), lang.Relative(created, now)),
			ReplyHref: "/t/7/x?reply_to=1#reply", QuoteHref: "/t/7/x?quote=100#reply", QuoteFrom: true,
			CanLike: true, Liked: i%3 == 0, LikeCount: i % 4, CanReport: true})
	}
	v := &View{Lang: lang, Title: th.Title, SiteName: "Palabre", Member: &forum.Member{ID: 1, Username: "zoe", Role: forum.RoleMember},
		Path: "/t/7/x", Now: now, Data: d}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := layout(v, la, threadContent(v, d, la)).Render(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
}
