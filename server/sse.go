package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// sseHeartbeat keeps proxies from closing a quiet stream.
const sseHeartbeat = 25 * time.Second

// queueUpdate is one event of /mod/events: the reader's count of pending
// items and, when an item changed, which.
type queueUpdate struct {
	Count int                    `json:"count"`
	Item  *moderation.QueueEvent `json:"item,omitempty"`
}

// reviewEvents streams the review queue's changes to a moderator's pages
// (Server-Sent Events): the header badge and the queue update without a
// reload. The changes come from PostgreSQL NOTIFY, so that a change made on
// any instance reaches every page.
func (s *Server) reviewEvents(live *moderation.Live) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		count, err := s.pipeline.PendingCount(ctx)
		if err != nil {
			s.fail(c, err)
			return
		}
		events, stop := live.Subscribe()
		defer stop()

		// http.Server's WriteTimeout would cut the stream: each write
		// pushes the deadline (the gzip writer passes event streams through
		// uncompressed, and unwraps to the connection).
		rc := http.NewResponseController(c.Writer)
		h := c.Writer.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
		c.Status(http.StatusOK)

		send := func(format string, args ...any) bool {
			_ = rc.SetWriteDeadline(time.Now().Add(sseHeartbeat + 10*time.Second)) // unsupported: the write is bounded by the heartbeat anyway
			if _, err := fmt.Fprintf(c.Writer, format, args...); err != nil {
				return false
			}
			c.Writer.Flush()
			return true
		}
		update := func(ev *moderation.QueueEvent) bool {
			b, _ := json.Marshal(queueUpdate{Count: count, Item: ev})
			return send("event: queue\ndata: %s\n\n", b)
		}
		if isHead(c) || !send("retry: 5000\n\n") || !update(nil) {
			return
		}
		heartbeat := time.NewTicker(sseHeartbeat)
		defer heartbeat.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.streams.Done():
				// The server is shutting down: the page reconnects
				// (retry), to another instance behind a load balancer.
				return
			case <-heartbeat.C:
				if !send(": ping\n\n") {
					return
				}
			case ev := <-events:
				n, err := s.pipeline.PendingCount(ctx)
				if err != nil {
					if forum.ErrorCode(err) != forum.EINTERNAL {
						return // no longer a moderator
					}
					s.log.Warn("review events", "error", err)
					continue
				}
				count = n
				if !update(&ev) {
					return
				}
			}
		}
	}
}
