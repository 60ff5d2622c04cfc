package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// apiSettings answers the typed settings in force (admins).
func (s *Server) apiSettings(c *gin.Context) {
	ctx := c.Request.Context()
	if err := forum.RequireAdmin(ctx); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.db.Settings(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// apiUpdateSettings changes some settings: a partial JSON object, validated
// as a whole; an error names the field at fault.
func (s *Server) apiUpdateSettings(c *gin.Context) {
	var patch map[string]json.RawMessage
	if !s.bindJSON(c, &patch) {
		return
	}
	if patch == nil {
		s.fail(c, forum.Errorf(forum.EINVALID, "error.body_empty", nil))
		return
	}
	st, err := s.db.UpdateSettings(c.Request.Context(), patch)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}
