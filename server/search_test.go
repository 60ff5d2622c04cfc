package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// searchPost stores a published thread, or a reply to thread when it is
// not 0, and returns the thread's id and the post's.
func searchPost(t *testing.T, db *forum.DB, author *forum.Member, cat *forum.Category, thread int64, title, body string) (int64, int64) {
	t.Helper()
	ctx := forumtest.As(author)
	var threadID, postID int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if thread != 0 {
			p, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: thread, AuthorID: author.ID,
				BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: forum.StatusPublished})
			if err == nil {
				threadID, postID = thread, p.ID
			}
			return err
		}
		th, p, err := forum.CreateThreadTx(ctx, tx, forum.NewThread{CategoryID: cat.ID, AuthorID: author.ID,
			Title: title, BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: forum.StatusPublished})
		if err == nil {
			threadID, postID = th.ID, p.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return threadID, postID
}

type searchAnswer struct {
	Results     []searchResult `json:"results"`
	Next        *string        `json:"next"`
	Total       int            `json:"total"`
	TotalCapped bool           `json:"total_capped"`
	Order       string         `json:"order"`
}

// The search syntax is the same in the API and the form, and what it
// refuses is a 400 on the field at fault, the form coming back filled.
func TestSearchSyntaxInTheAPIAndTheForm(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	tag := forumtest.Unique("zs")
	th, first := searchPost(t, db, alice, cat, 0, "Les chevaux "+tag, "premier message")
	_, reply := searchPost(t, db, bob, cat, th, "", "une réponse sur les chevaux "+tag)

	get := func(q url.Values) searchAnswer {
		t.Helper()
		w := s.do(t, request{path: "/api/v1/search?" + q.Encode()})
		var a searchAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", q.Encode(), w.Code, w.Body)
		}
		return a
	}
	if a := get(url.Values{"q": {`"les chevaux" ` + tag + " in:title"}}); len(a.Results) != 1 || a.Results[0].Post.ID != first ||
		a.Total != 1 || a.TotalCapped || a.Order != "relevance" {
		t.Errorf("in:title: %+v", a)
	}
	if a := get(url.Values{"q": {tag + " @" + bob.Username + " #" + cat.Slug}}); len(a.Results) != 1 || a.Results[0].Post.ID != reply {
		t.Errorf("@author #category: %+v", a)
	}
	if a := get(url.Values{"q": {"chevaux " + tag}, "order": {"latest"}}); len(a.Results) != 2 || a.Results[0].Post.ID != reply ||
		a.Order != "latest" || a.Total != 2 {
		t.Errorf("order=latest: %+v", a)
	}
	if a := get(url.Values{"q": {"chevaux " + tag + " order:latest"}}); len(a.Results) != 2 || a.Results[0].Post.ID != reply {
		t.Errorf("order:latest: %+v", a)
	}

	for _, c := range []struct{ query, field string }{
		{"q=" + url.QueryEscape(`"chevaux `+tag), "q"},
		{"q=" + url.QueryEscape("in:corps "+tag), "q"},
		{"q=" + url.QueryEscape("after:2026-02-30 "+tag), "q"},
		{"q=" + url.QueryEscape("@nobody-"+tag+" "+tag), "q"},
		{"q=" + tag + "&order=likes", "order"},
		{"q=" + url.QueryEscape("#"+cat.Slug+" "+tag) + "&category=other-" + tag, "category"},
	} {
		w := s.do(t, request{path: "/api/v1/search?" + c.query})
		if w.Code != 400 {
			t.Errorf("%s: %d %s", c.query, w.Code, w.Body)
			continue
		}
		if e := decodeError(t, w); e.Code != forum.EINVALID || e.Field != c.field {
			t.Errorf("%s: %+v, want invalid on %s", c.query, e, c.field)
		}
	}

	en := map[string]string{"Accept-Language": "en"}
	w := s.do(t, request{path: "/search?q=" + url.QueryEscape(`"les chevaux `+tag), header: en})
	body := w.Body.String()
	if w.Code != 400 || !strings.Contains(body, `id="e-q"`) || !strings.Contains(body, "A quotation mark is left open") ||
		!strings.Contains(body, `value="&#34;les chevaux `+tag+`"`) {
		t.Errorf("an open quote: the form must come back filled with the error beside q: %d %s", w.Code, body)
	}
	w = s.do(t, request{path: "/search?order=soon&q=" + tag, header: en})
	if body := w.Body.String(); w.Code != 400 || !strings.Contains(body, `id="e-order"`) {
		t.Errorf("a bad order: %d %s", w.Code, body)
	}
	w = s.do(t, request{path: "/search?q=" + url.QueryEscape("chevaux "+tag+" order:latest"), header: en})
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "2 results") ||
		strings.Index(body, fmt.Sprintf(`href="/p/%d"`, reply)) > strings.Index(body, fmt.Sprintf(`href="/p/%d"`, first)) {
		t.Errorf("order:latest in the form: %d %s", w.Code, body)
	}
}

