package server

import (
	"bytes"
	"html/template"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/static"
	"github.com/palabre/palabre/templates"
)

// The layout written in Go gives the page the template it replaced
// (testdata/layout.html) gave, for every kind of reader, in both languages
// (white space and the case of percent-escapes aside).
func TestLayoutWrittenInGoIsTheTemplate(t *testing.T) {
	catalog, assets, la := goWritten(t)
	src, err := os.ReadFile("testdata/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := template.Must(template.New("layout.html").Funcs(template.FuncMap{"asset": assets.URL}).Parse(string(src)))
	template.Must(tmpl.New("content").Parse(`{{define "content"}}<p>le contenu</p>{{end}}`))

	now := time.Now()
	until := now.Add(48 * time.Hour)
	past := now.Add(-time.Hour)
	member := &forum.Member{ID: 1, Username: "zoé", Email: "zoe@example.org", Role: forum.RoleMember}
	confirmed := &forum.Member{ID: 6, Username: "léa", Role: forum.RoleMember, EmailConfirmationWaived: true}
	silenced := &forum.Member{ID: 2, Username: "muet", Role: forum.RoleMember, SilencedUntil: &until}
	wasSilenced := &forum.Member{ID: 3, Username: "parle", Role: forum.RoleMember, SilencedUntil: &past}
	mod := &forum.Member{ID: 4, Username: "modo", Role: forum.RoleModerator}
	admin := &forum.Member{ID: 5, Username: "camille", Role: forum.RoleAdmin}
	views := 0
	for _, code := range []string{"fr", "en"} {
		for _, v := range []View{
			{Path: "/"},
			{Title: "Un sujet", Path: "/t/1/un-sujet"},
			{Title: "Charte", Path: "/guidelines"},
			{Member: member, Path: "/"},
			{Member: confirmed, Path: "/"},
			{Member: member, Path: "/notifications", Unread: 3, Title: "Notifications"},
			{Member: member, Path: "/account/tokens", Unread: 1},
			{Member: silenced, Path: "/"},
			{Member: wasSilenced, Path: "/"},
			{Member: mod, Path: "/mod/queue", Unread: 12},
			{Member: mod, Path: "/admin/dashboard"},
			{Member: admin, Path: "/admin"},
		} {
			v.Lang, v.SiteName, v.Now = catalog.Lang(code), "Palabre", now
			var want, got bytes.Buffer
			if err := tmpl.ExecuteTemplate(&want, "layout.html", &v); err != nil {
				t.Fatal(err)
			}
			la.layoutHead(&got, &v)
			got.WriteString(`<p>le contenu</p>`)
			la.layoutTail(&got, &v)
			if g, w := sameHTML(got.String()), sameHTML(want.String()); g != w {
				t.Errorf("%s, %s at %s:\nGo:       %.200s\ntemplate: %.200s", code, v.Member.Username, v.Path, firstDifference(g, w), firstDifference(w, g))
			}
			views++
		}
	}
	if views != 24 {
		t.Errorf("%d views compared", views)
	}
}

// What members and admins wrote is escaped in the layout.
func TestLayoutEscapesWhatPeopleWrote(t *testing.T) {
	catalog, _, la := goWritten(t)
	v := &View{Lang: catalog.Lang("fr"), Now: time.Now(), Title: `<script>alert(1)</script>`, SiteName: `Le "forum" & <b>co</b>`,
		Member: &forum.Member{Username: `x"><img src=y>`, Role: forum.RoleMember}}
	var b bytes.Buffer
	la.layoutHead(&b, v)
	la.layoutTail(&b, v)
	for _, bad := range []string{"<script>", "<b>", "<img src=y", `"forum"`} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("%q is not escaped:\n%s", bad, b.String())
		}
	}
}

// goWritten loads what the pages written in Go need: the catalogue, the
// static files and their addresses in the layout.
func goWritten(t *testing.T) (*Catalog, *Assets, layoutAssets) {
	t.Helper()
	assets, err := LoadAssets(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	la, err := newLayoutAssets(assets)
	if err != nil {
		t.Fatal(err)
	}
	return loadTestCatalog(t), assets, la
}

// replacedTemplate is testdata/NAME, a page's template that Go code
// replaced, with the partials and functions the pages had.
func replacedTemplate(t *testing.T, assets *Assets, name string) *template.Template {
	t.Helper()
	tmpl := template.New("").Funcs(template.FuncMap{"asset": assets.URL, "dict": dict, "threadList": threadListHTML, "latestList": latestHTML})
	partials, _ := fs.Glob(templates.FS, "_*.html")
	template.Must(tmpl.ParseFS(templates.FS, partials...))
	src, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return template.Must(tmpl.New(name).Parse(string(src)))
}

var (
	htmlSpace   = regexp.MustCompile(`\s+`)
	htmlBetween = regexp.MustCompile(`> <`)
	htmlEscape  = regexp.MustCompile(`%[0-9A-F]{2}`)
)

// sameHTML is a page as the tests comparing a page written in Go with its
// template see it: white space between and around tags does not count, nor
// the case of percent-escapes (the Go side writes them upper-case, as
// url.PathEscape and RFC 3986 do).
func sameHTML(s string) string {
	s = htmlEscape.ReplaceAllStringFunc(s, strings.ToLower)
	return strings.TrimSpace(htmlBetween.ReplaceAllString(htmlSpace.ReplaceAllString(s, " "), "><"))
}
