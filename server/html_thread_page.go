package server

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"github.com/palabre/palabre/forum"
)

// writeThreadContent writes a page of a thread (what thread.html was) into
// the page's buffer: the header with the staff's buttons, the pagers, the
// posts (writePosts, straight into the same buffer), the
// reply form, the watch buttons and the page's scripts. Every text from a
// member goes through escapeHTML; the reply field and the watch buttons are
// the markup of the "field" and "watch" partials, which a test compares.
func writeThreadContent(b *bytes.Buffer, v *View, d *threadPage, as layoutAssets, writePosts func(*bytes.Buffer)) {
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	l := v.Lang
	t := func(key string, args ...any) string { return escapeHTML(l.T(key, args...)) }
	th := d.Thread
	id := strconv.FormatInt(th.ID, 10)
	threadURL := escapeHTML(d.URL())

	w(`<nav class="breadcrumb" aria-label="`, t("thread.breadcrumb"), `"><a href="/">`, t("thread.home"), `</a> › <a href="/c/`,
		escapeHTML(url.PathEscape(th.CategorySlug)), `">`, escapeHTML(th.CategoryName), "</a></nav>\n",
		"<header class=\"page-header thread-header\">\n  <h1>", escapeHTML(th.Title), "</h1>\n  <p class=\"meta\">\n")
	if th.Pinned {
		w(`<span class="badge">`, t("thread.pinned"), "</span>\n")
	}
	if th.Locked || th.Closed {
		w(`<span class="badge">`, t("thread.locked_badge"), "</span>\n")
	}
	switch th.Status {
	case forum.StatusHeld:
		w(`<span class="badge held">`, t("post.status_held"), "</span>\n")
	case forum.StatusDeleted:
		w(`<span class="badge danger">`, t("post.status_deleted"), "</span>\n")
	}
	w(t("home.replies", "Count", th.Replies()), "\n")
	if d.FirstUnread != 0 {
		w(`· <a class="unread" href="`, threadURL, `?after=`, strconv.Itoa(d.UnreadAfter), `#p`, strconv.Itoa(d.FirstUnread), `">`,
			t("thread.jump_unread"), "</a>")
	}
	w("\n  </p>\n")
	if d.IsStaff || d.Moderates {
		b.WriteString("  <div class=\"staff-actions\">\n")
		if th.Status == forum.StatusDeleted {
			w(`    <form method="post" action="/t/`, id, `/restore"><button type="submit">`, t("thread.restore"), "</button></form>\n")
		}
		for _, f := range []struct {
			flag     string
			on       bool
			set, off string
		}{{"pinned", th.Pinned, "thread.pin", "thread.unpin"}, {"locked", th.Locked, "thread.lock", "thread.unlock"}, {"closed", th.Closed, "thread.close", "thread.reopen"}} {
			value, label := "1", t(f.set)
			if f.on {
				value, label = "0", t(f.off)
			}
			w(`    <form method="post" action="/t/`, id, `/flags"><input type="hidden" name="flag" value="`, f.flag,
				`"><input type="hidden" name="value" value="`, value, `"><button class="secondary" type="submit">`, label, "</button></form>\n")
		}
		if len(d.MoveTo) > 0 {
			w(`    <form method="post" action="/t/`, id, `/move" class="move-thread"><label for="move-category">`, t("thread.move_label"),
				`</label> <select id="move-category" name="category_id">`)
			for _, c := range d.MoveTo {
				w(`<option value="`, strconv.FormatInt(c.ID, 10), `">`, escapeHTML(c.Name), `</option>`)
			}
			w(`</select> <button class="secondary" type="submit">`, t("thread.move_submit"), "</button></form>\n")
		}
		b.WriteString("  </div>\n")
	}
	b.WriteString("</header>\n")
	if d.HasPrev {
		w(`<nav class="pager" aria-label="`, t("thread.pages"), `"><a href="`, threadURL, `">`, t("thread.first_page"), `</a> <a rel="prev" href="`, threadURL)
		if d.Prev != 0 {
			w(`?after=`, strconv.Itoa(d.Prev))
		}
		w(`">`, t("thread.prev_page"), "</a></nav>")
	}
	w("\n<ol class=\"posts\" data-thread=\"", id, `"`)
	if d.Next == 0 {
		b.WriteString(" data-live")
	}
	b.WriteString(">\n")
	writePosts(b)
	b.WriteString("\n</ol>\n")
	if d.Next != 0 {
		w(`<nav class="pager" aria-label="`, t("thread.pages"), `"><a rel="next" href="`, threadURL, `?after=`, strconv.Itoa(d.Next), `">`,
			t("thread.next_page"), "</a></nav>")
	}
	w("\n<section id=\"reply\" class=\"reply\" aria-labelledby=\"reply-title\">\n  <h2 id=\"reply-title\">", t("thread.reply_title"), "</h2>\n")
	switch {
	case d.CanReply:
		f := d.Form
		w("  <form class=\"stack\" method=\"post\" action=\"/t/", id, "/reply\">\n")
		if f != nil && f.Error != "" {
			w(`<div class="notice error" role="alert">`, escapeHTML(f.Error), "</div>")
		}
		w(f.guidelinesBlock())
		if e := f.Err("reply_to"); e != "" {
			w(`<div class="notice error" role="alert">`, escapeHTML(e), "</div>")
		}
		if rt := f.Get("reply_to"); rt != "" {
			w(`<p class="meta">`, t("post.in_reply_to", "Number", rt), `</p><input type="hidden" name="reply_to" value="`, escapeHTML(rt), `">`)
		}
		w(textareaField(f, "body", l.T("thread.body_label"), l.T("thread.body_hint")),
			"\n    <p><button type=\"submit\">", t("thread.reply_submit"), "</button></p>\n  </form>\n")
	case d.ReplyClosed != "":
		w(`  <p class="notice">`, escapeHTML(d.ReplyClosed), "</p>\n")
	default:
		w(`  <p><a href="/login?next=`, escapeHTML(url.QueryEscape(d.URL())), `">`, t("thread.login_to_reply"), "</a></p>\n")
	}
	w("</section>\n", watchButtons(v, "/t/"+id+"/watch", d.Watch.Effective), "\n")
	if d.CanReply {
		w(`<script src="`, as.composeScript, `" data-labels="`, escapeHTML(v.ComposeLabels()), `" defer></script>`)
	}
	w("\n", `<script src="`, as.threadScript, `" data-quote="`, t("compose.quote_selection"), `" data-new-one="`, t("thread.new_replies", "Count", 1),
		`" data-new-other="`, t("thread.new_replies", "Count", 2), `" data-new-more="`, t("thread.new_replies_more", "Count", 2),
		`" data-new-show="`, t("thread.show_new_replies"), "\" defer></script>\n")
}

