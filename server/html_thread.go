package server

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// postView is a post on a thread page (the "posts" template), with what the
// reader may do with it and its texts in the reader's language. They are
// worked out here, once, so that the template only reads fields of this
// struct: html/template reaches a method, a builtin such as eq, or a field
// promoted from an embedded struct through reflection with allocations,
// and twenty posts of such actions made a member's thread page three times
// slower (bench/results.md).
// postAvatarSide is the side, in CSS pixels, of the avatars beside posts.
const postAvatarSide = 48

type postView struct {
	ID     int64
	Number int
	// Path is the post's address, "/p/ID", which its actions extend;
	// Anchor ("pN") and HeadingID ("h-pN") name its element and heading.
	Path, Anchor, HeadingID string
	Status                  string        // published, held, hidden, deleted: the post's class
	HTML                    template.HTML // sanitized at write time by the pipeline
	Author                  string        // "" for a former member
	Avatar                  avatarImage   // the author's, none (Src "") for a former member
	// Created is the <time> of its creation.
	Created template.HTML
	ReplyTo int // the number of the post it answers, 0 for none
	// ReplyToText, EditedText and LikesText are "in reply to #n", "edited n
	// times" (when it was) and "n likes".
	ReplyToText, EditedText, LikesText string
	// RevisionsLink: EditedText links to the revisions (its editors and the
	// staff).
	RevisionsLink bool
	Held          bool
	// HeldWhy says, to its author and the staff, why a held post waits for
	// a moderator (the rules that held it, in the reader's language).
	HeldWhy []string
	// PendingBody is the author's edit that waits for review (PendingHTML,
	// sanitized at write time), with PendingTitleText the new title it
	// brings; the published version is what everyone else reads.
	PendingBody      template.HTML
	PendingTitleText string
	// Redacted: the reader may not read the body. Deleted and Hidden: the
	// staff read it with a notice, RemovedText saying who removed it.
	Redacted, Deleted, Hidden bool
	RemovedText               string
	// Notices: the post is held, has an edit pending, or is not published
	// (one test in the template for the many posts that are none of these).
	Notices bool
	// QuoteFrom: the body carries what the quote button needs.
	QuoteFrom bool
	// ReplyHref and QuoteHref are the Reply and Quote links, "" when the
	// reader may not reply to it.
	ReplyHref, QuoteHref string
	CanLike              bool // a member who is not the author, on a published post
	Liked                bool
	LikeCount            int
	CanEdit              bool
	CanDelete            bool
	CanRestore           bool // a deleted post, for those who moderate the thread
	CanReport            bool // a member's post, not deleted, for another member
	// CanBookmark: a member reads it; Bookmarked: they keep it.
	CanBookmark, Bookmarked bool
	// AuthorIgnored: the reader ignores its author; the body is folded.
	AuthorIgnored bool
	// Here is the page's address with the post's anchor, where a form
	// about the post goes back to.
	Here string
}

// postLabels are the texts the same on every post of a page, translated
// and escaped once (label): templ escapes each { text } it writes, with a
// copy of the text, and twenty posts wrote these a hundred times.
type postLabels struct {
	FormerMember, HeldNotice, PendingEdit, HiddenPlaceholder, DeletedStaff, HiddenStaff templ.Component
	Like, Unlike, Reply, Quote, Edit, Delete, Restore, Report                           templ.Component
	Bookmark, Bookmarked, IgnoredPost                                                   templ.Component
}

func newPostLabels(l *Lang) postLabels {
	t := func(id string) templ.Component { return label(l.T(id)) }
	return postLabels{FormerMember: t("post.former_member"), HeldNotice: t("post.held_notice"),
		PendingEdit: t("post.pending_edit_notice"), HiddenPlaceholder: t("post.hidden_placeholder"),
		DeletedStaff: t("post.deleted_staff"), HiddenStaff: t("post.hidden_staff"),
		Like: t("post.like"), Unlike: t("post.unlike"), Reply: t("post.reply"), Quote: t("post.quote"),
		Edit: t("post.edit"), Delete: t("post.delete"), Restore: t("post.restore"), Report: t("review.report_link"),
		Bookmark: t("bookmark.add"), Bookmarked: t("bookmark.edit"), IgnoredPost: t("post.ignored_author")}
}

