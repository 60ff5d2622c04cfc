package server

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
)

// The thread page written in Go is the template it replaced
// (testdata/thread.html, with the real partials) for visitors, members who
// may or may not reply, a refused reply and the staff, in both languages
// (white space and the case of percent-escapes aside).
func TestThreadPageWrittenInGoIsTheTemplate(t *testing.T) {
	catalog, assets, la := goWritten(t)
	tmpl := replacedTemplate(t, assets, "thread.html")

	author := "alice"
	thread := func(mod func(*forum.Thread)) *forum.Thread {
		th := &forum.Thread{ID: 7, CategorySlug: "vie-du-quartier", CategoryName: "Vie du quartier", Title: "Réunion : les « propositions »",
			Slug: "reunion-les-propositions", Status: forum.StatusPublished, PostCount: 42, AuthorName: &author}
		if mod != nil {
			mod(th)
		}
		return th
	}
	member := &forum.Member{ID: 1, Username: "zoe", Role: forum.RoleMember}
	mod := &forum.Member{ID: 2, Username: "modo", Role: forum.RoleModerator}
	emptyForm := func() *Form { return &Form{Values: map[string]string{}, Errors: map[string]string{}} }
	posts := template.HTML(`<li class="post" id="p1">…</li>`)
	write := func(v *View, d *threadPage) string {
		var b bytes.Buffer
		writeThreadContent(&b, v, d, la, func(b *bytes.Buffer) { b.WriteString(string(posts)) })
		return b.String()
	}
	cases := []struct {
		name   string
		member *forum.Member
		page   threadPage
	}{
		{"visitor", nil, threadPage{Thread: thread(nil), Form: emptyForm()}},
		{"member", member, threadPage{Thread: thread(func(t *forum.Thread) { t.Pinned = true }), CanReply: true, Form: emptyForm(),
			FirstUnread: 5, UnreadAfter: 4, HasPrev: true, Prev: 20, After: 40, Next: 60,
			Watch: forum.WatchLevels{Effective: forum.WatchWatching}}},
		{"refused reply", member, threadPage{Thread: thread(nil), CanReply: true, Watch: forum.WatchLevels{Effective: forum.WatchMuted},
			Form: &Form{Error: "Réessayez <plus tard>", Values: map[string]string{"reply_to": "3", "body": "Mon texte <b>gras</b> & « cité »"},
				Errors: map[string]string{"reply_to": "Ce message n’existe pas.", "body": "Trop long"}}}},
		{"reply to", member, threadPage{Thread: thread(nil), CanReply: true, Watch: forum.WatchLevels{Effective: forum.WatchNormal},
			Form: &Form{Values: map[string]string{"reply_to": "12", "body": "[quote=alice post=3]\nx\n[/quote]\n\n"}, Errors: map[string]string{}}}},
		{"closed", member, threadPage{Thread: thread(func(t *forum.Thread) { t.Closed = true }), ReplyClosed: "Ce sujet est fermé.",
			Form: emptyForm(), Watch: forum.WatchLevels{Effective: forum.WatchNormal}}},
		{"staff", mod, threadPage{Thread: thread(func(t *forum.Thread) { t.Locked, t.Status = true, forum.StatusHeld }), IsStaff: true, CanReply: true,
			HasPrev: true, After: 20, Form: emptyForm(), Watch: forum.WatchLevels{Effective: forum.WatchNormal}}},
		{"deleted", mod, threadPage{Thread: thread(func(t *forum.Thread) { t.Pinned, t.Closed, t.Status = true, true, forum.StatusDeleted }),
			IsStaff: true, CanReply: true, Form: emptyForm(), Watch: forum.WatchLevels{Effective: forum.WatchNormal}}},
	}
	for _, code := range []string{"fr", "en"} {
		for _, c := range cases {
			d := c.page
			// The template printed the posts written beforehand.
			v := &View{Lang: catalog.Lang(code), Member: c.member, Now: time.Now(), Data: struct {
				*threadPage
				PostsHTML template.HTML
			}{&d, posts}}
			var want bytes.Buffer
			if err := tmpl.ExecuteTemplate(&want, "content", v); err != nil {
				t.Fatal(err)
			}
			got := write(v, &d)
			if g, w := sameHTML(got), sameHTML(want.String()); g != w {
				t.Errorf("%s, %s:\nGo:       %.300s\ntemplate: %.300s", code, c.name, firstDifference(g, w), firstDifference(w, g))
			}
		}
	}
	// What members wrote is escaped.
	d := cases[2].page
	d.Thread = thread(func(t *forum.Thread) { t.Title, t.CategoryName = "<script>x</script>", `<img src=y>` })
	got := write(&View{Lang: catalog.Lang("fr"), Member: member}, &d)
	for _, bad := range []string{"<script>x", "<img src=y", "<b>gras", "<plus"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q is not escaped", bad)
		}
	}
}
