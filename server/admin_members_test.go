package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Admins search the members by name or address prefix, role, trust level
// and status, page by page, and change roles, trust levels and category
// moderators; pending sign-ups are approved.
func TestPeopleSearchAndChanges(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	ctx := context.Background()
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	auth := bearer(t, db, admin)
	prefix := strings.ToLower(forumtest.Unique("zz_pp"))
	var ids []int64
	for i := range 3 {
		m, err := db.CreateMember(forum.WithSystem(ctx), forum.NewMember{Username: prefix + "x" + strconv.Itoa(i), Email: prefix + strconv.Itoa(i) + "@example.org", Password: forumtest.Password})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	// The underscore is a LIKE wildcard: it must be matched literally.
	w := s.do(t, request{path: "/api/v1/admin/members?q=" + url.QueryEscape(strings.ToUpper(prefix)), header: auth})
	var page struct {
		Members []apiAdminMember
		Next    *int64
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || len(page.Members) != 3 || page.Members[0].ID != ids[2] || page.Members[0].Email == "" {
		t.Fatalf("search: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/api/v1/admin/members?q=" + url.QueryEscape(strings.Replace(prefix, "_", "%", 1)), header: auth})
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Members) != 0 {
		t.Errorf("%% is a wildcard: %s", w.Body)
	}

	// Role, locked trust level and category moderation through the API.
	cat := forumtest.MustCategory(t, db)
	id := strconv.FormatInt(ids[0], 10)
	w = s.do(t, request{method: "PATCH", path: "/api/v1/admin/members/" + id, header: auth,
		body: `{"role": "moderator", "trust_level": 3, "moderated_categories": [` + strconv.FormatInt(cat.ID, 10) + `]}`})
	var one struct{ Member apiAdminMember }
	if err := json.Unmarshal(w.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || one.Member.Role != forum.RoleModerator || one.Member.TrustLevel != 3 || !one.Member.TrustLevelLocked ||
		len(one.Member.ModeratedCategories) != 1 || one.Member.ModeratedCategories[0] != cat.ID {
		t.Fatalf("patch: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/api/v1/admin/members?q=" + prefix + "&role=moderator&trust_level=3", header: auth})
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Members) != 1 || page.Members[0].ID != ids[0] {
		t.Errorf("filters: %s", w.Body)
	}
	w = s.do(t, request{method: "PATCH", path: "/api/v1/admin/members/" + id, header: auth, body: `{"trust_level_locked": false, "moderated_categories": []}`})
	if err := json.Unmarshal(w.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	if one.Member.TrustLevelLocked || len(one.Member.ModeratedCategories) != 0 {
		t.Errorf("unlock: %s", w.Body)
	}
	for _, c := range []struct{ body, field string }{
		{`{"role": "king"}`, "role"},
		{`{"trust_level": 7}`, "trust_level"},
	} {
		w := s.do(t, request{method: "PATCH", path: "/api/v1/admin/members/" + id, header: auth, body: c.body})
		if w.Code != 400 || decodeError(t, w).Field != c.field {
			t.Errorf("%s: %d %s", c.body, w.Code, w.Body)
		}
	}
	if w := s.do(t, request{path: "/api/v1/admin/members?status=sleeping", header: auth}); w.Code != 400 || decodeError(t, w).Field != "status" {
		t.Errorf("bad status: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "PATCH", path: "/api/v1/admin/members/" + strconv.FormatInt(admin.ID, 10), header: auth, body: `{"role": "member"}`}); w.Code != 403 {
		t.Errorf("an admin demoted themselves: %d", w.Code)
	}
	var log []string
	if err := db.SelectContext(ctx, &log, `SELECT action FROM mod_log WHERE target_type = 'member' AND target_id = $1 ORDER BY id`, ids[0]); err != nil {
		t.Fatal(err)
	}
	if strings.Join(log, ",") != "member.role,member.trust_level,member.category_moderator_add,member.trust_level,member.category_moderator_remove" {
		t.Errorf("moderation log: %v", log)
	}

	// Keyset pages: one member a page, no one twice, no one missed.
	var seen []int64
	after := ""
	for range 5 {
		q := url.Values{"q": {prefix}}
		if after != "" {
			q.Set("after", after)
		}
		w := s.do(t, request{path: "/api/v1/admin/members?" + q.Encode() + "&limit=1", header: auth})
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Members {
			seen = append(seen, m.ID)
		}
		if page.Next == nil {
			break
		}
		after = strconv.FormatInt(*page.Next, 10)
	}
	if len(seen) != 3 {
		t.Errorf("pages gave %v", seen)
	}

	// The pages: search, a member, approving a pending sign-up.
	if _, err := db.ExecContext(ctx, `UPDATE members SET status = 'pending' WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(s)
	b.logIn(t, admin.Username, forumtest.Password, false)
	w = b.do(t, "GET", "/admin/members?status=pending&q="+prefix, nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), prefix+"x1") || strings.Contains(w.Body.String(), prefix+"x2") {
		t.Errorf("pending list: %d %s", w.Code, w.Body)
	}
	if w := b.do(t, "GET", "/admin", nil, nil); !strings.Contains(w.Body.String(), "your approval") {
		t.Errorf("the admin home does not show pending sign-ups")
	}
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}
	w = b.do(t, "POST", "/admin/members/"+strconv.FormatInt(ids[1], 10)+"/approve", url.Values{}, same)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", w.Code, w.Body)
	}
	w = b.do(t, "GET", w.Header().Get("Location"), nil, nil)
	if !strings.Contains(w.Body.String(), "Account approved") || !strings.Contains(w.Body.String(), "Active") {
		t.Errorf("after approval: %s", w.Body)
	}
	w = b.do(t, "POST", "/admin/members/"+strconv.FormatInt(ids[1], 10)+"/trust", url.Values{"trust_level": {"9"}}, same)
	if w.Code != 400 || !strings.Contains(w.Body.String(), `class="field has-error"`) {
		t.Errorf("bad trust level: %d", w.Code)
	}
	w = b.do(t, "POST", "/admin/members/"+strconv.FormatInt(ids[1], 10)+"/categories", url.Values{"category": {strconv.FormatInt(cat.ID, 10)}}, same)
	if w.Code != http.StatusSeeOther {
		t.Errorf("categories: %d", w.Code)
	}
	cats, _ := db.ModeratedCategories(ctx, ids[1])
	if len(cats) != 1 || cats[0].ID != cat.ID {
		t.Errorf("moderated categories: %v", cats)
	}
}

// The dashboard is a page for moderators too, its charts drawn in SVG
// without a style attribute.
func TestDashboardPageForStaff(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	b, _ := loggedIn(t, s, forum.RoleModerator, 3)
	w := b.do(t, "GET", "/admin/dashboard", nil, nil)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `<svg class="bar-chart"`) || !strings.Contains(body, "Mean time to a first response") || strings.Contains(body, "style=") {
		t.Fatalf("dashboard: %d %s", w.Code, body)
	}
	if strings.Contains(body, `href="/admin/settings"`) || !strings.Contains(body, `<a href="/admin/dashboard" aria-current="page">`) {
		t.Error("a moderator sees the admin navigation, or not the dashboard's link")
	}
	if !strings.Contains(body, `<a href="/admin/dashboard?period=30" aria-current="page">30 days</a>`) || strings.Count(body, "<rect ") != 8*30 {
		t.Error("the default period is not 30 days")
	}
	w = b.do(t, "GET", "/admin/dashboard?period=7", nil, nil)
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, `<a href="/admin/dashboard?period=7" aria-current="page">`) || strings.Count(body, "<rect ") != 8*7 {
		t.Errorf("7 days: %d", w.Code)
	}
	w = b.do(t, "GET", "/admin/dashboard?from=2026-01-01&to=2026-01-10", nil, nil)
	if body := w.Body.String(); w.Code != 200 || strings.Contains(body, `aria-current="page">30`) || strings.Count(body, "<rect ") != 8*10 ||
		!strings.Contains(body, "2025-12-22") {
		t.Errorf("a range: %d (the previous period is 2025-12-22 to 2025-12-31)", w.Code)
	}
	// A long range has a bar a month (24 here), whose titles say so.
	w = b.do(t, "GET", "/admin/dashboard?from=2024-01-01&to=2025-12-31", nil, nil)
	if body := w.Body.String(); w.Code != 200 || strings.Count(body, "<rect ") != 8*24 || !strings.Contains(body, "Posts per month") ||
		!strings.Contains(body, `<desc id="chart-posts-desc">A bar for each of 24 months`) || !strings.Contains(body, "<td>2024-02</td>") ||
		strings.Contains(body, "<td>2024-02-01</td>") {
		t.Errorf("two years: %d, want a bar a month", w.Code)
	}
	// A bar's tooltip: its month and figure, with each language's colon.
	if body := w.Body.String(); !strings.Contains(body, `class="bar"><title>2024-02: `) || strings.Contains(body, "2024-02 :") {
		t.Error("an English bar's title is not \"2024-02: N\"")
	}
	w = b.do(t, "GET", "/admin/dashboard?from=2024-01-01&to=2025-12-31", nil, map[string]string{"Accept-Language": "fr"})
	if body := w.Body.String(); !strings.Contains(body, "class=\"bar\"><title>2024-02\u00a0: ") {
		t.Error("a French bar's title is not \"2024-02\u00a0: N\"")
	}
	for _, q := range []string{"period=12", "from=2026-01-10&to=2026-01-01", "from=2026-01-10", "from=3000-01-01&to=3000-01-02"} {
		if w := b.do(t, "GET", "/admin/dashboard?"+q, nil, nil); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", q, w.Code)
		}
	}
	// The charts say what they show to screen readers.
	if body := b.do(t, "GET", "/admin/dashboard", nil, nil).Body.String(); !strings.Contains(body, `<desc id="chart-posts-desc">A bar for each of 30 days`) ||
		!strings.Contains(body, `aria-labelledby="chart-posts-title chart-posts-desc"`) || !strings.Contains(body, `href="/admin/dashboard/traffic.csv?period=30"`) {
		t.Error("a chart without its title and description, or no CSV link with the period")
	}
	// Every series downloads as CSV, over the period chosen.
	for _, name := range dashboardSeries {
		w := b.do(t, "GET", "/admin/dashboard/"+name+".csv?period=7", nil, nil)
		lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || len(lines) < 1 || !strings.Contains(lines[0], ",") {
			t.Errorf("%s.csv: %d %q", name, w.Code, w.Body)
		}
		if (name == "days" || name == "traffic" || name == "queue") && len(lines) != 8 {
			t.Errorf("%s.csv: %d lines, want a header and 7 days", name, len(lines))
		}
	}
	if w := b.do(t, "GET", "/admin/dashboard/days.csv?from=2026-01-01&to=2026-01-03", nil, nil); !strings.HasPrefix(w.Body.String(), "day,posts,threads,new_members,reports,held,removed\n2026-01-01,") {
		t.Errorf("days.csv over a range: %q", w.Body)
	}
	for path, want := range map[string]int{"/admin/dashboard/nothing.csv": 404, "/admin/dashboard/days.txt": 404, "/admin/dashboard/days.csv?period=12": 400,
		"/admin/dashboard/report?month=2999-01": 400, "/admin/dashboard/report?month=janvier": 400} {
		if w := b.do(t, "GET", path, nil, nil); w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
	}
	// The monthly report, printable.
	w = b.do(t, "GET", "/admin/dashboard/report?month=2026-01", nil, nil)
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Community health report, January 2026") || !strings.Contains(body, "From 2026-01-01 to 2026-01-31") ||
		strings.Contains(body, "The month is not over") || !strings.Contains(body, `class="health-report"`) {
		t.Errorf("monthly report: %d", w.Code)
	}
	if w := b.do(t, "GET", "/admin/dashboard/report", nil, nil); w.Code != 200 {
		t.Errorf("last month's report: %d", w.Code)
	}
	token := bearer(t, db, forumtest.MustMember(t, db, forum.RoleModerator, 2))
	w = s.do(t, request{path: "/api/v1/admin/dashboard", header: token})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"days":30`) || !strings.Contains(w.Body.String(), `"time_zone":"Europe/Paris"`) {
		t.Errorf("dashboard API: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/api/v1/admin/dashboard?period=365", header: token})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"days":365`) {
		t.Errorf("dashboard API, a year: %d %s", w.Code, w.Body)
	}
	if w = s.do(t, request{path: "/api/v1/admin/dashboard?period=8", header: token}); w.Code != http.StatusBadRequest {
		t.Errorf("dashboard API, a bad period: %d %s", w.Code, w.Body)
	}
}

// An admin can let a member who signed up post before they confirm their
// address (a forum that sends no mail has no other way); moderators cannot.
func TestAdminsLetAMemberPostWithoutConfirming(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	ctx := context.Background()
	version := currentGuidelines(t, db)
	name := forumtest.Unique("Noé_")
	res, err := db.SignUp(ctx, forum.SignUpRequest{Username: name, Email: name + "@example.org", Password: "a quiet river bank",
		AcceptGuidelinesVersion: &version, Locale: "en", ClientIP: "192.0.2.8"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/admin/members/" + strconv.FormatInt(res.Member.ID, 10)
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}

	mod, _ := loggedIn(t, s, forum.RoleModerator, 3)
	if w := mod.do(t, "POST", page+"/waive-confirmation", url.Values{}, same); w.Code != http.StatusForbidden {
		t.Errorf("a moderator waived the confirmation: %d", w.Code)
	}
	admin, _ := loggedIn(t, s, forum.RoleAdmin, 4)
	w := admin.do(t, "GET", "/admin/members?q="+url.QueryEscape(name), nil, nil)
	if !strings.Contains(w.Body.String(), "Address not confirmed") {
		t.Errorf("the list does not say the address is not confirmed: %s", w.Body)
	}
	w = admin.do(t, "GET", page, nil, nil)
	if !strings.Contains(w.Body.String(), "has not confirmed their email address") || !strings.Contains(w.Body.String(), `action="`+page+`/waive-confirmation"`) {
		t.Fatalf("member page: %d %s", w.Code, w.Body)
	}
	w = admin.do(t, "POST", page+"/waive-confirmation", url.Values{}, same)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("waiving: %d %s", w.Code, w.Body)
	}
	w = admin.do(t, "GET", w.Header().Get("Location"), nil, nil)
	if !strings.Contains(w.Body.String(), "can post without confirming") || strings.Contains(w.Body.String(), "/waive-confirmation") {
		t.Errorf("after waiving: %s", w.Body)
	}
	m, err := db.MemberByID(ctx, res.Member.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RequirePoster(forumtest.As(m)); err != nil || m.EmailVerifiedAt != nil {
		t.Errorf("after waiving: %v, address confirmed at %v", err, m.EmailVerifiedAt)
	}
	var logged int
	if err := db.SQL().Get(&logged, `SELECT count(*) FROM mod_log WHERE action = 'member.waive_email_confirmation' AND target_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if logged != 1 {
		t.Errorf("%d log entries", logged)
	}

	// The same through the API, which shows where the address stands.
	res, err = db.SignUp(ctx, forum.SignUpRequest{Username: name + "_2", Email: name + "_2@example.org", Password: "a quiet river bank",
		AcceptGuidelinesVersion: &version, Locale: "en", ClientIP: "192.0.2.8"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/admin/members/" + strconv.FormatInt(res.Member.ID, 10)
	auth := bearer(t, db, forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	var one struct{ Member apiAdminMember }
	w = s.do(t, request{path: path, header: auth})
	if err := json.Unmarshal(w.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || one.Member.EmailConfirmationWaived || one.Member.EmailConfirmedAt != nil {
		t.Fatalf("member through the API: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: path + "/waive-confirmation", header: bearer(t, db, forumtest.MustMember(t, db, forum.RoleModerator, 3))}); w.Code != http.StatusForbidden {
		t.Errorf("a moderator waived through the API: %d", w.Code)
	}
	w = s.do(t, request{method: "POST", path: path + "/waive-confirmation", header: auth})
	if err := json.Unmarshal(w.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || !one.Member.EmailConfirmationWaived {
		t.Errorf("waiving through the API: %d %s", w.Code, w.Body)
	}
}

// A cell a member wrote cannot run as a formula in a spreadsheet.
func TestDashboardCSVDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "@a": "'@a", "-2": "'-2", "Bonjour": "Bonjour", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// A long period's bars are months: the days' total, highest value or
// rounded mean (unique readers a day), whatever day the period starts on.
func TestDashboardMonthsOfDays(t *testing.T) {
	var days []chartPoint
	for d := time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		days = append(days, chartPoint{d, d.Day()})
	}
	// 30 and 31 January; 1…28 February; 1 March.
	for how, want := range map[monthBar]string{monthSum: "[61 406 1]", monthMax: "[31 28 1]", monthMean: "[31 15 1]"} {
		var got []int
		for _, p := range byMonth(days, how) {
			got = append(got, p.Value)
		}
		if fmt.Sprint(got) != want {
			t.Errorf("months %d: %v, want %s", how, got, want)
		}
	}
	if m := byMonth(days, monthSum); len(m) != 3 || !m[1].Day.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("months dated %v", m)
	}
}
