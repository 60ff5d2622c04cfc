package server

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
)

// The layout of every page — head, header with the navigation, the banner
// of a silenced member or of one who must confirm their address, footer
// with the languages — is written in Go around the page's "content"
// template: html/template's reflection for its forty-odd actions was a
// sixth of a member's page. Every text from a member or an admin (page
// title, site name, username, address) goes through escapeHTML.
// server/testdata/layout.html is the template it replaced; a test renders
// both for visitors, members, moderators and admins and compares them.

// layoutAssets are the hashed addresses of the files every page loads.
type layoutAssets struct {
	css, logo, script, reviewScript string
	threadScript, composeScript     string // the thread page's (html_thread_page.go)
}

func newLayoutAssets(a *Assets) (layoutAssets, error) {
	var out layoutAssets
	for _, f := range []struct {
		dst  *string
		name string
	}{{&out.css, "css/palabre.css"}, {&out.logo, "img/logo.svg"}, {&out.script, "js/palabre.js"}, {&out.reviewScript, "js/review.js"},
		{&out.threadScript, "js/thread.js"}, {&out.composeScript, "js/compose.js"}} {
		u, err := a.URL(f.name)
		if err != nil {
			return out, fmt.Errorf("layout: %w", err)
		}
		*f.dst = escapeHTML(u)
	}
	return out, nil
}

// layoutHead writes the page up to its content.
func (as layoutAssets) layoutHead(b *bytes.Buffer, v *View) {
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	t := func(key string, args ...any) string { return escapeHTML(v.Lang.T(key, args...)) }
	current := func(paths ...string) string {
		for _, p := range paths {
			if v.Path == p {
				return ` aria-current="page"`
			}
		}
		return ""
	}
	site := escapeHTML(v.SiteName)
	w("<!doctype html>\n<html lang=\"", escapeHTML(v.Code), "\">\n<head>\n<meta charset=\"utf-8\">\n",
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	if v.Title != "" {
		w(escapeHTML(v.Title), " · ")
	}
	w(site, "</title>\n",
		`<link rel="stylesheet" href="`, as.css, "\">\n",
		`<link rel="icon" href="`, as.logo, "\" type=\"image/svg+xml\">\n",
		`<link rel="alternate" type="application/atom+xml" href="/feed.atom" title="`, t("feed.latest"), "\">\n",
		`<script src="`, as.script, `" data-just-now="`, t("time.just_now"), "\" defer></script>\n")
	m := v.Member
	if m != nil {
		w(`<script src="`, as.reviewScript, "\" defer></script>")
	}
	w("\n</head>\n<body>\n",
		`<a class="skip" href="#main">`, t("nav.skip_to_content"), "</a>\n",
		"<header class=\"site-header\">\n  <div class=\"wrap\">\n",
		`    <a class="brand" href="/"><img src="`, as.logo, `" alt="" width="28" height="28"> `, site, "</a>\n",
		`    <nav aria-label="`, t("nav.main"), "\">\n      <ul>\n",
		`        <li><a href="/guidelines"`, current("/guidelines"), ">", t("nav.guidelines"), "</a></li>\n",
		`        <li><a href="/search">`, t("nav.search"), "</a></li>\n")
	if m == nil {
		w(`          <li><a href="/login">`, t("nav.login"), "</a></li>\n",
			`          <li><a class="button" href="/signup">`, t("nav.signup"), "</a></li>\n")
	} else {
		if m.IsStaff() {
			w(`          <li><a class="review-queue-link" href="/mod/queue"`, current("/mod/queue"), ">", t("nav.review_queue"),
				` <span class="badge review-badge" data-review-badge data-label-one="`, t("review.badge_label", "Count", 1),
				`" data-label-other="`, t("review.badge_label", "Count", 2), `" hidden><span data-review-count></span><span class="visually-hidden" data-review-label> `,
				t("review.badge_label", "Count", 2), "</span></span></a></li>\n")
		}
		switch {
		case m.IsAdmin():
			w(`          <li><a href="/admin">`, t("nav.admin"), "</a></li>\n")
		case m.IsStaff():
			w(`          <li><a href="/admin/dashboard"`, current("/admin/dashboard"), ">", t("admin.dashboard_title"), "</a></li>\n")
		}
		w(`          <li><a class="messages-link" href="/messages"`, current("/messages"), ">", t("nav.messages"), "</a></li>\n")
		w(`          <li><a class="notifications-link" href="/notifications"`, current("/notifications"), ">", t("nav.notifications"))
		if v.Unread != 0 {
			unread := t("nav.unread", "Count", v.Unread)
			w(` <span class="badge" title="`, unread, `">`, strconv.Itoa(v.Unread), `<span class="visually-hidden"> `, unread, "</span></span>")
		}
		w("</a></li>\n",
			`          <li><a href="/u/`, escapeHTML(url.PathEscape(m.Username)), `">`, escapeHTML(m.Username), "</a></li>\n",
			`          <li><a href="/account"`, current("/account", "/account/sessions", "/account/tokens"), ">", t("nav.account"), "</a></li>\n",
			`          <li><form class="logout" method="post" action="/logout"><button type="submit" class="link">`, t("nav.logout"),
			"</button></form></li>\n")
	}
	w("      </ul>\n    </nav>\n  </div>\n</header>\n<main id=\"main\" class=\"wrap\">\n")
	switch {
	case m != nil && m.IsSilenced(v.Now) && m.SilencedUntil != nil:
		w(`<div class="notice held silenced-banner" role="status">`, t("silenced.banner", "Until", v.Lang.DateTime(*m.SilencedUntil)),
			` <a href="/account#sanctions">`, t("silenced.details"), "</a></div>")
	case m.MustConfirmEmail():
		w(`<div class="notice held unconfirmed-banner" role="status">`, t("unconfirmed.banner", "Email", m.Email),
			` <a href="/account#email">`, t("unconfirmed.details"), "</a></div>")
	case m != nil && m.EmailVerifiedAt == nil && !m.IsStaff():
		// An account an admin created may post unconfirmed, but its address
		// is still to be confirmed: mail may not reach it.
		w(`<div class="notice unconfirmed-banner" role="status">`, t("unconfirmed.banner_waived", "Email", m.Email),
			` <a href="/account#email">`, t("unconfirmed.details"), "</a></div>")
	}
	b.WriteString("\n")
}

// layoutTail writes the page after its content.
func (layoutAssets) layoutTail(b *bytes.Buffer, v *View) {
	t := func(key string) string { return escapeHTML(v.Lang.T(key)) }
	b.WriteString("\n</main>\n<footer class=\"site-footer\">\n  <div class=\"wrap\">\n    <p>")
	b.WriteString(t("footer.powered_by"))
	b.WriteString("</p>\n    <nav aria-label=\"")
	b.WriteString(t("footer.language"))
	b.WriteString("\" class=\"languages\">\n      <ul>")
	for _, code := range v.OtherLanguages() {
		c := escapeHTML(code)
		for _, p := range []string{`<li><a href="/lang/`, c, `" hreflang="`, c, `" lang="`, c, `">`, t("language." + code), "</a></li>"} {
			b.WriteString(p)
		}
	}
	b.WriteString("</ul>\n    </nav>\n  </div>\n</footer>\n</body>\n</html>\n")
}
