package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

type editPostRequest struct {
	Body string `json:"body"`
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
	if _, err := s.pipeline.SubmitEdit(ctx, moderation.EditSubmission{PostID: id, Body: req.Body}); err != nil {
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