// textareaField is the "field" partial (_form.html) for a required textarea
// with a hint: the label, the field, and its error or hint tied to it.
func textareaField(f *Form, name, label, hint string) string {
	var b strings.Builder
	n := escapeHTML(name)
	e := f.Err(name)
	class := "field"
	if e != "" {
		class += " has-error"
	}
	for _, p := range []string{"\n<div class=\"", class, "\">\n  <label for=\"f-", n, "\">", escapeHTML(label), "</label>\n  \n  <textarea id=\"f-", n,
		"\" name=\"", n, "\" rows=\"8\" required"} {
		b.WriteString(p)
	}
	switch {
	case e != "":
		b.WriteString(` aria-invalid="true" aria-describedby="e-` + n + `"`)
	case hint != "":
		b.WriteString(` aria-describedby="h-` + n + `"`)
	}
	b.WriteString(">" + escapeHTML(f.Get(name)) + "</textarea>\n  \n  ")
	switch {
	case e != "":
		b.WriteString(`<p class="field-error" id="e-` + n + `">` + escapeHTML(e) + `</p>`)
	case hint != "":
		b.WriteString(`<p class="hint" id="h-` + n + `">` + escapeHTML(hint) + `</p>`)
	}
	b.WriteString("\n</div>\n")
	return b.String()
}

// watchButtons is the "watch" partial (_watch.html): the three levels of
// watching, the one in force pressed; nothing for visitors.
func watchButtons(v *View, action, level string) string {
	if v.Member == nil {
		return ""
	}
	var b strings.Builder
	t := func(key string) string { return escapeHTML(v.Lang.T(key)) }
	b.WriteString("\n<form class=\"watch\" method=\"post\" action=\"" + escapeHTML(action) + "\">\n  <fieldset>\n    <legend>" + t("watch.legend") + "</legend>\n")
	for _, lv := range []string{forum.WatchWatching, forum.WatchNormal, forum.WatchMuted} {
		pressed := ` aria-pressed="false" class="secondary"`
		if lv == level {
			pressed = ` aria-pressed="true"`
		}
		b.WriteString(`    <button type="submit" name="level" value="` + lv + `"` + pressed + ` title="` + t("watch."+lv+"_hint") + `">` + t("watch."+lv) + "</button>\n")
	}
	b.WriteString("  </fieldset>\n</form>\n")
	return b.String()
}
