package server

import (
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// visitRefresh is how often one instance records a member's presence: the
// day's visit row is written at the first request of the day, then its
// active time at most this often.
const visitRefresh = 5 * time.Minute

// visitCache remembers when this instance last recorded each member's visit,
// so that most requests write nothing.
type visitCache struct {
	mu   sync.Mutex
	last map[int64]time.Time
}

// due reports whether the member's visit should be recorded at now, and
// notes that it is.
func (v *visitCache) due(memberID int64, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		v.last = map[int64]time.Time{}
	}
	if t, ok := v.last[memberID]; ok && now.Sub(t) < visitRefresh && sameUTCDay(t, now) {
		return false
	}
	// Forget members gone quiet, so the map stays the size of the active
	// members of the last hour.
	if len(v.last) > 10000 {
		for id, t := range v.last {
			if now.Sub(t) > time.Hour {
				delete(v.last, id)
			}
		}
	}
	v.last[memberID] = now
	return true
}

func sameUTCDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// recordVisit records that the member of the request visited today (days
// visited and time spent count towards trust levels). A failure is logged,
// never shown: it must not cost the member their page.
func (s *Server) recordVisit() gin.HandlerFunc {
	visits := &visitCache{}
	return func(c *gin.Context) {
		if m := forum.MemberFrom(c.Request.Context()); m != nil {
			now := time.Now()
			if visits.due(m.ID, now) {
				// An unavailable database is logged once per outage
				// (forum.DB.Unavailable), not once per request.
				if err := s.db.RecordVisit(c.Request.Context(), m.ID, now); err != nil && s.db.Unavailable(err) == nil {
					s.log.Warn("recording a visit", "request_id", c.GetString(ctxRequestID), "error", err)
				}
			}
		}
		c.Next()
	}
}
