package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
)

type searchResult struct {
	Thread  searchThreadRef `json:"thread"`
	Post    searchPostRef   `json:"post"`
	Snippet string          `json:"snippet"`
}

// searchSuggestion is a thread or member whose title or name looks like the
// words of a search that found nothing.
type searchSuggestion struct {
	Kind  string `json:"kind"` // thread or member
	ID    int64  `json:"id"`
	Title string `json:"title,omitempty"`
	Name  string `json:"username,omitempty"`
	URL   string `json:"url"`
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
// total_capped, order, did_you_mean}; snippet is escaped HTML where only the matched
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
	didYouMean := make([]searchSuggestion, len(page.DidYouMean))
	for i, d := range page.DidYouMean {
		if d.Kind == "thread" {
			didYouMean[i] = searchSuggestion{Kind: d.Kind, ID: d.ID, Title: d.Label, URL: "/t/" + idString(d.ID) + "/" + d.Slug}
		} else {
			didYouMean[i] = searchSuggestion{Kind: d.Kind, ID: d.ID, Name: d.Label, URL: "/u/" + url.PathEscape(d.Label)}
		}
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	c.JSON(http.StatusOK, gin.H{"results": out, "next": next, "total": page.Total,
		"total_capped": page.TotalCapped, "order": page.Order, "did_you_mean": didYouMean})
}
