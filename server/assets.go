package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// Assets serves the embedded static files under URLs that carry a hash of
// their content (/static/css/palabre.3f2a9c1b20.css), so browsers may cache
// them forever: a changed file gets a new URL.
type Assets struct {
	urls  map[string]string // file name → hashed URL
	files map[string]*asset // hashed URL → content
}

type asset struct {
	body  []byte
	gzip  []byte // nil when compressing does not pay
	ctype string
	etag  string
}

// LoadAssets hashes every file of fsys once, at start-up.
func LoadAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{urls: map[string]string{}, files: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:10]
		ext := path.Ext(name)
		url := "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		as := &asset{body: body, ctype: ctype, etag: `"` + hash + `"`}
		if strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "svg") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body) // into memory: cannot fail
			_ = zw.Close()
			if buf.Len() < len(body)*9/10 {
				as.gzip = buf.Bytes()
			}
		}
		a.urls[name] = url
		a.files[url] = as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of a static file; an unknown name is an error,
// so a template that names a missing file fails instead of linking nowhere.
func (a *Assets) URL(name string) (string, error) {
	if u, ok := a.urls[name]; ok {
		return u, nil
	}
	return "", fmt.Errorf("no static file %q", name)
}

// serve answers GET /static/*file.
func (a *Assets) serve(c *gin.Context) {
	as, ok := a.files[c.Request.URL.Path]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", as.etag)
	h.Set("Content-Type", as.ctype)
	h.Set("Vary", "Accept-Encoding")
	if c.GetHeader("If-None-Match") == as.etag {
		c.Status(http.StatusNotModified)
		return
	}
	body := as.body
	if as.gzip != nil && acceptsGzip(c.Request) {
		h.Set("Content-Encoding", "gzip")
		body = as.gzip
	}
	c.Data(http.StatusOK, as.ctype, body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) != "gzip" {
			continue
		}
		switch strings.ReplaceAll(q, " ", "") {
		case "q=0", "q=0.0", "q=0.00", "q=0.000":
			return false
		}
		return true
	}
	return false
}
