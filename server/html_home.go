package server

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type homePage struct {
	Categories []forum.Category
	Latest     []forum.Thread
}

// htmlHome shows the categories and the latest threads.
func (s *Server) htmlHome(c *gin.Context) {
	cats, latest, err := s.db.Home(c.Request.Context(), 20)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &homePage{Categories: cats, Latest: latest}
	s.renderWritten(c, http.StatusOK, "", d, func(b *bytes.Buffer, v *View) { writeHomeContent(b, v, d) })
}

// writeHomeContent writes the home page (what home.html was, kept in
// testdata, which a test compares it with): written in Go as the thread
// pages are, since html/template's reflection over the categories was a
// third of a member's home page. Every text from a member or an admin goes
// through escapeHTML.
func writeHomeContent(b *bytes.Buffer, v *View, d *homePage) {
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	l := v.Lang
	t := func(key string, args ...any) string { return escapeHTML(l.T(key, args...)) }
	w(`<h1 class="visually-hidden">`, escapeHTML(v.SiteName), "</h1>\n<div class=\"home\">\n",
		`<section aria-labelledby="categories-title" class="categories">`, "\n",
		`<h2 id="categories-title">`, t("home.categories"), "</h2>\n")
	if len(d.Categories) == 0 {
		w(`<p class="empty">`, t("home.no_categories"), "</p>\n")
	} else {
		b.WriteString("<ul class=\"category-list\">\n")
		for i := range d.Categories {
			c := &d.Categories[i]
			w(`<li class="category">`, "\n", `<a class="category-name" href="/c/`, escapeHTML(url.PathEscape(c.Slug)), `">`,
				escapeHTML(c.Name), "</a>\n")
			if c.Description != "" {
				w(`<p class="category-description">`, escapeHTML(c.Description), "</p>\n")
			}
			w(`<p class="meta">`, t("home.thread_count", "Count", c.ThreadCount), "</p>\n</li>\n")
		}
		b.WriteString("</ul>\n")
	}
	w("</section>\n", `<section aria-labelledby="latest-title" class="latest">`, "\n",
		`<h2 id="latest-title">`, t("home.latest"), "</h2>\n")
	if v.Member != nil {
		w(`<p><a class="button" href="/new">`, t("thread.new"), "</a></p>\n")
	}
	w(string(latestHTML(v, d.Latest, l.T("home.no_threads"))), "\n</section>\n</div>\n")
}
