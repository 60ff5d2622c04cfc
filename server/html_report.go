package server

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// reportPage is the report form of a post or a member.
type reportPage struct {
	Post    *forum.Post
	HTML    template.HTML
	Thread  *forum.Thread
	Member  *forum.Member // a reported member
	Action  string
	Back    string
	Reasons []string
	Rules   []moderation.PublicRule
	Form    *Form
	Done    bool
}

var reportFields = []string{"reason", "rule_id", "note"}

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
	p, t, ok := s.postForPage(c)
	if !ok {
		return nil, false
	}
	page.Post, page.HTML, page.Thread = p, template.HTML(p.BodyHTML), t
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
	if page.Member != nil {
		in.MemberID = page.Member.ID
		_, err = s.pipeline.ReportMember(c.Request.Context(), in)
	} else {
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
