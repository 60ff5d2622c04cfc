package server

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// sessionRow is one of the member's sessions as the page lists it.
type sessionRow struct {
	forum.Session
	Current bool // the browser looking at the page
}

type sessionsPage struct {
	Sessions []sessionRow
	Notice   string
}

// htmlAccountSessions lists the member's open sessions.
func (s *Server) htmlAccountSessions(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := s.db.Sessions(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	current := forum.HashToken(c.GetString(ctxSessionToken))
	page := sessionsPage{}
	for _, ss := range list {
		page.Sessions = append(page.Sessions, sessionRow{Session: ss, Current: bytes.Equal(ss.TokenHash, current)})
	}
	switch c.Query("done") {
	case "revoked":
		page.Notice = s.lang(c).T("account_sessions.revoked")
	case "revoked_others":
		page.Notice = s.lang(c).T("account_sessions.revoked_others")
	}
	s.render(c, http.StatusOK, "account_sessions", s.lang(c).T("account_sessions.title"), page)
}

// htmlRevokeSession closes one of the member's sessions.
func (s *Server) htmlRevokeSession(c *gin.Context) {
	if err := s.db.RevokeSession(c.Request.Context(), c.PostForm("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/account/sessions?done=revoked")
}

// htmlRevokeOtherSessions closes every session of the member but this one.
func (s *Server) htmlRevokeOtherSessions(c *gin.Context) {
	if _, err := s.db.RevokeOtherSessions(c.Request.Context(), c.GetString(ctxSessionToken)); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/account/sessions?done=revoked_others")
}

type tokensPage struct {
	Form     *Form
	Tokens   []forum.APIToken
	NewToken string // shown once, right after creation
	Notice   string
}

func (s *Server) renderTokens(c *gin.Context, status int, page tokensPage) {
	list, err := s.db.APITokens(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	page.Tokens = list
	if page.Form == nil {
		page.Form = &Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	s.render(c, status, "account_tokens", s.lang(c).T("account_tokens.title"), page)
}

// htmlAccountTokens lists the member's personal API tokens.
func (s *Server) htmlAccountTokens(c *gin.Context) {
	page := tokensPage{}
	if c.Query("done") == "revoked" {
		page.Notice = s.lang(c).T("account_tokens.revoked")
	}
	s.renderTokens(c, http.StatusOK, page)
}

// htmlCreateToken creates a token and shows it, once: the answer is a page,
// not a redirect, so that the token is in no URL and no history.
func (s *Server) htmlCreateToken(c *gin.Context) {
	form := readForm(c, "name")
	token, err := s.db.CreateOwnAPIToken(c.Request.Context(), form.Get("name"))
	if err != nil {
		if forum.ErrorCode(err) == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		s.renderTokens(c, s.setError(c, form, err), tokensPage{Form: form})
		return
	}
	s.renderTokens(c, http.StatusCreated, tokensPage{NewToken: token})
}

// htmlRevokeToken revokes one of the member's tokens.
func (s *Server) htmlRevokeToken(c *gin.Context) {
	id, ok := s.pathID(c, "id", "auth.token_not_found")
	if !ok {
		return
	}
	if err := s.db.RevokeAPIToken(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/account/tokens?done=revoked")
}
