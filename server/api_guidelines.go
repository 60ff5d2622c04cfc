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
