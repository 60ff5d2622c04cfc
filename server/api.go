package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// bindJSON decodes a JSON request body strictly (unknown fields refused),
// answering the error itself; it reports whether the handler may go on.
func (s *Server) bindJSON(c *gin.Context, dst any) bool {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			s.fail(c, err)
		case errors.Is(err, io.EOF):
			s.fail(c, forum.Errorf(forum.EINVALID, "error.body_empty", nil))
		default:
			s.fail(c, forum.Errorf(forum.EINVALID, "error.body_invalid_json", map[string]any{"Detail": err.Error()}))
		}
		return false
	}
	return true
}

// apiMe answers who the bearer of the token is.
func (s *Server) apiMe(c *gin.Context) {
	m, err := forum.RequireMember(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"member": m})
}
