package server

import (
	"encoding/json"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palabre/palabre/templates"
)

func loadTestCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := LoadCatalog(templates.FS, "locales", "fr")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every message exists in both languages.
func TestCataloguesHaveTheSameKeys(t *testing.T) {
	c := loadTestCatalog(t)
	fr, en := c.Keys("fr"), c.Keys("en")
	for k := range fr {
		if !en[k] {
			t.Errorf("%q is in French but not in English", k)
		}
	}
	for k := range en {
		if !fr[k] {
			t.Errorf("%q is in English but not in French", k)
		}
	}
}

// Every message id used in templates (.T "id") and in Go code (a domain
// error key, a T call) exists in the catalogues.
func TestEveryUsedMessageExists(t *testing.T) {
	c := loadTestCatalog(t)
	used := map[string]string{}
	tmplKey := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	err := fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".html") {
			b, _ := fs.ReadFile(templates.FS, p)
			for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Go code: Errorf(code, "key", …), .T("key"…), t("key"…) (the pages written
	// in Go), .Msg("key"…), Key: "key".
	goKey := regexp.MustCompile(`(?:Errorf\([a-zA-Z.]+, |\.T\(|\bt\(|\.Msg\(|Key: )"([a-z_]+\.[a-z0-9_.]+)"`)
	root := filepath.Join("..")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".data" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, _ := os.ReadFile(p)
			for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 20 {
		t.Fatalf("found only %d message ids: the scan is broken", len(used))
	}
	var missing []string
	for k, where := range used {
		if !c.Lang("fr").Has(k) || !c.Lang("en").Has(k) {
			missing = append(missing, k+" (used in "+where+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("message %s is missing from a catalogue", m)
	}
}

func TestNegotiateLanguage(t *testing.T) {
	c := loadTestCatalog(t)
	for _, tc := range []struct{ pref, accept, site, want string }{
		{"", "", "", "fr"},
		{"", "", "en", "en"},
		{"", "de-DE", "en", "en"},
		{"", "fr-FR", "en", "fr"},
		{"", "en-US,en;q=0.9", "", "en"},
		{"", "de-DE,de;q=0.9", "", "fr"},
		{"", "de-DE,en;q=0.5", "", "en"},
		{"fr", "en-US", "", "fr"},
		{"en", "fr", "", "en"},
		{"xx", "garbage;;;", "", "fr"},
	} {
		if got := c.Negotiate(tc.pref, tc.accept, tc.site).Code; got != tc.want {
			t.Errorf("Negotiate(%q, %q, %q) = %s, want %s", tc.pref, tc.accept, tc.site, got, tc.want)
		}
	}
}

func TestPluralsFollowEachLanguage(t *testing.T) {
	c := loadTestCatalog(t)
	for _, tc := range []struct {
		lang  string
		count int
		want  string
	}{
		{"fr", 0, "0 réponse"}, {"fr", 1, "1 réponse"}, {"fr", 2, "2 réponses"},
		{"en", 0, "0 replies"}, {"en", 1, "1 reply"}, {"en", 2, "2 replies"},
	} {
		if got := c.Lang(tc.lang).T("home.replies", "Count", tc.count); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.lang, tc.count, got, tc.want)
		}
	}
}

// Arguments are printed as text/template would: pointers followed, a
// missing argument visible.
func TestMessageArguments(t *testing.T) {
	catalogue := `{"x": "à {{.Address}}, {{.N}} fois, {{.Missing}}",
		"y": {"one": "{{.Count}} chose{{if .Extra}} ({{.Extra}}){{end}}", "other": "{{.Count}} choses"}}`
	c, err := LoadCatalog(fstest.MapFS{
		"l/t.fr.json": {Data: []byte(catalogue)},
		"l/t.en.json": {Data: []byte(catalogue)},
	}, "l", "fr")
	if err != nil {
		t.Fatal(err)
	}
	l := c.Lang("fr")
	ip, n := "10.0.0.1", 3
	if got := l.Msg("x", map[string]any{"Address": &ip, "N": &n}); got != "à 10.0.0.1, 3 fois, <no value>" {
		t.Errorf("format = %q", got)
	}
	if got := l.Msg("y", map[string]any{"Count": 1, "Extra": "bis"}); got != "1 chose (bis)" {
		t.Errorf("template form = %q", got)
	}
	if got := l.Msg("y", map[string]any{"Count": 4}); got != "4 choses" {
		t.Errorf("plural = %q", got)
	}
	// The same through the name/value pairs of Lang.T.
	if got := l.T("x", "Address", &ip, "N", &n); got != "à 10.0.0.1, 3 fois, <no value>" {
		t.Errorf("format with pairs = %q", got)
	}
	if got := l.T("y", "Count", 1, "Extra", "bis"); got != "1 chose (bis)" {
		t.Errorf("template form with pairs = %q", got)
	}
	if got := l.T("y", "Extra", "bis", "Count", 4); got != "4 choses" {
		t.Errorf("plural with pairs = %q", got)
	}
	// Max or Min choose the form too; a missing message shows its id.
	if got := l.T("y", "Max", int64(1)); got != "<no value> chose" {
		t.Errorf("plural by Max = %q", got)
	}
	if got := l.T("nowhere"); got != "[nowhere]" {
		t.Errorf("missing message = %q", got)
	}
	if text, ok := l.constant("x"); ok {
		t.Errorf("constant(x) = %q, a message with arguments", text)
	}
}

// A message without its "other" form stops the start.
func TestCatalogueRefusesAMessageWithoutOther(t *testing.T) {
	bad := `{"y": {"one": "une chose"}}`
	_, err := LoadCatalog(fstest.MapFS{
		"l/t.fr.json": {Data: []byte(bad)},
		"l/t.en.json": {Data: []byte(`{"y": "things"}`)},
	}, "l", "fr")
	if err == nil || !strings.Contains(err.Error(), "other") {
		t.Errorf("LoadCatalog = %v, want an error about the other form", err)
	}
}

// The labels answered from the constants give what go-i18n's localizer
// gives, in every language.
func TestConstantsAsTheLocalizer(t *testing.T) {
	c := loadTestCatalog(t)
	for _, code := range []string{"fr", "en"} {
		l := c.Lang(code)
		if len(l.constants) < 100 {
			t.Fatalf("%s: only %d constants", code, len(l.constants))
		}
		for id, text := range l.constants {
			want, err := l.localizer.Localize(&i18n.LocalizeConfig{MessageID: id})
			if err != nil || text != want {
				t.Errorf("%s %s: constant %q, localizer %q (%v)", code, id, text, want, err)
			}
		}
	}
}

// The French and English texts of a message use the same arguments: a
// placeholder in one language only would show "<no value>" in the other,
// or lose an argument.
func TestCataloguesUseTheSamePlaceholders(t *testing.T) {
	action := regexp.MustCompile(`{{[^}]*}}`)
	placeholder := regexp.MustCompile(`\.([A-Z][A-Za-z0-9_]*)`)
	args := map[string]map[string]string{} // language → id → its arguments
	files, _ := fs.Glob(templates.FS, "locales/*.json")
	for _, f := range files {
		b, err := fs.ReadFile(templates.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := i18n.ParseMessageFileBytes(b, f, map[string]i18n.UnmarshalFunc{"json": json.Unmarshal})
		if err != nil {
			t.Fatal(err)
		}
		lang := mf.Tag.String()
		if args[lang] == nil {
			args[lang] = map[string]string{}
		}
		for _, m := range mf.Messages {
			set := map[string]bool{}
			for _, text := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				for _, a := range action.FindAllString(text, -1) {
					for _, p := range placeholder.FindAllStringSubmatch(a, -1) {
						set[p[1]] = true
					}
				}
			}
			names := make([]string, 0, len(set))
			for n := range set {
				names = append(names, n)
			}
			sort.Strings(names)
			args[lang][m.ID] = strings.Join(names, ", ")
		}
	}
	if len(args["fr"]) < 100 || len(args["en"]) < 100 {
		t.Fatalf("read %d French and %d English messages", len(args["fr"]), len(args["en"]))
	}
	for id, fr := range args["fr"] {
		if en, ok := args["en"][id]; ok && en != fr {
			t.Errorf("%s: French uses {%s}, English {%s}", id, fr, en)
		}
	}
}
