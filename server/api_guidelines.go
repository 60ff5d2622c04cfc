package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) apiGuidelines(c *gin.Context) {
	g, err := s.db.Guidelines(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, g)
}

type publishGuidelinesRequest struct {
	BodyMarkdown       string `json:"body_markdown"`
	RequiresAcceptance bool   `json:"requires_acceptance"`
}

func (s *Server) apiPublishGuidelines(c *gin.Context) {
	var req publishGuidelinesRequest
	if !s.bindJSON(c, &req) {
		return
	}
	g, err := s.pipeline.PublishGuidelines(c.Request.Context(), req.BodyMarkdown, req.RequiresAcceptance)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, g)
}

type acceptGuidelinesRequest struct {
	Version int `json:"version"`
}

// apiAcceptGuidelines records that the member accepted the current
// guidelines version (409 for another one).
func (s *Server) apiAcceptGuidelines(c *gin.Context) {
	var req acceptGuidelinesRequest
	if !s.bindJSON(c, &req) {
		return
	}
	if err := s.db.AcceptGuidelines(c.Request.Context(), req.Version); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"version": req.Version})
}
