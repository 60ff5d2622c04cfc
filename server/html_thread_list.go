package server

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/palabre/palabre/forum"
)

// threadListHTML writes the threads of a list page (a category, the latest),
// the template function threadList: {{threadList . THREADS SHOW_CATEGORY
// EMPTY_TEXT}}. Like a thread page (writePosts), it is written in Go because html/template's
// reflection, for every field of thirty threads, was half of a list page's
// cost; every text from a member goes through escapeHTML.
func threadListHTML(v *View, threads []forum.Thread, showCategory bool, empty string) template.HTML {
	if len(threads) == 0 {
		return template.HTML(`<p class="empty">` + escapeHTML(empty) + `</p>`)
	}
	l := v.Lang
	t := func(key string, args ...any) string { return escapeHTML(l.T(key, args...)) }
	pinned, locked, held, newBadge := t("thread.pinned"), t("thread.locked_badge"), t("post.status_held"), t("thread.new_badge")
	var b strings.Builder
	b.Grow(len(threads) * 600)
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	b.WriteString(`<ol class="thread-list">`)
	for i := range threads {
		th := &threads[i]
		href := threadHref(th)
		class := "thread-item"
		if th.Pinned {
			class += " pinned"
		}
		w(`<li class="`, class, `"><a class="thread-title" href="`, href, `">`, escapeHTML(th.Title), `</a>`)
		if showCategory {
			w(` <a href="/c/`, escapeHTML(url.PathEscape(th.CategorySlug)), `" class="tag">`, escapeHTML(th.CategoryName), `</a>`)
		}
		if th.Pinned {
			w(` <span class="badge">`, pinned, `</span>`)
		}
		if th.Locked || th.Closed {
			w(` <span class="badge">`, locked, `</span>`)
		}
		if th.Status == forum.StatusHeld {
			w(` <span class="badge held">`, held, `</span>`)
		}
		b.WriteString(`<p class="meta">`)
		if th.AuthorName != nil && *th.AuthorName != "" {
			w(escapeHTML(*th.AuthorName), ` · `)
		}
		w(t("home.replies", "Count", th.Replies()), ` · `, string(v.Time(th.LastPostAt)))
		if th.LastPosterName != nil && *th.LastPosterName != "" {
			w(` · `, t("thread.last_by", "Name", *th.LastPosterName))
		}
		if v.Member != nil {
			switch {
			case !th.Opened():
				w(` · <span class="new">`, newBadge, `</span>`)
			case th.UnreadCount() > 0:
				w(` · <a class="unread" href="`, href, `?after=`, strconv.Itoa(th.ReadUpTo()), `#p`, strconv.Itoa(th.NextUnread()), `">`,
					t("thread.unread", "Count", th.UnreadCount()), `</a>`)
			}
		}
		b.WriteString(`</p></li>`)
	}
	b.WriteString(`</ol>`)
	return template.HTML(b.String())
}

// latestHTML writes the home page's short list of the latest threads.
func latestHTML(v *View, threads []forum.Thread, empty string) template.HTML {
	if len(threads) == 0 {
		return template.HTML(`<p class="empty">` + escapeHTML(empty) + `</p>`)
	}
	var b strings.Builder
	b.Grow(len(threads) * 400)
	b.WriteString(`<ol class="thread-list">`)
	for i := range threads {
		th := &threads[i]
		for _, p := range []string{`<li class="thread-item"><a class="thread-title" href="`, threadHref(th), `">`, escapeHTML(th.Title),
			`</a><p class="meta"><a href="/c/`, escapeHTML(url.PathEscape(th.CategorySlug)), `" class="tag">`, escapeHTML(th.CategoryName),
			`</a> `, escapeHTML(v.Lang.T("home.replies", "Count", th.Replies())), ` · `, string(v.Time(th.LastPostAt)), `</p></li>`} {
			b.WriteString(p)
		}
	}
	b.WriteString(`</ol>`)
	return template.HTML(b.String())
}

// threadHref is the escaped address of a thread, for an href.
func threadHref(t *forum.Thread) string {
	return "/t/" + strconv.FormatInt(t.ID, 10) + "/" + escapeHTML(url.PathEscape(t.Slug))
}
