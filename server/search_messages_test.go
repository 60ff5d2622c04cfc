package server

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// privateConversation stores a conversation of author with the
// recipients, its first message and n-1 more, each holding body and its
// number, published.
func privateConversation(t *testing.T, db *forum.DB, author *forum.Member, to []*forum.Member, title, body string, n int) int64 {
	t.Helper()
	ctx := forumtest.As(author)
	var ids []int64
	for _, m := range to {
		ids = append(ids, m.ID)
	}
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		html := func(i int) string { return fmt.Sprintf("<p>%s, numéro %d.</p>", body, i) }
		c, _, err := forum.CreateConversationTx(ctx, tx, forum.NewConversation{Title: title, AuthorID: author.ID,
			RecipientIDs: ids, BodyMarkdown: html(1), BodyHTML: html(1), Status: forum.MessagePublished})
		if err != nil {
			return err
		}
		id = c.ID
		for i := 2; i <= n; i++ {
			if _, err := forum.AddMessageTx(ctx, tx, forum.NewMessage{ConversationID: c.ID, AuthorID: author.ID,
				BodyMarkdown: html(i), BodyHTML: html(i), Status: forum.MessagePublished}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// resultLinks are the addresses the search page's results lead to.
var resultLinks = regexp.MustCompile(`<a class="result-title" href="([^"]+)"`)

// in:messages is the same search in the form and the API: the same
// messages, linked to their place in their conversation; the API tells a
// message from a post; a visitor is asked to sign in (401 in the API);
// #category is refused on q; the public search returns no message.
func TestSearchInMessagesThroughThePageAndTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	carol := forumtest.MustMember(t, db, forum.RoleMember, 2)
	tag := forumtest.Unique("zpriv")
	conv := privateConversation(t, db, alice, []*forum.Member{bob}, "Le déménagement", "Les cartons du "+tag, 3)
	cat := forumtest.MustCategory(t, db)
	_, post := searchPost(t, db, alice, cat, 0, "Un sujet public", "Les cartons publics du "+tag)
	hb := bearer(t, db, bob)

	q := "carton " + tag + " in:messages order:latest"
	w := s.do(t, request{path: "/api/v1/search?q=" + url.QueryEscape(q), header: hb})
	if w.Code != 200 {
		t.Fatalf("API: %d %s", w.Code, w.Body)
	}
	api := decode[messageSearchAnswer](t, w.Body.Bytes())
	var apiLinks []string
	for i, r := range api.Results {
		if r.Kind != "message" || r.Thread != nil || r.Post != nil || r.Conversation.ID != conv ||
			r.Message.Number != 3-i || r.Message.Author == nil || *r.Message.Author != alice.Username ||
			!strings.Contains(r.Snippet, "<mark>cartons</mark>") {
			t.Errorf("API result %d: %+v", i, r)
		}
		apiLinks = append(apiLinks, r.Message.URL)
	}
	// Three messages: all on the conversation's first page.
	want := []string{fmt.Sprintf("/messages/%d#m-3", conv), fmt.Sprintf("/messages/%d#m-2", conv), fmt.Sprintf("/messages/%d#m-1", conv)}
	if !slices.Equal(apiLinks, want) || api.Total != 3 {
		t.Errorf("API links %v (total %d), want %v", apiLinks, api.Total, want)
	}
	// Each link shows its message on the page it opens.
	for _, link := range apiLinks {
		path, anchor, _ := strings.Cut(link, "#")
		if w := s.do(t, request{path: path, header: hb}); w.Code != 200 || !strings.Contains(w.Body.String(), `id="`+anchor+`"`) {
			t.Errorf("%s: %d, its anchor on the page: %v", link, w.Code, strings.Contains(w.Body.String(), `id="`+anchor+`"`))
		}
	}
	w = s.do(t, request{path: "/search?q=" + url.QueryEscape(q), header: hb})
	var htmlLinks []string
	for _, m := range resultLinks.FindAllStringSubmatch(w.Body.String(), -1) {
		htmlLinks = append(htmlLinks, strings.ReplaceAll(m[1], "&amp;", "&"))
	}
	if w.Code != 200 || !slices.Equal(htmlLinks, apiLinks) {
		t.Errorf("the page: %d, links %v, want the API's %v", w.Code, htmlLinks, apiLinks)
	}
	// A member's answers are kept by no shared cache; a visitor's page may be.
	if cc := w.Header().Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("the member's page: Cache-Control %q", cc)
	}
	if cc := s.do(t, request{path: "/api/v1/search?q=" + url.QueryEscape(q), header: hb}).Header().Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("the member's API answer: Cache-Control %q", cc)
	}
	if cc := s.do(t, request{path: "/search?q=" + url.QueryEscape("carton "+tag)}).Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("a visitor's page: Cache-Control %q", cc)
	}

	// Somebody else's conversation: nothing, in both.
	hc := bearer(t, db, carol)
	if got := decode[searchAnswer](t, s.do(t, request{path: "/api/v1/search?q=" + url.QueryEscape(q), header: hc}).Body.Bytes()); len(got.Results) != 0 {
		t.Errorf("carol finds %d messages", len(got.Results))
	}
	if w := s.do(t, request{path: "/search?q=" + url.QueryEscape(q), header: hc}); w.Code != 200 || resultLinks.MatchString(w.Body.String()) {
		t.Errorf("carol's page: %d, with results", w.Code)
	}

	// The public search: the post only, a post as before.
	got := decode[struct {
		Results []struct {
			Kind string
			Post struct{ ID int64 }
		}
	}](t, s.do(t, request{path: "/api/v1/search?q=" + url.QueryEscape("carton "+tag), header: hb}).Body.Bytes())
	if len(got.Results) != 1 || got.Results[0].Kind != "post" || got.Results[0].Post.ID != post {
		t.Errorf("the public search: %+v", got.Results)
	}
	// The page offers the member the same words in their messages.
	if w := s.do(t, request{path: "/search?q=" + url.QueryEscape("carton "+tag), header: hb}); !slices.Contains(searchLinks(t, w.Body.String()), "carton "+tag+" in:messages") {
		t.Errorf("no link to search the member's messages: %v", searchLinks(t, w.Body.String()))
	}

	// The conversation list's search box leads there too.
	if w := s.do(t, request{path: "/messages?q=" + url.QueryEscape("carton "+tag), header: hb}); !slices.Contains(searchLinks(t, w.Body.String()), "carton "+tag+" in:messages") {
		t.Errorf("no link from the conversation list to the full search of messages: %v", searchLinks(t, w.Body.String()))
	}

	// A visitor: the page asks to sign in, the API answers 401.
	w = s.do(t, request{path: "/search?q=" + url.QueryEscape(q)})
	if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
		t.Errorf("a visitor's page: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := s.do(t, request{path: "/api/v1/search?q=" + url.QueryEscape(q)}); w.Code != 401 {
		t.Errorf("a visitor's API search: %d", w.Code)
	}
	// #category: 400 on q, in both.
	bad := "carton #" + cat.Slug + " in:messages"
	w = s.do(t, request{path: "/api/v1/search?q=" + url.QueryEscape(bad), header: hb})
	if e := decodeError(t, w); w.Code != 400 || e.Field != "q" || !strings.Contains(e.Message, "in:messages") {
		t.Errorf("#category in:messages: %d %+v", w.Code, e)
	}
	if w := s.do(t, request{path: "/search?q=" + url.QueryEscape(bad), header: hb}); w.Code != 400 || !strings.Contains(w.Body.String(), "in:messages") {
		t.Errorf("#category in:messages on the page: %d", w.Code)
	}
}

