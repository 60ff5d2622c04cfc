package server

import (
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

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
	m, err := compileMessage(&i18n.Message{ID: "x", Other: "à {{.Address}}, {{.N}} fois, {{.Missing}}"})
	if err != nil {
		t.Fatal(err)
	}
	ip, n := "10.0.0.1", 3
	if got := format(m, language.French, argMap{"Address": &ip, "N": &n}); got != "à 10.0.0.1, 3 fois, <no value>" {
		t.Errorf("format = %q", got)
	}
	tm, err := compileMessage(&i18n.Message{ID: "y", One: "{{.Count}} chose{{if .Extra}} ({{.Extra}}){{end}}", Other: "{{.Count}} choses"})
	if err != nil {
		t.Fatal(err)
	}
	if got := format(tm, language.French, argMap{"Count": 1, "Extra": "bis"}); got != "1 chose (bis)" {
		t.Errorf("template form = %q", got)
	}
	if got := format(tm, language.French, argMap{"Count": 4}); got != "4 choses" {
		t.Errorf("plural = %q", got)
	}
	// The same through the name/value pairs of Lang.T.
	if got := format(m, language.French, argPairs{"Address", &ip, "N", &n}); got != "à 10.0.0.1, 3 fois, <no value>" {
		t.Errorf("format with pairs = %q", got)
	}
	if got := format(tm, language.French, argPairs{"Count", 1, "Extra", "bis"}); got != "1 chose (bis)" {
		t.Errorf("template form with pairs = %q", got)
	}
	if got := format(tm, language.French, argPairs{"Extra", "bis", "Count", 4}); got != "4 choses" {
		t.Errorf("plural with pairs = %q", got)
	}
}
