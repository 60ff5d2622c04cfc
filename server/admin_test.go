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

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// isAdminRoute tells the routes only admins may use (the dashboard is for
// moderators too).
func isAdminRoute(method, path string) bool {
	switch {
	case strings.HasPrefix(path, "/admin"), strings.HasPrefix(path, "/api/v1/rules"),
		strings.HasPrefix(path, "/api/v1/settings"), strings.HasPrefix(path, "/api/v1/admin/"), strings.HasPrefix(path, "/api/v1/webhooks"):
		return true
	case path == "/api/v1/guidelines" && method == http.MethodPut:
		return true
	}
	return false
}

func isStaffRoute(path string) bool {
	return path == "/admin/dashboard" || path == "/admin/dashboard/:file" || path == "/api/v1/admin/dashboard" || path == "/admin/members/:id"
}

// isSanctionRoute tells the member page's forms that moderators use too,
// to lift and shorten sanctions: an empty form is refused for its content.
func isSanctionRoute(path string) bool {
	return strings.HasPrefix(path, "/admin/members/:id/sanctions/")
}

// Every admin route, page or API, refuses members and moderators with 403
// and visitors with 401 (or the log-in page); the check is the domain's.
func TestAdminRoutesRefuseMembersAndModerators(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	cat := forumtest.MustCategory(t, db)
	rule, err := s.pipeline.CreateRule(forumtest.As(admin), moderation.RuleInput{
		Name: forumtest.Unique("Règle 403 "), Kind: moderation.KindWords, Action: moderation.ActionFlag, Patterns: []string{forumtest.Unique("zorglub")}})
	if err != nil {
		t.Fatal(err)
	}
	people := map[string]map[string]string{
		"member":    bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 4)),
		"moderator": bearer(t, db, forumtest.MustMember(t, db, forum.RoleModerator, 4)),
		"visitor":   nil,
	}
	ids := func(path string) string {
		path = strings.ReplaceAll(path, ":delivery", "1")
		path = strings.ReplaceAll(path, ":file", "days.csv")
		switch {
		case strings.Contains(path, "/members/"):
			return strings.ReplaceAll(path, ":id", strconv.FormatInt(target.ID, 10))
		case strings.Contains(path, "/rules/"):
			return strings.ReplaceAll(path, ":id", strconv.FormatInt(rule.ID, 10))
		}
		return strings.ReplaceAll(path, ":id", strconv.FormatInt(cat.ID, 10))
	}
	n := 0
	for _, r := range s.engine.Routes() {
		if !isAdminRoute(r.Method, r.Path) {
			continue
		}
		n++
		path := ids(r.Path)
		api := strings.HasPrefix(path, "/api/")
		for who, auth := range people {
			t.Run(who+" "+r.Method+" "+r.Path, func(t *testing.T) {
				h := map[string]string{}
				for k, v := range auth {
					h[k] = v
				}
				req := request{method: r.Method, path: path, header: h}
				if r.Method != http.MethodGet && r.Method != http.MethodDelete {
					if api {
						req.body = "{}"
					} else {
						h["Content-Type"] = "application/x-www-form-urlencoded"
						req.body = "x=1"
					}
				}
				w := s.do(t, req)
				want := http.StatusForbidden
				switch {
				case who == "visitor" && api:
					want = http.StatusUnauthorized
				case who == "visitor":
					want = http.StatusSeeOther
				case who == "moderator" && isStaffRoute(r.Path):
					want = http.StatusOK
				case who == "moderator" && isSanctionRoute(r.Path):
					want = http.StatusBadRequest // no reason given
				}
				if w.Code != want {
					t.Fatalf("%d, want %d: %.300s", w.Code, want, w.Body)
				}
				if want == http.StatusSeeOther && !strings.HasPrefix(w.Header().Get("Location"), "/login") {
					t.Errorf("visitor sent to %q", w.Header().Get("Location"))
				}
			})
		}
	}
	if n < 30 {
		t.Fatalf("only %d admin routes found: the table misses some", n)
	}
	// The admin gets the pages.
	for _, p := range []string{"/admin", "/admin/dashboard", "/admin/settings", "/admin/rules", "/admin/rules/new", "/admin/rules/test",
		"/admin/rules/words", "/admin/members", "/admin/members/" + strconv.FormatInt(target.ID, 10), "/admin/rules/" + strconv.FormatInt(rule.ID, 10)} {
		if w := s.do(t, request{path: p, header: bearer(t, db, admin)}); w.Code != 200 {
			t.Errorf("admin GET %s: %d %.300s", p, w.Code, w.Body)
		}
	}
}