// searchLinks are the queries of a page's links to the search page.
func searchLinks(t *testing.T, page string) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile(`href="/search\?([^"#]*)"`).FindAllStringSubmatch(page, -1) {
		v, err := url.ParseQuery(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		out = append(out, v.Get("q"))
	}
	return out
}

// messageSearchAnswer is an API search's answer as a client reading
// messages decodes it.
type messageSearchAnswer struct {
	Results []struct {
		Kind         string             `json:"kind"`
		Thread       *struct{}          `json:"thread"` // absent for a message
		Post         *struct{}          `json:"post"`   // absent for a message
		Conversation struct{ ID int64 } `json:"conversation"`
		Message      struct {
			ID     int64
			Number int
			Author *string
			URL    string
		} `json:"message"`
		Snippet string `json:"snippet"`
	} `json:"results"`
	Total int `json:"total"`
}

// An in:messages search costs the same statements for 1 result as for a
// full page of them (and a next page): no statement per message.
func TestSearchInMessagesCostsTheSameWhateverTheResults(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	one, many := forumtest.Unique("zun"), forumtest.Unique("zvingtcinq")
	privateConversation(t, db, alice, []*forum.Member{bob}, "Une", "Un seul "+one, 1)
	privateConversation(t, db, alice, []*forum.Member{bob}, "Beaucoup", "Encore "+many, 25)
	hb := bearer(t, db, bob)
	for _, path := range []string{"/api/v1/search?q=", "/search?q="} {
		for _, order := range []string{"", " order:latest"} {
			count := func(word string, want int) int {
				t.Helper()
				r := request{path: path + url.QueryEscape(word+" @"+alice.Username+" in:messages"+order), header: hb}
				s.do(t, r) // the first search prepares the page's statement on its connection
				n := statementsOf(t, s, r, 200, "")
				if path[1] == 'a' {
					if got := decode[searchAnswer](t, s.do(t, r).Body.Bytes()); got.Total != want {
						t.Fatalf("%s: %d results, want %d", r.path, got.Total, want)
					}
				}
				return n
			}
			n1, n25 := count(one, 1), count(many, 25)
			if n1 != n25 || n25 > 6 {
				t.Errorf("%s%s: %d statements for 1 result, %d for 25", path, order, n1, n25)
			}
		}
	}
}
