package server

import (
	"bufio"
	"compress/gzip"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// compressMinBytes: below this, gzip's header and CPU cost more than they save.
const compressMinBytes = 1024

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// compress gzips HTML, JSON, XML and text answers for clients that accept
// it. Static assets are served precompressed and event streams are never
// buffered, so both are left alone.
func compress() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !acceptsGzip(c.Request) || strings.HasPrefix(c.Request.URL.Path, "/static/") || c.Request.Method == http.MethodHead {
			c.Next()
			return
		}
		gw := &gzipResponseWriter{ResponseWriter: c.Writer}
		c.Writer = gw
		c.Header("Vary", "Accept-Encoding")
		c.Next()
		gw.finish()
	}
}

// gzipResponseWriter decides at the first write whether to compress, from
// the content type and the size of that write.
type gzipResponseWriter struct {
	gin.ResponseWriter
	zw      *gzip.Writer
	decided bool
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/html", "application/json", "application/atom+xml", "application/xml", "text/plain", "text/csv"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

func (w *gzipResponseWriter) decide(n int) {
	if w.decided {
		return
	}
	w.decided = true
	h := w.Header()
	if h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) || n < compressMinBytes {
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	w.zw = gzipWriters.Get().(*gzip.Writer)
	w.zw.Reset(w.ResponseWriter)
}

func (w *gzipResponseWriter) Write(b []byte) (int, error) {
	w.decide(len(b))
	if w.zw == nil {
		return w.ResponseWriter.Write(b)
	}
	if !w.ResponseWriter.Written() {
		w.ResponseWriter.WriteHeaderNow()
	}
	return w.zw.Write(b)
}

func (w *gzipResponseWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// Flush sends what is compressed so far (streamed answers).
func (w *gzipResponseWriter) Flush() {
	if w.zw != nil {
		w.zw.Flush()
	}
	w.ResponseWriter.Flush()
}

func (w *gzipResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.ResponseWriter.Hijack()
}

func (w *gzipResponseWriter) finish() {
	if w.zw != nil {
		w.zw.Close()
		gzipWriters.Put(w.zw)
		w.zw = nil
	}
}
