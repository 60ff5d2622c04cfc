package server

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type guidelinesPage struct {
	Current   *forum.GuidelineVersion
	Shown     *forum.GuidelineVersion
	ShownHTML template.HTML // sanitized by the pipeline when published
	Diff      []diffLine    // against the previous version, when there is one
	History   []forum.GuidelineVersion
	Accept    bool // the member must accept Shown before going on
	Next      string
	Form      *Form
}

// htmlGuidelines shows the guidelines in force (or ?version=N) with what
// changed since the version before.
func (s *Server) htmlGuidelines(c *gin.Context) {
	ctx := c.Request.Context()
	cur, err := s.db.Guidelines(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := guidelinesPage{Current: cur, Shown: cur}
	if v := c.Query("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.fail(c, forum.Errorf(forum.ENOTFOUND, "guidelines.version_not_found", nil))
			return
		}
		if page.Shown, err = s.db.GuidelinesVersion(ctx, n); err != nil {
			s.fail(c, err)
			return
		}
	}
	if page.Shown.Version > 1 {
		prev, err := s.db.GuidelinesVersion(ctx, page.Shown.Version-1)
		if err == nil {
			page.Diff = diffLines(prev.BodyMarkdown, page.Shown.BodyMarkdown)
		}
	}
	page.ShownHTML = template.HTML(page.Shown.BodyHTML)
	if page.History, err = s.db.GuidelinesHistory(ctx); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "guidelines", s.lang(c).T("guidelines.title"), page)
}

// requireGuidelines sends a member who has not accepted the guidelines
// version that requires acceptance to the acceptance page first. Only HTML
// page views are stopped; reading the guidelines, logging out, the account
// pages (export, deletion), the review queue's event stream (which cannot
// show a page) and the API are not: posting, by any way, asks for the
// acceptance itself (forum.DB.RequirePoster), and a posting form sent back
// with its box ticked is accepted here before it is posted.
func (s *Server) requireGuidelines() gin.HandlerFunc {
	return func(c *gin.Context) {
		m := forum.MemberFrom(c.Request.Context())
		p := c.Request.URL.Path
		if m != nil && c.Request.Method == http.MethodPost && !isAPI(c) && c.PostForm(acceptGuidelinesField) != "" {
			// A posting form refused until the member accepts the
			// guidelines comes back with the box ticked: accept, then post.
			// A box for a version that is no longer current accepts
			// nothing: the form is refused again, with the current one.
			v, err := strconv.Atoi(c.PostForm(acceptGuidelinesField))
			if err == nil {
				err = s.db.AcceptGuidelines(c.Request.Context(), v)
			}
			if err == nil {
				// The credentials remembered here have the old version.
				s.db.ForgetMember(m.ID)
			} else if forum.ErrorCode(err) == forum.EINTERNAL {
				s.fail(c, err)
				return
			}
		}
		if m == nil || c.Request.Method != http.MethodGet || isAPI(c) || p == "/mod/events" ||
			strings.HasPrefix(p, "/guidelines") || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/avatars/") || p == "/logout" ||
			strings.HasPrefix(p, "/account") || p == "/suspended" ||
			p == "/healthz" || p == "/readyz" || p == "/metrics" {
			c.Next()
			return
		}
		required, err := s.db.RequiredGuidelinesVersion(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		if required > 0 && (m.GuidelinesVersion == nil || *m.GuidelinesVersion < required) {
			c.Redirect(http.StatusSeeOther, "/guidelines/accept?next="+c.Request.URL.RequestURI())
			c.Abort()
			return
		}
		c.Next()
	}
}

// htmlGuidelinesAcceptForm shows the version to accept with its changes.
func (s *Server) htmlGuidelinesAcceptForm(c *gin.Context) {
	s.renderGuidelinesAccept(c, http.StatusOK, &Form{Values: map[string]string{}, Errors: map[string]string{}})
}

func (s *Server) renderGuidelinesAccept(c *gin.Context, status int, f *Form) {
	ctx := c.Request.Context()
	m, err := forum.RequireMember(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	cur, err := s.db.Guidelines(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := guidelinesPage{Current: cur, Shown: cur, ShownHTML: template.HTML(cur.BodyHTML), Accept: true, Next: localPath(c.Query("next")), Form: f}
	if m.GuidelinesVersion != nil {
		if prev, err := s.db.GuidelinesVersion(ctx, *m.GuidelinesVersion); err == nil {
			page.Diff = diffLines(prev.BodyMarkdown, cur.BodyMarkdown)
		}
	}
	s.render(c, status, "guidelines", s.lang(c).T("guidelines.accept_title"), page)
}

// htmlGuidelinesAccept records the acceptance and goes on where the member
// was going.
func (s *Server) htmlGuidelinesAccept(c *gin.Context) {
	f := readForm(c, "version", "accept")
	v, err := strconv.Atoi(f.Get("version"))
	if err != nil || f.Get("accept") != "yes" {
		f.Errors["accept"] = s.lang(c).T("guidelines.must_accept")
		s.renderGuidelinesAccept(c, http.StatusUnprocessableEntity, f)
		return
	}
	if err := s.db.AcceptGuidelines(c.Request.Context(), v); err != nil {
		s.renderGuidelinesAccept(c, s.setError(c, f, err), f)
		return
	}
	next := localPath(c.PostForm("next"))
	if next == "" {
		next = "/"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// htmlAdminGuidelinesForm is the admins' editor of the guidelines.
func (s *Server) htmlAdminGuidelinesForm(c *gin.Context) {
	if err := forum.RequireAdmin(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	f := &Form{Values: map[string]string{}, Errors: map[string]string{}}
	if cur, err := s.db.Guidelines(c.Request.Context()); err == nil {
		f.Values["body_markdown"] = cur.BodyMarkdown
	}
	s.render(c, http.StatusOK, "admin_guidelines", s.lang(c).T("guidelines.edit_title"), guidelinesPage{Form: f})
}

// htmlAdminGuidelines publishes a new version.
func (s *Server) htmlAdminGuidelines(c *gin.Context) {
	f := readForm(c, "body_markdown", "requires_acceptance")
	g, err := s.pipeline.PublishGuidelines(c.Request.Context(), f.Get("body_markdown"), f.Get("requires_acceptance") == "yes")
	if err != nil {
		status := s.setError(c, f, err)
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			s.fail(c, err)
			return
		}
		s.render(c, status, "admin_guidelines", s.lang(c).T("guidelines.edit_title"), guidelinesPage{Form: f})
		return
	}
	c.Redirect(http.StatusSeeOther, "/guidelines?version="+strconv.Itoa(g.Version))
}
