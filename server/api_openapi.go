package server

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes the JSON API; a test checks that every /api/v1
// route is in it.
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) apiOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}
