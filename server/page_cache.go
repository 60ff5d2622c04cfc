package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// ChannelContent: on a change to what pages show, every instance drops its
// cached pages.
const ChannelContent = forum.ChannelContent

// pageCacheTTL bounds how long a page may be served from memory even if a
// notification were lost.
const pageCacheTTL = 5 * time.Minute

// pageCacheBudget bounds the memory of the cached pages (bodies and their
// gzip): past it the cache starts over. A crawler walking thousands of
// threads would otherwise keep them all, 20 to 40 kB each.
const pageCacheBudget = 24 << 20

// pageCache keeps the pages anonymous readers get, rendered and compressed
// once, like Discourse's anonymous cache, by language and URL. Members and
// anything that is not a plain GET bypass it. It is dropped on
// ChannelContent (RegisterCaches).
type pageCache struct {
	*forum.Cache[string, *cachedPage]
}

type cachedPage struct {
	body, gz []byte
	etag     string
	ctype    string
}

// ctxCacheKey and ctxCacheGeneration mark a request whose answer is to be
// kept: its key, and the cache's generation when it began (a page read
// before a notification is not kept after it).
const (
	ctxCacheKey        = "page_cache_key"
	ctxCacheGeneration = "page_cache_generation"
)

func newPageCache() *pageCache {
	return &pageCache{forum.NewCache[string, *cachedPage](pageCacheTTL, pageCacheBudget)}
}

// anonymous reports whether the request carries no credentials at all; a
// stale cookie only costs a cache miss.
func anonymous(c *gin.Context) bool {
	if c.GetHeader("Authorization") != "" {
		return false
	}
	for _, ck := range c.Request.Cookies() {
		// The WAL position a member's write left (replica.go) outlives
		// their logging out; cached pages come from the primary.
		if ck.Name != "lang" && ck.Name != WALCookie {
			return false
		}
	}
	return true
}

// cached serves an anonymous GET from the cache, or lets the handler run and
// marks the request so that render stores the page.
func (s *Server) cached(c *gin.Context) {
	if !s.cfg.PageCache || c.Request.Method != http.MethodGet || !anonymous(c) {
		c.Next()
		return
	}
	key := s.lang(c).Code + " " + c.Request.URL.RequestURI()
	gen := s.pageCache.Generation()
	e, ok := s.pageCache.Get(key)
	if !ok {
		s.metrics.pageCacheMisses.Add(1)
		c.Set(ctxCacheKey, key)
		c.Set(ctxCacheGeneration, gen)
		// What the cache keeps is read from the primary: a page read from
		// a replica that has not replayed the change that just emptied the
		// cache would be kept until the next one.
		c.Request = c.Request.WithContext(forum.PrimaryReads(c.Request.Context()))
		c.Next()
		return
	}
	s.metrics.pageCacheHits.Add(1)
	h := c.Writer.Header()
	h.Set("Content-Type", e.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", e.etag)
	h.Set("Vary", "Accept-Encoding, Accept-Language, Cookie")
	if c.GetHeader("If-None-Match") == e.etag {
		c.AbortWithStatus(http.StatusNotModified)
		return
	}
	body := e.body
	if acceptsGzip(c.Request) {
		h.Set("Content-Encoding", "gzip")
		body = e.gz
	}
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = c.Writer.Write(body) // a client gone away: nothing to do
	c.Abort()
}

// store keeps a page rendered for an anonymous reader, if the request was
// marked by cached and the page is a 200, and gives it its ETag.
func (pc *pageCache) store(c *gin.Context, status int, body []byte) {
	pc.storeAs(c, status, "text/html; charset=utf-8", body)
}

// storeAs is store for any content type (JSON answers of the API).
func (pc *pageCache) storeAs(c *gin.Context, status int, ctype string, body []byte) {
	key := c.GetString(ctxCacheKey)
	if key == "" || status != http.StatusOK {
		return
	}
	gen := c.GetUint64(ctxCacheGeneration)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(body) // into memory: cannot fail
	_ = zw.Close()
	sum := sha256.Sum256(body)
	e := &cachedPage{body: bytes.Clone(body), gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ctype}
	size := len(e.body) + len(e.gz) + len(key) + 256 // the entry's own fields, about
	pc.Put(gen, key, e, size)
	c.Header("ETag", e.etag)
}

// writeJSON answers v as JSON, kept in the page cache when the request is
// an anonymous read marked by cached (public API reads are as hot as pages).
//
// <, > and & are written as they are, not as \u003c…: the answers carry post
// bodies in HTML, whose every tag the default escaping made three times
// longer to write and to read. That escaping only protects JSON embedded in
// an HTML page; these are served as application/json, with nosniff.
func (s *Server) writeJSON(c *gin.Context, status int, v any) {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufferPool.Put(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.fail(c, err)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	const ctype = "application/json; charset=utf-8"
	s.pageCache.storeAs(c, status, ctype, body)
	c.Data(status, ctype, body)
}

// RegisterCaches registers the server's caches, and its pipeline's, on
// inv (Main's one invalidation path), with the review queue's event
// streams.
func (s *Server) RegisterCaches(inv *forum.Invalidations) {
	inv.Drops(ChannelContent, s.pageCache.Cache)
	s.pipeline.RegisterCaches(inv)
	s.live.Register(inv)
}
