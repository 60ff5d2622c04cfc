package server

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// signUpPage is the sign-up form, or what happened after it.
type signUpPage struct {
	Form              *Form
	Closed            bool          // registration is closed
	GuidelinesVersion int           // the version to accept, 0 when there are none
	GuidelinesHTML    template.HTML // sanitized when published
	Done              bool          // the form was accepted
	Pending           bool          // the account awaits an admin's approval
	Email             string        // where the link went
}

var signUpFields = []string{"username", "email", "password", "accept_guidelines_version"}

func (s *Server) signUpPage(c *gin.Context, form *Form) (*signUpPage, error) {
	ctx := c.Request.Context()
	settings, err := s.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.db.CurrentGuidelines(ctx)
	if err != nil {
		return nil, err
	}
	page := &signUpPage{Form: form, Closed: settings.RegistrationMode == forum.RegistrationClosed}
	if g != nil {
		page.GuidelinesVersion, page.GuidelinesHTML = g.Version, template.HTML(g.BodyHTML)
	}
	return page, nil
}

// htmlSignUpForm shows the sign-up form with the guidelines to accept.
func (s *Server) htmlSignUpForm(c *gin.Context) {
	if forum.MemberFrom(c.Request.Context()) != nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	page, err := s.signUpPage(c, &Form{Values: map[string]string{}, Errors: map[string]string{}})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "signup", s.lang(c).T("signup.title"), page)
}

// htmlSignUp creates the account. It never logs the visitor in: whether the
// address was new or already had an account, the answer is "check your
// mail", so that nobody learns which addresses have accounts.
func (s *Server) htmlSignUp(c *gin.Context) {
	form := readForm(c, signUpFields...)
	page, err := s.signUpPage(c, form)
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := s.db.SignUp(c.Request.Context(), forum.SignUpRequest{
		Username: form.Get("username"), Email: form.Get("email"), Password: form.Get("password"),
		AcceptGuidelinesVersion: optionalInt(form.Get("accept_guidelines_version")),
		Locale:                  s.lang(c).Code, ClientIP: c.ClientIP(),
	})
	if err != nil {
		status := s.setError(c, form, err)
		s.render(c, status, "signup", s.lang(c).T("signup.title"), page)
		return
	}
	page.Done, page.Pending, page.Email = true, res.Pending, strings.TrimSpace(form.Get("email"))
	s.render(c, http.StatusOK, "signup", s.lang(c).T("signup.title"), page)
}

// loginPage is the log-in form.
type loginPage struct {
	Form      *Form
	Throttled bool // too many attempts: offer a login link
}

var loginFields = []string{"login", "password", "remember", "next"}

