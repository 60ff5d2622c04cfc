package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// apiMemberSanctions lists a member's sanctions (staff).
func (s *Server) apiMemberSanctions(c *gin.Context) {
	list, err := s.db.SanctionsOf(c.Request.Context(), c.Param("username"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"sanctions": list})
}

type liftSanctionRequest struct {
	Reason string `json:"reason"`
}

// apiLiftSanction lifts a sanction in force.
func (s *Server) apiLiftSanction(c *gin.Context) {
	id, ok := s.pathID(c, "id", "sanction.not_found")
	if !ok {
		return
	}
	var req liftSanctionRequest
	if !s.bindJSON(c, &req) {
		return
	}
	out, err := s.db.LiftSanctionByID(c.Request.Context(), forum.SanctionChange{SanctionID: id, Reason: req.Reason})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"sanction": out})
}

type shortenSanctionRequest struct {
	Until  *time.Time `json:"until"`
	Days   *int       `json:"days"`
	Reason string     `json:"reason"`
}

// shortenedUntil is the new end a shortening asks for: a date, or a number
// of days from now (one of them).
func shortenedUntil(until *time.Time, days *int) (*time.Time, error) {
	switch {
	case until != nil && days != nil:
		return nil, forum.Errorf(forum.EINVALID, "sanction.until_or_days", nil).OnField("until")
	case days != nil:
		if *days < 0 || *days > 3650 {
			return nil, forum.Errorf(forum.EINVALID, "sanction.until_too_far", nil).OnField("days")
		}
		t := time.Now().Add(time.Duration(*days) * 24 * time.Hour)
		return &t, nil
	}
	return until, nil
}

// apiShortenSanction brings a sanction's end closer.
func (s *Server) apiShortenSanction(c *gin.Context) {
	id, ok := s.pathID(c, "id", "sanction.not_found")
	if !ok {
		return
	}
	var req shortenSanctionRequest
	if !s.bindJSON(c, &req) {
		return
	}
	until, err := shortenedUntil(req.Until, req.Days)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.db.ShortenSanction(c.Request.Context(), forum.SanctionChange{SanctionID: id, Reason: req.Reason, Until: until})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"sanction": out})
}

// sanctionKindKey is the catalogue key of a kind of sanction, in words
// ("suspension"), for the notices.
func sanctionKindKey(kind string) string { return "sanction.kind_" + kind }
