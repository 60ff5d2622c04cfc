package server

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// authenticate resolves the actor of the request and puts it in the request
// context, where forum and moderation find it: a bearer token for API
// clients. A token that is present but unknown is refused, never ignored.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		var member *forum.Member
		if h := c.GetHeader("Authorization"); h != "" {
			scheme, token, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				s.fail(c, forum.Errorf(forum.EUNAUTHORIZED, "auth.token_invalid", nil))
				return
			}
			m, err := s.db.MemberByAPIToken(c.Request.Context(), strings.TrimSpace(token))
			if err != nil {
				s.fail(c, err)
				return
			}
			member = m
		}
		c.Request = c.Request.WithContext(forum.WithMember(c.Request.Context(), member))
		c.Next()
	}
}