// threadStatic is what a thread page writes the same for every reader of a
// language, made once per language when the server starts (the catalogue
// and the assets do not change while it runs): the posts' labels, and the
// page's scripts with their texts (threadScripts), for a reader and for a
// member who may reply. The scripts are rendered by their templ components;
// their texts are plural messages and a 2 KB attribute of the composer's
// labels, which each page escaped again.
type threadStatic struct {
	labels                      postLabels
	readerScripts, replyScripts templ.Component
}

// newThreadStatics makes a threadStatic for each language of the catalogue.
func newThreadStatics(c *Catalog, a *layoutAssets) (map[*Lang]*threadStatic, error) {
	out := make(map[*Lang]*threadStatic, len(c.langs))
	for _, l := range c.langs {
		v := &View{Lang: l}
		reader, err := goHTML(threadScripts(v, a, false))
		if err != nil {
			return nil, err
		}
		reply, err := goHTML(threadScripts(v, a, true))
		if err != nil {
			return nil, err
		}
		out[l] = &threadStatic{labels: newPostLabels(l), readerScripts: templ.Raw(reader), replyScripts: templ.Raw(reply)}
	}
	return out, nil
}

// label is text escaped once, as templ escapes { text } in an element's
// content, for a page that writes it many times. A component stands only
// in an element's content, the one context this escaping is for.
func label(text string) templ.Component { return templ.Raw(templ.EscapeString(text)) }

// space and separator stand between the inline elements of a post, where
// templ drops the source's white space.
var space, separator = label(" "), label(" · ")

type threadPage struct {
	Thread  *forum.Thread
	Posts   []postView
	After   int  // ?after= of this page
	Next    int  // ?after= of the next page, 0 when last
	Prev    int  // ?after= of the previous page
	HasPrev bool //
	IsStaff bool
	// Moderates: the reader moderates the thread's category (staff or a
	// category moderator): the pin, lock and close buttons, and moving to
	// MoveTo, the other categories they moderate.
	Moderates   bool
	MoveTo      []forum.Category
	CanReply    bool   // the reply form is shown
	ReplyClosed string // why replying is not possible, translated
	Form        *Form  // the reply form
	FirstUnread int    // number of the first unread post, 0 when none
	UnreadAfter int
	// Position says which posts the page shows of how many ("41–60 /
	// 340", after PositionLabel, read by screen readers); thread.js then
	// shows the number of the post at the top of the window ("47 / 340").
	// Total is that "of how many" (0 for a one-page thread); Last is the
	// ?after= of the last page, LatestHref the address of the latest post.
	Position      string
	PositionLabel string
	Total         int
	Last          int
	LatestHref    string
	Watch         forum.WatchLevels // the member's watching of the thread
	Static        *threadStatic     // the posts' labels and the page's scripts, in the reader's language
}

// URL is the canonical address of the thread.
func (p *threadPage) URL() string { return threadURL(p.Thread) }

func threadURL(t *forum.Thread) string { return fmt.Sprintf("/t/%d/%s", t.ID, t.Slug) }

// postURL is the permalink of post number n of t, on the page that shows it.
func postURL(t *forum.Thread, n int) string {
	u := threadURL(t)
	if after := forum.PageAfter(n); after > 0 {
		u += "?after=" + strconv.Itoa(after)
	}
	return u + "#p" + strconv.Itoa(n)
}

