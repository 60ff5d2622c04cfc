package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// Keys of values that middleware stores in the Gin context.
const (
	ctxRequestID = "request_id"
	ctxLang      = "lang"
)

// contentSecurityPolicy forbids inline script and style, plugins, framing
// and foreign form targets. Images may come from https (members' posts).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// requestID gives every request an id, returned in X-Request-ID and written
// in every log line about it.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		c.Set(ctxRequestID, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

// accessLog writes one slog line per request.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if c.Request.URL.Path == "/healthz" {
			return
		}
		s.log.Info("request",
			"request_id", c.GetString(ctxRequestID),
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"bytes", c.Writer.Size(),
			"duration", time.Since(start),
			"client", c.ClientIP(),
		)
	}
}

// recovery turns a panic into a 500 that leaks nothing; the stack goes to
// the log with the request id.
func (s *Server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.Error("panic", "request_id", c.GetString(ctxRequestID), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			s.fail(c, fmt.Errorf("panic: %v", v))
		}()
		c.Next()
	}
}

// securityHeaders sets the headers every answer carries.
func (s *Server) securityHeaders() gin.HandlerFunc {
	hsts := s.cfg.Secure()
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		c.Next()
	}
}

// limitBody caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which the error table maps to 413.
func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := s.cfg.MaxBodyBytes
		if uploadRoutes[c.FullPath()] {
			limit = max(limit, maxUploadBody)
		}
		if c.Request.ContentLength > limit {
			s.fail(c, &http.MaxBytesError{Limit: limit})
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}
