package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// reviewBadgeMarkup is the header's review badge: whether it is hidden, its
// count and its label for screen readers.
var reviewBadgeMarkup = regexp.MustCompile(`<span class="badge review-badge" data-review-badge [^>]*?( hidden)?><span data-review-count>([^<]*)</span><span class="visually-hidden" data-review-label>([^<]*)</span></span>`)

// reviewBadge is the header's review badge of a page: found, shown, its
// count and label.
type reviewBadge struct {
	found, shown bool
	count        string
	label        string
}

func reviewBadgeOf(body string) reviewBadge {
	m := reviewBadgeMarkup.FindStringSubmatch(body)
	if m == nil {
		return reviewBadge{}
	}
	return reviewBadge{found: true, shown: m[1] == "", count: m[2], label: m[3]}
}

// The staff's pages come with the review badge's count, the one the event
// stream then starts from, so that nothing in the header changes when
// review.js hears it: the badge shows with its number and its label at
// once. Members' and visitors' pages have no badge, and run no query for
// it; a staff member's page runs one.
func TestReviewBadgeComesWithTheStaffsPages(t *testing.T) {
	f := newReviewFixture(t) // an item waits
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	get := func(path string, h map[string]string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Set("Accept-Language", "en")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return string(body)
	}
	// streamed is the count of the event stream's first event.
	streamed := func() int {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+"/mod/events", nil)
		for k, v := range f.modH {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var u queueUpdate
				if err := json.Unmarshal([]byte(data), &u); err != nil {
					t.Fatal(err)
				}
				return u.Count
			}
		}
		t.Fatalf("the stream ended without an event: %v", sc.Err())
		return 0
	}
	label := func(n int) string {
		if n == 1 {
			return " item waiting for review"
		}
		return " items waiting for review"
	}

	for _, page := range []string{"/", "/latest", "/mod/queue"} {
		got, want := reviewBadgeOf(get(page, f.modH)), streamed()
		if want < 1 {
			t.Fatalf("the stream counts %d items with one waiting", want)
		}
		if !got.found || !got.shown || got.count != strconv.Itoa(want) || got.label != label(want) {
			t.Errorf("%s: the moderator's badge is %+v, want shown with %d and %q", page, got, want, label(want))
		}
	}
	// The page counts when it is read: another item is one more.
	before := streamed()
	poster := bearer(t, f.db, forumtest.MustMember(t, f.db, forum.RoleMember, forum.TrustMember))
	another := startThread(t, f.s, poster, forumtest.MustCategory(t, f.db), forumtest.Unique("Encore des montres "))
	if w := f.s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/posts/%d/reports", another.Post.ID),
		body: `{"reason": "spam"}`, header: f.reporterH}); w.Code != http.StatusCreated {
		t.Fatalf("report: %d %s", w.Code, w.Body)
	}
	if got := reviewBadgeOf(get("/", f.modH)); got.count != strconv.Itoa(before+1) || !got.shown {
		t.Errorf("with another item, the badge is %+v, want %d", got, before+1)
	}
	admin := bearer(t, f.db, forumtest.MustMember(t, f.db, forum.RoleAdmin, forum.TrustLeader))
	if got := reviewBadgeOf(get("/", admin)); got.count != strconv.Itoa(before+1) || !got.shown {
		t.Errorf("an admin's badge is %+v, want %d", got, before+1)
	}
	for who, h := range map[string]map[string]string{"a visitor": nil, "a member": f.reporterH} {
		if body := get("/", h); strings.Contains(body, "data-review-badge") {
			t.Errorf("%s's page has the review badge", who)
		}
	}

	// What it costs: one count for the staff, nothing for the others.
	reviewCounts := "AND query LIKE '%FROM review_items ri%'"
	for _, c := range []struct {
		who  string
		h    map[string]string
		want int
	}{{"a visitor", nil, 0}, {"a member", f.reporterH, 0}, {"a moderator", f.modH, 1}} {
		if n := statementsOf(t, f.s, request{path: "/", header: c.h}, http.StatusOK, reviewCounts); n != c.want {
			t.Errorf("%s's home page counts the review queue %d times, want %d", c.who, n, c.want)
		}
	}
}

// A staff member's badge with nothing waiting is hidden (review.js shows it
// when an item arrives), with a count of 0 so that it keeps the room of a
// one-digit badge; with items waiting it shows them, the label agreeing
// with the number in each language.
func TestReviewBadgeHiddenWithNothingWaiting(t *testing.T) {
	catalog := loadTestCatalog(t)
	mod := &forum.Member{ID: 3, Username: "modo", Role: forum.RoleModerator}
	for _, c := range []struct {
		lang    string
		pending int
		want    reviewBadge
	}{
		{"fr", 0, reviewBadge{found: true, shown: false, count: "0", label: " élément en attente de décision"}},
		{"fr", 1, reviewBadge{found: true, shown: true, count: "1", label: " élément en attente de décision"}},
		{"fr", 12, reviewBadge{found: true, shown: true, count: "12", label: " éléments en attente de décision"}},
		{"en", 0, reviewBadge{found: true, shown: false, count: "0", label: " items waiting for review"}},
		{"en", 1, reviewBadge{found: true, shown: true, count: "1", label: " item waiting for review"}},
	} {
		v := &View{Lang: catalog.Lang(c.lang), Now: time.Now(), Member: mod, ReviewPending: c.pending}
		if got := reviewBadgeOf(layoutOf(t, v)); got != c.want {
			t.Errorf("%s, %d waiting: %+v, want %+v", c.lang, c.pending, got, c.want)
		}
	}
	member := &View{Lang: catalog.Lang("fr"), Now: time.Now(), Member: &forum.Member{ID: 4, Username: "lecteur", Role: forum.RoleMember}, ReviewPending: 5}
	if got := reviewBadgeOf(layoutOf(t, member)); got.found {
		t.Errorf("a member's header has the review badge: %+v", got)
	}
}