// postViews are the posts of page d of thread t, for its reader.
func (s *Server) postViews(c *gin.Context, t *forum.Thread, posts []forum.Post, d *threadPage) []postView {
	ctx := c.Request.Context()
	a := forum.ActorFrom(ctx)
	m := a.Member
	window, err := s.db.EditWindow(ctx)
	if err != nil {
		window = 0
	}
	now := time.Now()
	locked := t.Locked || t.Closed
	var held []int64
	for _, p := range posts {
		if p.Status == forum.StatusHeld {
			held = append(held, p.ID)
		}
	}
	// One query for the page, and none when nothing on it is held.
	why, err := s.pipeline.HeldReasons(ctx, held)
	if err != nil {
		s.log.Warn("reading why posts are held", "error", err)
	}
	lang := s.lang(c)
	// The page's address, which each post's links extend: the first page's
	// has no query, and its links then no "&" to escape.
	page := pageURL(d.URL(), d.After)
	query := "?"
	if d.After != 0 {
		query = "&"
	}
	here := page + "#"
	out := make([]postView, len(posts))
	avatars := newPageAvatars(postAvatarSide, len(posts))
	for i := range posts {
		p := &posts[i]
		anchor := "p" + strconv.Itoa(p.Number)
		v := postView{ID: p.ID, Number: p.Number, Path: "/p/" + strconv.FormatInt(p.ID, 10), Anchor: anchor, HeadingID: "h-" + anchor,
			Status: p.Status, HTML: template.HTML(p.BodyHTML),
			Created: timeElement(p.CreatedAt, "", lang.DateTime(p.CreatedAt), lang.Relative(p.CreatedAt, now)),
			Held:    p.Status == forum.StatusHeld, Redacted: p.Redacted, Deleted: p.Status == forum.StatusDeleted,
			Hidden: p.Status == forum.StatusHidden, Liked: p.Liked, LikeCount: p.LikeCount}
		if p.AuthorName != nil {
			v.Author = *p.AuthorName
			v.Avatar = avatars.of(p, v.Author)
		}
		if m != nil {
			mine := p.AuthorID != nil && *p.AuthorID == m.ID
			// A category's moderators edit and delete in it.
			v.CanEdit = a.CanEdit(p, locked, window, now) || (t.Moderates && !v.Deleted)
			v.CanDelete = a.CanDelete(p) || (t.Moderates && !v.Deleted)
			v.CanLike = !mine && p.Status == forum.StatusPublished
			canQuote := p.Status == forum.StatusPublished && (!locked || a.IsStaff())
			if d.CanReply && canQuote {
				v.ReplyHref = page + query + "reply_to=" + strconv.Itoa(p.Number) + "#reply"
				v.QuoteHref = page + query + "quote=" + strconv.FormatInt(p.ID, 10) + "#reply"
				v.QuoteFrom = v.Author != "" && !v.Redacted
			}
			v.CanReport = v.Author != m.Username && !v.Deleted
			v.CanBookmark, v.Bookmarked = true, p.Bookmarked
			v.AuthorIgnored = p.AuthorIgnored && !v.Redacted
			v.Here = here + anchor
		}
		v.CanRestore = v.Deleted && (d.IsStaff || d.Moderates)
		if p.ReplyTo != nil {
			v.ReplyTo = *p.ReplyTo
			v.ReplyToText = lang.T("post.in_reply_to", "Number", v.ReplyTo)
		}
		if p.EditCount > 0 {
			v.EditedText = lang.T("post.edited", "Count", p.EditCount)
			v.RevisionsLink = d.IsStaff || v.CanEdit
		}
		if !v.CanLike && p.LikeCount > 0 {
			v.LikesText = lang.T("post.likes", "Count", p.LikeCount)
		}
		for _, r := range why[p.ID] {
			v.HeldWhy = append(v.HeldWhy, lang.Msg(r.Key, r.Args))
		}
		if p.PendingHTML != nil {
			v.PendingBody = template.HTML(*p.PendingHTML)
			if p.PendingTitle != nil {
				v.PendingTitleText = lang.T("post.pending_title", "Title", *p.PendingTitle)
			}
		}
		if v.Deleted {
			v.RemovedText = removedText(lang, t, p)
		}
		v.Notices = v.Held || v.PendingBody != "" || v.Redacted || v.Deleted || v.Hidden
		out[i] = v
	}
	return out
}

// pageURL is the address of the page of a thread (at threadURL) after
// post number after.
func pageURL(threadURL string, after int) string {
	if after == 0 {
		return threadURL
	}
	return threadURL + "?after=" + strconv.Itoa(after)
}

