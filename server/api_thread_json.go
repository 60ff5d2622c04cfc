package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// threadJSON is a page of a thread as the API answers it (shared/API.md):
// its posts, the thread, and the ?after= of the next page (null on the
// last one).
type threadJSON struct {
	Next   *int          `json:"next"`
	Posts  []apiPost     `json:"posts"`
	Thread *forum.Thread `json:"thread"`
}

// writeThreadJSON answers a page of a thread through writeJSON (kept in
// the page cache for anonymous readers).
func (s *Server) writeThreadJSON(c *gin.Context, t *forum.Thread, page *forum.PostPage) {
	out := threadJSON{Posts: make([]apiPost, len(page.Posts)), Thread: t}
	if page.Next > 0 {
		out.Next = &page.Next
	}
	avatars := newPageAvatars(jsonAvatarSide, len(page.Posts))
	authors := make([]apiAuthor, len(page.Posts))
	for i := range page.Posts {
		out.Posts[i] = pagePost(&page.Posts[i], avatars, &authors[i])
	}
	s.writeJSON(c, http.StatusOK, out)
}