// htmlLoginForm shows the log-in form; a member already logged in goes on.
func (s *Server) htmlLoginForm(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if forum.MemberFrom(c.Request.Context()) != nil {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	form := &Form{Values: map[string]string{"next": next}, Errors: map[string]string{}}
	s.render(c, http.StatusOK, "login", s.lang(c).T("login.title"), loginPage{Form: form})
}

// htmlLogin checks the credentials, opens a new session (closing the
// browser's previous one) and goes on to next, a local path only.
func (s *Server) htmlLogin(c *gin.Context) {
	form := readForm(c, loginFields...)
	ctx := c.Request.Context()
	device, _ := c.Cookie(KnownDeviceCookie)
	m, err := s.db.LogIn(ctx, forum.LogInRequest{Login: form.Get("login"), Password: form.Get("password"),
		ClientIP: c.ClientIP(), KnownDevice: device})
	if token, ok := forum.AsError(err).Args[forum.NoticeTokenArg].(string); err != nil && ok {
		// Suspended or banned: the page that says why, until when, under
		// which rule, and takes an appeal.
		c.Redirect(http.StatusSeeOther, noticeURL(token))
		return
	}
	if err != nil {
		status := s.setError(c, form, err)
		page := loginPage{Form: form, Throttled: forum.ErrorCode(err) == forum.ERATELIMITED}
		s.render(c, status, "login", s.lang(c).T("login.title"), page)
		return
	}
	s.openSession(c, m, form.Get("remember") != "", safeNext(form.Get("next")))
}

// openSession opens a new session for m (closing the browser's previous
// one), marks the browser as a device known to m, and goes on to next.
func (s *Server) openSession(c *gin.Context, m *forum.Member, remember bool, next string) {
	ctx := c.Request.Context()
	old, _ := c.Cookie(SessionCookie)
	token, _, err := s.db.RotateSession(ctx, old, forum.NewSession{
		MemberID: m.ID, Remember: remember, UserAgent: c.GetHeader("User-Agent"), ClientIP: c.ClientIP(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setSessionCookie(c, token, remember)
	device, _ := c.Cookie(KnownDeviceCookie)
	if device, err = s.db.KnownDeviceCookie(ctx, m.ID, device); err != nil {
		s.fail(c, err)
		return
	}
	s.setKnownDeviceCookie(c, device)
	c.Redirect(http.StatusSeeOther, next)
}

// htmlLogout closes the session (a POST, never a GET: a link or an image
// must not log anyone out).
func (s *Server) htmlLogout(c *gin.Context) {
	if token, err := c.Cookie(SessionCookie); err == nil && token != "" {
		if err := s.db.DeleteSession(c.Request.Context(), token); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.clearSessionCookie(c)
	c.Redirect(http.StatusSeeOther, "/")
}

// tokenPage is a page reached through an emailed link.
type tokenPage struct {
	Form    *Form
	Token   string
	Invalid bool // the link is unknown, used or expired
	Done    bool
}

// htmlVerifyEmailForm shows a button that confirms the address: the link
// itself changes nothing, since mail scanners open links.
func (s *Server) htmlVerifyEmailForm(c *gin.Context) {
	token := c.Query("token")
	page := tokenPage{Token: token, Invalid: token == ""}
	s.render(c, http.StatusOK, "verify_email", s.lang(c).T("verify_email.title"), page)
}

// htmlVerifyEmail confirms the address of a verification link.
func (s *Server) htmlVerifyEmail(c *gin.Context) {
	page := tokenPage{Token: c.PostForm("token")}
	status := http.StatusOK
	if confirmed, err := s.db.VerifyEmail(c.Request.Context(), page.Token); err != nil {
		if forum.ErrorCode(err) != forum.EINVALID {
			s.fail(c, err)
			return
		}
		page.Invalid, status = true, http.StatusBadRequest
	} else {
		page.Done = true
		// The page that says the address is confirmed is written for the
		// member as they are now, without the banner asking to confirm it.
		if m := forum.MemberFrom(c.Request.Context()); m != nil && m.ID == confirmed.ID {
			now := *m
			now.EmailVerifiedAt = confirmed.EmailVerifiedAt
			c.Request = c.Request.WithContext(forum.WithMember(c.Request.Context(), &now))
		}
	}
	s.render(c, status, "verify_email", s.lang(c).T("verify_email.title"), page)
}

// forgotPage is the "forgotten password" form.
type forgotPage struct {
	Form *Form
	Done bool
}

// htmlPasswordForgotForm asks for the address of the account.
func (s *Server) htmlPasswordForgotForm(c *gin.Context) {
	form := &Form{Values: map[string]string{}, Errors: map[string]string{}}
	s.render(c, http.StatusOK, "password_forgot", s.lang(c).T("password_forgot.title"), forgotPage{Form: form})
}

// htmlPasswordForgot mails a reset link if the address has an account, and
// says the same thing either way.
func (s *Server) htmlPasswordForgot(c *gin.Context) {
	form := readForm(c, "email")
	err := s.db.RequestPasswordReset(c.Request.Context(), form.Get("email"), s.lang(c).Code, c.ClientIP())
	if err != nil {
		status := s.setError(c, form, err)
		s.render(c, status, "password_forgot", s.lang(c).T("password_forgot.title"), forgotPage{Form: form})
		return
	}
	s.render(c, http.StatusOK, "password_forgot", s.lang(c).T("password_forgot.title"), forgotPage{Form: form, Done: true})
}

// htmlPasswordResetForm asks for a new password, if the link is still good.
func (s *Server) htmlPasswordResetForm(c *gin.Context) {
	page := tokenPage{Token: c.Query("token"), Form: &Form{Values: map[string]string{}, Errors: map[string]string{}}}
	status := http.StatusOK
	if err := s.db.CheckResetToken(c.Request.Context(), page.Token); err != nil {
		if forum.ErrorCode(err) != forum.EINVALID {
			s.fail(c, err)
			return
		}
		page.Invalid, status = true, http.StatusBadRequest
	}
	s.render(c, status, "password_reset", s.lang(c).T("password_reset.title"), page)
}

// htmlPasswordReset sets the new password; every session of the member is
// closed, this browser's included.
func (s *Server) htmlPasswordReset(c *gin.Context) {
	form := readForm(c, "password", "password_confirm")
	page := tokenPage{Token: c.PostForm("token"), Form: form}
	render := func(status int) {
		s.render(c, status, "password_reset", s.lang(c).T("password_reset.title"), page)
	}
	if form.Get("password") != form.Get("password_confirm") {
		form.Errors["password_confirm"] = s.lang(c).T("auth.password_mismatch")
		render(http.StatusBadRequest)
		return
	}
	if _, err := s.db.ResetPassword(c.Request.Context(), page.Token, form.Get("password")); err != nil {
		fe := forum.AsError(err)
		if fe.Key == "auth.link_invalid" {
			page.Invalid = true
			render(http.StatusBadRequest)
			return
		}
		render(s.setError(c, form, err))
		return
	}
	s.clearSessionCookie(c)
	page.Done = true
	render(http.StatusOK)
}

// htmlLoginEmailForm asks for the account to mail a login link to.
func (s *Server) htmlLoginEmailForm(c *gin.Context) {
	form := &Form{Values: map[string]string{"login": c.Query("login")}, Errors: map[string]string{}}
	s.render(c, http.StatusOK, "login_email", s.lang(c).T("login_link.title"), forgotPage{Form: form})
}

// htmlLoginEmail mails a login link if the login has an account, and says
// the same thing either way.
func (s *Server) htmlLoginEmail(c *gin.Context) {
	form := readForm(c, "login")
	err := s.db.RequestLoginLink(c.Request.Context(), form.Get("login"), s.lang(c).Code, c.ClientIP())
	if err != nil {
		status := s.setError(c, form, err)
		s.render(c, status, "login_email", s.lang(c).T("login_link.title"), forgotPage{Form: form})
		return
	}
	s.render(c, http.StatusOK, "login_email", s.lang(c).T("login_link.title"), forgotPage{Form: form, Done: true})
}

// htmlLoginLinkForm shows a button that logs in with an emailed link: the
// link itself changes nothing, since mail scanners open links.
func (s *Server) htmlLoginLinkForm(c *gin.Context) {
	page := tokenPage{Token: c.Query("token")}
	status := http.StatusOK
	if err := s.db.CheckLoginLink(c.Request.Context(), page.Token); err != nil {
		if forum.ErrorCode(err) != forum.EINVALID {
			s.fail(c, err)
			return
		}
		page.Invalid, status = true, http.StatusBadRequest
	}
	s.render(c, status, "login_link", s.lang(c).T("login_link.title"), page)
}

// htmlLoginLink uses a login link, once: a session is opened (for the
// browser's lifetime: whoever wants to be remembered logs in with their
// password) and the browser becomes a known device.
func (s *Server) htmlLoginLink(c *gin.Context) {
	page := tokenPage{Token: c.PostForm("token")}
	m, err := s.db.LogInWithLink(c.Request.Context(), page.Token)
	if err != nil {
		if forum.AsError(err).Key != "auth.link_invalid" {
			s.fail(c, err)
			return
		}
		page.Invalid = true
		s.render(c, http.StatusBadRequest, "login_link", s.lang(c).T("login_link.title"), page)
		return
	}
	s.openSession(c, m, false, "/")
}

// optionalInt parses a form number, nil when empty or not a number.
func optionalInt(s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &n
}

// noticeURL is the page a suspended or banned member reads, reached with
// the token their refused log-in (or the sanction's email) gives.
func noticeURL(token string) string { return "/suspended?" + url.Values{"token": {token}}.Encode() }