// removedText says who removed a deleted post: its author, or a moderator
// with the rule cited.
func removedText(lang *Lang, t *forum.Thread, p *forum.Post) string {
	switch {
	case p.Removal == forum.RemovedByModerator && p.RemovalRule != "":
		return lang.T("post.removed_placeholder_rule", "Rule", p.RemovalRule)
	case p.Removal == forum.RemovedByModerator:
		return lang.T("post.removed_placeholder")
	case p.Number == 1 && t.Status == forum.StatusPublished:
		// The thread others replied to stays; its author withdrew their
		// text.
		return lang.T("post.withdrawn_placeholder")
	}
	return lang.T("post.deleted_placeholder")
}

// htmlThreadRedirect sends /t/{id} to the canonical /t/{id}/{slug}.
func (s *Server) htmlThreadRedirect(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	t, err := s.db.ThreadByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.redirectCanonical(c, t)
}

func (s *Server) redirectCanonical(c *gin.Context, t *forum.Thread) {
	u := threadURL(t)
	if q := c.Request.URL.RawQuery; q != "" {
		u += "?" + q
	}
	c.Redirect(http.StatusMovedPermanently, u)
}

// htmlThread shows a page of a thread with the reply form.
func (s *Server) htmlThread(c *gin.Context) {
	t, page, after, ok := s.readThread(c, s.db.ThreadPage)
	if !ok {
		return
	}
	if c.Param("slug") != t.Slug {
		s.redirectCanonical(c, t)
		return
	}
	form := &Form{Values: map[string]string{}, Errors: map[string]string{}}
	if n := c.Query("reply_to"); n != "" {
		form.Values["reply_to"] = n
	}
	if q := c.Query("quote"); q != "" {
		s.prefillQuote(c, t, form, q)
	}
	s.renderThread(c, http.StatusOK, t, page, after, form)
}

// prefillQuote puts a quote of post ?quote=ID in the reply form, answering
// it when it belongs to the same thread.
func (s *Server) prefillQuote(c *gin.Context, t *forum.Thread, form *Form, raw string) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return
	}
	p, pt, err := s.db.PostByID(c.Request.Context(), id)
	if err != nil || p.Redacted || p.AuthorName == nil {
		return
	}
	form.Values["body"] = quoteMarkdown(*p.AuthorName, p.ID, p.BodyMarkdown)
	if pt.ID == t.ID {
		form.Values["reply_to"] = strconv.Itoa(p.Number)
	}
}

// quoteMarkdown is the pipeline's quote syntax around a post's source.
func quoteMarkdown(username string, postID int64, body string) string {
	return fmt.Sprintf("[quote=%s post=%d]\n%s\n[/quote]\n\n", username, postID, strings.TrimSpace(body))
}

func (s *Server) renderThread(c *gin.Context, status int, t *forum.Thread, page *forum.PostPage, after int, form *Form) {
	a := forum.ActorFrom(c.Request.Context())
	v := &threadPage{Thread: t, After: after, Next: page.Next, IsStaff: a.IsStaff(), Form: form,
		Moderates: t.Moderates || a.IsStaff()}
	if v.Moderates {
		to, err := s.db.CategoriesToMoveTo(c.Request.Context(), t.CategoryID)
		if err != nil {
			s.fail(c, err)
			return
		}
		v.MoveTo = to
	}
	if after > 0 {
		v.HasPrev, v.Prev = true, max(after-forum.PostsPerPage, 0)
	}
	if n, ua, ok := t.FirstUnread(); ok {
		v.FirstUnread, v.UnreadAfter = n, ua
	}
	if len(page.Posts) > 0 && (v.HasPrev || v.Next != 0) {
		first, last := page.Posts[0].Number, page.Posts[len(page.Posts)-1].Number
		v.Total = max(t.LastPostNumber, last)
		v.Position = s.lang(c).T("thread.position", "From", first, "To", last, "Total", v.Total)
		v.PositionLabel = s.lang(c).T("thread.position_label")
	}
	if t.LastPostNumber > 1 {
		v.Last = forum.PageAfter(t.LastPostNumber)
		v.LatestHref = postURL(t, t.LastPostNumber)
	}
	switch {
	case t.Watch != nil: // read with the page
		v.Watch = *t.Watch
	case a.Member != nil:
		w, err := s.db.WatchLevelsOf(c.Request.Context(), t.ID, t.CategoryID)
		if err != nil {
			s.fail(c, err)
			return
		}
		v.Watch = w
	}
	lang := s.lang(c)
	switch {
	case a.Member == nil:
		v.ReplyClosed = ""
	case (t.Locked || t.Closed) && !a.IsStaff():
		v.ReplyClosed = lang.T("thread.locked")
	case t.Status != forum.StatusPublished && !a.IsStaff():
		v.ReplyClosed = lang.T("thread.not_open")
	default:
		v.CanReply = true
	}
	if form.HasErrors() {
		// What the member typed is never lost, even when the thread was
		// locked while they wrote: the form comes back with the reason.
		v.CanReply, v.ReplyClosed = true, ""
	}
	v.Posts, v.Static = s.postViews(c, t, page.Posts, v), s.threadStatic[lang]
	s.respond(c, status, t.Title, v, func(view *View) templ.Component { return threadContent(view, v, s.layout) })
}

