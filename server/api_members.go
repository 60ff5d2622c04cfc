package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// apiProfile answers a member's public profile.
func (s *Server) apiProfile(c *gin.Context) {
	p, err := s.db.ProfileByUsername(c.Request.Context(), c.Param("username"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// updateMeRequest is the body of PATCH /api/v1/me; absent fields stay.
type updateMeRequest struct {
	DisplayName        *string                  `json:"display_name"`
	Bio                *string                  `json:"bio"`
	Locale             *string                  `json:"locale"`
	EmailNotifications *forum.NotificationPrefs `json:"email_notifications"`
	CurrentPassword    *string                  `json:"current_password"`
	NewPassword        *string                  `json:"new_password"`
}

// apiUpdateMe changes the member's own settings, and their password when
// new_password is given with current_password.
func (s *Server) apiUpdateMe(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := forum.RequireMember(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateMeRequest
	if !s.bindJSON(c, &req) {
		return
	}
	u, err := s.pipeline.PrepareProfile(ctx, m, req.DisplayName, req.Bio, req.Locale, req.EmailNotifications)
	if err == nil {
		err = u.Validate() // before the password changes: all or nothing
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.NewPassword != nil {
		current := ""
		if req.CurrentPassword != nil {
			current = *req.CurrentPassword
		}
		if err := s.db.ChangePassword(ctx, current, *req.NewPassword, ""); err != nil {
			s.fail(c, err)
			return
		}
	}
	settings, err := s.db.UpdateProfile(ctx, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	me, err := s.db.MemberByID(ctx, m.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"member": me, "settings": settings})
}

// apiExportMe answers everything about the member, as a download.
func (s *Server) apiExportMe(c *gin.Context) {
	s.sendExport(c)
}

// sendExport answers the member's data as a JSON attachment.
func (s *Server) sendExport(c *gin.Context) {
	exp, err := s.db.ExportAccount(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	name := fmt.Sprintf("palabre-export-%d-%s.json", exp.Account.ID, time.Now().UTC().Format("2006-01-02"))
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.IndentedJSON(http.StatusOK, exp)
}
