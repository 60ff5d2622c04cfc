package moderation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzPipelineHTML runs Normalize → Render → Sanitize on anything and checks
// that the HTML is safe and that sanitizing it again changes nothing. Its
// seeds (the hostile samples of testdata/sanitize and a few more) run in
// every plain go test.
func FuzzPipelineHTML(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "sanitize", "*"))
	for _, in := range inputs {
		if src, err := os.ReadFile(in); err == nil && !strings.HasSuffix(in, ".golden.html") {
			f.Add(string(src), true)
			f.Add(string(src), false)
		}
	}
	for _, s := range []string{
		"[x](javascript:alert(1))",
		"[x](jav&#x09;ascript:alert(1))",
		"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
		"![x](data:image/svg+xml;base64,PHN2Zz4=)",
		"<img src=x onerror=alert(1)>",
		"[quote=a post=1]\n[quote=b post=2]\n<script>\n[/quote]\n[/quote]",
		"`@alice` @alice [@alice](/u/alice) a@alice.org",
		"| a |\n|---|\n| <iframe> |",
		"- [x] <input type=text>",
		"<<script>script>alert(1)<</script>/script>",
		"[x](https://example.org/\"onmouseover=\"alert(1))",
		"[x]( https://example.org/a b )",
		"www.example.org/<script>",
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, md string, allowImages bool) {
		s, err := Normalize(md, "body", TextLimits{MaxRunes: 1 << 16})
		if err != nil {
			return
		}
		r := Render(s, RenderOptions{MemberExists: func(string) bool { return true }, AllowImages: allowImages})
		out := Sanitize(r.HTML, allowImages)
		checkSafeHTML(t, out)
		if !allowImages && strings.Contains(out, "<img") {
			t.Errorf("an image where images are not allowed: %s", out)
		}
		if again := Sanitize(out, allowImages); again != out {
			t.Errorf("Sanitize is not idempotent:\n%q\nthen\n%q", out, again)
		}
	})
}

// checkSafeHTML fails t if s holds a script, iframe or style element, an
// event handler, or a javascript:, vbscript: or data: URL.
func checkSafeHTML(t *testing.T, s string) {
	t.Helper()
	lower := strings.ToLower(s)
	for _, bad := range []string{"<script", "<iframe", "<style", "<object", "<embed", "<form", "<svg", "<math"} {
		if strings.Contains(lower, bad) {
			t.Errorf("output holds %s: %s", bad, s)
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
				t.Errorf("<%s> has the attribute %s: %s", tok.Data, a.Key, s)
			}
			if a.Key == "rel" && a.Val != "nofollow ugc noopener" {
				t.Errorf("<%s> has rel=%q: %s", tok.Data, a.Val, s)
			}
			if a.Key != "href" && a.Key != "src" {
				continue
			}
			// Browsers drop ASCII whitespace and controls inside schemes.
			v := strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, strings.ToLower(a.Val))
			for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(v, scheme) {
					t.Errorf("<%s %s=%q>: %s", tok.Data, a.Key, a.Val, s)
				}
			}
		}
		if tok.Data == "a" && hasAttr(tok, "href") && !hasAttr(tok, "rel") {
			t.Errorf("a link without rel: %s", s)
		}
	}
}

func hasAttr(tok html.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// FuzzSanitize gives Sanitize any HTML, not only what Render writes: it is
// the second line of defence.
func FuzzSanitize(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "sanitize", "*.html"))
	for _, in := range inputs {
		if src, err := os.ReadFile(in); err == nil {
			f.Add(string(src), true)
		}
	}
	f.Add(`<a href="jav&#x09;ascript:alert(1)" rel="x">x</a><img src=x onerror=alert(1)>`, false)
	f.Fuzz(func(t *testing.T, in string, allowImages bool) {
		out := Sanitize(in, allowImages)
		checkSafeHTML(t, out)
		if again := Sanitize(out, allowImages); again != out {
			t.Errorf("Sanitize is not idempotent on %q:\n%q\nthen\n%q", in, out, again)
		}
	})
}
