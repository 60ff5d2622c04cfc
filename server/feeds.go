package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// Atom (RFC 4287) documents, written with encoding/xml.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Base    string      `xml:"xml:base,attr"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Gen     string      `xml:"generator"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Published string      `xml:"published"`
	Link      atomLink    `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Content   atomContent `xml:"content"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"` // the post's sanitized HTML, escaped once more by XML
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func idString(n int64) string { return strconv.FormatInt(n, 10) }

// absolute turns a path into a URL under the configured base URL.
func (s *Server) absolute(path string) string {
	return strings.TrimSuffix(s.cfg.BaseURL.String(), "/") + path
}

// feedFor builds a feed whose entries are threads (postEntries false) or
// the posts of one thread.
func (s *Server) feedFor(c *gin.Context, title, self, alternate string, updated time.Time, entries []forum.FeedEntry, postEntries bool) *atomFeed {
	f := &atomFeed{
		Base: s.absolute("/"), Lang: s.lang(c).Code, ID: s.absolute(self), Title: title,
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.absolute(self)},
			{Rel: "alternate", Type: "text/html", Href: s.absolute(alternate)}},
		Author: atomPerson{Name: s.siteName(c), URI: s.absolute("/")}, Gen: "Palabre",
	}
	for _, e := range entries {
		if e.Updated.After(updated) {
			updated = e.Updated
		}
		entryID, link, entryTitle := s.absolute("/t/"+idString(e.ThreadID)), s.absolute("/t/"+idString(e.ThreadID)+"/"+e.ThreadSlug), e.ThreadTitle
		if postEntries {
			entryID, link = s.absolute("/p/"+idString(e.PostID)), s.absolute("/t/"+idString(e.ThreadID)+"/"+e.ThreadSlug+"#p"+strconv.Itoa(e.PostNumber))
			entryTitle = s.lang(c).T("feed.post_title", "Number", e.PostNumber, "Title", e.ThreadTitle)
		}
		author := s.lang(c).T("notify.someone")
		if e.AuthorName != nil {
			author = *e.AuthorName
		}
		f.Entries = append(f.Entries, atomEntry{
			ID: entryID, Title: entryTitle, Updated: atomTime(e.Updated), Published: atomTime(e.Published),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: link},
			Author:  atomPerson{Name: author, URI: s.absolute("/u/" + author)},
			Content: atomContent{Type: "html", Body: e.HTML},
		})
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	f.Updated = atomTime(updated)
	return f
}

// writeFeed answers a feed with an ETag (a hash of the document) and
// Last-Modified, and 304 when the reader already has it.
func (s *Server) writeFeed(c *gin.Context, f *atomFeed) {
	body, err := xml.Marshal(f)
	if err != nil {
		s.fail(c, forum.Internal("writing a feed", err))
		return
	}
	body = append([]byte(xml.Header), body...)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	updated, _ := time.Parse(time.RFC3339, f.Updated)
	h := c.Writer.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", updated.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Vary", "Accept-Language")
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		if inm == etag || inm == "*" {
			c.AbortWithStatus(http.StatusNotModified)
			return
		}
	} else if ims, err := http.ParseTime(c.GetHeader("If-Modified-Since")); err == nil && !updated.Truncate(time.Second).After(ims) {
		c.AbortWithStatus(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", body)
}

// feedLatest is the feed of the latest threads of the whole forum.
func (s *Server) feedLatest(c *gin.Context) {
	entries, err := s.db.FeedThreads(c.Request.Context(), nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeFeed(c, s.feedFor(c, s.lang(c).T("feed.latest_title", "Site", s.siteName(c)), "/feed.atom", "/", time.Time{}, entries, false))
}

// feedCategory is the feed of a category's latest threads.
func (s *Server) feedCategory(c *gin.Context) {
	ctx := c.Request.Context()
	cat, err := s.db.CategoryBySlug(ctx, c.Param("slug"))
	if err != nil {
		s.fail(c, err)
		return
	}
	entries, err := s.db.FeedThreads(ctx, &cat.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeFeed(c, s.feedFor(c, s.lang(c).T("feed.category_title", "Name", cat.Name, "Site", s.siteName(c)),
		"/c/"+cat.Slug+"/feed.atom", "/c/"+cat.Slug, cat.CreatedAt, entries, false))
}

// feedThread is the feed of a thread's latest posts.
func (s *Server) feedThread(c *gin.Context) {
	id, ok := s.pathID(c, "id", "thread.not_found")
	if !ok {
		return
	}
	th, entries, err := s.db.FeedThread(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeFeed(c, s.feedFor(c, th.Title, "/t/"+idString(th.ID)+"/feed.atom", "/t/"+idString(th.ID)+"/"+th.Slug, th.LastPostAt, entries, true))
}
