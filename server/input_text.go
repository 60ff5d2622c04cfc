package server

import (
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// refuseInvalidText answers 400 to a request whose path, query or posted
// form holds invalid UTF-8 or a NUL character: PostgreSQL stores neither,
// and text mended into U+FFFD would store something the person did not
// type. JSON bodies are checked by bindJSON.
func (s *Server) refuseInvalidText() gin.HandlerFunc {
	return func(c *gin.Context) {
		ok := textValid(c.Request.URL.Path)
		if ok {
			// Reads an url-encoded body (held in memory by readBodyFirst);
			// a body it cannot parse is left to the handler.
			_ = c.Request.ParseForm()
			ok = valuesValid(c.Request.Form) && valuesValid(c.Request.URL.Query())
		}
		if !ok {
			s.fail(c, forum.Errorf(forum.EINVALID, "error.text_invalid", nil))
			return
		}
		c.Next()
	}
}

func valuesValid(values map[string][]string) bool {
	for k, vs := range values {
		if !textValid(k) {
			return false
		}
		for _, v := range vs {
			if !textValid(v) {
				return false
			}
		}
	}
	return true
}

func textValid(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
