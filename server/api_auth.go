package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type signUpRequest struct {
	Username                string `json:"username"`
	Email                   string `json:"email"`
	Password                string `json:"password"`
	AcceptGuidelinesVersion *int   `json:"accept_guidelines_version"`
}

// apiSignUp creates an account: 201 with the member when it is created. An
// address that already has an account gets 202 and the same "check your
// mail" message as the page: its owner is told by mail, the caller is not.
func (s *Server) apiSignUp(c *gin.Context) {
	var req signUpRequest
	if !s.bindJSON(c, &req) {
		return
	}
	_, err := s.db.SignUp(c.Request.Context(), forum.SignUpRequest{
		Username: req.Username, Email: req.Email, Password: req.Password,
		AcceptGuidelinesVersion: req.AcceptGuidelinesVersion, Locale: s.lang(c).Code, ClientIP: c.ClientIP(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	// A new address and one that already has an account get the same
	// answer: the caller learns nothing about who is a member (the owner of
	// a known address is told by mail instead).
	c.JSON(http.StatusAccepted, gin.H{"message": s.lang(c).T("signup.check_email")})
}

type tokenRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// apiCreateToken exchanges a login and password for a personal API token,
// shown once.
func (s *Server) apiCreateToken(c *gin.Context) {
	var req tokenRequest
	if !s.bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	device, _ := c.Cookie(KnownDeviceCookie)
	m, err := s.db.LogIn(ctx, forum.LogInRequest{Login: req.Login, Password: req.Password, ClientIP: c.ClientIP(), KnownDevice: device})
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Name == "" {
		req.Name = "API"
	}
	token, err := s.db.CreateOwnAPIToken(forum.WithMember(ctx, m), req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"token": token, "member": m})
}
