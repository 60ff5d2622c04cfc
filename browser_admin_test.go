package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// newcomer creates a member of trust level 0 with the command line.
func newcomer(t *testing.T, prefix string) (username, password string) {
	t.Helper()
	username, password = forumtest.Unique(prefix), "un long mot de passe pour "+prefix
	code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)},
		"admin", "create-member", "--username", username, "--email", username+"@example.org",
		"--role", "member", "--trust-level", "0", "--password", password)
	if code != 0 {
		t.Fatalf("creating %s: %d %s %s", username, code, out, errOut)
	}
	return username, password
}

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
		chromedp.Click(chromedp.CSS(`.site-header a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.admin-sections a[href="/admin/rules"]`)))
	admin.checkPage("the administration home", "admin-home")
	admin.do("opening a new rule",
		chromedp.Click(chromedp.CSS(`.admin-sections a[href="/admin/rules"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/rules/new"]`)),
		chromedp.Click(chromedp.CSS(`a.button[href="/admin/rules/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-name")))
	admin.checkPage("the rule form", "admin-rule-new")
	admin.do("writing the rule and previewing it",
		chromedp.SendKeys(chromedp.CSS("#f-name"), ruleName),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "Ce mot attend la relecture d’un modérateur."),
		chromedp.SetValue(chromedp.CSS("#f-action"), "hold"),
		chromedp.SendKeys(chromedp.CSS("#f-patterns"), word),
		chromedp.Click(chromedp.CSS(`button[name="op"][value="preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(".impact")))
	if v := eval[string](admin, `document.querySelector("#f-patterns").value`); v != word {
		t.Errorf("the previewed form lost the words: %q", v)
	}
	admin.checkPage("the impact preview", "admin-rule-preview")
	admin.do("saving the rule",
		chromedp.Click(chromedp.CSS(`button[name="op"][value="save"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if got := admin.text(".rules-table"); !strings.Contains(got, ruleName) {
		t.Errorf("the rules list lacks the new rule: %q", got)
	}
	admin.do("trying the word in the tester",
		chromedp.Navigate(ts.URL+"/admin/rules/test"),
		chromedp.WaitVisible(chromedp.CSS("#f-text")),
		chromedp.SendKeys(chromedp.CSS("#f-text"), "Bonjour, "+strings.ToUpper(word)+" !"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/rules/test"] button[type="submit"]`)),
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
	name, pw := newcomer(t, "nouvelle")
	member := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	member.logIn(name, pw)
	title := forumtest.Unique("Question de débutante ")
	member.do("writing a thread with the word",
		chromedp.Navigate(ts.URL+"/c/discussions-libres/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-title")),
		chromedp.SendKeys(chromedp.CSS("#f-title"), title),
		chromedp.SendKeys(chromedp.CSS("#f-body"), "Je me demande ce qu’est un "+word+", quelqu’un sait ?"),
		chromedp.Click(chromedp.CSS(`form[action="/new"] button[type="submit"]`)),
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
