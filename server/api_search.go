package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type searchResult struct {
	Thread  searchThreadRef `json:"thread"`
	Post    searchPostRef   `json:"post"`
	Snippet string          `json:"snippet"`
}

type searchThreadRef struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	TitleHTML    string `json:"title_html"`
	Slug         string `json:"slug"`
	CategorySlug string `json:"category_slug"`
	CategoryName string `json:"category_name"`
}

type searchPostRef struct {
	ID        int64     `json:"id"`
	Number    int       `json:"number"`
	Author    *string   `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	URL       string    `json:"url"`
}

// apiSearch answers {results: [{thread, post, snippet}], next, total,
// total_capped, order}; snippet is escaped HTML where only the matched
// words are in <mark>.
func (s *Server) apiSearch(c *gin.Context) {
	page, err := s.db.Search(c.Request.Context(), searchQueryOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]searchResult, len(page.Hits))
	for i, h := range page.Hits {
		out[i] = searchResult{
			Thread: searchThreadRef{ID: h.ThreadID, Title: h.ThreadTitle, TitleHTML: h.TitleHTML, Slug: h.ThreadSlug,
				CategorySlug: h.CategorySlug, CategoryName: h.CategoryName},
			Post: searchPostRef{ID: h.PostID, Number: h.PostNumber, Author: h.AuthorName, CreatedAt: h.CreatedAt,
				URL: "/p/" + idString(h.PostID)},
			Snippet: h.SnippetHTML,
		}
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	c.JSON(http.StatusOK, gin.H{"results": out, "next": next, "total": page.Total,
		"total_capped": page.TotalCapped, "order": page.Order})
}
