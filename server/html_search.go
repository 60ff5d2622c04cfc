package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// searchFields are the search form's fields (query string).
var searchFields = []string{"q", "category", "author", "from", "to", "order"}

func searchQueryOf(c *gin.Context) forum.SearchQuery {
	return forum.SearchQuery{Text: c.Query("q"), Category: c.Query("category"), Author: c.Query("author"),
		From: c.Query("from"), To: c.Query("to"), Order: c.Query("order"), After: c.Query("after")}
}

type searchPageView struct {
	Form       *Form
	Categories []forum.Category
	Searched   bool
	Page       *forum.SearchPage
	Hits       []forum.SearchHit // TitleHTML, SnippetHTML: escaped by forum.Search, matches in <mark>
	NextURL    string
	// MessagesURL searches the same words in the member's conversations
	// (in:messages); "" for a visitor or a search already there.
	MessagesURL string
}

// categoryOptions are the category filter's choices: any (all), then
// each category.
func (d *searchPageView) categoryOptions(all string) []fieldOption {
	out := make([]fieldOption, 0, len(d.Categories)+1)
	out = append(out, fieldOption{Value: "", Label: all})
	for _, c := range d.Categories {
		out = append(out, fieldOption{Value: c.Slug, Label: c.Name})
	}
	return out
}

// orderOptions are the orders of results: by relevance (the default),
// newest first.
func orderOptions(v *View) []fieldOption {
	return []fieldOption{{Value: "", Label: v.T("search.order_relevance")}, {Value: forum.SearchByLatest, Label: v.T("search.order_latest")}}
}

// htmlSearch shows the search form and, with a query, the results; a bad
// query comes back filled with its error.
func (s *Server) htmlSearch(c *gin.Context) {
	ctx := c.Request.Context()
	form := &Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, f := range searchFields {
		form.Values[f] = c.Query(f)
	}
	cats, err := s.db.Categories(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	view := searchPageView{Form: form, Categories: cats}
	status := http.StatusOK
	if form.Values["q"] != "" {
		page, err := s.db.Search(ctx, searchQueryOf(c))
		if forum.ErrorCode(err) == forum.EUNAUTHORIZED {
			s.fail(c, err) // in:messages: sign in first
			return
		}
		if err != nil {
			status = s.setError(c, form, err)
		} else {
			view.Searched, view.Page, view.Hits = true, page, page.Hits
			if page.Next != "" {
				q := url.Values{"after": {page.Next}}
				for _, f := range searchFields {
					if v := form.Values[f]; v != "" {
						q.Set(f, v)
					}
				}
				view.NextURL = "/search?" + q.Encode()
			}
		}
	}
	// A member is offered the same words in their messages, unless the
	// search (as the parser read it) was already there or was refused.
	if forum.MemberFrom(ctx) != nil && status == http.StatusOK && (view.Page == nil || !view.Page.InMessages) {
		view.MessagesURL = "/search?" + url.Values{"q": {strings.TrimSpace(form.Values["q"] + " in:messages")}}.Encode()
	}
	s.respond(c, status, s.lang(c).T("search.title"), &view, func(v *View) templ.Component { return searchContent(v, &view) })
}
