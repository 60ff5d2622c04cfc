package server

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// BenchmarkCompress measures the compression middleware alone, on a bare
// engine: a 34 kB page compressed on the fly (what a member's thread page
// costs), and a page the page cache already keeps gzipped (a visitor's),
// which the middleware must pass through.
func BenchmarkCompress(b *testing.B) {
	page := []byte("<!doctype html><html><body>" + strings.Repeat("<p>Bonjour à tous, je reviens sur la réunion de quartier d’hier soir.</p>\n", 450) + "</body></html>")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(page); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(compress())
	e.GET("/rendered", func(c *gin.Context) { c.Data(http.StatusOK, "text/html; charset=utf-8", page) })
	e.GET("/cached", func(c *gin.Context) {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, "text/html; charset=utf-8", gz.Bytes())
	})
	for _, path := range []string{"/rendered", "/cached"} {
		b.Run(path[1:], func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept-Encoding", "gzip, deflate, br")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				if w.Header().Get("Content-Encoding") != "gzip" {
					b.Fatal("not gzipped")
				}
			}
		})
	}
}
