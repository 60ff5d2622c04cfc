package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// reportRequest is the body of a report (shared/API.md).
type reportRequest struct {
	Reason string `json:"reason"`
	RuleID *int64 `json:"rule_id"`
	Note   string `json:"note"`
}

// apiReportPost reports a post to the moderators.
func (s *Server) apiReportPost(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	var req reportRequest
	if !s.bindJSON(c, &req) {
		return
	}
	r, err := s.pipeline.ReportPost(c.Request.Context(), moderation.ReportInput{PostID: id, Reason: req.Reason, RuleID: req.RuleID, Note: req.Note})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"report": r})
}

// apiReportUpload reports one upload of a post (an image, an attachment)
// to the moderators.
func (s *Server) apiReportUpload(c *gin.Context) {
	id, ok := s.pathID(c, "id", "uploads.not_found")
	if !ok {
		return
	}
	var req struct {
		reportRequest
		PostID int64 `json:"post_id"`
	}
	if !s.bindJSON(c, &req) {
		return
	}
	r, err := s.pipeline.ReportUpload(c.Request.Context(), moderation.ReportInput{UploadID: id, PostID: req.PostID,
		Reason: req.Reason, RuleID: req.RuleID, Note: req.Note})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"report": r})
}

// apiReportMember reports a member to the moderators.
func (s *Server) apiReportMember(c *gin.Context) {
	ctx := c.Request.Context()
	if _, err := forum.RequireMember(ctx); err != nil {
		s.fail(c, err)
		return
	}
	target, err := s.db.MemberByUsername(ctx, c.Param("username"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var req reportRequest
	if !s.bindJSON(c, &req) {
		return
	}
	r, err := s.pipeline.ReportMember(ctx, moderation.ReportInput{MemberID: target.ID, Reason: req.Reason, RuleID: req.RuleID, Note: req.Note})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"report": r})
}
