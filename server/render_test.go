package server

import (
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/templates"
)

// A page the handlers render but the templates lack stops the start, and so
// does a template that does not parse.
func TestLoadPagesFailsTheStartOnAMissingOrBrokenPage(t *testing.T) {
	funcs := template.FuncMap{"asset": func(string) (string, error) { return "", nil }, "dict": dict, "threadList": threadListHTML, "latestList": latestHTML}
	catalog, err := LoadCatalog(templates.FS, "locales", "fr")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPages(templates.FS, funcs, catalog); err != nil {
		t.Fatalf("the real templates: %v", err)
	}
	fsys := fstest.MapFS{}
	for _, name := range pageNames {
		if name != "error" {
			fsys[name+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}x{{end}}`)}
		}
	}
	_, err = LoadPages(fsys, funcs, catalog)
	if err == nil || !strings.Contains(err.Error(), "error.html is missing") {
		t.Errorf("missing error.html: %v", err)
	}
	fsys["error.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{.Nope "x"}{{end}}`)}
	if _, err := LoadPages(fsys, funcs, catalog); err == nil {
		t.Error("a template that does not parse was accepted")
	}
	fsys["error.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{undefinedFunc}}{{end}}`)}
	if _, err := LoadPages(fsys, funcs, catalog); err == nil {
		t.Error("a template calling an undefined function was accepted")
	}
}

// Labels written into the templates at start-up (LoadPages) must give the
// very pages that translating them at run time gives, in every language, for
// visitors, members and the staff: same text, same escaping.
func TestLabelsWrittenAtStartUpRenderAsAtRunTime(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	accept := func(m *forum.Member) {
		if v, _ := db.RequiredGuidelinesVersion(forumtest.As(m)); v > 0 {
			if err := db.AcceptGuidelines(forumtest.As(m), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	accept(member)
	accept(admin)
	cat := forumtest.MustCategory(t, db)
	th := startThread(t, s, bearer(t, db, admin), cat, "Des libellés « traduits » & échappés")
	hm, ha := bearer(t, db, member), bearer(t, db, admin)
	thread := fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug)
	requests := []request{}
	for _, lang := range []string{"fr", "en"} {
		for _, who := range []map[string]string{nil, hm, ha} {
			for _, path := range []string{"/", thread, "/c/" + cat.Slug, "/search?q=libell%C3%A9s", "/guidelines", "/nowhere"} {
				h := map[string]string{"Accept-Language": lang}
				for k, v := range who {
					h[k] = v
				}
				requests = append(requests, request{path: path, header: h})
			}
		}
		h := map[string]string{"Accept-Language": lang}
		requests = append(requests, request{path: "/login", header: h}, request{path: "/signup", header: h})
		for _, path := range []string{"/account", "/notifications", "/c/" + cat.Slug + "/new", thread + "?quote=" + fmt.Sprint(th.Post.ID)} {
			requests = append(requests, request{path: path, header: map[string]string{"Accept-Language": lang, "Authorization": hm["Authorization"]}})
		}
		for _, path := range []string{"/admin", "/admin/settings", "/admin/rules", "/admin/members", "/mod/queue", "/admin/dashboard"} {
			requests = append(requests, request{path: path, header: map[string]string{"Accept-Language": lang, "Authorization": ha["Authorization"]}})
		}
	}
	// Relative times may move on between the two renderings, and error
	// pages show their request's id.
	times := regexp.MustCompile(`<time[^>]*>[^<]*</time>`)
	ids := regexp.MustCompile(`\b[0-9a-f]{16}\b`)
	render := func() []string {
		out := make([]string, len(requests))
		for i, r := range requests {
			w := s.do(t, r)
			out[i] = fmt.Sprintf("%d %s", w.Code, ids.ReplaceAllString(times.ReplaceAllString(w.Body.String(), "<time>"), "id"))
		}
		return out
	}
	written := render()
	atRunTime, err := loadPages(templates.FS, s.templateFuncs(), s.catalog, false)
	if err != nil {
		t.Fatal(err)
	}
	saved := s.pages
	s.pages = atRunTime
	defer func() { s.pages = saved }()
	translated := render()
	pages := 0
	for i := range requests {
		if written[i] != translated[i] {
			t.Errorf("%s (%s): the page differs when its labels are written at start-up\nwritten:    %.300s\ntranslated: %.300s",
				requests[i].path, requests[i].header["Accept-Language"], firstDifference(written[i], translated[i]), firstDifference(translated[i], written[i]))
		}
		if strings.HasPrefix(written[i], "200 ") {
			pages++
		}
	}
	if pages < len(requests)/2 {
		t.Errorf("only %d of %d pages rendered with 200: the comparison proves little", pages, len(requests))
	}
}

// firstDifference returns a from the first byte where it differs from b.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[max(i-40, 0):]
}

// A label with characters to escape is escaped as html/template would, in
// text and in attributes.
func TestLabelsWrittenAtStartUpAreEscaped(t *testing.T) {
	label := `{"tricky": "<b>Tom & Jerry's \"show\"</b>"}`
	fsys := fstest.MapFS{
		"locales/app.fr.json": {Data: []byte(label)},
		"locales/app.en.json": {Data: []byte(label)},
	}
	for _, name := range pageNames {
		fsys[name+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}<p title="{{.T "tricky"}}">{{.T "tricky"}}</p><a data-x='{{$.T "tricky"}}'>{{.T "tricky"}}</a>{{end}}`)}
	}
	catalog, err := LoadCatalog(fsys, "locales", "fr")
	if err != nil {
		t.Fatal(err)
	}
	funcs := template.FuncMap{"asset": func(string) (string, error) { return "", nil }, "dict": dict, "threadList": threadListHTML, "latestList": latestHTML}
	var out [2]string
	for i, labelsAsText := range []bool{true, false} {
		p, err := loadPages(fsys, funcs, catalog, labelsAsText)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := p.page("fr", "error").ExecuteTemplate(&b, "content", &View{Lang: catalog.Lang("fr")}); err != nil {
			t.Fatal(err)
		}
		out[i] = b.String()
	}
	if out[0] != out[1] {
		t.Errorf("written at start-up:\n%s\ntranslated at run time:\n%s", out[0], out[1])
	}
	if strings.Contains(out[0], "<b>") {
		t.Errorf("a label was not escaped: %s", out[0])
	}
}
