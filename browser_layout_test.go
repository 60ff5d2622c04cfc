package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// The staff's pages fit a phone: an administrator reads the rules, the
// members, the settings, the dashboard, the queue and the log at 390 px
// without the page scrolling sideways (a wide table scrolls inside itself).
func TestBrowserStaffPagesFitAPhone(t *testing.T) {
	ts := startServer(t)
	type page struct{ path, wait, shot string }
	// Each group has its own tab: axe takes a while on a busy machine.
	for _, group := range [][]page{
		{{"/admin/rules", ".rules-table", "phone-admin-rules"}, {"/admin/rules/new", "#f-name", "phone-admin-rule-new"}},
		{{"/admin/members", ".members-table", "phone-admin-members"}, {"/admin/settings", "main form", "phone-admin-settings"}},
		{{"/admin/dashboard", "main h1", "phone-admin-dashboard"}, {"/admin/categories", "main h1", "phone-admin-categories"}},
		{{"/mod/queue", "main h1", "phone-mod-queue"}, {"/mod/log", "main h1", "phone-mod-log"}},
	} {
		t.Run(group[0].path, func(t *testing.T) {
			j := newJourney(t)
			j.logIn("camille", ts.Accounts["camille"])
			j.do("emulating a phone", emulatePhone())
			for _, p := range group {
				j.do("opening "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
				j.checkPage(p.path+" on a phone", p.shot)
			}
		})
	}
}

// The choices of the report form and of the moderator's decision sit on the
// line of their label, at both widths: a radio button is a small box at the
// start of its label, not a full-width field above it.
func TestBrowserRadioChoicesSitBesideTheirLabels(t *testing.T) {
	ts := startServer(t)
	author, _ := newMember(t, "radio")
	created := newAPIClient(t, ts.URL, author).startThread("Des choix bien alignés", "Un message à signaler pour voir le formulaire.")
	reader, password := newMember(t, "radiolecteur")
	j := newJourney(t)
	j.logIn(reader, password)
	for _, width := range []struct {
		name    string
		emulate chromedp.Action[chromedp.Void]
	}{{"desktop", emulateDesktop()}, {"phone", emulatePhone()}} {
		j.do("emulating a "+width.name, width.emulate)
		j.do("opening the report form",
			chromedp.Navigate(fmt.Sprintf("%s/p/%d/report", ts.URL, created.Post.ID)),
			chromedp.WaitVisible(chromedp.CSS(`input[type="radio"]`)))
		misplaced := eval[[]string](j, `[...document.querySelectorAll('label.choice')].filter(l => {
			const r = l.querySelector('input[type="radio"]').getBoundingClientRect();
			const text = l.querySelector('span').getBoundingClientRect();
			return r.width > 40 || r.right > text.left || r.bottom < text.top || r.top > text.bottom;
		}).map(l => l.innerText.trim())`)
		if len(misplaced) > 0 {
			t.Errorf("on a %s, these report choices do not sit beside their radio button: %q", width.name, misplaced)
		}
	}
	j.do("back to a desktop", emulateDesktop())
}

// The pages of visitors, members and the staff fit both widths: at 1280 px
// and at 390 px, each passes axe (any impact), scrolls no sideways and is
// saved as a screenshot (journeyShots) for a person to look at.
func TestBrowserMainPagesFitBothWidths(t *testing.T) {
	ts := startServer(t)
	name, password := newMember(t, "largeur")
	memberAPI := newAPIClient(t, ts.URL, name)
	own := memberAPI.startThread(forumtest.Unique("Mon sujet aux deux largeurs n° "), "Un message à modifier et à retirer.")
	other := newAPIClient(t, ts.URL, "jeanne").startThread(forumtest.Unique("Le sujet de Jeanne n° "), "Un message que l’on pourrait signaler.")
	// A bookmark with a note and a reminder, for the bookmarks page.
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/posts/%d/bookmark", ts.URL, other.Post.ID),
		strings.NewReader(`{"note": "À relire", "remind_at": "`+time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339)+`"}`))
	req.Header.Set("Authorization", "Bearer "+memberAPI.token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("bookmarking: %v %v", resp, err)
	}
	type page struct{ path, wait, shot string }
	visitor := []page{{"/", ".categories", "home"}, {"/latest", ".thread-list", "latest"}, {"/c/entraide", ".thread-list", "category"},
		{"/guidelines", "main h1", "guidelines"}, {"/search?q=compost", "main h1", "search"}, {"/login", "#f-login", "login"},
		{"/signup", "#f-username", "signup"}, {"/password/forgot", "main h1", "password-forgot"}, {"/login/email", "main h1", "login-email"},
		{"/u/jeanne", "#profile-name", "profile"}}
	member := []page{{"/account", "main h1", "account"}, {"/account/sessions", "main h1", "account-sessions"},
		{"/account/tokens", "main h1", "account-tokens"}, {"/account/delete", "main h1", "account-delete"},
		{"/notifications", "main h1", "notifications"}, {"/messages", "main h1", "messages"}, {"/messages/new?to=jeanne", "main h1", "message-new"},
		{"/bookmarks", ".bookmark-edit", "bookmarks"}, {"/new", "#f-body", "new-thread"}, {"/c/entraide", ".thread-list", "category-member"},
		{fmt.Sprintf("/p/%d/edit", own.Post.ID), "#f-body", "post-edit"}, {fmt.Sprintf("/p/%d/delete", own.Post.ID), "main h1", "post-withdraw"},
		{fmt.Sprintf("/p/%d/report", other.Post.ID), "main h1", "report-form"}, {"/u/" + name, "#profile-name", "profile-own"}}
	staff := []page{{"/admin", "main h1", "admin"}, {"/admin/rules/test", "main h1", "admin-rules-test"},
		{"/admin/rules/words", "main h1", "admin-rules-words"}, {"/admin/guidelines", "main h1", "admin-guidelines"},
		{"/admin/members?q=jeanne", "main h1", "admin-members-search"}, {"/admin/webhooks", "main h1", "admin-webhooks"},
		{"/mod/queue", "main h1", "mod-queue"}, {"/mod/log", "main h1", "mod-log"}, {"/admin/dashboard", "main h1", "admin-dashboard"},
		{"/admin/dashboard/report", ".health-report", "admin-report"}}
	for _, width := range []struct {
		name string
		set  chromedp.Action[chromedp.Void]
	}{{"desktop", emulateDesktop()}, {"phone", emulatePhone()}} {
		for _, who := range []struct {
			name, username, password string
			pages                    []page
		}{{"visitor", "", "", visitor}, {"member", name, password, member}, {"staff", "camille", ts.Accounts["camille"], staff}} {
			t.Run(width.name+" "+who.name, func(t *testing.T) {
				j := newJourney(t)
				if who.username != "" {
					j.logIn(who.username, who.password)
				}
				j.do("emulating a "+width.name, width.set)
				for _, p := range who.pages {
					j.do("opening "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
					j.checkPage(p.path+" ("+width.name+")", width.name+"-"+p.shot)
				}
				// A thread, from the category page.
				j.do("opening a thread", chromedp.Navigate(ts.URL+"/c/entraide"),
					chromedp.Click(chromedp.CSS(".thread-list .thread-title")), chromedp.WaitVisible(chromedp.CSS("#p1")))
				j.checkPage("a thread ("+width.name+", "+who.name+")", fmt.Sprintf("%s-thread-%s", width.name, who.name))
			})
		}
	}
}
