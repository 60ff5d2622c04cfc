package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// reviewFixture is a post by a member, reported once through the API.
type reviewFixture struct {
	s                        *Server
	db                       *forum.DB
	author, reporter, mod    *forum.Member
	post                     *forum.Post
	thread                   *forum.Thread
	itemID                   int64
	authorH, reporterH, modH map[string]string
}

func newReviewFixture(t *testing.T) *reviewFixture {
	t.Helper()
	s := newTestServer(t)
	db := forumtest.DB(t)
	f := &reviewFixture{s: s, db: db,
		author:   forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic),
		reporter: forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember),
		mod:      forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader),
	}
	f.authorH, f.reporterH, f.modH = bearer(t, db, f.author), bearer(t, db, f.reporter), bearer(t, db, f.mod)
	cat := forumtest.MustCategory(t, db)
	out, err := s.pipeline.SubmitThread(forumtest.As(f.author), moderation.ThreadSubmission{CategoryID: cat.ID,
		Title: forumtest.Unique("Achat de montres "), Body: forumtest.Unique("Montres pas chères ici ")})
	if err != nil {
		t.Fatal(err)
	}
	f.post, f.thread = out.Post, out.Thread
	w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/posts/%d/reports", f.post.ID),
		body: `{"reason": "spam", "note": "Publicité"}`, header: f.reporterH})
	if w.Code != http.StatusCreated {
		t.Fatalf("report: %d %s", w.Code, w.Body)
	}
	var got struct {
		Report moderation.Report `json:"report"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	f.itemID = got.Report.ReviewItemID
	if f.itemID == 0 || got.Report.Reason != "spam" || got.Report.Note != "Publicité" {
		t.Fatalf("report answer: %s", w.Body)
	}
	return f
}

func TestReportingThroughTheAPIRefusesBadInput(t *testing.T) {
	f := newReviewFixture(t)
	path := fmt.Sprintf("/api/v1/posts/%d/reports", f.post.ID)
	other := bearer(t, f.db, forumtest.MustMember(t, f.db, forum.RoleMember, forum.TrustMember))
	for _, c := range []struct {
		name, body string
		header     map[string]string
		status     int
		field      string
	}{
		{"anonymous", `{"reason": "spam"}`, nil, 401, ""},
		{"unknown field", `{"reason": "spam", "score": 99}`, other, 400, ""},
		{"not JSON", `reason=spam`, other, 400, ""},
		{"unknown reason", `{"reason": "ugly"}`, other, 400, "reason"},
		{"guideline without rule", `{"reason": "guideline"}`, other, 400, "rule_id"},
		{"other without note", `{"reason": "other"}`, other, 400, "note"},
		{"own post", `{"reason": "spam"}`, f.authorH, 403, ""},
		{"twice", `{"reason": "spam"}`, f.reporterH, 409, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := f.s.do(t, request{method: "POST", path: path, body: c.body, header: c.header})
			if w.Code != c.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, c.status)
			}
			if e := decodeError(t, w); e.Field != c.field || e.Message == "" || strings.HasPrefix(e.Message, "[") {
				t.Errorf("error %+v, want field %q and a message", e, c.field)
			}
		})
	}
	if w := f.s.do(t, request{method: "POST", path: "/api/v1/posts/abc/reports", body: `{"reason":"spam"}`, header: other}); w.Code != 404 {
		t.Errorf("a post id that is not a number: %d", w.Code)
	}
}

// Members get 403 on every moderation route, visitors 401 (or the login page).
func TestModerationRoutesAreForStaff(t *testing.T) {
	f := newReviewFixture(t)
	item := fmt.Sprint(f.itemID)
	routes := []struct{ method, path, body string }{
		{"GET", "/mod/queue", ""}, {"GET", "/mod/queue/" + item, ""}, {"POST", "/mod/queue/" + item + "/claim", ""},
		{"POST", "/mod/queue/" + item + "/resolve", ""}, {"POST", "/mod/queue/" + item + "/notes", ""},
		{"GET", "/mod/log", ""}, {"GET", "/mod/log.csv", ""}, {"GET", "/mod/events", ""},
		{"GET", "/api/v1/review", ""}, {"GET", "/api/v1/review/" + item, ""}, {"POST", "/api/v1/review/" + item + "/claim", ""},
		{"POST", "/api/v1/review/" + item + "/resolve", `{"action": "hide"}`}, {"POST", "/api/v1/review/" + item + "/notes", `{"body": "x"}`},
		{"GET", "/api/v1/modlog", ""},
	}
	for _, r := range routes {
		w := f.s.do(t, request{method: r.method, path: r.path, body: r.body, header: f.reporterH})
		if w.Code != http.StatusForbidden {
			t.Errorf("member: %s %s = %d, want 403", r.method, r.path, w.Code)
		}
		w = f.s.do(t, request{method: r.method, path: r.path, body: r.body})
		if want := map[bool]int{true: 401, false: 303}[strings.HasPrefix(r.path, "/api/")]; w.Code != want {
			t.Errorf("visitor: %s %s = %d, want %d", r.method, r.path, w.Code, want)
		}
	}
	// The post stayed as it was, and nothing was logged.
	var status string
	if err := f.db.SQL().Get(&status, `SELECT status FROM posts WHERE id = $1`, f.post.ID); err != nil {
		t.Fatal(err)
	}
	if status != forum.StatusPublished {
		t.Errorf("post %s after refused requests", status)
	}
}

func TestModeratorResolvesThroughTheAPIOnce(t *testing.T) {
	f := newReviewFixture(t)
	w := f.s.do(t, request{path: "/api/v1/review?status=pending", header: f.modH})
	var list struct {
		Items []moderation.ReviewItem `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	var found *moderation.ReviewItem
	for i := range list.Items {
		if list.Items[i].ID == f.itemID {
			found = &list.Items[i]
		}
	}
	if w.Code != 200 || found == nil || found.Post == nil || found.Post.ID != f.post.ID || len(found.Reports) != 1 || found.Kind != "reported" {
		t.Fatalf("queue: %d %s", w.Code, w.Body)
	}
	if w := f.s.do(t, request{path: "/api/v1/review?status=maybe", header: f.modH}); w.Code != 400 {
		t.Errorf("a bad status filter: %d", w.Code)
	}
	if w := f.s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/review/%d/claim", f.itemID), header: f.modH}); w.Code != 200 {
		t.Fatalf("claim: %d %s", w.Code, w.Body)
	}
	path := fmt.Sprintf("/api/v1/review/%d/resolve", f.itemID)
	if w := f.s.do(t, request{method: "POST", path: path, body: `{"action": "explode"}`, header: f.modH}); w.Code != 400 {
		t.Errorf("an unknown action: %d %s", w.Code, w.Body)
	}
	if w := f.s.do(t, request{method: "POST", path: path, body: `{"action": "hide", "version": 1}`, header: f.modH}); w.Code != 409 {
		t.Errorf("a stale version: %d %s", w.Code, w.Body)
	}
	var results []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 6 {
		other := bearer(t, f.db, forumtest.MustMember(t, f.db, forum.RoleModerator, forum.TrustLeader))
		wg.Go(func() {
			w := f.s.do(t, request{method: "POST", path: path, body: `{"action": "hide", "message": "Pas de publicité"}`, header: other})
			mu.Lock()
			results = append(results, w.Code)
			mu.Unlock()
			if w.Code == 409 && !strings.Contains(decodeError(t, w).Message, "a déjà décidé") {
				t.Errorf("409 message: %s", w.Body)
			}
		})
	}
	wg.Wait()
	ok := 0
	for _, code := range results {
		switch code {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("status %d", code)
		}
	}
	if ok != 1 {
		t.Errorf("%d moderators succeeded, want exactly 1 (%v)", ok, results)
	}
	w = f.s.do(t, request{path: "/api/v1/modlog?action=post.hide&target_type=post&target_id=" + fmt.Sprint(f.post.ID), header: f.modH})
	var log struct {
		Entries []moderation.LogLine `json:"entries"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || len(log.Entries) != 1 || log.Entries[0].Reason != "Pas de publicité" {
		t.Errorf("modlog: %d %s", w.Code, w.Body)
	}
	if w := f.s.do(t, request{path: "/api/v1/modlog?from=yesterday", header: f.modH}); w.Code != 400 {
		t.Errorf("a bad date: %d", w.Code)
	}
}

func TestReportAndReviewPages(t *testing.T) {
	f := newReviewFixture(t)
	en := func(h map[string]string) map[string]string {
		out := map[string]string{"Accept-Language": "en", "Content-Type": "application/x-www-form-urlencoded"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}
	other := bearer(t, f.db, forumtest.MustMember(t, f.db, forum.RoleMember, forum.TrustMember))
	reportPath := fmt.Sprintf("/p/%d/report", f.post.ID)
	w := f.s.do(t, request{path: reportPath, header: en(other)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `href="/guidelines"`) || !strings.Contains(w.Body.String(), `value="off_topic"`) {
		t.Fatalf("report form: %d", w.Code)
	}
	// A refused report comes back filled, with the error beside its field.
	form := url.Values{"reason": {"other"}, "note": {"  "}}
	w = f.s.do(t, request{method: "POST", path: reportPath, body: form.Encode(), header: en(other)})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Explain in the note") || !strings.Contains(w.Body.String(), `value="other" checked`) {
		t.Errorf("refused report: %d %s", w.Code, w.Body)
	}
	form = url.Values{"reason": {"off_topic"}, "note": {"Rien à voir avec la catégorie"}}
	w = f.s.do(t, request{method: "POST", path: reportPath, body: form.Encode(), header: en(other)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Thank you") {
		t.Errorf("report: %d %s", w.Code, w.Body)
	}
	w = f.s.do(t, request{path: "/u/" + f.author.Username + "/report", header: en(other)})
	if w.Code != 200 {
		t.Errorf("member report form: %d", w.Code)
	}

	w = f.s.do(t, request{path: "/mod/queue?kind=reported", header: en(f.modH)})
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, fmt.Sprintf(`data-item-id="%d"`, f.itemID)) || !strings.Contains(body, "Rien à voir avec la catégorie") {
		t.Fatalf("queue page: %d", w.Code)
	}
	item := fmt.Sprintf("/mod/queue/%d", f.itemID)
	w = f.s.do(t, request{path: item, header: en(f.modH)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Escalation ladder") || !strings.Contains(w.Body.String(), "2 reports") {
		t.Fatalf("item page: %d %s", w.Code, w.Body)
	}
	var seen *time.Time
	if err := f.db.SQL().Get(&seen, `SELECT first_seen_at FROM review_items WHERE id = $1`, f.itemID); err != nil {
		t.Fatal(err)
	}
	if seen == nil {
		t.Error("opening the item did not record first_seen_at")
	}
	w = f.s.do(t, request{method: "POST", path: item + "/notes", body: url.Values{"note": {"Compte créé hier"}}.Encode(), header: en(f.modH)})
	if w.Code != 303 {
		t.Errorf("note: %d", w.Code)
	}
	// A sanction without its duration comes back with the message typed.
	form = url.Values{"action": {"suspend"}, "duration": {"forever"}, "message": {"Spam commercial"}, "version": {"0"}}
	w = f.s.do(t, request{method: "POST", path: item + "/resolve", body: form.Encode(), header: en(f.modH)})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Spam commercial") || !strings.Contains(w.Body.String(), "Compte créé hier") {
		t.Errorf("refused decision: %d", w.Code)
	}
	form.Set("duration", "7d")
	w = f.s.do(t, request{method: "POST", path: item + "/resolve", body: form.Encode(), header: en(f.modH)})
	if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/mod/queue?resolved=") {
		t.Fatalf("decision: %d %s", w.Code, w.Body)
	}
	w = f.s.do(t, request{method: "POST", path: item + "/resolve", body: form.Encode(), header: en(f.modH)})
	if w.Code != 409 || !strings.Contains(w.Body.String(), "already decided") {
		t.Errorf("second decision: %d", w.Code)
	}
	w = f.s.do(t, request{path: "/mod/log?actor=" + f.mod.Username, header: en(f.modH)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "member.suspension") || !strings.Contains(w.Body.String(), "review.resolve") {
		t.Errorf("log page: %d", w.Code)
	}
	w = f.s.do(t, request{path: "/mod/log.csv?actor=" + f.mod.Username, header: f.modH})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Body.String(), "member.suspension") {
		t.Errorf("CSV: %d %v", w.Code, w.Header())
	}
	if w := f.s.do(t, request{path: "/transparency"}); w.Code != 404 {
		t.Errorf("transparency while closed: %d", w.Code)
	}
}

// The event stream sends the count at once, then each change of the queue.
func TestReviewEventsStreamChanges(t *testing.T) {
	f := newReviewFixture(t)
	// The server's one listener, as Main runs it, listening before the
	// stream opens.
	listenAsMain(t, f.s.db, f.s)
	ts := httptest.NewServer(f.s.Handler())
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/mod/events", nil)
	for k, v := range f.modH {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	events := make(chan queueUpdate, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var u queueUpdate
				if err := json.Unmarshal([]byte(data), &u); err != nil {
					t.Error(err)
					continue
				}
				events <- u
			}
		}
		close(events)
	}()
	next := func() queueUpdate {
		t.Helper()
		select {
		case u, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return u
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return queueUpdate{}
	}
	if first := next(); first.Count < 1 || first.Item != nil {
		t.Fatalf("first event %+v", first)
	}
	w := f.s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/review/%d/claim", f.itemID), header: f.modH})
	if w.Code != 200 {
		t.Fatal(w.Body)
	}
	for u := next(); ; u = next() {
		if u.Item != nil && u.Item.ID == f.itemID && u.Item.ClaimedBy != nil && *u.Item.ClaimedBy == f.mod.ID {
			break
		}
	}
}
