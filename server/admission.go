package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// admissionWait is how long a request waits for its turn before it is
// told that the forum is too busy (503, Retry-After).
var admissionWait = 10 * time.Second

// unlimited are the routes that never wait their turn: probes, metrics and
// assets and generated avatars, which touch no database, and the review queue's event stream,
// which lasts as long as a moderator keeps the page open.
var unlimited = map[string]bool{
	"/healthz": true, "/readyz": true, "/metrics": true, "/static/*file": true, "/avatars/:file": true, "/mod/events": true,
}

// admit works on at most cfg.MaxActive requests at once; the others wait
// their turn in the order they arrived (a channel's waiting senders are
// served first in, first out).
//
// Under load, without it, every request is started at once and they all
// share the cores and the database's connections: database/sql hands a
// freed connection to a waiter chosen at random, and the scheduler
// interleaves them all, so some requests wait many times longer than
// others. With a few requests at work and the rest queued in order, the
// slowest requests of a busy minute wait about as long as the others: on
// 2 cores, with 8 turns per core, the members' thread page went from a p99
// of 80-87 ms to 49-52 ms, with 12 % more requests. Posting needs that many:
// its requests spend part of their turn waiting for the disk and the
// fan-out, and 4 turns per core cost it a quarter of its throughput.
//
// A request's body is read before it waits: a client sending its body
// slowly must not hold a turn (limitBody bounds it). A reply gives its turn
// back while it waits for its batch (forum.WithYield): with 16 turns held
// by replies waiting for the disk, batches stayed small, and posting did
// 1,270-1,300 replies/s against 1,760-1,860 when they yield (before
// migration 0031).
func (s *Server) admit() gin.HandlerFunc {
	if s.cfg.MaxActive <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	turns := make(chan struct{}, s.cfg.MaxActive)
	return func(c *gin.Context) {
		if unlimited[c.FullPath()] {
			c.Next()
			return
		}
		if !s.readBodyFirst(c) {
			return
		}
		select {
		case turns <- struct{}{}:
		default:
			s.metrics.waiting.Add(1)
			timer := time.NewTimer(admissionWait)
			select {
			case turns <- struct{}{}:
				timer.Stop()
				s.metrics.waiting.Add(-1)
			case <-timer.C:
				s.metrics.waiting.Add(-1)
				s.metrics.turnedAway.Add(1)
				c.Header("Retry-After", strconv.Itoa(max(1, int(admissionWait/time.Second))))
				s.fail(c, forum.Errorf(forum.EUNAVAILABLE, "error.busy", nil))
				return
			case <-c.Request.Context().Done():
				// The client left.
				timer.Stop()
				s.metrics.waiting.Add(-1)
				c.AbortWithStatus(statusClientClosed)
				return
			}
		}
		// The turn is given back when the request ends, or as soon as its
		// answer starts to go out: a client reading it slowly (a large
		// file, a slow link, or on purpose) holds a connection, never a
		// turn, however long the writing lasts. Or earlier still, when a
		// request waits for something else than the processor and the
		// database: a reply for its batch, a file for the object store
		// (forum.WithYield).
		var given sync.Once
		giveBack := func() { given.Do(func() { <-turns }) }
		defer giveBack()
		w := c.Writer
		defer func() { c.Writer = w }()
		c.Writer = &yieldingWriter{ResponseWriter: w, yield: giveBack}
		c.Request = c.Request.WithContext(forum.WithYield(c.Request.Context(), giveBack))
		c.Next()
	}
}

// yieldingWriter gives its request's turn back before anything of the
// answer is written to the client.
type yieldingWriter struct {
	gin.ResponseWriter
	yield func()
}

func (w *yieldingWriter) Write(b []byte) (int, error) {
	w.yield()
	return w.ResponseWriter.Write(b)
}

func (w *yieldingWriter) WriteString(s string) (int, error) {
	w.yield()
	return w.ResponseWriter.WriteString(s)
}

func (w *yieldingWriter) WriteHeaderNow() {
	w.yield()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *yieldingWriter) Flush() {
	w.yield()
	w.ResponseWriter.Flush()
}

// readBodyFirst reads the request's body into memory; false when it
// answered instead (too large, or the client stopped sending).
func (s *Server) readBodyFirst(c *gin.Context) bool {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return true
	}
	body, err := io.ReadAll(c.Request.Body)
	c.Request.Body.Close()
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			s.fail(c, err)
		} else {
			c.AbortWithStatus(http.StatusBadRequest)
		}
		return false
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// boundedByHandler are the routes whose handler bounds its own work with
// RequestTimeout: the work before the answer, not the sending of the
// answer, which may be a large file for a slow client (read from the
// object store as it goes out).
var boundedByHandler = map[string]bool{"/uploads/:file": true}

// deadline bounds a request's work once it has its turn (RequestTimeout):
// waiting for one of the database's connections, and each statement, end
// with its context, so that a database that stopped answering (a stalled
// process, a saturated pool) makes 503s instead of requests that hang as long
// as it lasts. Event streams, probes and assets are not bounded (/readyz has
// its own, shorter, deadline).
func (s *Server) deadline() gin.HandlerFunc {
	if s.cfg.RequestTimeout <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		if unlimited[c.FullPath()] || boundedByHandler[c.FullPath()] {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
