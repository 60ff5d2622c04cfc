package server

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// queuePage is the review queue with its filters.
type queuePage struct {
	Items      []queueItem
	Filter     moderation.QueueFilter
	Kinds      []string
	Reasons    []string
	Categories []forum.Category
	Resolved   string // the item just decided, for the confirmation
	NextURL    string // the next page of the queue, "" on the last
}

// queueItem is an item as the queue lists it.
type queueItem struct {
	moderation.ReviewItem
	HTML template.HTML
}

// reviewBadge is the count of the header's review badge, in the page as
// it is first drawn: the badge appearing only when review.js heard the
// event stream moved everything below the header once the page had loaded
// (a click aimed before landed elsewhere). Staff only, who see the badge:
// one count through the index of pending items, the same as the stream's;
// visitors and members cost no query. An error page (5xx: the database may
// be what failed) and a failed count leave the badge hidden, for the
// stream to fill.
func (s *Server) reviewBadge(c *gin.Context, status int) int {
	if !forum.MemberFrom(c.Request.Context()).IsStaff() || status >= http.StatusInternalServerError {
		return 0
	}
	n, err := s.pipeline.PendingCount(c.Request.Context())
	if err != nil {
		s.log.Warn("counting the review queue", "request_id", c.GetString(ctxRequestID), "error", err)
		return 0
	}
	return n
}

// htmlQueue shows the review queue (staff and category moderators).
func (s *Server) htmlQueue(c *gin.Context) {
	ctx := c.Request.Context()
	f, err := queueFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.pipeline.Queue(ctx, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.db.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f.Status == "" {
		f.Status = moderation.ReviewPending
	}
	page := queuePage{Filter: f, Kinds: moderation.ReviewKinds, Reasons: moderation.ReportReasons, Categories: cats, Resolved: c.Query("resolved")}
	if next := moderation.QueueNext(f, items); next != "" {
		q := c.Request.URL.Query()
		q.Set("after", next)
		page.NextURL = "/mod/queue?" + q.Encode()
	}
	for _, it := range items {
		qi := queueItem{ReviewItem: it}
		if it.Post != nil {
			qi.HTML = template.HTML(it.Post.HTML)
		}
		page.Items = append(page.Items, qi)
	}
	s.render(c, http.StatusOK, "review_queue", s.lang(c).T("review.queue_title"), page)
}

// itemPage is one item with its context and the decision form.
type itemPage struct {
	*moderation.ItemContext
	HTML       template.HTML
	Messages   []messageView // the private messages the item is about
	Rules      []moderation.PublicRule
	Categories []forum.Category
	Form       *Form // the decision
	NoteForm   *Form
	Claimed    bool // by the reader
	IsStaff    bool
}

var resolveFields = []string{"action", "duration", "message", "rule_id", "version", "body", "category_id"}

// renderItem shows an item page with the forms as they are.
func (s *Server) renderItem(c *gin.Context, status int, id int64, form, note *Form) {
	ctx := c.Request.Context()
	ic, err := s.pipeline.OpenItem(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	rules, err := s.pipeline.PublicRules(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	cats, err := s.db.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	it := ic.Item
	if form == nil {
		form = &Form{Values: map[string]string{"version": strconv.Itoa(it.Version)}, Errors: map[string]string{}}
		if it.Post != nil {
			form.Values["body"] = it.Post.Markdown
		}
		if ic.Proposal != nil {
			form.Values["duration"] = ic.Proposal.Duration
		}
	}
	if note == nil {
		note = readForm(c, "note")
	}
	me := forum.MemberFrom(ctx)
	page := itemPage{ItemContext: ic, Rules: rules, Categories: cats, Form: form, NoteForm: note,
		Claimed: me != nil && it.ClaimedBy != nil && it.ClaimedBy.ID == me.ID, IsStaff: forum.ActorFrom(ctx).IsStaff()}
	if it.Post != nil {
		page.HTML = template.HTML(it.Post.HTML)
	}
	for _, m := range ic.Messages {
		page.Messages = append(page.Messages, messageView{Message: m, HTML: template.HTML(m.BodyHTML)})
	}
	s.render(c, status, "review_item", s.lang(c).T("review.item_title", "ID", it.ID), page)
}

// htmlReviewItem shows an item (the first opening is recorded).
func (s *Server) htmlReviewItem(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	s.renderItem(c, http.StatusOK, id, nil, nil)
}

func itemURL(id int64) string { return "/mod/queue/" + strconv.FormatInt(id, 10) }

// htmlClaimReview claims an item, or gives it back (release=1).
func (s *Server) htmlClaimReview(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	var err error
	if c.PostForm("release") == "1" {
		_, err = s.pipeline.Release(c.Request.Context(), id)
	} else {
		_, err = s.pipeline.Claim(c.Request.Context(), id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, itemURL(id))
}

// htmlReviewNote adds a private note; a refused one comes back filled.
func (s *Server) htmlReviewNote(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	note := readForm(c, "note")
	if _, err := s.pipeline.AddNote(c.Request.Context(), id, note.Get("note")); err != nil {
		if code := forum.ErrorCode(err); code == forum.ENOTFOUND || code == forum.EFORBIDDEN || code == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		s.renderItem(c, s.setError(c, note, err), id, nil, note)
		return
	}
	c.Redirect(http.StatusSeeOther, itemURL(id)+"#notes")
}

// htmlResolveReview decides an item; a refused decision (or one another
// moderator made first) comes back with the form filled.
func (s *Server) htmlResolveReview(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	form := readForm(c, resolveFields...)
	d := moderation.Decision{ItemID: id, Action: form.Get("action"), Duration: form.Get("duration"),
		Message: form.Get("message"), Body: form.Get("body")}
	d.Version, _ = strconv.Atoi(form.Get("version"))
	if v := form.Get("rule_id"); v != "" {
		if rid, err := strconv.ParseInt(v, 10, 64); err == nil {
			d.RuleID = &rid
		}
	}
	if d.Action == moderation.ActMoveThread {
		d.CategoryID, _ = strconv.ParseInt(form.Get("category_id"), 10, 64)
	}
	if d.Action == "" {
		form.Errors["action"] = s.lang(c).T("review.action_required")
		s.renderItem(c, http.StatusBadRequest, id, form, nil)
		return
	}
	if _, err := s.pipeline.Resolve(c.Request.Context(), d); err != nil {
		if code := forum.ErrorCode(err); code == forum.ENOTFOUND || code == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		s.renderItem(c, s.setError(c, form, err), id, form, nil)
		return
	}
	c.Redirect(http.StatusSeeOther, "/mod/queue?resolved="+strconv.FormatInt(id, 10))
}
