package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/static"
	"github.com/palabre/palabre/templates"
)

// testPages parses the real templates with the server's functions.
func testPages(t testing.TB) *Pages {
	t.Helper()
	assets, err := LoadAssets(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPages(templates.FS, pageFuncs(assets.URL))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testLayoutAssets are the addresses of the layout's files.
func testLayoutAssets(t testing.TB) *layoutAssets {
	t.Helper()
	assets, err := LoadAssets(static.FS)
	if err != nil {
		t.Fatal(err)
	}
	la, err := newLayoutAssets(assets)
	if err != nil {
		t.Fatal(err)
	}
	return la
}

// testThreadStatic is a thread page's parts of a language, as New makes
// them.
func testThreadStatic(t testing.TB, c *Catalog, la *layoutAssets, code string) *threadStatic {
	t.Helper()
	statics, err := newThreadStatics(c, la)
	if err != nil {
		t.Fatal(err)
	}
	return statics[c.Lang(code)]
}

// render renders component c.
func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// layoutOf renders the layout for v around a paragraph.
func layoutOf(t *testing.T, v *View) string {
	t.Helper()
	return render(t, layout(v, testLayoutAssets(t), templ.Raw("<p>le contenu</p>")))
}

// execute renders template name of page with data.
func execute(t *testing.T, p *Pages, page, name string, data any) string {
	t.Helper()
	var b strings.Builder
	if err := p.page(page).ExecuteTemplate(&b, name, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The thread lists escape every text from a member, and each state of a
// thread shows.
func TestThreadListsEscapeAndShowEachState(t *testing.T) {
	catalog, p := loadTestCatalog(t), testPages(t)
	name, poster := `<img src=x onerror=alert(1)>`, "zoé"
	read, unread := 3, 4
	threads := []forum.Thread{
		{ID: 1, Slug: "un-sujet", Title: `Les <script>alert("x")</script> & co`, CategorySlug: "cat", CategoryName: `Cat "A" & <b>`,
			AuthorName: &name, Pinned: true, Locked: true, Status: forum.StatusHeld, PostCount: 8, LastPostAt: time.Now().Add(-time.Hour),
			LastPosterName: &poster, LastRead: &read, Unread: &unread},
		{ID: 2, Slug: "jamais-ouvert", Title: "Jamais ouvert", CategorySlug: "cat", CategoryName: "Cat", PostCount: 1, LastPostAt: time.Now()},
	}
	member := &View{Lang: catalog.Lang("fr"), Now: time.Now(), Member: &forum.Member{ID: 9, Username: "lecteur"}}
	visitor := &View{Lang: catalog.Lang("fr"), Now: time.Now()}
	list := func(v *View, threads []forum.Thread, showCategory bool, empty string) string {
		return execute(t, p, "latest", "thread-list", map[string]any{"View": v, "Threads": threads, "ShowCategory": showCategory, "Empty": empty})
	}

	got := list(member, threads, true, "vide")
	for _, bad := range []string{"<script>", "<img", "<b>", `"A"`} {
		if strings.Contains(got, bad) {
			t.Errorf("unescaped %q in %s", bad, got)
		}
	}
	for _, want := range []string{
		`href="/t/1/un-sujet"`, `&lt;script&gt;`, `class="thread-item with-avatar pinned"`, `class="tag">Cat &#34;A&#34; &amp; &lt;b&gt;</a>`,
		`<span class="badge held">`, "7 réponses", "zoé", `class="unread" href="/t/1/un-sujet?after=3#p4">4 non lus</a>`,
		`<span class="new">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
	if strings.Count(got, `<span class="badge">`) != 2 {
		t.Errorf("want the pinned and locked badges: %s", got)
	}
	if v := list(visitor, threads, false, "vide"); strings.Contains(v, `class="unread"`) || strings.Contains(v, `class="new"`) || strings.Contains(v, `class="tag"`) {
		t.Errorf("a visitor's list, without categories, shows reading states or tags: %s", v)
	}
	if v := list(visitor, nil, false, "Rien <ici>"); v != `<p class="empty">Rien &lt;ici&gt;</p>` {
		t.Errorf("empty list: %s", v)
	}
	home := &View{Lang: catalog.Lang("fr"), Now: time.Now()}
	if v := render(t, homeContent(home, &homePage{Latest: threads})); !strings.Contains(v, `&lt;script&gt;`) || strings.Contains(v, "<script>") || !strings.Contains(v, "7 réponses") {
		t.Errorf("home list: %s", v)
	}
}

// The home page escapes what admins and members wrote, and offers a New
// thread button to members only, with and without categories and threads,
// in both languages.
func TestHomePageEscapesAndOffersNewThreadToMembers(t *testing.T) {
	catalog := loadTestCatalog(t)
	author := "alice"
	now := time.Now()
	cats := []forum.Category{
		{ID: 1, Slug: "vie-du-quartier", Name: "Vie du quartier", Description: "Tout ce qui <concerne> le « quartier »", ThreadCount: 12},
		{ID: 2, Slug: "annonces", Name: `Annonces & "infos"`, ThreadCount: 1},
	}
	threads := []forum.Thread{{ID: 8, CategorySlug: "annonces", CategoryName: `Annonces & "infos"`, Title: "<b>Fête</b>", Slug: "fete",
		Status: forum.StatusHeld, Pinned: true, PostCount: 1, AuthorName: &author, LastPostAt: now.Add(-48 * time.Hour)}}
	member := &forum.Member{ID: 1, Username: "zoe", Role: forum.RoleMember}
	for _, code := range []string{"fr", "en"} {
		for _, who := range []*forum.Member{nil, member} {
			for _, d := range []homePage{{Categories: cats, Latest: threads}, {}, {Categories: cats[1:]}} {
				v := &View{Lang: catalog.Lang(code), Member: who, Now: now, SiteName: `Le "Jardin" & <co>`, Data: &d}
				got := render(t, homeContent(v, &d))
				if hasButton := strings.Contains(got, `<a class="button" href="/new">`); hasButton != (who != nil) {
					t.Errorf("%s, member %v: a New thread button %v, want one for members only", code, who != nil, hasButton)
				}
				for _, bad := range []string{"<concerne>", "<b>Fête", "<co>", `& "infos"`} {
					if strings.Contains(got, bad) {
						t.Errorf("%s: %q is not escaped", code, bad)
					}
				}
				if empty := strings.Contains(got, `<p class="empty">`); empty != (len(d.Categories) == 0 || len(d.Latest) == 0) {
					t.Errorf("%s: empty notices %v for %d categories and %d threads", code, empty, len(d.Categories), len(d.Latest))
				}
			}
		}
	}
}

// What members and admins wrote is escaped in the layout.
func TestLayoutEscapesWhatPeopleWrote(t *testing.T) {
	catalog := loadTestCatalog(t)
	v := &View{Lang: catalog.Lang("fr"), Now: time.Now(), Title: `<script>alert(1)</script>`, SiteName: `Le "forum" & <b>co</b>`,
		Member: &forum.Member{Username: `x"><img src=y>`, Role: forum.RoleMember}, Data: &homePage{}}
	got := layoutOf(t, v)
	for _, bad := range []string{"<script>", "<b>", "<img src=y", `"forum"`} {
		if strings.Contains(got, bad) {
			t.Errorf("%q is not escaped:\n%s", bad, got)
		}
	}
}

// The layout shows each reader their navigation: the current page marked,
// the review queue and the dashboard or the administration to the staff,
// the unread count, the banners of a silenced or unconfirmed member.
func TestLayoutShowsEachReaderTheirNavigation(t *testing.T) {
	catalog := loadTestCatalog(t)
	now := time.Now()
	until := now.Add(48 * time.Hour)
	past := now.Add(-time.Hour)
	member := &forum.Member{ID: 1, Username: "zoé", Email: "zoe@example.org", Role: forum.RoleMember}
	waived := &forum.Member{ID: 7, Username: "eve", Email: "eve@example.org", Role: forum.RoleMember, EmailConfirmationWaived: true}
	silenced := &forum.Member{ID: 2, Username: "muet", Role: forum.RoleMember, SilencedUntil: &until, EmailVerifiedAt: &past}
	wasSilenced := &forum.Member{ID: 3, Username: "parle", Role: forum.RoleMember, SilencedUntil: &past, EmailVerifiedAt: &past}
	mod := &forum.Member{ID: 4, Username: "modo", Role: forum.RoleModerator}
	admin := &forum.Member{ID: 5, Username: "camille", Role: forum.RoleAdmin}
	for _, c := range []struct {
		v          View
		want, nope []string
	}{
		{View{Path: "/"}, []string{`<a href="/login">`, `<a class="button" href="/signup">`, `<html lang="fr">`, `<title>Palabre</title>`, `hreflang="en"`},
			[]string{"/js/review.", `class="logout"`, `aria-current`}},
		{View{Title: "Charte", Path: "/guidelines"}, []string{`<a href="/guidelines" aria-current="page">`, `<title>Charte · Palabre</title>`}, nil},
		{View{Member: member, Path: "/notifications", Unread: 3}, []string{`<a class="notifications-link" href="/notifications" aria-current="page">`,
			`<span class="badge" title="3 non lues">3<span class="visually-hidden"> 3 non lues</span></span>`,
			`<a href="/u/zo%C3%A9">zoé</a>`, "/js/review.", `class="notice held unconfirmed-banner"`},
			[]string{`href="/login"`, `review-queue-link`, `href="/admin"`}},
		{View{Member: waived, Path: "/account/tokens"}, []string{`<a href="/account" aria-current="page">`, `<div class="notice unconfirmed-banner" role="status">`}, nil},
		{View{Member: silenced, Path: "/"}, []string{`silenced-banner`}, []string{`unconfirmed-banner`}},
		{View{Member: wasSilenced, Path: "/"}, nil, []string{`silenced-banner`, `unconfirmed-banner`}},
		{View{Member: mod, Path: "/mod/queue"}, []string{`<a class="review-queue-link" href="/mod/queue" aria-current="page">`, `<a href="/admin/dashboard">`},
			[]string{`href="/admin"`, `unconfirmed-banner`}},
		{View{Member: admin, Path: "/admin/dashboard"}, []string{`review-queue-link`, `<a href="/admin">`}, []string{`href="/admin/dashboard"`}},
	} {
		v := c.v
		v.Lang, v.SiteName, v.Now, v.Data = catalog.Lang("fr"), "Palabre", now, &homePage{}
		got := layoutOf(t, &v)
		who := "a visitor"
		if v.Member != nil {
			who = v.Member.Username
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s at %s: missing %s", who, v.Path, w)
			}
		}
		for _, n := range c.nope {
			if strings.Contains(got, n) {
				t.Errorf("%s at %s: unexpected %s", who, v.Path, n)
			}
		}
	}
}

// What members wrote is escaped on a thread page: the title, the category,
// a refused reply's text and error.
func TestThreadPageEscapesWhatMembersWrote(t *testing.T) {
	catalog := loadTestCatalog(t)
	author := "alice"
	d := &threadPage{Thread: &forum.Thread{ID: 7, CategorySlug: "vie", CategoryName: `<img src=y>`, Title: "<script>x</script>", Slug: "x",
		Status: forum.StatusPublished, PostCount: 2, AuthorName: &author},
		Posts:    []postView{{ID: 3, Number: 1, Path: "/p/3", Anchor: "p1", HeadingID: "h-p1", Status: forum.StatusPublished, Author: `<i>bob</i>`, HTML: "<p>ok</p>", QuoteFrom: true}},
		Static:   testThreadStatic(t, catalog, testLayoutAssets(t), "fr"),
		CanReply: true, Form: &Form{Error: "Réessayez <plus tard>", Values: map[string]string{"reply_to": "3", "body": "Mon texte <b>gras</b>"},
			Errors: map[string]string{"body": "Trop <long>"}}}
	v := &View{Lang: catalog.Lang("fr"), Now: time.Now(), Member: &forum.Member{ID: 1, Username: "zoe"}, Data: d}
	got := render(t, threadContent(v, d, testLayoutAssets(t)))
	for _, bad := range []string{"<script>x", "<img src=y", "<b>gras", "<plus", "<long>", "<i>bob"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q is not escaped", bad)
		}
	}
	for _, want := range []string{`<div class="post-body" data-quote="3" data-author="&lt;i&gt;bob&lt;/i&gt;"><p>ok</p></div>`,
		`<textarea id="f-body" name="body" rows="8" required aria-invalid="true" aria-describedby="e-body">Mon texte &lt;b&gt;gras&lt;/b&gt;</textarea>`,
		`<input type="hidden" name="reply_to" value="3">`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
}

// A category page offers a New thread button that starts the thread in
// that category (a visitor is led to log in first); a read-only category
// offers it to no member.
func TestCategoryPageOffersNewThread(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	closed, err := db.CreateCategory(forum.WithSystem(context.Background()), forum.NewCategory{Name: forumtest.Unique("Annonces "), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	member := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 1))
	for _, c := range []struct {
		slug   string
		header map[string]string
		want   bool
	}{{cat.Slug, member, true}, {cat.Slug, nil, true}, {closed.Slug, member, false}} {
		got := s.do(t, request{path: "/c/" + c.slug, header: c.header}).Body.String()
		if has := strings.Contains(got, `<a class="button" href="/c/`+c.slug+`/new">`); has != c.want {
			t.Errorf("/c/%s (signed in: %v): New thread button %v, want %v", c.slug, c.header != nil, has, c.want)
		}
	}
}