// A search costs the same statements whether it finds one post or a page
// of them: no query per result.
func TestASearchCostsTheSameQueriesWhateverItFinds(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	one, many := forumtest.Unique("zone"), forumtest.Unique("zmany")
	searchPost(t, db, alice, cat, 0, "Un seul "+one, "rien d’autre")
	th, _ := searchPost(t, db, alice, cat, 0, "Beaucoup "+many, "le premier")
	for i := range 25 {
		searchPost(t, db, alice, cat, th, "", fmt.Sprintf("réponse %d %s", i, many))
	}
	for _, form := range []string{"/api/v1/search?q=%s", "/search?q=%s", "/search?q=%s+%%40" + alice.Username + "+%%23" + cat.Slug + "&order=latest"} {
		q1 := queriesOf(t, s, request{path: fmt.Sprintf(form, one)})
		q20 := queriesOf(t, s, request{path: fmt.Sprintf(form, many)})
		if q1 != q20 || q20 > 8 {
			t.Errorf("%s: %d statements for 1 result, %d for a page", form, q1, q20)
		}
	}
}

// A search that finds nothing offers the titles that look like its words,
// in the page and the API.
func TestSearchDidYouMeanInThePageAndTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	tag := forumtest.Unique("zdy")
	th, _ := searchPost(t, db, alice, cat, 0, "Réglages du "+tag, "rien")
	w := s.do(t, request{path: "/api/v1/search?q=" + tag + "e"})
	var a struct {
		Results    []searchResult     `json:"results"`
		DidYouMean []searchSuggestion `json:"did_you_mean"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || w.Code != 200 || len(a.Results) != 0 || len(a.DidYouMean) == 0 ||
		a.DidYouMean[0].ID != th || a.DidYouMean[0].Kind != "thread" || a.DidYouMean[0].Title != "Réglages du "+tag {
		t.Errorf("API: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/search?q=" + tag + "e", header: map[string]string{"Accept-Language": "fr"}})
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Vouliez-vous dire") ||
		!strings.Contains(body, fmt.Sprintf(`href="/t/%d/`, th)) {
		t.Errorf("page: %d %s", w.Code, body)
	}
}

// Odd input is a 400 or an answer, never a 500.
func TestSearchNeverAnswers500(t *testing.T) {
	s := newTestServer(t)
	for _, q := range []string{
		"q=" + url.QueryEscape("after:0000-01-01 mot"), "q=" + url.QueryEscape("before:9999-12-31 mot"),
		"q=mot&from=0001-01-01&to=9999-12-31", "q=mot&order=latest&after=t-99999999999999999_1",
		"q=mot&order=latest&after=t99999999999999999_1", "q=mot&after=1e39_1", "q=mot&after=NaN_1",
		"q=" + url.QueryEscape(`"" "" -"" or`), "q=" + url.QueryEscape("@a'b #c'd"), "q=" + url.QueryEscape("in:title \"\""),
		"q=" + url.QueryEscape("!!! ::: &&& |||"), "q=" + url.QueryEscape("@"+strings.Repeat("x", 150)),
	} {
		for _, p := range []string{"/api/v1/search?", "/search?"} {
			if w := s.do(t, request{path: p + q}); w.Code >= 500 {
				t.Errorf("%s%s: %d %s", p, q, w.Code, w.Body)
			}
		}
	}
}
