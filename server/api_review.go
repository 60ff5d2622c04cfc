package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// queueFilter reads the queue's filters from the query string (the API and
// the page share them).
func queueFilter(c *gin.Context) (moderation.QueueFilter, error) {
	f := moderation.QueueFilter{Status: c.Query("status"), Kind: c.Query("kind"), Reason: c.Query("reason"),
		ClaimedBy: c.Query("claimed_by"), After: c.Query("after")}
	if v := c.Query("category"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, forum.Errorf(forum.EINVALID, "review.filter_invalid", nil).OnField("category")
		}
		f.CategoryID = id
	}
	return f, nil
}

// apiReview lists the review queue.
func (s *Server) apiReview(c *gin.Context) {
	f, err := queueFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.pipeline.Queue(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next": nullable(moderation.QueueNext(f, items))})
}

// apiReviewItem opens one item with its context (the first opening is
// recorded).
func (s *Server) apiReviewItem(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	ic, err := s.pipeline.OpenItem(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ic)
}

// apiClaimReview claims an item.
func (s *Server) apiClaimReview(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	it, err := s.pipeline.Claim(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"item": it})
}

// resolveRequest is a decision (shared/API.md), with the optional rule
// cited, the version seen, the new body of an edit and the category of a
// move.
type resolveRequest struct {
	Action     string `json:"action"`
	Duration   string `json:"duration"`
	Message    string `json:"message"`
	RuleID     *int64 `json:"rule_id"`
	Version    int    `json:"version"`
	Body       string `json:"body"`
	CategoryID int64  `json:"category_id"`
}

// apiResolveReview decides an item; 409 when another moderator decided it
// first.
func (s *Server) apiResolveReview(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	var req resolveRequest
	if !s.bindJSON(c, &req) {
		return
	}
	it, err := s.pipeline.Resolve(c.Request.Context(), moderation.Decision{ItemID: id, Action: req.Action,
		Duration: req.Duration, Message: req.Message, RuleID: req.RuleID, Version: req.Version, Body: req.Body, CategoryID: req.CategoryID})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"item": it})
}

// apiReviewNote adds a private note to an item.
func (s *Server) apiReviewNote(c *gin.Context) {
	id, ok := s.pathID(c, "id", "review.not_found")
	if !ok {
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if !s.bindJSON(c, &req) {
		return
	}
	n, err := s.pipeline.AddNote(c.Request.Context(), id, req.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"note": n})
}
