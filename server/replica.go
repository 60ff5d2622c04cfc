package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// WALCookie carries, after a member's write request, the primary's WAL
// position once it was done: their next pages read the read replica only
// once it has replayed that far (read-your-writes, forum/replica.go). A
// cookie, so that it holds whichever instance serves the next page; each
// instance also remembers it by member, for API clients without cookies.
// Changing it only sends its holder's reads to the primary or to a
// replica behind their own writes: it needs no signature.
const WALCookie = "palabre_wal"

// walCookieAge is how long the cookie is kept: far past any lag the
// replica is allowed (PALABRE_DATABASE_REPLICA_MAX_LAG), after which reads
// go to the primary anyway.
const walCookieAge = 10 * time.Minute

// replicaReads lets the read-only requests (GET, HEAD) read pages from the
// replica, past the reader's last write, and notes that position after a
// member's write request. Without a replica it does nothing.
func (s *Server) replicaReads() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.db.HasReplica() {
			c.Next()
			return
		}
		ctx := c.Request.Context()
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead:
			var after uint64
			if v, err := c.Cookie(WALCookie); err == nil {
				after, _ = strconv.ParseUint(v, 10, 64) // a bad one is none
			}
			c.Request = c.Request.WithContext(s.db.ReplicaReads(ctx, after))
			c.Next()
			return
		case http.MethodOptions:
			c.Next()
			return
		}
		if forum.MemberFrom(ctx) == nil {
			// Logging in or signing up: the pages that follow read the
			// member's credentials, always from the primary.
			c.Next()
			return
		}
		c.Writer = &walCookieWriter{ResponseWriter: c.Writer, note: func() {
			lsn, err := s.db.WritePosition(c.Request.Context())
			if err != nil {
				s.log.Debug("noting the WAL position of a write", "error", err)
				return
			}
			http.SetCookie(c.Writer, &http.Cookie{
				Name: WALCookie, Value: strconv.FormatUint(lsn, 10), Path: "/", MaxAge: int(walCookieAge / time.Second),
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure(),
			})
		}}
		c.Next()
	}
}

// walCookieWriter notes the WAL position as the answer starts, once the
// handler has committed what it wrote and before the headers go.
type walCookieWriter struct {
	gin.ResponseWriter
	note  func()
	noted bool
}

func (w *walCookieWriter) before() {
	if !w.noted {
		w.noted = true
		w.note()
	}
}

func (w *walCookieWriter) WriteHeader(code int) {
	w.before()
	w.ResponseWriter.WriteHeader(code)
}

func (w *walCookieWriter) WriteHeaderNow() {
	w.before()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *walCookieWriter) Write(b []byte) (int, error) {
	w.before()
	return w.ResponseWriter.Write(b)
}

func (w *walCookieWriter) WriteString(str string) (int, error) {
	w.before()
	return w.ResponseWriter.WriteString(str)
}
