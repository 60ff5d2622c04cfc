package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

type editPostRequest struct {
	Body string `json:"body"`
	// Title changes the thread's title with its first post.
	Title *string `json:"title"`
}

func (s *Server) apiEditPost(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	var req editPostRequest
	if !s.bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	sub, err := s.pipeline.SubmitEdit(ctx, moderation.EditSubmission{PostID: id, Body: req.Body, Title: req.Title})
	if err != nil {
		s.fail(c, err)
		return
	}
	p, _, err := s.db.PostByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if sub.PendingEdit && p.PendingHTML != nil {
		// 202: the edit waits for review; the post stays as published.
		c.JSON(http.StatusAccepted, gin.H{"post": toAPIPost(p), "pending_edit": gin.H{
			"html": *p.PendingHTML, "markdown": deref(p.PendingMarkdown), "title": p.PendingTitle,
			"reasons": s.verdictReasons(c, sub.Verdict)}})
		return
	}
	c.JSON(http.StatusOK, gin.H{"post": toAPIPost(p)})
}

type restoreRequest struct {
	Reason string `json:"reason"`
}

// restoreReason reads the optional {"reason": "..."} of a restore.
func (s *Server) restoreReason(c *gin.Context) (string, bool) {
	var req restoreRequest
	if c.Request.ContentLength == 0 {
		return "", true
	}
	if !s.bindJSON(c, &req) {
		return "", false
	}
	return req.Reason, true // checked by forum (RestorePost, RestoreThread)
}

// apiRestorePost restores a soft-deleted post (staff, category moderators).
func (s *Server) apiRestorePost(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	reason, ok := s.restoreReason(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if _, err := s.db.RestorePost(ctx, id, reason); err != nil {
		s.fail(c, err)
		return
	}
	p, _, err := s.db.PostByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"post": toAPIPost(p)})
}

// apiRestoreThread restores a deleted thread with its first post.
func (s *Server) apiRestoreThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	reason, ok := s.restoreReason(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := s.db.RestoreThread(ctx, id, reason); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.db.ThreadByID(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"thread": t})
}

// apiDeleteThread deletes a thread: staff and the category's moderators,
// its author while nobody else replied (409 thread_has_replies then: the
// author withdraws their first post instead, DELETE /posts/{id}).
func (s *Server) apiDeleteThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteThread(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiDeletePost(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	if _, err := s.db.DeletePost(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiPostRevisions(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	p, _, revs, err := s.db.Revisions(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if revs == nil {
		revs = []forum.Revision{}
	}
	c.JSON(http.StatusOK, gin.H{"post": toAPIPost(p), "revisions": revs})
}

func (s *Server) apiLike(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	like := s.db.Like
	if c.Request.Method == http.MethodDelete {
		like = s.db.Unlike
	}
	st, err := like(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}
