package forum_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// snippetVocabulary is words of the bench's forum and of everyday posts,
// in both languages, with accents, plurals, ligatures and capitals.
var snippetVocabulary = map[string][]string{
	"palabre_french": strings.Fields(`Le community manager anime la communauté et veille au respect de la charte
		Un nouveau membre qui n’obtient pas de réponse ne revient pas répondre vite compte plus que tout
		Je mesure l’engagement par le nombre de membres actifs pas seulement inscrits
		La modération doit rester bienveillante mais ferme quand la charte n’est pas respectée
		Avez-vous essayé d’ouvrir un fil mensuel pour que les membres discrets prennent la parole
		Les indicateurs utiles temps de première réponse sujets sans réponse signalements traités
		On peut citer les sources mais il faut éviter le copier-coller de pages entières
		Merci pour ce retour d’expérience c’est exactement ce que je cherchais
		Les réseaux sociaux amènent du trafic le forum garde la mémoire des échanges
		Pensez à remercier publiquement les membres qui aident les autres ça entretient la dynamique
		Comment mesurer quels outils pour modérer animer discussions nouveaux bonnes pratiques question idée
		chevaux cheval citrouilles citrouille élève élèves ÉLÈVES eleve œuvre cœur Noël naïve garçon
		différences différence heureuse heureux généralement rapidement jouaient finissions
		montres montre abonnement abonnés désabonner notifications Île-de-France Zanzibar piège`),
	"palabre_english": strings.Fields(`The horses were running quickly across the fields while the ponies
		studied happily cries flies dying lying generously generations communities community managers
		moderation guidelines replies replied replying searching searches searched bookmarks notifications
		crying happiness relational conditional hopefully effective`),
}

// A snippet marks the words PostgreSQL matched: each word of the
// vocabulary is marked for the lexeme its configuration makes of it, and
// for no other.
func TestSnippetWordsAreStemmedAsPostgreSQL(t *testing.T) {
	db := forumtest.DB(t)
	for config, text := range snippetVocabulary {
		// Words as the snippet cuts them: an apostrophe or a hyphen
		// separates two.
		var words []string
		for _, w := range text {
			words = append(words, strings.FieldsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
		}
		var rows []struct {
			Word    string `db:"word"`
			Lexemes string `db:"lexemes"`
		}
		err := db.SQL().Select(&rows, `
SELECT w AS word, coalesce((SELECT string_agg(lexeme, ' ') FROM unnest(to_tsvector($1::regconfig, w))), '') AS lexemes
FROM unnest($2::text[]) w`, config, pq.Array(words))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			lexemes := strings.Fields(r.Lexemes)
			if len(lexemes) != 1 {
				continue // a stop word
			}
			if !forum.SnippetMatches("'"+lexemes[0]+"'", config, r.Word) {
				t.Errorf("%s: %q is not marked for its lexeme %q", config, r.Word, lexemes[0])
			}
			if forum.SnippetMatches("'"+lexemes[0]+"x'", config, r.Word) {
				t.Errorf("%s: %q is marked for %q", config, r.Word, lexemes[0]+"x")
			}
		}
	}
}