// Every setting has a place in the form, and labels and help in both
// languages; the keys built at run time are in the catalogues.
func TestSettingsFormAndAdminCataloguesAreComplete(t *testing.T) {
	c := loadTestCatalog(t)
	seen := map[string]int{}
	for _, g := range settingGroups {
		for _, f := range g.Fields {
			seen[f.Key]++
		}
	}
	var keys []string
	for _, k := range forum.SettingKeys() {
		if seen[k] != 1 {
			t.Errorf("setting %s appears %d times in the settings form", k, seen[k])
		}
		keys = append(keys, "admin.setting."+k, "admin.setting."+k+"_help")
	}
	for _, g := range settingGroups {
		keys = append(keys, "admin.settings_group."+g.Name)
		for _, f := range g.Fields {
			for _, o := range f.Options {
				if o == "" {
					o = "default"
				}
				keys = append(keys, "admin.setting."+f.Key+"."+o)
			}
		}
	}
	for _, k := range moderation.RuleKinds {
		keys = append(keys, "admin.kind_"+k, "admin.kind_"+k+"_help")
	}
	for _, a := range moderation.RuleActions {
		keys = append(keys, "admin.action_"+a, "admin.action_"+a+"_help")
	}
	for _, o := range []string{moderation.OutcomePublish, moderation.OutcomePublishCensored, moderation.OutcomeHold, moderation.OutcomeReject} {
		keys = append(keys, "admin.outcome_"+o)
	}
	for _, r := range allRoles {
		keys = append(keys, "admin.role_"+string(r))
	}
	for _, st := range forum.MemberStatusFilters {
		keys = append(keys, "admin.status_"+st)
	}
	for _, k := range []string{"held", "flagged", "reported", "appeal"} {
		keys = append(keys, "admin.dashboard_queue_"+k)
	}
	for _, k := range []string{forum.SanctionWarning, forum.SanctionSilence, forum.SanctionSuspension, forum.SanctionBan} {
		keys = append(keys, "admin.sanction_"+k)
	}
	for _, k := range []string{"created", "updated", "deleted", "enabled", "disabled"} {
		keys = append(keys, "admin.rule_done_"+k)
	}
	for _, k := range []string{"role", "trust", "categories", "approved"} {
		keys = append(keys, "admin.member_saved_"+k)
	}
	for tl := range 5 {
		keys = append(keys, fmt.Sprintf("trust.level_%d", tl))
	}
	for _, k := range keys {
		for _, lang := range []string{"fr", "en"} {
			if !c.Lang(lang).Has(k) {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
}

func patchSettings(t *testing.T, s *Server, auth map[string]string, body string) map[string]any {
	t.Helper()
	w := s.do(t, request{method: "PATCH", path: "/api/v1/settings", body: body, header: auth})
	if w.Code != 200 {
		t.Fatalf("PATCH settings %s: %d %s", body, w.Code, w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// Invalid settings are refused with the field named, through the API and
// through the form, which comes back filled; valid ones are saved and
// logged with before and after.
func TestSettingsAreTypedAndValidated(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	auth := bearer(t, db, admin)
	before := patchSettings(t, s, auth, `{}`)
	t.Cleanup(func() {
		restore, _ := json.Marshal(map[string]any{"tl2_requires_likes_given": before["tl2_requires_likes_given"], "mentions_per_post": before["mentions_per_post"]})
		patchSettings(t, s, auth, string(restore))
	})

	for _, c := range []struct{ body, field string }{
		{`{"registration_mode": "sometimes"}`, "registration_mode"},
		{`{"post_min_length": 10, "post_max_length": 5}`, "post_max_length"},
		{`{"links_per_post": [2, 10, -5, -1, -1]}`, "links_per_post"},
		{`{"tl3_time_period": 0}`, "tl3_time_period"},
		{`{"posts_per_minute": "fast"}`, "posts_per_minute"},
		{`{"colour": "red"}`, "colour"},
	} {
		w := s.do(t, request{method: "PATCH", path: "/api/v1/settings", body: c.body, header: map[string]string{"Authorization": auth["Authorization"], "Accept-Language": "en"}})
		if w.Code != 400 {
			t.Errorf("%s: %d %s", c.body, w.Code, w.Body)
			continue
		}
		if e := decodeError(t, w); e.Field != c.field || e.Message == "" || strings.HasPrefix(e.Message, "[") {
			t.Errorf("%s: error %+v, want the field %s named", c.body, e, c.field)
		}
	}

	got := patchSettings(t, s, auth, `{"tl2_requires_likes_given": 7, "mentions_per_post": [1, 2, 3, 4, 5]}`)
	if got["tl2_requires_likes_given"] != 7.0 || fmt.Sprint(got["mentions_per_post"]) != "[1 2 3 4 5]" {
		t.Errorf("PATCH answered %v", got)
	}
	var logged struct {
		Before, After json.RawMessage
	}
	if err := db.GetContext(context.Background(), &logged, `SELECT before, after FROM mod_log WHERE action = 'settings.update' AND actor_id = $1 ORDER BY id DESC LIMIT 1`, admin.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logged.After), `"tl2_requires_likes_given": 7`) || !strings.Contains(string(logged.Before), "tl2_requires_likes_given") {
		t.Errorf("mod_log before %s after %s", logged.Before, logged.After)
	}

	// The form: a wrong number and an invalid value come back next to
	// their fields, with everything typed kept.
	b := newBrowser(s)
	if w := b.logIn(t, admin.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d", w.Code)
	}
	w := b.do(t, "GET", "/admin/settings", nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="mentions_per_post.4" inputmode="numeric" value="5"`) || !strings.Contains(w.Body.String(), "Default: 2 · 10 · 10 · 20 · 20.") {
		t.Fatalf("settings form: %d %s", w.Code, w.Body)
	}
	form := url.Values{}
	for _, k := range settingsFieldNames() {
		form.Set(k, settingsFormValues(ptrTo(forum.DefaultSettings()))[k])
	}
	form.Set("site_name", "Le Jardin partagé")
	form.Set("tl3_time_period", "400")
	form.Set("threads_per_day.2", "beaucoup")
	w = b.do(t, "POST", "/admin/settings", form, map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"})
	body := w.Body.String()
	if w.Code != 400 {
		t.Fatalf("invalid form: %d %s", w.Code, body)
	}
	for _, want := range []string{`value="Le Jardin partagé"`, `value="beaucoup"`, `value="400"`, `id="e-threads_per_day"`, "Type a number.", "Nothing was saved"} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	form.Set("threads_per_day.2", "20")
	w = b.do(t, "POST", "/admin/settings", form, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if w.Code != 400 || !strings.Contains(w.Body.String(), `id="e-tl3_time_period"`) || !strings.Contains(w.Body.String(), "between 1 and 365") {
		t.Errorf("out of range: %d %s", w.Code, w.Body)
	}
	st, _ := db.Settings(context.Background())
	if st.SiteName == "Le Jardin partagé" {
		t.Error("a refused form saved something")
	}
}

// Rules through the API: create, read, update, disable, test, preview,
// delete; errors name their field.
func TestRulesThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	auth := bearer(t, db, forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	word := forumtest.Unique("blorptastic")
	name := forumtest.Unique("Mots de test ")
	w := s.do(t, request{method: "POST", path: "/api/v1/rules", header: auth,
		body: `{"name": "` + name + `", "description": "Pas de ` + word + `.", "kind": "words", "patterns": ["` + word + `"], "action": "hold"}`})
	if w.Code != 201 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var created struct{ Rule moderation.Rule }
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(created.Rule.ID, 10)
	if created.Rule.ID == 0 || !created.Rule.Enabled || created.Rule.Action != "hold" {
		t.Fatalf("created %+v", created.Rule)
	}

	for _, c := range []struct{ body, field string }{
		{`{"name": "", "kind": "words", "patterns": ["x"], "action": "hold"}`, "name"},
		{`{"name": "x", "kind": "poems", "action": "hold"}`, "kind"},
		{`{"name": "x", "kind": "links", "action": "censor", "params": {"block_domains": ["a.org"]}}`, "action"},
		{`{"name": "x", "kind": "words", "patterns": [], "action": "hold"}`, "patterns"},
		{`{"name": "` + name + `", "kind": "words", "patterns": ["y"], "action": "hold"}`, "name"},
	} {
		w := s.do(t, request{method: "POST", path: "/api/v1/rules", header: auth, body: c.body})
		if w.Code != 400 && w.Code != 409 {
			t.Errorf("%s: %d %s", c.body, w.Code, w.Body)
			continue
		}
		if e := decodeError(t, w); e.Field != c.field {
			t.Errorf("%s: field %q, want %q", c.body, e.Field, c.field)
		}
	}

	w = s.do(t, request{method: "POST", path: "/api/v1/rules/test", header: auth, body: `{"text": "Un message avec ` + strings.ToUpper(word) + ` dedans."}`})
	var tested struct {
		Verdict string
		Matches []moderation.Match
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tested); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || tested.Verdict != moderation.OutcomeHold || len(tested.Matches) == 0 {
		t.Fatalf("test: %d %s", w.Code, w.Body)
	}
	found := false
	for _, m := range tested.Matches {
		found = found || (m.Rule.ID == created.Rule.ID && strings.EqualFold(m.Excerpt, word))
	}
	if !found {
		t.Errorf("the tester does not name the rule and the excerpt: %s", w.Body)
	}

	w = s.do(t, request{method: "PUT", path: "/api/v1/rules/" + id, header: auth,
		body: `{"name": "` + name + `", "kind": "words", "patterns": ["` + word + `"], "action": "block", "enabled": false}`})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"enabled":false`) {
		t.Fatalf("update: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/test", header: auth, body: `{"text": "encore ` + word + `"}`})
	if err := json.Unmarshal(w.Body.Bytes(), &tested); err != nil {
		t.Fatal(err)
	}
	for _, m := range tested.Matches {
		if m.Rule.ID == created.Rule.ID {
			t.Errorf("a disabled rule still fires: %s", w.Body)
		}
	}
	w = s.do(t, request{method: "GET", path: "/api/v1/rules", header: auth})
	if w.Code != 200 || !strings.Contains(w.Body.String(), name) {
		t.Errorf("list: %d", w.Code)
	}
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/preview", header: auth,
		body: `{"name": "aperçu", "kind": "words", "patterns": ["` + word + `"], "action": "flag", "last": 50}`})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"scanned":`) {
		t.Errorf("preview: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/preview", header: auth, body: `{"name": "aperçu", "kind": "rate", "action": "block"}`})
	if w.Code != 400 || decodeError(t, w).Field != "kind" {
		t.Errorf("preview of a rate rule: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/rules/" + id, header: auth}); w.Code != 204 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/rules/" + id, header: auth}); w.Code != 404 {
		t.Errorf("delete again: %d", w.Code)
	}
	var actions []string
	if err := db.SelectContext(context.Background(), &actions, `SELECT action FROM mod_log WHERE target_type = 'rule' AND target_id = $1 ORDER BY id`, created.Rule.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "rule.create,rule.update,rule.delete" {
		t.Errorf("moderation log: %v", actions)
	}
}

// A CSV import with a wrong line imports nothing and names every wrong
// line; a good one lands in one rule per action, and the export gives the
// words back.
func TestWatchedWordsCSVImportAndExport(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	auth := bearer(t, db, admin)
	w1, w2, w3 := forumtest.Unique("plouf"), forumtest.Unique("grumf"), forumtest.Unique("vlan")
	bad := "word,action\n" + w1 + ",hold\n" + w2 + ",erase\n\n" + "un,deux,trois\n" + "!!!,block\n" + w3 + ",flag\n"
	h := map[string]string{"Authorization": auth["Authorization"], "Accept-Language": "en", "Content-Type": "text/csv"}
	w := s.do(t, request{method: "POST", path: "/api/v1/rules/words.csv", body: bad, header: h})
	var refused struct {
		Error apiErrorBody
		Lines []moderation.LineError
	}
	if err := json.Unmarshal(w.Body.Bytes(), &refused); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || refused.Error.Field != "csv" || len(refused.Lines) != 3 {
		t.Fatalf("bad import: %d %s", w.Code, w.Body)
	}
	for i, want := range []int{3, 5, 6} {
		if refused.Lines[i].Line != want || refused.Lines[i].Message == "" || strings.HasPrefix(refused.Lines[i].Message, "[") {
			t.Errorf("error %d: %+v, want line %d", i, refused.Lines[i], want)
		}
	}
	if !strings.Contains(refused.Lines[0].Message, "erase") {
		t.Errorf("unknown action not named: %+v", refused.Lines[0])
	}
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM rules WHERE $1 = ANY(patterns)`, w1); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a refused import imported words")
	}

	good := w1 + ",hold\n\"" + w2 + " et plus\",block\n" + w3 + ",FLAG\n" + w1 + ",hold\n"
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/words.csv", body: good, header: h})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"hold":1`) || !strings.Contains(w.Body.String(), `"skipped":1`) {
		t.Fatalf("good import: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: "/admin/rules/words.csv", header: auth})
	csv := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.HasPrefix(csv, "word,action,exception\n") ||
		!strings.Contains(csv, w1+",hold,\n") || !strings.Contains(csv, w2+" et plus,block,\n") || !strings.Contains(csv, w3+",flag,\n") {
		t.Errorf("export: %d %s", w.Code, csv)
	}
	// The tester sees the imported words at once.
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/test", header: auth, body: `{"text": "` + w2 + ` et plus"}`})
	if !strings.Contains(w.Body.String(), `"verdict":"reject"`) {
		t.Errorf("imported block word not applied: %s", w.Body)
	}

	// Through the page: a refused import keeps the text and lists the lines.
	b := newBrowser(s)
	b.logIn(t, admin.Username, forumtest.Password, false)
	w = b.do(t, "POST", "/admin/rules/words", url.Values{"csv": {"ok" + w1 + ",hold\nnope"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Line 2:") || !strings.Contains(w.Body.String(), "ok"+w1+",hold") {
		t.Errorf("import page: %d %s", w.Code, w.Body)
	}
}

// The rule form previews a draft's impact on recent posts without saving
// it, then saves it; the tester page highlights what was found, escaped.
func TestRuleFormPreviewAndTesterPage(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, db)
	word := forumtest.Unique("cromulent")
	if _, err := s.pipeline.SubmitThread(forumtest.As(author), moderation.ThreadSubmission{CategoryID: cat.ID, Title: "Un mot rare", Body: "Ce mot est " + word + ", vraiment."}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(s)
	b.logIn(t, admin.Username, forumtest.Password, false)
	same := map[string]string{"Sec-Fetch-Site": "same-origin"}
	name := forumtest.Unique("Mot rare ")
	form := url.Values{"name": {name}, "description": {"Ce mot est surveillé."}, "kind": {"words"}, "action": {"hold"},
		"enabled": {"1"}, "patterns": {word}, "last": {"100"}, "op": {"preview"}}
	w := b.do(t, "POST", "/admin/rules/new", form, same)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "On the last 100 published posts") && !strings.Contains(body, "published posts") || !strings.Contains(body, "<mark>"+word+"</mark>") {
		t.Fatalf("preview: %d %s", w.Code, body)
	}
	if !strings.Contains(body, `value="`+name+`"`) {
		t.Error("the previewed form is not filled")
	}
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM rules WHERE name = $1`, name); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a preview saved the rule")
	}
	form.Set("op", "save")
	if w := b.do(t, "POST", "/admin/rules/new", form, same); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	form.Set("patterns", "")
	if w := b.do(t, "POST", "/admin/rules/new", form, same); w.Code != 400 || !strings.Contains(w.Body.String(), `id="e-patterns"`) {
		t.Errorf("empty patterns: %d", w.Code)
	}

	w = b.do(t, "POST", "/admin/rules/test", url.Values{"text": {"<b>x</b> " + strings.ToUpper(word) + " !"}}, same)
	body = w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "&lt;b&gt;x&lt;/b&gt; <mark>"+strings.ToUpper(word)+"</mark> !") || !strings.Contains(body, name) {
		t.Errorf("tester page: %d %s", w.Code, body)
	}
}

func TestHighlightMarksEveryExcerptOnce(t *testing.T) {
	got := highlight("Spam and SPAM, spammer", []string{"spam", "spammer"})
	var b strings.Builder
	for _, s := range got {
		if s.Mark {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if b.String() != "[Spam] and [SPAM], [spammer]" {
		t.Errorf("highlight = %q", b.String())
	}
}

// A rule's exceptions are edited in the rule form (kept when the rule is
// switched off and on) and travel in the CSV: exported as word,action,yes,
// imported back into every watched-words rule of their action.
func TestRuleExceptionsInTheEditorAndTheCSV(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	b := newBrowser(s)
	b.logIn(t, admin.Username, forumtest.Password, false)
	same := map[string]string{"Sec-Fetch-Site": "same-origin", "Accept-Language": "en"}
	word := forumtest.Unique("zorglub")
	phrase := word + " " + forumtest.Unique("sympa")
	name := forumtest.Unique("Zorglub ")
	form := url.Values{"name": {name}, "description": {"Ce mot est surveillé."}, "kind": {"words"}, "action": {"hold"},
		"enabled": {"1"}, "patterns": {word}, "exceptions": {phrase + "\n\n" + phrase}, "op": {"save"}}
	if w := b.do(t, "POST", "/admin/rules/new", form, same); w.Code != http.StatusSeeOther {
		t.Fatalf("saving the rule: %d %s", w.Code, w.Body)
	}
	var id int64
	if err := db.GetContext(context.Background(), &id, `SELECT id FROM rules WHERE name = $1`, name); err != nil {
		t.Fatal(err)
	}
	ruleExceptions := func() []string {
		r, err := s.pipeline.RuleByID(forumtest.As(admin), id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Exceptions
	}
	if got := ruleExceptions(); len(got) != 1 || got[0] != phrase {
		t.Fatalf("exceptions saved from the form: %q", got)
	}
	page := b.do(t, "GET", fmt.Sprintf("/admin/rules/%d", id), nil, same)
	if !strings.Contains(page.Body.String(), `name="exceptions"`) || !strings.Contains(page.Body.String(), phrase) {
		t.Errorf("the rule form does not show the exceptions: %s", page.Body)
	}
	for range 2 { // off, then on again
		if w := b.do(t, "POST", fmt.Sprintf("/admin/rules/%d/toggle", id), url.Values{}, same); w.Code != http.StatusSeeOther {
			t.Fatalf("toggle: %d", w.Code)
		}
	}
	if got := ruleExceptions(); len(got) != 1 {
		t.Errorf("switching the rule off and on lost its exceptions: %q", got)
	}

	// Exported, then imported back into a rule that lost them.
	w := s.do(t, request{path: "/admin/rules/words.csv", header: bearer(t, db, admin)})
	csv := w.Body.String()
	if !strings.Contains(csv, "\n"+phrase+",hold,yes\n") || !strings.Contains(csv, "\n"+word+",hold,\n") {
		t.Fatalf("export: %s", csv)
	}
	if _, err := s.pipeline.UpdateRule(forumtest.As(admin), id, moderation.RuleInput{Name: name, Kind: "words", Action: "hold", Patterns: []string{word}}); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": bearer(t, db, admin)["Authorization"], "Content-Type": "text/csv"}
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/words.csv", body: csv, header: h})
	var res moderation.WordImport
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || w.Code != 200 || res.Exceptions < 1 {
		t.Fatalf("import: %d %s", w.Code, w.Body)
	}
	if got := ruleExceptions(); len(got) != 1 || got[0] != phrase {
		t.Errorf("exceptions after the round trip: %q", got)
	}
	test := func(text string) string {
		w := s.do(t, request{method: "POST", path: "/api/v1/rules/test", header: bearer(t, db, admin), body: `{"text": "` + text + `"}`})
		var v struct{ Verdict string }
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("tester: %v %s", err, w.Body)
		}
		return v.Verdict
	}
	if got := test("Il a dit " + word + "."); got != "hold" {
		t.Errorf("the watched word: %s", got)
	}
	if got := test("Quel " + phrase + " !"); got != "publish" {
		t.Errorf("the exception: %s", got)
	}

	// A wrong third field is a line error.
	w = s.do(t, request{method: "POST", path: "/api/v1/rules/words.csv", body: word + ",hold,maybe\n", header: h})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "maybe") {
		t.Errorf("wrong exception field: %d %s", w.Code, w.Body)
	}
}
