package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// Bookmarks (forum/bookmark.go): the page of a member's bookmarks, the
// form under each post that keeps it with a note and a reminder, and the
// JSON API.

type bookmarksPage struct {
	Bookmarks []forum.Bookmark
	Next      int64
	Notice    string
}

// htmlBookmarks lists the member's bookmarks.
func (s *Server) htmlBookmarks(c *gin.Context) {
	before, err := queryCursor(c, "before")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.db.Bookmarks(c.Request.Context(), before)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := bookmarksPage{Bookmarks: page.Bookmarks, Next: page.Next}
	switch c.Query("done") {
	case "removed":
		v.Notice = s.lang(c).T("bookmarks.removed")
	case "saved":
		v.Notice = s.lang(c).T("bookmarks.saved")
	}
	s.render(c, http.StatusOK, "bookmarks", s.lang(c).T("bookmarks.title"), v)
}

// htmlBookmark keeps a post with the note and reminder of its form, then
// goes back to the post.
func (s *Server) htmlBookmark(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	remind := c.PostForm("remind")
	if remind == "" {
		remind = forum.RemindNone
	}
	in := forum.BookmarkInput{Note: c.PostForm("note"), Remind: remind}
	if _, err := s.db.BookmarkPost(c.Request.Context(), id, in); err != nil {
		s.fail(c, err)
		return
	}
	next := localPath(c.PostForm("next"))
	if next == "" {
		next = "/p/" + strconv.FormatInt(id, 10)
	}
	c.Redirect(http.StatusSeeOther, next)
}

// htmlDeleteBookmark removes a bookmark, then goes back where it was asked.
func (s *Server) htmlDeleteBookmark(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteBookmark(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	next := localPath(c.PostForm("next"))
	if next == "" {
		next = "/bookmarks?done=removed"
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) apiBookmarks(c *gin.Context) {
	before, err := queryCursor(c, "before")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.db.Bookmarks(c.Request.Context(), before)
	if err != nil {
		s.fail(c, err)
		return
	}
	var next *int64
	if page.Next != 0 {
		next = &page.Next
	}
	c.JSON(http.StatusOK, gin.H{"bookmarks": page.Bookmarks, "next": next})
}

func (s *Server) apiBookmark(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	var in forum.BookmarkInput
	if c.Request.ContentLength != 0 && !s.bindJSON(c, &in) {
		return
	}
	b, err := s.db.BookmarkPost(c.Request.Context(), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"bookmark": b})
}

func (s *Server) apiDeleteBookmark(c *gin.Context) {
	id, ok := s.pathID(c, "id", "post.not_found")
	if !ok {
		return
	}
	if err := s.db.DeleteBookmark(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
