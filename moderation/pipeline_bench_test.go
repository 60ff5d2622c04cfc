package moderation

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// frenchPost is a realistic post of about 1 KB: paragraphs, emphasis, a
// list, a link, a mention, inline code and a quote.
const frenchPost = `Bonjour à tous,

Je reviens sur la discussion d'hier à propos de la **réunion de quartier** : j'ai relu le compte rendu
et je pense qu'on a oublié un point important. Comme l'a dit @marie, la salle des fêtes n'est
disponible que le *jeudi soir*, ce qui pose problème pour les familles avec de jeunes enfants.

Quelques propositions :

- avancer la réunion à 18 h 30 ;
- proposer une garderie (la MJC est d'accord, voir https://mjc-exemple.fr/garderie) ;
- publier l'ordre du jour une semaine avant.

[quote=paul post=4521]
Il faudrait aussi prévoir un vote en ligne pour ceux qui ne peuvent pas venir.
[/quote]

Pour le vote en ligne, je ne suis pas sûr que ce soit simple à mettre en place, mais on peut
essayer avec un formulaire. J'ai préparé un brouillon ici : [brouillon](https://exemple.org/vote).
Si quelqu'un connaît la commande ` + "`rsync -av`" + ` pour sauvegarder les fichiers, ça m'aiderait.

Merci d'avance, et bonne soirée à toutes et à tous !
`

func benchMemberExists(name string) bool { return name == "marie" }

// BenchmarkPipeline runs the text stages of a submission: Normalize,
// Render, Sanitize and the watched words.
func BenchmarkPipeline(b *testing.B) {
	for _, n := range benchSizes {
		m := CompileWatchedWords(benchWords(n))
		b.Run(fmt.Sprintf("words=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(frenchPost)))
			b.ReportAllocs()
			for b.Loop() {
				runPipeline(b, m)
			}
		})
	}
}

func runPipeline(b *testing.B, m *WordMatcher) {
	md, err := Normalize(frenchPost, "body", TextLimits{MinRunes: 1, MaxRunes: 32000})
	if err != nil {
		b.Fatal(err)
	}
	r := Render(md, RenderOptions{MemberExists: benchMemberExists, AllowImages: true})
	_ = Sanitize(r.HTML, true)
	_ = m.Match(md)
}

// The stages one by one, to see where the time goes.

func BenchmarkNormalize(b *testing.B) {
	b.SetBytes(int64(len(frenchPost)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Normalize(frenchPost, "body", TextLimits{MaxRunes: 32000})
	}
}

func BenchmarkRender(b *testing.B) {
	b.SetBytes(int64(len(frenchPost)))
	b.ReportAllocs()
	for b.Loop() {
		Render(frenchPost, RenderOptions{MemberExists: benchMemberExists, AllowImages: true})
	}
}

func BenchmarkSanitize(b *testing.B) {
	html := Render(frenchPost, RenderOptions{MemberExists: benchMemberExists, AllowImages: true}).HTML
	b.SetBytes(int64(len(html)))
	b.ReportAllocs()
	for b.Loop() {
		Sanitize(html, true)
	}
}

func BenchmarkSkeleton(b *testing.B) {
	b.SetBytes(int64(len(frenchPost)))
	b.ReportAllocs()
	for b.Loop() {
		buildSkeleton(frenchPost).release()
	}
}

// BenchmarkLibrariesAlone is what the two libraries the pipeline uses cost
// as they come, beside BenchmarkRender and BenchmarkSanitize: the same post
// through goldmark.New with GFM and bluemonday's UGCPolicy, both built once,
// nothing of Palabre's. Render is stock goldmark plus Palabre's syntax
// extension (mentions, quotes); Sanitize is a stricter policy.
func BenchmarkLibrariesAlone(b *testing.B) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy := bluemonday.UGCPolicy()
	var buf bytes.Buffer
	for _, stage := range []string{"goldmark", "bluemonday", "both"} {
		html := ""
		if stage == "bluemonday" {
			buf.Reset()
			if err := md.Convert([]byte(frenchPost), &buf); err != nil {
				b.Fatal(err)
			}
			html = buf.String()
		}
		b.Run(stage, func(b *testing.B) {
			b.SetBytes(int64(len(frenchPost)))
			b.ReportAllocs()
			for b.Loop() {
				if stage != "bluemonday" {
					buf.Reset()
					if err := md.Convert([]byte(frenchPost), &buf); err != nil {
						b.Fatal(err)
					}
					html = buf.String()
				}
				if stage != "goldmark" {
					policy.Sanitize(html)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
		})
	}
}
