package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzhttp"
)

// compressMinBytes: below this, gzip's header and CPU cost more than they save.
const compressMinBytes = 1024

// compressibleTypes are the answers worth compressing on the fly; anything
// else (event streams, images, archives) goes out as it is.
var compressibleTypes = []string{"text/html", "application/json", "application/atom+xml", "application/xml", "text/plain", "text/csv"}

// compress gzips HTML, JSON, XML and text answers for clients that accept
// it, with klauspost/compress's gzhttp. Static assets are served
// precompressed and event streams are never buffered, so both are left
// alone; so is an answer that already says its Content-Encoding (the page
// cache's gzipped copies).
func compress() gin.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(compressMinBytes),
		gzhttp.CompressionLevel(gzip.BestSpeed),
		gzhttp.ContentTypes(compressibleTypes),
		gzhttp.EnableZstd(false), // the page cache keeps gzip only
		gzhttp.SetContentType(false),
	)
	if err != nil {
		panic(err) // the options above are constant
	}
	return func(c *gin.Context) {
		if !acceptsGzip(c.Request) || strings.HasPrefix(c.Request.URL.Path, "/static/") || strings.HasPrefix(c.Request.URL.Path, "/uploads/") || c.Request.Method == http.MethodHead || isHead(c) {
			c.Next()
			return
		}
		engine := c.Writer
		defer func() { c.Writer = engine }() // a panic goes up to recovery with the engine's writer
		wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			gw := &gzipWriter{ResponseWriter: engine, gz: w}
			c.Writer = gw
			c.Next()
			// As the engine does after its handlers: a status set without a
			// body (a redirect answering a POST, a 204) is sent.
			gw.WriteHeaderNow()
		})).ServeHTTP(engine, c.Request)
	}
}

// gzipWriter lets Gin's handlers write through gzhttp's writer. It keeps
// Gin's rules on the status: it may change until the first byte (or
// WriteHeaderNow), where gzhttp keeps the first one it is given.
//
// An answer that already has its Content-Encoding (the page cache's gzipped
// copies, the hottest answers of all) goes straight to the engine's writer.
type gzipWriter struct {
	gin.ResponseWriter // the engine's: Hijack, CloseNotify, Pusher, Size
	gz                 http.ResponseWriter
	status             int
	wrote              bool
	direct             bool // written to the engine's writer, around gzhttp
}

func (w *gzipWriter) Header() http.Header { return w.gz.Header() }

func (w *gzipWriter) WriteHeader(code int) {
	if code > 0 && !w.wrote {
		w.status = code
	}
}

func (w *gzipWriter) Status() int {
	if w.status != 0 {
		return w.status
	}
	return w.ResponseWriter.Status()
}

func (w *gzipWriter) WriteHeaderNow() {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.Header().Get("Content-Encoding") != "" {
		w.direct = true
		w.ResponseWriter.WriteHeader(w.Status())
		w.ResponseWriter.WriteHeaderNow()
		return
	}
	w.gz.WriteHeader(w.Status())
}

func (w *gzipWriter) Written() bool { return w.wrote }

func (w *gzipWriter) Write(b []byte) (int, error) {
	w.WriteHeaderNow()
	if w.direct {
		return w.ResponseWriter.Write(b)
	}
	return w.gz.Write(b)
}

func (w *gzipWriter) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	if w.direct {
		return w.ResponseWriter.WriteString(s)
	}
	return io.WriteString(w.gz, s)
}

// Flush sends what is compressed so far (streamed answers); gzhttp decides
// there, from the content type, whether a short answer is compressed.
func (w *gzipWriter) Flush() {
	w.WriteHeaderNow()
	if w.direct {
		w.ResponseWriter.Flush()
		return
	}
	_ = http.NewResponseController(w.gz).Flush() // a client gone away fails the next write
}

// Unwrap lets http.ResponseController reach the connection (write
// deadlines of event streams).
func (w *gzipWriter) Unwrap() http.ResponseWriter {
	if w.direct {
		return w.ResponseWriter
	}
	return w.gz
}
