package forum

import (
	"reflect"
	"testing"
)

func TestParseSearchSyntax(t *testing.T) {
	for _, c := range []struct {
		in   string
		want searchSyntax
	}{
		{"chevaux", searchSyntax{Text: "chevaux"}},
		{"  deux   mots ", searchSyntax{Text: "deux mots"}},
		{`"la pluie" -orage or grêle`, searchSyntax{Text: `"la pluie" -orage or grêle`}},
		{`"in:title @alice" x`, searchSyntax{Text: `"in:title @alice" x`}},
		{`pré"fixe avec espace" fin`, searchSyntax{Text: `pré"fixe avec espace" fin`}},
		{"in:title chevaux", searchSyntax{Text: "chevaux", InTitle: true}},
		{"IN:Title chevaux", searchSyntax{Text: "chevaux", InTitle: true}},
		{"in:messages chevaux", searchSyntax{Text: "chevaux", InMessages: true}},
		{"IN:Personal in:title @alice chevaux", searchSyntax{Text: "chevaux", InMessages: true, InTitle: true, Author: "alice"}},
		{`"in:messages" x`, searchSyntax{Text: `"in:messages" x`}},
		{"@alice chevaux", searchSyntax{Text: "chevaux", Author: "alice"}},
		{"user:alice @Alice", searchSyntax{Author: "alice"}},
		{"#annonces chevaux", searchSyntax{Text: "chevaux", Category: "annonces"}},
		{"category:annonces", searchSyntax{Category: "annonces"}},
		{"after:2026-01-01 before:2026-02-01 x y", searchSyntax{Text: "x y", After: "2026-01-01", Before: "2026-02-01"}},
		{"order:latest chevaux", searchSyntax{Text: "chevaux", Order: "latest"}},
		{"ORDER:Relevance chevaux", searchSyntax{Text: "chevaux", Order: "relevance"}},
		{"http://exemple.org note:bien C#", searchSyntax{Text: "http://exemple.org note:bien C#"}},
		{"mail@exemple.org", searchSyntax{Text: "mail@exemple.org"}},
		{"", searchSyntax{}},
	} {
		got, err := parseSearchSyntax(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestParseSearchSyntaxErrors(t *testing.T) {
	for _, c := range []struct{ in, key string }{
		{`"la pluie`, "search.quote_unclosed"},
		{`mot "a" "b`, "search.quote_unclosed"},
		{"in:body chevaux", "search.operator_invalid"},
		{"in: chevaux", "search.operator_invalid"},
		{"in:message chevaux", "search.operator_invalid"},
		{"@ chevaux", "search.operator_invalid"},
		{"# chevaux", "search.operator_invalid"},
		{"user: chevaux", "search.operator_invalid"},
		{"after:2026-13-01 x", "search.operator_invalid"},
		{"before:hier x", "search.operator_invalid"},
		{"order:likes x", "search.operator_invalid"},
		{"@alice @bob x", "search.operator_twice"},
		{"#a category:b x", "search.operator_twice"},
		{"after:2026-01-01 after:2026-01-02 x", "search.operator_twice"},
	} {
		_, err := parseSearchSyntax(c.in)
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || e.Key != c.key || e.Field != "q" {
			t.Errorf("%q: %v, want %s on q", c.in, err, c.key)
		}
	}
}

// The parser never panics, and what it keeps as text never holds an
// operator it took out.
func FuzzParseSearchSyntax(f *testing.F) {
	for _, s := range []string{`"a b" -c or d`, "in:title @x #y after:2026-01-01 order:latest", `"`, "@", "a:b:c", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSearchSyntax(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%q: %T %v", s, err, err)
			}
			return
		}
		again, err := parseSearchSyntax(got.Text)
		if err != nil || again.Text != got.Text || again.InTitle || again.InMessages || again.Author != "" || again.Category != "" ||
			again.After != "" || again.Before != "" || again.Order != "" {
			t.Fatalf("%q: text %q parses again as %+v, %v", s, got.Text, again, err)
		}
	})
}
