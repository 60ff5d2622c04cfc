package server

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// reportPage is the report form of a post or a member.
type reportPage struct {
	Post    *forum.Post
	HTML    template.HTML
	Thread  *forum.Thread
	Member  *forum.Member  // a reported member
	Message *forum.Message // a reported private message
	// Uploads are the post's images and files, each of which may be
	// reported alone (the form's upload_id).
	Uploads []forum.Upload
	Action  string
	Back    string
	Reasons []string
	Rules   []moderation.PublicRule
	Form    *Form
	Done    bool
}

var reportFields = []string{"reason", "rule_id", "note", "upload_id"}

// reportTarget reads what is reported from the path: /p/:id/report or
// /u/:username/report.
func (s *Server) reportTarget(c *gin.Context) (*reportPage, bool) {
	ctx := c.Request.Context()
	if _, err := forum.RequireMember(ctx); err != nil {
		s.fail(c, err)
		return nil, false
	}
	rules, err := s.pipeline.PublicRules(ctx)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	page := &reportPage{Reasons: moderation.ReportReasons, Rules: rules}
	if name := c.Param("username"); name != "" {
		m, err := s.db.MemberByUsername(ctx, name)
		if err != nil {
			s.fail(c, err)
			return nil, false
		}
		page.Member, page.Action, page.Back = m, "/u/"+m.Username+"/report", "/u/"+m.Username
		return page, true
	}
	if strings.HasPrefix(c.FullPath(), "/m/") {
		id, ok := s.pathID(c, "id", "conversation.message_not_found")
		if !ok {
			return nil, false
		}
		m, conv, err := s.db.MessageByID(ctx, id)
		if err == nil && !conv.Participant {
			err = forum.Errorf(forum.ENOTFOUND, "conversation.message_not_found", nil)
		}
		if err != nil {
			s.fail(c, err)
			return nil, false
		}
		page.Message, page.HTML = m, template.HTML(m.BodyHTML)
		page.Action, page.Back = fmt.Sprintf("/m/%d/report", m.ID), messageURL(conv.ID, m.Number)
		return page, true
	}
	p, t, ok := s.postForPage(c)
	if !ok {
		return nil, false
	}
	page.Post, page.HTML, page.Thread = p, template.HTML(p.BodyHTML), t
	uploads, err := s.db.PostUploads(ctx, p.ID)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	for _, u := range uploads {
		if u.RemovedAt == nil {
			page.Uploads = append(page.Uploads, u)
		}
	}
	page.Action, page.Back = "/p/"+strconv.FormatInt(p.ID, 10)+"/report", postURL(t, p.Number)
	return page, true
}

// htmlReportForm shows the report form.
func (s *Server) htmlReportForm(c *gin.Context) {
	page, ok := s.reportTarget(c)
	if !ok {
		return
	}
	page.Form = readForm(c, reportFields...)
	if v := c.Query("upload"); v != "" {
		// A link to report one of the post's files: it comes chosen.
		page.Form.Values["upload_id"] = v
	}
	s.render(c, http.StatusOK, "report_form", s.lang(c).T("report.title"), page)
}

// htmlReport records a report; a refused one comes back filled.
func (s *Server) htmlReport(c *gin.Context) {
	page, ok := s.reportTarget(c)
	if !ok {
		return
	}
	page.Form = readForm(c, reportFields...)
	in := moderation.ReportInput{Reason: page.Form.Get("reason"), Note: page.Form.Get("note")}
	if v := page.Form.Get("rule_id"); v != "" && in.Reason == moderation.ReportGuideline {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			page.Form.Errors["rule_id"] = s.lang(c).T("report.rule_unknown")
			s.render(c, http.StatusBadRequest, "report_form", s.lang(c).T("report.title"), page)
			return
		}
		in.RuleID = &id
	}
	var err error
	switch {
	case page.Message != nil:
		in.MessageID = page.Message.ID
		_, err = s.pipeline.ReportMessage(c.Request.Context(), in)
	case page.Member != nil:
		in.MemberID = page.Member.ID
		_, err = s.pipeline.ReportMember(c.Request.Context(), in)
	case page.Form.Get("upload_id") != "":
		in.PostID = page.Post.ID
		if in.UploadID, err = strconv.ParseInt(page.Form.Get("upload_id"), 10, 64); err != nil {
			err = forum.Errorf(forum.EINVALID, "uploads.not_found", nil).OnField("upload_id")
			break
		}
		_, err = s.pipeline.ReportUpload(c.Request.Context(), in)
	default:
		in.PostID = page.Post.ID
		_, err = s.pipeline.ReportPost(c.Request.Context(), in)
	}
	status := http.StatusOK
	if err != nil {
		status = s.setError(c, page.Form, err)
	} else {
		page.Done = true
	}
	s.render(c, status, "report_form", s.lang(c).T("report.title"), page)
}
