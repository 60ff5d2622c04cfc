package server

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type homePage struct {
	Categories []forum.Category
	Latest     []forum.Thread
	Avatars    []avatarImage // of the latest threads' authors, in the same order
}

// htmlHome shows the categories and the latest threads (homeContent,
// home_page.templ).
func (s *Server) htmlHome(c *gin.Context) {
	cats, latest, err := s.db.Home(c.Request.Context(), 20)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &homePage{Categories: cats, Latest: latest, Avatars: s.threadAvatars(c.Request.Context(), latest)}
	s.respond(c, http.StatusOK, "", d, func(v *View) templ.Component { return homeContent(v, d) })
}
