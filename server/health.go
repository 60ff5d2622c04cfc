package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz answers while the process is alive, whatever its dependencies.
func (s *Server) healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.String(http.StatusOK, "ok\n")
}

// readyzTimeout bounds the database's answer to /readyz: with a stopped
// database, the probe answers 503 within 2 s (the ping's connection is cut
// half a second after its context ends, forum.cancelGrace).
const readyzTimeout = time.Second

// readyz answers 200 when the database is reachable and its schema current:
// a load balancer sends traffic only then.
func (s *Server) readyz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyzTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		c.Header("Retry-After", strconv.Itoa(unavailableRetryAfter))
		c.JSON(http.StatusServiceUnavailable, gin.H{"ready": false, "database": "unreachable"})
		return
	}
	st, err := s.db.SchemaStatus(ctx)
	if err != nil || st.Dirty || st.Behind() {
		c.Header("Retry-After", strconv.Itoa(unavailableRetryAfter))
		c.JSON(http.StatusServiceUnavailable, gin.H{"ready": false, "database": "ok", "schema": st.Current, "schema_latest": st.Latest})
		return
	}
	answer := gin.H{"ready": true, "database": "ok", "schema": st.Current}
	// A read replica down or behind does not make the instance unready:
	// its reads go to the primary. Its state is shown for the operator.
	if r := s.db.CheckReplica(ctx); r.Configured {
		answer["replica"] = "unavailable"
		if r.Up {
			answer["replica"] = "ok"
			answer["replica_lag_seconds"] = r.Lag.Seconds()
		}
	}
	c.JSON(http.StatusOK, answer)
}

func (s *Server) methodNotAllowed(c *gin.Context) {
	if isAPI(c) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, apiError{Error: apiErrorBody{
			Code: "method_not_allowed", Message: s.lang(c).T("error.method_not_allowed")}})
		return
	}
	c.String(http.StatusMethodNotAllowed, s.lang(c).T("error.method_not_allowed"))
}
