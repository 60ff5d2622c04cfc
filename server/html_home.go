package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type homePage struct {
	Categories []forum.Category
	Latest     []forum.Thread
}

// htmlHome shows the categories and the latest threads.
func (s *Server) htmlHome(c *gin.Context) {
	cats, latest, err := s.db.Home(c.Request.Context(), 20)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home", "", &homePage{Categories: cats, Latest: latest})
}
