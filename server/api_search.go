package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// searchResult is a post found, or with in:messages a message of the
// caller's conversations: Kind says which of thread and post, or
// conversation and message, it has.
type searchResult struct {
	Kind         string                 `json:"kind"` // post or message
	Thread       *searchThreadRef       `json:"thread,omitempty"`
	Post         *searchPostRef         `json:"post,omitempty"`
	Conversation *searchConversationRef `json:"conversation,omitempty"`
	Message      *searchMessageRef      `json:"message,omitempty"`
	Snippet      string                 `json:"snippet"`
}

type searchConversationRef struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	TitleHTML string `json:"title_html"`
}

type searchMessageRef struct {
	ID        int64     `json:"id"`
	Number    int       `json:"number"`
	Author    *string   `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	URL       string    `json:"url"`
}

// searchHitURL is where a result leads: the post, or the message in its
// conversation.
func searchHitURL(h *forum.SearchHit) string {
	if h.ConversationID != 0 {
		return messageURL(h.ConversationID, h.PostNumber)
	}
	return "/p/" + idString(h.PostID)
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

// apiSearch answers {results: [{kind, thread, post, snippet}], next, total,
// total_capped, order, did_you_mean}; snippet is escaped HTML where only the matched
// words are in <mark>. A message found with in:messages has conversation
// and message instead of thread and post.
func (s *Server) apiSearch(c *gin.Context) {
	page, err := s.db.Search(c.Request.Context(), searchQueryOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]searchResult, len(page.Hits))
	for i := range page.Hits {
		h := &page.Hits[i]
		if h.ConversationID != 0 {
			out[i] = searchResult{Kind: "message",
				Conversation: &searchConversationRef{ID: h.ConversationID, Title: h.ThreadTitle, TitleHTML: h.TitleHTML},
				Message: &searchMessageRef{ID: h.PostID, Number: h.PostNumber, Author: h.AuthorName, CreatedAt: h.CreatedAt,
					URL: searchHitURL(h)},
				Snippet: h.SnippetHTML,
			}
			continue
		}
		out[i] = searchResult{Kind: "post",
			Thread: &searchThreadRef{ID: h.ThreadID, Title: h.ThreadTitle, TitleHTML: h.TitleHTML, Slug: h.ThreadSlug,
				CategorySlug: h.CategorySlug, CategoryName: h.CategoryName},
			Post: &searchPostRef{ID: h.PostID, Number: h.PostNumber, Author: h.AuthorName, CreatedAt: h.CreatedAt,
				URL: searchHitURL(h)},
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
