package server

import (
	"bytes"
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/palabre/palabre/forum"
)

// writePosts writes the posts of a thread page into the page's buffer. It is the hottest markup of
// the site — twenty posts, each with a dozen translated labels and
// conditions — and html/template's reflection cost milliseconds a page for
// it, so it is written here with the same escaping rules: every text and
// attribute from a member goes through escapeHTML, every URL component
// through url.PathEscape, the post bodies are the HTML the pipeline
// sanitized at write time. thread.html renders everything else.
func writePosts(b *bytes.Buffer, lang *Lang, now time.Time, member *forum.Member, d *threadPage) {
	b.Grow(len(d.Posts) * 2048)
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	itoa := strconv.Itoa
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	t := func(key string, args ...any) string { return escapeHTML(lang.T(key, args...)) }
	// Labels the same on every post, translated once.
	var (
		formerMember = t("post.former_member")
		heldNotice   = t("post.held_notice")
		deletedPH    = t("post.deleted_placeholder")
		withdrawnPH  = t("post.withdrawn_placeholder")
		pendingEdit  = t("post.pending_edit_notice")
		restore      = t("post.restore")
		removedPH    = t("post.removed_placeholder")
		hiddenPH     = t("post.hidden_placeholder")
		deletedStaff = t("post.deleted_staff")
		hiddenStaff  = t("post.hidden_staff")
		unlike       = t("post.unlike")
		like         = t("post.like")
		reply        = t("post.reply")
		quote        = t("post.quote")
		edit         = t("post.edit")
		del          = t("post.delete")
		report       = t("review.report_link")
		threadURL    = escapeHTML(d.URL())
		after        = itoa(d.After)
	)
	// removedText says who removed a deleted post: its author, or a
	// moderator with the rule cited.
	removedText := func(p *postView) string {
		switch {
		case p.Removal == forum.RemovedByModerator && p.RemovalRule != "":
			return t("post.removed_placeholder_rule", "Rule", p.RemovalRule)
		case p.Removal == forum.RemovedByModerator:
			return removedPH
		case p.Number == 1 && d.Thread.Status == forum.StatusPublished:
			// The thread others replied to stays; its author withdrew
			// their text.
			return withdrawnPH
		}
		return deletedPH
	}
	for i := range d.Posts {
		p := &d.Posts[i]
		num, pid := itoa(p.Number), id(p.ID)
		w(`<li class="post post-`, escapeHTML(p.Status), `" id="p`, num, `"><article aria-labelledby="h-p`, num, `">`)
		w(`<header class="post-header"><h2 id="h-p`, num, `" class="post-author">`)
		if p.Author != "" {
			w(`<a href="/u/`, escapeHTML(url.PathEscape(p.Author)), `">`, escapeHTML(p.Author), `</a>`)
		} else {
			w(formerMember)
		}
		w(`</h2><p class="meta"><a class="permalink" href="/p/`, pid, `">#`, num, `</a> · `,
			string(timeElement(p.CreatedAt, "", lang.DateTime(p.CreatedAt), lang.Relative(p.CreatedAt, now))))
		if p.ReplyTo != nil {
			n := itoa(*p.ReplyTo)
			w(` · <a class="reply-to" href="#p`, n, `">`, t("post.in_reply_to", "Number", *p.ReplyTo), `</a>`)
		}
		if p.EditCount > 0 {
			edited := t("post.edited", "Count", p.EditCount)
			if d.IsStaff || p.CanEdit {
				w(` · <a href="/p/`, pid, `/revisions">`, edited, `</a>`)
			} else {
				w(` · `, edited)
			}
		}
		w(`</p></header>`)
		if p.Status == forum.StatusHeld {
			w(`<div class="notice held"><p>`, heldNotice, `</p>`)
			if len(p.HeldWhy) > 0 {
				w(`<ul>`)
				for _, why := range p.HeldWhy {
					w(`<li>`, escapeHTML(why), `</li>`)
				}
				w(`</ul>`)
			}
			w(`</div>`)
		}
		if p.PendingHTML != nil {
			// The author's edit waits for review; the published version
			// below is what everyone else reads.
			w(`<div class="notice held pending-edit"><p>`, pendingEdit, `</p>`)
			if p.PendingTitle != nil {
				w(`<p class="pending-title">`, t("post.pending_title", "Title", *p.PendingTitle), `</p>`)
			}
			w(`<div class="post-body">`, *p.PendingHTML, `</div></div>`)
		}
		if p.Redacted {
			if p.Status == forum.StatusDeleted {
				w(`<p class="placeholder">`, removedText(p), `</p>`)
			} else {
				w(`<p class="placeholder">`, hiddenPH, `</p>`)
			}
		} else {
			switch p.Status {
			case forum.StatusDeleted:
				w(`<p class="notice error">`, removedText(p), ` `, deletedStaff, `</p>`)
			case forum.StatusHidden:
				w(`<p class="notice error">`, hiddenStaff, `</p>`)
			}
			w(`<div class="post-body"`)
			if d.CanReply && p.CanQuote && p.Author != "" {
				w(` data-quote="`, pid, `" data-author="`, escapeHTML(p.Author), `"`)
			}
			w(`>`, string(p.HTML), `</div>`)
		}
		w(`<footer class="post-actions">`)
		switch {
		case p.CanLike:
			w(`<form method="post" action="/p/`, pid, `/like">`)
			label, class, pressed := like, "like", "false"
			if p.Liked {
				w(`<input type="hidden" name="unlike" value="1">`)
				label, class, pressed = unlike, "like liked", "true"
			}
			w(`<button type="submit" class="`, class, `" aria-pressed="`, pressed, `">`, label, ` · `, itoa(p.LikeCount), `</button></form>`)
		case p.LikeCount > 0:
			w(`<span class="likes">`, t("post.likes", "Count", p.LikeCount), `</span>`)
		}
		if d.CanReply && p.CanQuote {
			w(` <a href="`, threadURL, `?after=`, after, `&amp;reply_to=`, num, `#reply">`, reply, `</a>`,
				` <a href="`, threadURL, `?after=`, after, `&amp;quote=`, pid, `#reply">`, quote, `</a>`)
		}
		if p.CanEdit {
			w(` <a href="/p/`, pid, `/edit">`, edit, `</a>`)
		}
		if p.CanDelete {
			w(` <a href="/p/`, pid, `/delete">`, del, `</a>`)
		}
		if p.Status == forum.StatusDeleted && (d.IsStaff || d.Moderates) {
			w(` <form method="post" action="/p/`, pid, `/restore" class="inline"><button type="submit" class="secondary">`, restore, `</button></form>`)
		}
		if member != nil && p.Author != member.Username && p.Status != forum.StatusDeleted {
			w(` <a class="report-link" href="/p/`, pid, `/report" rel="nofollow">`, report, `</a>`)
		}
		w(`</footer></article></li>`)
	}
}

// escapeHTML escapes text for an HTML element or a quoted attribute.
func escapeHTML(s string) string { return template.HTMLEscapeString(s) }
