package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// accountAvatar fills the account page's avatar section.
func (s *Server) accountAvatar(c *gin.Context, m *forum.Member, p *accountPage) error {
	avatar, err := s.db.MemberAvatar(c.Request.Context(), m.ID)
	if err != nil {
		return err
	}
	p.Avatar = newAvatarView(m.Username, m.DisplayName, avatar, 96)
	p.HasAvatar = avatar != nil
	if p.AvatarForm == nil {
		p.AvatarForm = &Form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	return nil
}

// htmlSetAvatar takes a picture from the account page's form (multipart,
// no JavaScript needed).
func (s *Server) htmlSetAvatar(c *gin.Context) {
	data, _, err := s.uploadedFile(c, true)
	if err == nil {
		_, err = s.db.SetAvatar(c.Request.Context(), data)
	}
	if err != nil {
		if code := forum.ErrorCode(err); code == forum.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		form := &Form{Values: map[string]string{"file": ""}, Errors: map[string]string{}}
		s.renderAccount(c, s.setError(c, form, err), &accountPage{AvatarForm: form})
		return
	}
	c.Redirect(http.StatusSeeOther, "/account?saved=avatar#avatar")
}

// htmlDeleteAvatar brings the generated avatar back.
func (s *Server) htmlDeleteAvatar(c *gin.Context) {
	if err := s.db.DeleteAvatar(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/account?saved=avatar#avatar")
}
