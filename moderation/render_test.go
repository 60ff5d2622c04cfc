package moderation

import (
	"slices"
	"strings"
	"testing"
)

// members is the MemberExists of the render tests.
func members(name string) bool {
	switch strings.ToLower(name) {
	case "alice", "bob", "jean-luc", "marie.curie", "élodie":
		return true
	}
	return false
}

func TestRenderHTML(t *testing.T) {
	tests := []struct {
		name, md string
		want     []string // substrings of the HTML
		not      []string // must not appear
	}{
		{"h1 and h2 demoted", "# Un\n\n## Deux\n\n### Trois\n\n#### Quatre\n\n###### Six\n\nSetext\n===",
			[]string{"<h3>Un</h3>", "<h3>Deux</h3>", "<h3>Trois</h3>", "<h4>Quatre</h4>", "<h6>Six</h6>", "<h3>Setext</h3>"},
			[]string{"<h1", "<h2"}},
		{"emphasis", "**gras** *italique* ~~barré~~ `code`",
			[]string{"<strong>gras</strong>", "<em>italique</em>", "<del>barré</del>", "<code>code</code>"}, nil},
		{"soft line breaks stay soft", "ligne un\nligne deux", []string{"ligne un\nligne deux"}, []string{"<br"}},
		{"hard line break", "ligne un\\\nligne deux", []string{"<br>"}, nil},
		{"table with alignment", "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |",
			[]string{"<table>", `<th align="left">a</th>`, `<td align="center">2</td>`, `<td align="right">3</td>`}, []string{"style="}},
		{"task list", "- [x] fait\n- [ ] à faire",
			[]string{`<input checked="" disabled="" type="checkbox">`, `<input disabled="" type="checkbox">`}, nil},
		{"raw HTML dropped", "<b onclick=\"x()\">gras</b>\n\n<div>bloc</div>",
			[]string{"gras"}, []string{"<b", "<div", "onclick"}},
		{"fenced code", "```go\nfmt.Println(\"<script>\")\n```",
			[]string{`<pre><code class="language-go">fmt.Println(&quot;&lt;script&gt;&quot;)`}, nil},
		{"javascript link emptied", "[x](javascript:alert(1))", []string{`<a href="">x</a>`}, []string{"javascript"}},
		{"bare URLs linked", "voir https://example.org/a?b=1. et www.exemple.fr",
			[]string{`<a href="https://example.org/a?b=1">https://example.org/a?b=1</a>.`, `<a href="http://www.exemple.fr">www.exemple.fr</a>`}, nil},
		{"e-mail linked", "écrire à jean@example.org !", []string{`<a href="mailto:jean@example.org">jean@example.org</a>`}, nil},
		{"ordered list start", "3. trois\n4. quatre", []string{`<ol start="3">`}, nil},
	}
	for _, tt := range tests {
		html := Render(tt.md, RenderOptions{MemberExists: members}).HTML
		for _, w := range tt.want {
			if !strings.Contains(html, w) {
				t.Errorf("%s: Render(%q) =\n%s\nwant it to contain %q", tt.name, tt.md, html, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(html, n) {
				t.Errorf("%s: Render(%q) =\n%s\nwant no %q", tt.name, tt.md, html, n)
			}
		}
	}
}

// A document of its own (the guidelines) sits under the page's h1: its
// headings start at h2 and keep their order, no level skipped.
func TestRenderDocumentHeadingsStartAtH2(t *testing.T) {
	html := Render("# Charte\n\n## Le respect\n\n### Détail", RenderOptions{Document: true}).HTML
	for _, want := range []string{"<h2>Charte</h2>", "<h2>Le respect</h2>", "<h3>Détail</h3>"} {
		if !strings.Contains(html, want) {
			t.Errorf("%s missing from %s", want, html)
		}
	}
	if html := Render(defaultGuidelines["fr"], RenderOptions{Document: true}).HTML; !strings.Contains(html, "<h2>Le respect avant tout</h2>") || strings.Contains(html, "<h3>") {
		t.Errorf("the default guidelines' sections are not h2: %s", html)
	}
}

func TestRenderMentions(t *testing.T) {
	tests := []struct {
		md       string
		mentions []string
		links    []string // mention links in the HTML
	}{
		{"Salut @alice !", []string{"alice"}, []string{`<a class="mention" href="/u/alice">@alice</a>`}},
		{"@Alice et @alice et @ALICE", []string{"Alice"}, []string{`href="/u/Alice">@Alice</a>`, `href="/u/ALICE">@ALICE</a>`}},
		{"merci @bob.", []string{"bob"}, []string{`href="/u/bob">@bob</a>.`}},
		{"@jean-luc, @marie.curie et @élodie", []string{"jean-luc", "marie.curie", "élodie"},
			[]string{`href="/u/jean-luc"`, `href="/u/marie.curie"`, `href="/u/%C3%A9lodie">@élodie</a>`}},
		{"@ghost n'existe pas", nil, nil},
		{"`@alice` en code", nil, nil},
		{"```\n@alice en bloc\n```", nil, nil},
		{"    @alice indenté", nil, nil},
		{"[lien vers @alice](https://example.org)", nil, nil},
		{"![photo de @alice](https://example.org/a.png)", nil, nil},
		{"alice@example.org et bob@localhost", nil, nil},
		{"@bob@example.org", nil, nil},
		{"**@alice**", []string{"alice"}, []string{`<strong><a class="mention" href="/u/alice">@alice</a></strong>`}},
		{"(@bob)", []string{"bob"}, []string{`(<a class="mention" href="/u/bob">@bob</a>)`}},
		{"@ seul et @. et @-", nil, nil},
	}
	for _, tt := range tests {
		r := Render(tt.md, RenderOptions{MemberExists: members})
		if !slices.Equal(r.Mentions, tt.mentions) {
			t.Errorf("Render(%q).Mentions = %q, want %q", tt.md, r.Mentions, tt.mentions)
		}
		for _, l := range tt.links {
			if !strings.Contains(r.HTML, l) {
				t.Errorf("Render(%q) =\n%s\nwant %q", tt.md, r.HTML, l)
			}
		}
		if len(tt.links) == 0 && strings.Contains(r.HTML, `class="mention"`) {
			t.Errorf("Render(%q) =\n%s\nwant no mention link", tt.md, r.HTML)
		}
	}

	// Without MemberExists nothing is linked, and nothing is lost.
	r := Render("Salut @alice", RenderOptions{})
	if len(r.Mentions) != 0 || !strings.Contains(r.HTML, "Salut @alice") {
		t.Errorf("Render without MemberExists = %q, %q", r.HTML, r.Mentions)
	}
}

func TestRenderMemberExistsOncePerName(t *testing.T) {
	calls := map[string]int{}
	Render("@alice @alice @bob @alice", RenderOptions{MemberExists: func(n string) bool {
		calls[n]++
		return true
	}})
	if calls["alice"] != 1 || calls["bob"] != 1 {
		t.Errorf("MemberExists calls = %v, want one per name", calls)
	}
}

func TestRenderQuotes(t *testing.T) {
	tests := []struct {
		name, md string
		quotes   []int64
		want     []string
	}{
		{"simple", "[quote=alice post=12]\nTexte **cité**\n[/quote]\naprès", []int64{12}, []string{
			`<blockquote class="quote" data-post="12">` + "\n" + `<p class="quote-source"><a href="/p/12">@alice</a></p>` + "\n<p>Texte <strong>cité</strong></p>\n</blockquote>\n<p>après</p>",
		}},
		{"nested", "[quote=alice post=1]\nA\n[quote=bob post=2]\nB\n[/quote]\nA encore\n[/quote]\nfin", []int64{1, 2}, []string{
			"<p>B</p>\n</blockquote>\n<p>A encore</p>\n</blockquote>\n<p>fin</p>",
		}},
		{"closing marker in code", "[quote=alice post=1]\n```\n[/quote]\n```\nsuite\n[/quote]", []int64{1}, []string{
			"<pre><code>[/quote]\n</code></pre>\n<p>suite</p>\n</blockquote>",
		}},
		{"opening marker in code", "```\n[quote=alice post=1]\n```", nil, []string{"<pre><code>[quote=alice post=1]\n</code></pre>"}},
		{"opening marker in inline code", "`[quote=alice post=1]`", nil, []string{"<code>[quote=alice post=1]</code>"}},
		{"unclosed", "[quote=alice post=3]\nsans fin", []int64{3}, []string{"<p>sans fin</p>\n</blockquote>"}},
		{"interrupts a paragraph", "avant\n[quote=alice post=4]\ndedans\n[/quote]", []int64{4}, []string{"<p>avant</p>\n<blockquote"}},
		{"in a list item", "- [quote=alice post=5]\n  dans la liste\n  [/quote]\n- suivant", []int64{5}, []string{
			"<li>\n<blockquote class=\"quote\" data-post=\"5\">", "<p>dans la liste</p>\n</blockquote>\n</li>\n<li>suivant</li>",
		}},
		{"same post twice", "[quote=a post=6]\nx\n[/quote]\n[quote=a post=6]\ny\n[/quote]", []int64{6}, nil},
		{"markers are not inline", "voir [quote=alice post=7] ici", nil, []string{"<p>voir [quote=alice post=7] ici</p>"}},
		{"bad name", "[quote=a,b post=1]\nx\n[/quote]", nil, []string{"<p>[quote=a,b post=1]\nx\n[/quote]</p>"}},
		{"bad post", "[quote=alice post=abc]\n[/quote]", nil, []string{"[quote=alice post=abc]"}},
		{"post zero", "[quote=alice post=0]\n[/quote]", nil, []string{"<p>[quote=alice post=0]\n[/quote]</p>"}},
		// [quote=name], without a post (written by hand, as in BBCode):
		// attributed to the member, linked to their page.
		{"name only", "[quote=jeanne]\nle temps moyen\n[/quote]\n\nC’est ça.", nil, []string{
			`<blockquote class="quote">` + "\n" + `<p class="quote-source"><a href="/u/jeanne">@jeanne</a></p>` + "\n<p>le temps moyen</p>\n</blockquote>\n<p>C’est ça.</p>",
		}},
		{"name only, escaped", "[quote=élodie.b]\nx\n[/quote]", nil, []string{`<a href="/u/%C3%A9lodie.b">@élodie.b</a>`}},
		{"name only nested in a quote of a post", "[quote=alice post=9]\n[quote=bob]\nB\n[/quote]\nA\n[/quote]", []int64{9}, []string{
			`<blockquote class="quote">` + "\n" + `<p class="quote-source"><a href="/u/bob">@bob</a></p>` + "\n<p>B</p>\n</blockquote>\n<p>A</p>\n</blockquote>",
		}},
		{"name only, spaced", "[quote=bob ]\nB\n[/quote]", nil, []string{`<a href="/u/bob">@bob</a></p>` + "\n<p>B</p>"}},
		{"empty name", "[quote=]\nx\n[/quote]", nil, []string{"<p>[quote=]\nx\n[/quote]</p>"}},
		{"name then junk", "[quote=alice bob]\nx\n[/quote]", nil, []string{"<p>[quote=alice bob]"}},
		{"indented code", "    [quote=alice post=1]", nil, []string{"<pre><code>[quote=alice post=1]"}},
		{"nesting bounded", strings.Repeat("[quote=a post=1]\n", 10) + "x", []int64{1}, []string{
			strings.Repeat(`<blockquote class="quote" data-post="1">`+"\n"+`<p class="quote-source"><a href="/p/1">@a</a></p>`+"\n", 8) +
				"<p>[quote=a post=1]\n[quote=a post=1]\nx</p>",
		}},
	}
	for _, tt := range tests {
		r := Render(tt.md, RenderOptions{})
		if !slices.Equal(r.Quotes, tt.quotes) {
			t.Errorf("%s: Render(%q).Quotes = %v, want %v", tt.name, tt.md, r.Quotes, tt.quotes)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.HTML, w) {
				t.Errorf("%s: Render(%q) =\n%s\nwant it to contain\n%s", tt.name, tt.md, r.HTML, w)
			}
		}
	}
}

func TestRenderLinksAndImages(t *testing.T) {
	md := "[a](https://a.example/x) <https://b.example> www.c.example [rel](/p/3) [js](javascript:alert(1)) " +
		"d@example.org ![img](https://img.example/i.png) ![](https://img.example/noalt.png \"t\") [f](ftp://f.example)"
	r := Render(md, RenderOptions{})
	wantLinks := []string{"https://a.example/x", "https://b.example", "http://www.c.example", "mailto:d@example.org"}
	if !slices.Equal(r.Links, wantLinks) {
		t.Errorf("Links = %q, want %q", r.Links, wantLinks)
	}
	wantImages := []string{"https://img.example/i.png", "https://img.example/noalt.png"}
	if !slices.Equal(r.Images, wantImages) {
		t.Errorf("Images = %q, want %q", r.Images, wantImages)
	}
	// Images not allowed: links labelled with the alt text, or the URL.
	for _, w := range []string{`<a href="https://img.example/i.png">img</a>`,
		`<a href="https://img.example/noalt.png" title="t">https://img.example/noalt.png</a>`} {
		if !strings.Contains(r.HTML, w) {
			t.Errorf("Render without images =\n%s\nwant %q", r.HTML, w)
		}
	}
	if strings.Contains(r.HTML, "<img") {
		t.Errorf("Render without images has an <img>:\n%s", r.HTML)
	}
	r = Render(md, RenderOptions{AllowImages: true})
	if !strings.Contains(r.HTML, `<img src="https://img.example/i.png" alt="img">`) {
		t.Errorf("Render with images =\n%s\nwant the <img>", r.HTML)
	}
}

func TestRenderEmpty(t *testing.T) {
	r := Render("", RenderOptions{MemberExists: members})
	if r.HTML != "" || r.Links != nil || r.Images != nil || r.Mentions != nil || r.Quotes != nil {
		t.Errorf("Render(\"\") = %+v, want zero", r)
	}
}

// The demo's posts show no Markdown or quote marker as text: its quote
// ([quote=jeanne], written by hand) renders as a quote.
func TestDemoPostsRenderTheirMarkup(t *testing.T) {
	quotes := 0
	check := func(body string) {
		html := Render(body, RenderOptions{}).HTML
		if strings.Contains(html, "[quote") || strings.Contains(html, "[/quote]") {
			t.Errorf("%q renders a quote marker as text:\n%s", body, html)
		}
		quotes += strings.Count(html, `<blockquote class="quote"`)
	}
	for _, th := range demoThreads {
		check(th.body)
		for _, r := range th.replies {
			check(r.body)
		}
	}
	if quotes == 0 {
		t.Error("no quote in the demo: the check is vacuous")
	}
}
