package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

type bodyPreviewRequest struct {
	Body string `json:"body"`
}

// apiPreview answers the HTML a body would publish as, for the Preview
// button of the post forms (static/js/compose.js). Nothing is stored and no
// guideline rule runs: the rules judge the text when it is posted.
func (s *Server) apiPreview(limit *previewLimiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		m, err := forum.RequireMember(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		if !limit.allow(m.ID, time.Now()) {
			s.fail(c, forum.Errorf(forum.ERATELIMITED, "preview.too_fast", nil))
			return
		}
		var req bodyPreviewRequest
		if !s.bindJSON(c, &req) {
			return
		}
		html, err := s.pipeline.Preview(c.Request.Context(), req.Body)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"html": html})
	}
}

// previewLimiter allows each member a number of previews per window. A
// preview costs about 0.15 ms of CPU per KB of text (Render + Sanitize,
// `go test -bench Render|Sanitize ./moderation`), up to a few milliseconds for
// the longest post: the limit only stops a script from spending a core on
// it, so it is kept per instance, in memory, unlike the posting limits,
// which are rules of the community and live in PostgreSQL.
type previewLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	start  time.Time
	counts map[int64]int // previews per member in the current window
}

// Up to 30 previews in 10 seconds: far more than a person clicking.
const (
	previewsPerWindow = 30
	previewWindow     = 10 * time.Second
)

func newPreviewLimiter() *previewLimiter {
	return &previewLimiter{max: previewsPerWindow, window: previewWindow, counts: map[int64]int{}}
}

// allow counts a preview by member at now and reports whether it is within
// the limit. The whole map starts over with each window, which keeps its
// size to the members who previewed in the last one.
func (l *previewLimiter) allow(member int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[int64]int{}
	}
	if l.counts[member] >= l.max {
		return false
	}
	l.counts[member]++
	return true
}
