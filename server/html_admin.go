package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type adminHomePage struct {
	PendingMembers int
}

// htmlAdmin is the administration's home: where each part of the site is
// set up (admins only).
func (s *Server) htmlAdmin(c *gin.Context) {
	pending, err := s.db.CountPendingMembers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin", s.lang(c).T("admin.home_title"), adminHomePage{PendingMembers: pending})
}
