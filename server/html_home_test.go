package server

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
)

// The home page written in Go is the template it replaced
// (testdata/home.html) for visitors and members, with and without
// categories and threads, in both languages (white space aside), and it
// escapes what admins and members wrote.
func TestHomePageWrittenInGoIsTheTemplate(t *testing.T) {
	catalog, assets, _ := goWritten(t)
	tmpl := replacedTemplate(t, assets, "home.html")

	author, last := "alice", "bob"
	read, unread := 3, 2
	now := time.Now()
	cats := []forum.Category{
		{ID: 1, Slug: "vie-du-quartier", Name: "Vie du quartier", Description: "Tout ce qui <concerne> le « quartier »", ThreadCount: 12},
		{ID: 2, Slug: "annonces", Name: `Annonces & "infos"`, ThreadCount: 1},
		{ID: 3, Slug: "vide", Name: "Vide"},
	}
	threads := []forum.Thread{
		{ID: 7, CategorySlug: "vie-du-quartier", CategoryName: "Vie du quartier", Title: "Réunion : les « propositions »",
			Slug: "reunion-les-propositions", Status: forum.StatusPublished, PostCount: 42, AuthorName: &author,
			LastPosterName: &last, LastPostAt: now.Add(-time.Hour), LastRead: &read, Unread: &unread},
		{ID: 8, CategorySlug: "annonces", CategoryName: `Annonces & "infos"`, Title: "<b>Fête</b>", Slug: "fete",
			Status: forum.StatusHeld, Pinned: true, PostCount: 1, LastPostAt: now.Add(-48 * time.Hour)},
	}
	member := &forum.Member{ID: 1, Username: "zoe", Role: forum.RoleMember}
	cases := []struct {
		name   string
		member *forum.Member
		page   homePage
	}{
		{"visitor", nil, homePage{Categories: cats, Latest: threads}},
		{"member", member, homePage{Categories: cats, Latest: threads}},
		{"empty forum", nil, homePage{}},
		{"categories without threads", member, homePage{Categories: cats[2:]}},
	}
	for _, code := range []string{"fr", "en"} {
		for _, c := range cases {
			d := c.page
			v := &View{Lang: catalog.Lang(code), Member: c.member, Now: now, SiteName: `Le "Jardin" & <co>`, Data: &d}
			var want bytes.Buffer
			if err := tmpl.ExecuteTemplate(&want, "content", v); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			writeHomeContent(&got, v, &d)
			if g, w := sameHTML(got.String()), sameHTML(want.String()); g != w {
				t.Errorf("%s, %s:\nGo:       %.300s\ntemplate: %.300s", code, c.name, firstDifference(g, w), firstDifference(w, g))
			}
			if hasButton := strings.Contains(got.String(), `<a class="button" href="/new">`); hasButton != (c.member != nil) {
				t.Errorf("%s, %s: a New thread button %v, want one for members only", code, c.name, hasButton)
			}
			for _, bad := range []string{"<concerne>", "<b>Fête", "<co>", `& "infos"`} {
				if strings.Contains(got.String(), bad) {
					t.Errorf("%s, %s: %q is not escaped", code, c.name, bad)
				}
			}
		}
	}
}