// htmlReply posts a reply from the form at the bottom of a thread.
func (s *Server) htmlReply(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	form := readForm(c, "body", "reply_to", "file")
	if err := s.attachFormFile(c, form); err != nil {
		s.replyFailed(c, id, form, err)
		return
	}
	sub := moderation.ReplySubmission{ThreadID: id, Body: form.Get("body")}
	if rt := strings.TrimPrefix(strings.TrimSpace(form.Get("reply_to")), "#"); rt != "" {
		n, err := strconv.Atoi(rt)
		if err != nil {
			s.replyFailed(c, id, form, forum.Errorf(forum.EINVALID, "post.reply_to_invalid", nil).OnField("body"))
			return
		}
		sub.ReplyTo = &n
	}
	out, err := s.pipeline.SubmitReply(ctx, sub)
	if err != nil {
		s.replyFailed(c, id, form, err)
		return
	}
	t, err := s.db.ThreadByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, postURL(t, out.Post.Number))
}

// replyFailed shows the thread's last page again with the reply form
// filled and the error next to it.
func (s *Server) replyFailed(c *gin.Context, id int64, form *Form, err error) {
	ctx := c.Request.Context()
	t, terr := s.db.ThreadByID(ctx, id)
	if terr != nil {
		s.fail(c, terr)
		return
	}
	if forum.ErrorCode(err) == forum.EUNAUTHORIZED {
		s.fail(c, err)
		return
	}
	status := s.setError(c, form, err)
	// The page as the reader sees it otherwise: a category moderator keeps
	// their buttons, a member their watching.
	after := forum.PageAfter(t.LastPostNumber)
	t, page, perr := s.db.ThreadPage(ctx, id, after)
	if perr != nil {
		s.fail(c, perr)
		return
	}
	s.renderThread(c, status, t, page, after, form)
}

// htmlPermalink sends /p/{id} to the page of its thread that shows it.
func (s *Server) htmlPermalink(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	p, t, err := s.db.PostByID(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusFound, postURL(t, p.Number))
}

// htmlThreadFlags pins, locks or closes a thread from the staff buttons.
func (s *Server) htmlThreadFlags(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	var f forum.ThreadFlags
	val := c.PostForm("value") == "1"
	switch c.PostForm("flag") {
	case "pinned":
		f.Pinned = &val
	case "locked":
		f.Locked = &val
	case "closed":
		f.Closed = &val
	default:
		s.fail(c, forum.Errorf(forum.EINVALID, "thread.flag_invalid", nil))
		return
	}
	t, err := s.db.SetThreadFlags(c.Request.Context(), id, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, threadURL(t))
}

// htmlMoveThread moves a thread to another category (its moderators).
func (s *Server) htmlMoveThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	cat, err := strconv.ParseInt(c.PostForm("category_id"), 10, 64)
	if err != nil {
		s.fail(c, forum.Errorf(forum.EINVALID, "category.not_found", nil))
		return
	}
	t, err := s.db.MoveThread(c.Request.Context(), id, cat)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, threadURL(t))
}
