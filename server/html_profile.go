package server

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type profilePage struct {
	Member    forum.PublicMember
	Bio       template.HTML // sanitized at write time by the pipeline
	Posts     []profilePost
	TrustName string // message key of the trust level
	Own       bool   // the reader's own profile
	Avatar    avatarView
	// Ignored: the reader ignores this member; Ignorable: they may (not
	// staff, not themselves).
	Ignored, Ignorable bool
}

type profilePost struct {
	forum.ProfilePost
	HTML template.HTML // sanitized at write time by the pipeline
}

// htmlProfile shows a member's public page.
func (s *Server) htmlProfile(c *gin.Context) {
	p, err := s.db.ProfileByUsername(c.Request.Context(), c.Param("username"))
	if err != nil {
		s.fail(c, err)
		return
	}
	me := forum.MemberFrom(c.Request.Context())
	page := profilePage{
		Member:    p.Member,
		Bio:       template.HTML(p.Member.BioHTML),
		TrustName: forum.TrustLevelName(p.Member.TrustLevel),
		Own:       me != nil && me.ID == p.Member.ID,
	}
	avatar, err := s.db.MemberAvatar(c.Request.Context(), p.Member.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	page.Avatar = newAvatarView(p.Member.Username, p.Member.Name(), avatar, 96)
	if me != nil && !page.Own {
		page.Ignorable = p.Member.Role == forum.RoleMember
		if page.Ignored, err = s.db.Ignores(c.Request.Context(), p.Member.ID); err != nil {
			s.fail(c, err)
			return
		}
	}
	for _, post := range p.RecentPosts {
		page.Posts = append(page.Posts, profilePost{ProfilePost: post, HTML: template.HTML(post.BodyHTML)})
	}
	s.render(c, http.StatusOK, "profile", p.Member.Name(), page)
}
