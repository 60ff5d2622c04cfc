package server

import (
	"html/template"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

type postEditPage struct {
	Post   *forum.Post
	Thread *forum.Thread
	Form   *Form
	Back   string
}

// postForPage reads a post for one of its pages, and checks that a member
// is signed in (a visitor is sent to the login page).
func (s *Server) postForPage(c *gin.Context) (*forum.Post, *forum.Thread, bool) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return nil, nil, false
	}
	ctx := c.Request.Context()
	if _, err := forum.RequireMember(ctx); err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	p, t, err := s.db.PostByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	return p, t, true
}

// htmlEditPostForm shows the edit form of a post, when the member may edit it.
func (s *Server) htmlEditPostForm(c *gin.Context) {
	p, t, ok := s.postForPage(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	window, err := s.db.EditWindow(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !forum.ActorFrom(ctx).CanEdit(p, t.Locked || t.Closed, window, time.Now()) && !s.moderatesPost(c, p, t) {
		s.fail(c, forum.Errorf(forum.EFORBIDDEN, "post.edit_forbidden", nil))
		return
	}
	body := p.BodyMarkdown
	if p.PendingMarkdown != nil {
		body = *p.PendingMarkdown // the author edits again the text that waits for review
	}
	form := &Form{Values: map[string]string{"body": body}, Errors: map[string]string{}}
	if p.Number == 1 {
		form.Values["title"] = t.Title
		if p.PendingTitle != nil {
			form.Values["title"] = *p.PendingTitle
		}
	}
	s.render(c, http.StatusOK, "post_edit", s.lang(c).T("post.edit_title"), postEditPage{Post: p, Thread: t, Form: form, Back: postURL(t, p.Number)})
}

// htmlEditPost stores an edit; a refused one comes back filled.
func (s *Server) htmlEditPost(c *gin.Context) {
	p, t, ok := s.postForPage(c)
	if !ok {
		return
	}
	form := readForm(c, "body", "title", "file")
	if err := s.attachFormFile(c, form); err != nil {
		status := s.setError(c, form, err)
		s.render(c, status, "post_edit", s.lang(c).T("post.edit_title"), postEditPage{Post: p, Thread: t, Form: form, Back: postURL(t, p.Number)})
		return
	}
	edit := moderation.EditSubmission{PostID: p.ID, Body: form.Get("body")}
	if title := form.Get("title"); p.Number == 1 && title != "" {
		edit.Title = &title // an old form without the field keeps the title
	}
	_, err := s.pipeline.SubmitEdit(c.Request.Context(), edit)
	if err != nil {
		status := s.setError(c, form, err)
		s.render(c, status, "post_edit", s.lang(c).T("post.edit_title"), postEditPage{Post: p, Thread: t, Form: form, Back: postURL(t, p.Number)})
		return
	}
	c.Redirect(http.StatusSeeOther, postURL(t, p.Number))
}

type revisionView struct {
	forum.Revision
	HTML template.HTML
}

type postRevisionsPage struct {
	Post      *forum.Post
	HTML      template.HTML
	Thread    *forum.Thread
	Revisions []revisionView
	Back      string
}

// htmlPostRevisions lists the earlier versions of a post (author and staff).
func (s *Server) htmlPostRevisions(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	p, t, revs, err := s.db.Revisions(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := postRevisionsPage{Post: p, HTML: template.HTML(p.BodyHTML), Thread: t, Back: postURL(t, p.Number)}
	for _, r := range revs {
		v.Revisions = append(v.Revisions, revisionView{Revision: r, HTML: template.HTML(r.BodyHTML)})
	}
	s.render(c, http.StatusOK, "post_revisions", s.lang(c).T("post.revisions_title", "Number", p.Number), v)
}

type postDeletePage struct {
	Post   *forum.Post
	HTML   template.HTML
	Thread *forum.Thread
	Back   string
	// Outcome says what deleting does: forum.DeletesPost, DeletesThread or
	// WithdrawsFirst; the page says which.
	Outcome string
}

// htmlDeletePostForm asks for confirmation before deleting a post.
func (s *Server) htmlDeletePostForm(c *gin.Context) {
	p, t, ok := s.postForPage(c)
	if !ok {
		return
	}
	if !forum.ActorFrom(c.Request.Context()).CanDelete(p) && !s.moderatesPost(c, p, t) {
		s.fail(c, forum.Errorf(forum.EFORBIDDEN, "post.delete_not_yours", nil))
		return
	}
	outcome, err := s.db.DeleteOutcome(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	title := "post.delete_title"
	if outcome == forum.WithdrawsFirst {
		title = "post.withdraw_title"
	}
	s.render(c, http.StatusOK, "post_delete", s.lang(c).T(title),
		postDeletePage{Post: p, HTML: template.HTML(p.BodyHTML), Thread: t, Back: postURL(t, p.Number), Outcome: outcome})
}

// htmlDeletePost deletes a post and goes back to the thread (or to its
// category when the thread went with its first post).
func (s *Server) htmlDeletePost(c *gin.Context) {
	p, t, ok := s.postForPage(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	outcome, err := s.db.DeleteOutcome(ctx, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.db.DeletePost(ctx, p.ID); err != nil {
		s.fail(c, err)
		return
	}
	if outcome == forum.DeletesThread && !forum.ActorFrom(ctx).IsStaff() {
		c.Redirect(http.StatusSeeOther, "/c/"+t.CategorySlug)
		return
	}
	c.Redirect(http.StatusSeeOther, postURL(t, p.Number))
}

// htmlRestorePost restores a deleted post from its button (staff and the
// category's moderators), back to the post.
func (s *Server) htmlRestorePost(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if _, err := s.db.RestorePost(ctx, id, ""); err != nil {
		s.fail(c, err)
		return
	}
	p, t, err := s.db.PostByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, postURL(t, p.Number))
}

// htmlRestoreThread restores a deleted thread from its button, back to it.
func (s *Server) htmlRestoreThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := s.db.RestoreThread(ctx, id, ""); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.db.ThreadByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, threadURL(t))
}

// htmlLike likes or unlikes a post from its button, back to the post.
func (s *Server) htmlLike(c *gin.Context) {
	p, t, ok := s.postForPage(c)
	if !ok {
		return
	}
	like := s.db.Like
	if c.PostForm("unlike") == "1" {
		like = s.db.Unlike
	}
	if _, err := like(c.Request.Context(), p.ID); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, postURL(t, p.Number))
}

// moderatesPost reports whether the reader moderates the category of a
// post that is not deleted: its moderators edit and delete it.
func (s *Server) moderatesPost(c *gin.Context, p *forum.Post, t *forum.Thread) bool {
	if p.Status == forum.StatusDeleted {
		return false
	}
	ok, err := s.db.CanModerateCategory(c.Request.Context(), t.CategoryID)
	return err == nil && ok
}
