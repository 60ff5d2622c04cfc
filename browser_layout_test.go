package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
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
