package moderation

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/sanitize")

// TestSanitizeGolden runs each testdata/sanitize/*.md through Render and
// Sanitize, and each *.html (but goldens) through Sanitize alone, with
// images allowed (the wider policy), and compares with NAME.golden.html.
func TestSanitizeGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "sanitize", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.html") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimSuffix(in, ".md"), ".html")
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			html := string(src)
			if strings.HasSuffix(in, ".md") {
				html = Render(string(src), RenderOptions{MemberExists: members, AllowImages: true}).HTML
			}
			got := Sanitize(html, true)
			golden := name + ".golden.html"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSanitizeGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("Sanitize(%s) =\n%s\nwant (%s):\n%s", in, got, golden, want)
			}
			checkSafeHTML(t, got)
			if again := Sanitize(got, true); again != got {
				t.Errorf("Sanitize is not idempotent on %s:\n%s\nthen\n%s", in, got, again)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in    string
		allowImages bool
		want        string
	}{
		{"text", "<p>a &amp; b &lt; c</p>", false, "<p>a &amp; b &lt; c</p>"},
		{"script removed with content", "<p>a<script>alert(1)</script>b</p>", false, "<p>ab</p>"},
		{"style removed with content", "<style>p{}</style><p>x</p>", false, "<p>x</p>"},
		{"handler removed", `<p onclick="x()">x</p>`, false, "<p>x</p>"},
		{"style attribute removed", `<p style="color:red">x</p>`, false, "<p>x</p>"},
		{"link gets rel", `<a href="https://example.org">x</a>`, false, `<a href="https://example.org" rel="nofollow ugc noopener">x</a>`},
		{"rel replaced, no target", `<a href="https://example.org" rel="opener" target="_blank">x</a>`, false, `<a href="https://example.org" rel="nofollow ugc noopener">x</a>`},
		{"site link", `<a href="/p/12">x</a>`, false, `<a href="/p/12" rel="nofollow ugc noopener">x</a>`},
		{"mention", `<a class="mention" href="/u/bob">@bob</a>`, false, `<a class="mention" href="/u/bob" rel="nofollow ugc noopener">@bob</a>`},
		{"other class dropped", `<a class="button" href="/u/bob">x</a>`, false, `<a href="/u/bob" rel="nofollow ugc noopener">x</a>`},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, false, "x"},
		{"entity-hidden javascript", `<a href="jav&#x09;ascript:alert(1)">x</a>`, false, "x"},
		{"data link", `<a href="data:text/html,<script>">x</a>`, false, "x"},
		{"protocol-relative link", `<a href="//evil.example">x</a>`, false, "x"},
		{"backslash link", `<a href="/\evil.example">x</a>`, false, "x"},
		{"relative path link", `<a href="evil">x</a>`, false, "x"},
		{"image without images", `<img src="https://example.org/a.png" alt="a">`, false, ""},
		{"image", `<img src="https://example.org/a.png" alt="a" title="t" onerror="x">`, true,
			`<img src="https://example.org/a.png" alt="a" title="t">`},
		{"data image", `<img src="data:image/png;base64,AAAA" alt="a">`, true, ""},
		{"relative image", `<img src="/logout">`, true, ""},
		{"quote", `<blockquote class="quote" data-post="12"><p class="quote-source">x</p></blockquote>`, false,
			`<blockquote class="quote" data-post="12"><p class="quote-source">x</p></blockquote>`},
		{"bad data-post", `<blockquote data-post="1 x">q</blockquote>`, false, "<blockquote>q</blockquote>"},
		{"task checkbox", `<input checked="" disabled="" type="checkbox">`, false, `<input checked="" disabled="" type="checkbox">`},
		{"text input", `<input type="text" name="x">`, false, ""},
		{"disabled text input", `<input type="text" disabled>`, false, ""},
		{"enabled checkbox", `<input type="checkbox" checked>`, false, ""},
		{"table align", `<td align="right" style="x">1</td><td align="justify">2</td>`, false, `<td align="right">1</td><td>2</td>`},
		{"headings", "<h1>a</h1><h2>b</h2><h3>c</h3><h6>d</h6>", false, "ab<h3>c</h3><h6>d</h6>"},
		{"iframe", `<iframe src="https://example.org">x</iframe>`, false, ""},
		{"form", `<form action="/x"><button>b</button></form>`, false, "b"},
		{"svg", `<svg onload="x()"><circle/></svg>`, false, ""},
		{"comment", "<!-- x --><p>y</p>", false, "<p>y</p>"},
	}
	for _, tt := range tests {
		got := Sanitize(tt.in, tt.allowImages)
		if got != tt.want {
			t.Errorf("%s: Sanitize(%q, %v) = %q, want %q", tt.name, tt.in, tt.allowImages, got, tt.want)
		}
		if again := Sanitize(got, tt.allowImages); again != got {
			t.Errorf("%s: not idempotent: %q then %q", tt.name, got, again)
		}
	}
}
