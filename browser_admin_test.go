package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// The admin adds a watched word with the action "hold" in the rules
// editor, after trying it in the tester; a new member's thread containing
// it is held, the author is told, and it waits in the review queue.
func TestBrowserAdminWatchedWordHoldsANewMembersPost(t *testing.T) {
	ts := startServer(t)
	word := strings.ToLower(forumtest.Unique("trucmuche"))
	ruleName := forumtest.Unique("Mot du test ")

	admin := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	admin.logIn("camille", ts.Accounts["camille"])
	admin.do("opening the administration",
		loadBy(chromedp.Click(chromedp.CSS(`.site-header a[href="/admin"]`))),
		chromedp.WaitVisible(chromedp.CSS(`.admin-sections a[href="/admin/rules"]`)))
	admin.checkPage("the administration home", "admin-home")
	admin.do("opening a new rule",
		loadBy(chromedp.Click(chromedp.CSS(`.admin-sections a[href="/admin/rules"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/rules/new"]`)),
		loadBy(chromedp.Click(chromedp.CSS(`a.button[href="/admin/rules/new"]`))),
		chromedp.WaitVisible(chromedp.CSS("#f-name")))
	admin.checkPage("the rule form", "admin-rule-new")
	admin.do("writing the rule and previewing it",
		chromedp.SendKeys(chromedp.CSS("#f-name"), ruleName),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "Ce mot attend la relecture d’un modérateur."),
		chromedp.SetValue(chromedp.CSS("#f-action"), "hold"),
		chromedp.SendKeys(chromedp.CSS("#f-patterns"), word),
		loadBy(chromedp.Click(chromedp.CSS(`button[name="op"][value="preview"]`))),
		chromedp.WaitVisible(chromedp.CSS(".impact")))
	if v := eval[string](admin, `document.querySelector("#f-patterns").value`); v != word {
		t.Errorf("the previewed form lost the words: %q", v)
	}
	admin.checkPage("the impact preview", "admin-rule-preview")
	admin.do("saving the rule",
		loadBy(chromedp.Click(chromedp.CSS(`button[name="op"][value="save"]`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if got := admin.text(".rules-table"); !strings.Contains(got, ruleName) {
		t.Errorf("the rules list lacks the new rule: %q", got)
	}
	admin.do("trying the word in the tester",
		chromedp.Navigate(ts.URL+"/admin/rules/test"),
		chromedp.WaitVisible(chromedp.CSS("#f-text")),
		chromedp.SendKeys(chromedp.CSS("#f-text"), "Bonjour, "+strings.ToUpper(word)+" !"),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/admin/rules/test"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".tester-result")))
	if got := admin.text(".tested-text mark"); got != strings.ToUpper(word) {
		t.Errorf("the tester highlights %q", got)
	}
	if got := admin.text(".tester-result h2"); !strings.Contains(got, "Retenu") {
		t.Errorf("the tester's verdict reads %q", got)
	}
	admin.checkPage("the rule tester", "admin-rule-tester")
	for _, p := range []struct{ path, wait, shot string }{
		{"/admin/dashboard", "svg.bar-chart", "admin-dashboard"},
		{"/admin/settings", "#f-site_name", "admin-settings"},
		{"/admin/members?q=" + "camille", ".members-table", "admin-members"},
		{"/admin/rules/words", "#f-csv", "admin-words"},
	} {
		admin.do("opening "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
		admin.checkPage(p.path, p.shot)
	}

	// A new member posts a thread with the word: it is held.
	name, pw := newMemberAt(t, "nouvelle", 0)
	member := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	member.logIn(name, pw)
	title := forumtest.Unique("Question de débutante ")
	member.do("writing a thread with the word",
		chromedp.Navigate(ts.URL+"/c/discussions-libres/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-title")),
		chromedp.SendKeys(chromedp.CSS("#f-title"), title),
		chromedp.SendKeys(chromedp.CSS("#f-body"), "Je me demande ce qu’est un "+word+", quelqu’un sait ?"),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/new"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.held")))
	if got := member.text("#p1"); !strings.Contains(got, "approbation") {
		t.Errorf("the author is not told that the thread waits: %q", got)
	}

	// It waits in the review queue.
	admin.do("opening the review queue",
		chromedp.Navigate(ts.URL+"/mod/queue?kind=held"),
		chromedp.WaitVisible(chromedp.CSS("#review-items")))
	if got := admin.text("#review-items"); !strings.Contains(got, title) {
		t.Errorf("the held thread is not in the queue: %q", got)
	}
	admin.do("counting what the rule sent to review",
		chromedp.Navigate(ts.URL+"/admin/rules"),
		chromedp.WaitVisible(chromedp.CSS(".rules-table")))
	quoted, _ := json.Marshal(ruleName)
	row := eval[string](admin, `[...document.querySelectorAll(".rules-table tbody tr")].find(r => r.cells[0].innerText.includes(`+string(quoted)+`))?.cells[4]?.innerText ?? ""`)
	if strings.TrimSpace(row) != "1" {
		t.Errorf("the rules list counts %q items sent to review by the rule, want 1", row)
	}
}

// The admin publishes a new version of the guidelines that members must
// accept: a member meets it at their next page, sees what changed, accepts
// and goes on where they were going.
func TestBrowserAdminPublishesGuidelinesMembersAccept(t *testing.T) {
	ts := startServer(t)
	// The other journeys share this server: once done, no version waits
	// for acceptance (and the server's cache knows it at once).
	t.Cleanup(func() {
		forumtest.DB(t).SQL().MustExec(`UPDATE guideline_versions SET requires_acceptance = false`)
		ts.main.db.InvalidateGuidelines()
	})
	admin := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	admin.logIn("camille", ts.Accounts["camille"])
	added := "Nouvelle règle : " + forumtest.Unique("on cite ses sources ")
	admin.do("editing the guidelines",
		chromedp.Navigate(ts.URL+"/admin/guidelines"),
		chromedp.WaitVisible(chromedp.CSS("#f-body_markdown")))
	admin.checkPage("the guidelines editor", "admin-guidelines")
	admin.typeAtEnd("#f-body_markdown", "\n\n"+added+"\n")
	admin.do("publishing a version to accept",
		chromedp.Click(chromedp.CSS(`input[name="requires_acceptance"]`)),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/admin/guidelines"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".guidelines .prose")),
		chromedp.Click(chromedp.CSS(".diff summary")),
		chromedp.WaitVisible(chromedp.CSS(".diff-lines .ins")))
	if got := admin.text(".diff-lines"); !strings.Contains(got, added) {
		t.Errorf("the new version's diff lacks the added line: %q", got)
	}

	name, pw := newMember(t, "lectrice")
	member := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	member.logIn(name, pw)
	member.do("meeting the new guidelines",
		chromedp.Navigate(ts.URL+"/c/entraide"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/guidelines/accept"]`)))
	// A member who never accepted a version reads the whole text (one who
	// had gets the differences too: server/guidelines_test.go).
	if got := member.text(".guidelines .prose"); !strings.Contains(got, added) {
		t.Errorf("the member is not shown the new version: %q", got)
	}
	member.checkPage("accepting the guidelines", "guidelines-accept")
	member.do("accepting",
		chromedp.Click(chromedp.CSS(`input[name="accept"]`)),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/guidelines/accept"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".thread-list, .empty")))
	if loc := member.location(); !strings.HasSuffix(loc, "/c/entraide") {
		t.Errorf("after accepting, the member is at %s, not where they were going", loc)
	}
}

// The admin registers a webhook from the administration, sees its secret
// once, finds the event of a new thread in its delivery log and sends it
// again; the pages pass axe and fit a phone.
func TestBrowserAdminWebhooks(t *testing.T) {
	ts := startServer(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	url := hook.URL + "/" + strings.ToLower(forumtest.Unique("hook"))

	admin := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	admin.logIn("camille", ts.Accounts["camille"])
	admin.do("opening the webhooks",
		chromedp.Navigate(ts.URL+"/admin"),
		loadBy(chromedp.Click(chromedp.CSS(`.admin-sections a[href="/admin/webhooks"]`))),
		chromedp.WaitVisible(chromedp.CSS("#f-url")))
	admin.checkPage("the webhooks page", "admin-webhooks")
	admin.do("registering one without an event",
		chromedp.SendKeys(chromedp.CSS("#f-url"), url),
		chromedp.Click(chromedp.CSS(`input[name="events"][value="post.published"]`)), // ticked by default: now none
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/admin/webhooks"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#e-events")))
	if got := admin.text("#e-events"); got != "Choisissez au moins un événement." {
		t.Errorf("no event: %q", got)
	}
	if v := eval[string](admin, `document.querySelector("#f-url").value`); v != url {
		t.Errorf("the refused form lost the address: %q", v)
	}
	forgetExpectedErrors(t, admin.ctx, "status of 400 (Bad Request) ("+ts.URL+"/admin/webhooks)")
	admin.do("ticking an event and registering",
		chromedp.Click(chromedp.CSS(`input[name="events"][value="post.published"]`)),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/admin/webhooks"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.held code.token")))
	secret := admin.text(".notice.held code.token")
	if len(secret) < 16 {
		t.Errorf("the secret shown: %q", secret)
	}
	admin.checkPage("the webhooks page with a new secret", "admin-webhooks-created")

	// An event: a thread published through the API.
	jeanne := newAPIClient(t, ts.URL, "jeanne")
	th := jeanne.startThread(forumtest.Unique("Un sujet pour le webhook "), "Ce sujet part vers un autre système.")
	admin.do("opening the delivery log",
		chromedp.Navigate(ts.URL+"/admin/webhooks"),
		loadBy(chromedp.Click(chromedp.CSS(`article.webhook:first-of-type a[href^="/admin/webhooks/"]`))),
		chromedp.WaitVisible(chromedp.CSS("ol.deliveries li")))
	if got := admin.text("ol.deliveries li strong"); got != "post.published" {
		t.Errorf("the first delivery is %q", got)
	}
	if got := eval[string](admin, `document.querySelector("ol.deliveries li pre.delivery-body:last-of-type").textContent`); !strings.Contains(got, fmt.Sprintf(`"id": %d`, th.Thread.ID)) {
		t.Errorf("the delivery's data: %s", got)
	}
	admin.do("sending it again",
		loadBy(chromedp.Click(chromedp.CSS(`ol.deliveries li form button`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if n := eval[int](admin, `document.querySelectorAll("ol.deliveries li").length`); n != 2 {
		t.Errorf("%d deliveries after sending again, want 2", n)
	}
	admin.checkPage("a webhook's delivery log", "admin-webhook-log")
	admin.do("on a phone", emulatePhone(), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("ol.deliveries li")))
	admin.checkPage("a webhook's delivery log on a phone", "admin-webhook-log-phone")
	admin.do("the list on a phone", chromedp.Navigate(ts.URL+"/admin/webhooks"), chromedp.WaitVisible(chromedp.CSS("#f-url")))
	admin.checkPage("the webhooks page on a phone", "admin-webhooks-phone")
	admin.do("back to a desktop", emulateDesktop())
	// Deleted, so that later tests' events go nowhere.
	admin.do("deleting it",
		loadBy(chromedp.Click(chromedp.CSS(`article.webhook:first-of-type form[action$="/delete"] button`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
}

// The rule editor shows the fields of the rule's kind only (watched words
// for a words rule, domains for a links rule, none for the kinds set in the
// settings), and follows the kind chosen in the form.
func TestBrowserRuleEditorShowsTheFieldsOfItsKind(t *testing.T) {
	ts := startServer(t)
	db := forumtest.DB(t)
	rules := map[string]int64{}
	var rows []struct {
		ID   int64
		Kind string
	}
	if err := db.SelectContext(context.Background(), &rows, `SELECT DISTINCT ON (kind) id, kind FROM rules ORDER BY kind, id`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		rules[r.Kind] = r.ID
	}
	j := newJourney(t)
	j.logIn("camille", ts.Accounts["camille"])
	shown := func() []string {
		return eval[[]string](j, `[...document.querySelectorAll(".rule-kind-fields")].filter(f => f.checkVisibility()).map(f => f.dataset.kind)`)
	}
	for kind, want := range map[string]string{"words": "words", "links": "links", "rate": "", "mentions": "", "duplicates": "", "new_members": ""} {
		j.do("opening a rule of kind "+kind, chromedp.Navigate(fmt.Sprintf("%s/admin/rules/%d", ts.URL, rules[kind])), chromedp.WaitVisible(chromedp.CSS("#f-kind")))
		if got := strings.Join(shown(), " "); got != want {
			t.Errorf("a %s rule shows the fields of %q, want %q", kind, got, want)
		}
	}
	j.do("opening a new rule", chromedp.Navigate(ts.URL+"/admin/rules/new"), chromedp.WaitVisible(chromedp.CSS("#f-kind")))
	for _, kind := range []string{"words", "links", "rate"} {
		j.do("choosing "+kind, chromedp.SetValue(chromedp.CSS("#f-kind"), kind))
		want := kind
		if kind == "rate" {
			want = ""
		}
		if got := strings.Join(shown(), " "); got != want {
			t.Errorf("a new rule of kind %s shows the fields of %q, want %q", kind, got, want)
		}
	}
}
