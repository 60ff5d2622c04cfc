package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// realisticPost is about 1 KB of what members write: paragraphs, emphasis,
// a list, links, a mention, inline code.
func realisticPost(n int, mention string) string {
	return fmt.Sprintf(`Bonjour à tous (message %d),

Je reviens sur la discussion d’hier à propos de la **réunion de quartier** : j’ai relu le compte rendu
et je pense qu’on a oublié un point important. Comme l’a dit @%s, la salle des fêtes n’est
disponible que le *jeudi soir*, ce qui pose problème pour les familles avec de jeunes enfants.

Quelques propositions :

- avancer la réunion à 18 h 30 ;
- proposer une garderie (la MJC est d’accord, voir https://mjc-exemple.fr/garderie) ;
- publier l’ordre du jour une semaine avant.

Pour le vote en ligne, je ne suis pas sûr que ce soit simple à mettre en place, mais on peut
essayer avec un formulaire. J’ai préparé un brouillon ici : [brouillon](https://exemple.org/vote/%d).
Si quelqu’un connaît la commande `+"`rsync -av`"+` pour sauvegarder les fichiers, ça m’aiderait.

Merci d’avance, et bonne soirée à toutes et à tous !`, n, mention, n)
}

// A 20-post thread page of 1 KB posts is well under the 100 KB the issue
// allows (the peer forums send 86–187 KB), whoever reads it.
func TestThreadPageWeight(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	// Moderators: exempt from the posting rate limits, which would stop
	// twenty posts in a second.
	var authors []*forum.Member
	for range 4 {
		authors = append(authors, forumtest.MustMember(t, db, forum.RoleModerator, 3))
	}
	out, err := s.pipeline.SubmitThread(forumtest.As(authors[0]), moderation.ThreadSubmission{
		CategoryID: cat.ID, Title: forumtest.Unique("Réunion de quartier : l’ordre du jour "), Body: realisticPost(1, authors[1].Username),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= forum.PostsPerPage; i++ {
		if _, err := s.pipeline.SubmitReply(forumtest.As(authors[i%4]), moderation.ReplySubmission{
			ThreadID: out.Thread.ID, Body: realisticPost(i, authors[(i+1)%4].Username),
		}); err != nil {
			t.Fatal(err)
		}
	}
	path := threadURL(out.Thread)

	reader, _ := loggedIn(t, s, forum.RoleMember, 2)
	for _, who := range []struct {
		name string
		get  func() *http.Response
	}{
		{"a visitor", func() *http.Response {
			return s.do(t, request{path: path, header: map[string]string{"Accept-Encoding": "gzip", "Accept-Language": "fr"}}).Result()
		}},
		{"a member", func() *http.Response {
			return reader.do(t, "GET", path, nil, map[string]string{"Accept-Encoding": "gzip"}).Result()
		}},
	} {
		res := who.get()
		gz, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d, Content-Encoding %q", who.name, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		html, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(html), `<li class="post post-published"`); n != forum.PostsPerPage {
			t.Fatalf("%s sees %d posts, want %d", who.name, n, forum.PostsPerPage)
		}
		t.Logf("%s: %d bytes of HTML, %d gzipped", who.name, len(html), len(gz))
		if len(html) >= 60_000 {
			t.Errorf("%s gets %d bytes of HTML for 20 posts of 1 KB, want under 60 000", who.name, len(html))
		}
		if len(gz) >= 20_000 {
			t.Errorf("%s gets %d bytes gzipped, want under 20 000", who.name, len(gz))
		}
	}
}
