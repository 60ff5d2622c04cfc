package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

type threadListPage struct {
	Category  *forum.Category // nil on the latest page
	Threads   []forum.Thread
	Avatars   []avatarImage // of the threads' authors, in the same order
	Next      string        // cursor of the next page
	First     bool          // the first page (no ?after=)
	CanCreate bool          // the "new thread" button is shown
	BasePath  string
	Watch     forum.WatchLevels // the member's watching of the category
}

// htmlCategory lists a category's threads, pinned first, by keyset pages.
func (s *Server) htmlCategory(c *gin.Context) {
	ctx := c.Request.Context()
	cat, err := s.db.CategoryBySlug(ctx, c.Param("slug"))
	if err != nil {
		s.fail(c, err)
		return
	}
	after, err := forum.ParseCursor(c.Query("after"))
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := s.db.CategoryThreads(ctx, cat.ID, after, threadsPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	a := forum.ActorFrom(ctx)
	watch, err := s.db.WatchLevelsOf(ctx, 0, cat.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "category", cat.Name, threadListPage{
		Category: cat, Threads: l.Threads, Avatars: s.threadAvatars(ctx, l.Threads), Next: l.Next, First: after == nil,
		CanCreate: a.Member == nil || !cat.ReadOnly || a.IsStaff(), BasePath: "/c/" + cat.Slug, Watch: watch,
	})
}

// htmlLatest lists the whole forum by last activity, by keyset pages.
func (s *Server) htmlLatest(c *gin.Context) {
	ctx := c.Request.Context()
	after, err := forum.ParseCursor(c.Query("after"))
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := s.db.LatestThreadsAfter(ctx, after, threadsPerPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "latest", s.lang(c).T("home.latest"), threadListPage{
		Threads: l.Threads, Avatars: s.threadAvatars(ctx, l.Threads), Next: l.Next, First: after == nil, CanCreate: true, BasePath: "/latest",
	})
}

type threadNewPage struct {
	Categories []forum.Category
	Form       *Form
}

// htmlNewThreadForm shows the form to start a thread, in /c/{slug}/new or
// /new?category=slug.
func (s *Server) htmlNewThreadForm(c *gin.Context) {
	ctx := c.Request.Context()
	if _, err := forum.RequireMember(ctx); err != nil {
		s.fail(c, err)
		return
	}
	slug := c.Param("slug")
	if slug == "" {
		slug = c.Query("category")
	}
	form := &Form{Values: map[string]string{}, Errors: map[string]string{}}
	if slug != "" {
		cat, err := s.db.CategoryBySlug(ctx, slug)
		if err != nil {
			s.fail(c, err)
			return
		}
		form.Values["category_id"] = strconv.FormatInt(cat.ID, 10)
	}
	s.renderNewThread(c, http.StatusOK, form)
}

func (s *Server) renderNewThread(c *gin.Context, status int, form *Form) {
	cats, err := s.db.Categories(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	a := forum.ActorFrom(c.Request.Context())
	open := cats[:0:0]
	for _, cat := range cats {
		if !cat.ReadOnly || a.IsStaff() {
			open = append(open, cat)
		}
	}
	s.render(c, status, "thread_new", s.lang(c).T("thread.new_title"), threadNewPage{Categories: open, Form: form})
}

// htmlCreateThread starts a thread; a refused one comes back filled.
func (s *Server) htmlCreateThread(c *gin.Context) {
	form := readForm(c, "category_id", "title", "body", "file")
	if err := s.attachFormFile(c, form); err != nil {
		s.renderNewThread(c, s.setError(c, form, err), form)
		return
	}
	catID, err := strconv.ParseInt(form.Get("category_id"), 10, 64)
	if err != nil {
		form.Errors["category_id"] = s.lang(c).T("thread.category_required")
		s.renderNewThread(c, http.StatusBadRequest, form)
		return
	}
	out, err := s.pipeline.SubmitThread(c.Request.Context(), moderation.ThreadSubmission{
		CategoryID: catID, Title: form.Get("title"), Body: form.Get("body"),
	})
	if err != nil {
		if forum.ErrorCode(err) == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		if fe := forum.AsError(err); fe.Key == "category.read_only" || fe.Key == "category.not_found" {
			err = fe.OnField("category_id")
		}
		s.renderNewThread(c, s.setError(c, form, err), form)
		return
	}
	c.Redirect(http.StatusSeeOther, threadURL(out.Thread))
}
