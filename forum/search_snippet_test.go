package forum

import (
	"reflect"
	"strings"
	"testing"
)

func TestSnippetMatcherReadsTheQueryLexemes(t *testing.T) {
	for q, want := range map[string][]string{
		`'communaut' & 'chart'`:               {"communaut", "chart"},
		`'retour' <-> 'experient' & !'moder'`: {"retour", "experient", "moder"},
		`'l''ami' | 'a\\b'`:                   {"l'ami", `a\b`},
		`'copier-coll' <-> 'copi' <-> 'coll'`: {"copier-coll", "copi", "coll"},
		``:                                    nil,
	} {
		if got := newSnippetMatcher(q, "palabre_french").lexemes; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}

func TestSnippet(t *testing.T) {
	words := func(n int, w string) string { return strings.TrimSpace(strings.Repeat(w+" ", n)) }
	for _, c := range []struct {
		name, body, query, want string
	}{
		{"marks the matches, escaped", `<p>&lt;b&gt; Les <b>Chevaux</b> &amp; le cheval\ue000x\ue001.</p>`, `'cheval'`,
			`&lt;b&gt; Les  <mark>Chevaux</mark>  &amp; le chevalx.`},
		{"a passage begins a few words before its first match", "<p>" + words(20, "un") + " charte " + words(40, "deux") + "</p>", `'chart'`,
			words(8, "un") + " <mark>charte</mark> " + words(26, "deux")},
		{"two passages, in the order of the text", "<p>charte " + words(60, "un") + " charte charte " + words(60, "deux") + "</p>", `'chart'`,
			"<mark>charte</mark> " + words(34, "un") + " … " + words(8, "un") + " <mark>charte</mark> <mark>charte</mark> " + words(25, "deux")},
		{"a match far into a long post", "<p>" + words(3000, "un") + " montres.</p>", `'montr'`,
			words(8, "un") + " <mark>montres</mark>."},
		{"no match: the first words", "<p>" + words(40, "un") + "</p>", ``, words(15, "un")},
		{"English", "<p>The horses were running</p>", `'run' & 'hors'`, `The <mark>horses</mark> were <mark>running</mark>`},
	} {
		config := "palabre_french"
		if c.name == "English" {
			config = "palabre_english"
		}
		c.body = strings.NewReplacer(`\ue000`, markStart, `\ue001`, markStop).Replace(c.body)
		if got := snippet(c.body, newSnippetMatcher(c.query, config)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestHighlightTitle(t *testing.T) {
	m := newSnippetMatcher(`'communaut' & 'chart'`, "palabre_french")
	if got, want := highlightTitle(`La charte de <la> Communauté`, m), `La <mark>charte</mark> de &lt;la&gt; <mark>Communauté</mark>`; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// A post of the bench's forum (scripts/benchseed), about a kilobyte.
const benchPost = `<p>Le community manager anime la communauté et veille au respect de la charte. Un nouveau membre qui n’obtient pas de réponse ne revient pas : répondre vite compte plus que tout. Les indicateurs utiles : temps de première réponse, sujets sans réponse, signalements traités.</p>
<p>Merci pour ce retour d’expérience, c’est exactement ce que je cherchais ! Les réseaux sociaux amènent du trafic, le forum garde la mémoire des échanges. La modération doit rester bienveillante, mais ferme quand la charte n’est pas respectée.</p>
<p>Avez-vous essayé d’ouvrir un fil mensuel pour que les membres discrets prennent la parole ? Pensez à remercier publiquement les membres qui aident les autres : ça entretient la dynamique. On peut citer les sources, mais il faut éviter le copier-coller de pages entières.</p>
<ul><li><strong>Premier point</strong> : définir les objectifs</li><li><em>Deuxième point</em> : mesurer</li></ul>`

// BenchmarkSnippet is the Go side of a page of twenty results' snippets.
func BenchmarkSnippet(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m := newSnippetMatcher(`'communaut' & 'chart'`, "palabre_french")
		for range SearchPageSize {
			highlightTitle("Comment mesurer l’engagement de la communauté sur un forum", m)
			snippet(benchPost, m)
		}
	}
}
