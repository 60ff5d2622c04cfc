package main

// Browser journeys of the forum's members: start a thread, quote, mention,
// be notified, like, search (in French, on a desktop); log in and reply in
// English on a phone; log in and reply with JavaScript turned off. The
// harness is in browser_harness_test.go.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// journeyShots is where the journeys leave a screenshot of each page they
// check, for a person to look at (failures go to testdata/screenshots).
var journeyShots = filepath.Join(os.TempDir(), "palabre-journeys")

// absoluteDate is how the server writes a <time> in French (server/dates.go):
// how long ago, or the date beyond a week.
var absoluteDate = regexp.MustCompile(`^(à l’instant|il y a \d+ (minute|heure|jour)s?|hier|\d{1,2} \p{L}+ \d{4})$`)

// journey is one browser tab going through the forum as one person after
// another.
type journey struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newJourney(t *testing.T) *journey {
	t.Helper()
	return &journey{t: t, ctx: newBrowser(t), base: startServer(t).URL}
}

// do runs the steps, failing the test with what was being done.
func (j *journey) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	if err := chromedp.Do(j.ctx, steps...); err != nil {
		j.t.Fatalf("%s: %v", what, err)
	}
}

// eval returns the value of a JavaScript expression on the current page.
func eval[T any](j *journey, expr string) T {
	j.t.Helper()
	v, err := chromedp.Run(j.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		j.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// text is the visible text of the first element matching the selector, ""
// when there is none.
func (j *journey) text(selector string) string {
	j.t.Helper()
	sel, _ := json.Marshal(selector)
	return eval[string](j, `(document.querySelector(`+string(sel)+`)?.innerText ?? "").trim()`)
}

// location is the address of the current page.
func (j *journey) location() string {
	j.t.Helper()
	return eval[string](j, `location.href`)
}

// checkPage asserts what every page must be: no console error nor CSP
// violation, no serious accessibility problem, no sideways scrolling; and
// saves a screenshot named shot.
func (j *journey) checkPage(page, shot string) {
	j.t.Helper()
	assertCleanConsole(j.t, j.ctx)
	auditAccessibility(j.t, j.ctx, page)
	j.assertNoSideScroll(page)
	saveScreenshot(j.t, j.ctx, filepath.Join(journeyShots, shot+".png"))
}

// assertNoSideScroll compares the page's width with the layout viewport's
// (clientWidth): on a phone, window.innerWidth grows with a page too wide,
// as the browser zooms out to show it, and would hide the overflow.
func (j *journey) assertNoSideScroll(page string) {
	j.t.Helper()
	w := eval[[]int](j, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)
	if w[0] > w[1] {
		wide := eval[[]string](j, `[...document.querySelectorAll("body *")]
			.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
			.filter(e => { for (let a = e.parentElement; a; a = a.parentElement) { if (getComputedStyle(a).overflowX !== "visible") return false } return true })
			.slice(0, 5).map(e => e.outerHTML.slice(0, 120))`)
		j.t.Errorf("%s is %dpx wide for a %dpx viewport: it scrolls sideways; too wide: %q", page, w[0], w[1], wide)
	}
}

// assertTapTargets checks that the visible elements matching the
// selectors, a page's primary actions, are at least 44 CSS pixels high and
// wide enough to touch (WCAG 2.5.5).
func (j *journey) assertTapTargets(page string, selectors ...string) {
	j.t.Helper()
	sel, _ := json.Marshal(strings.Join(selectors, ", "))
	small := eval[[]string](j, `[...document.querySelectorAll(`+string(sel)+`)]
		.filter(e => e.checkVisibility() && e.getBoundingClientRect().width > 0)
		.filter(e => { const r = e.getBoundingClientRect(); return r.height < 43.5 || r.width < 24 })
		.map(e => { const r = e.getBoundingClientRect(); return e.outerHTML.slice(0, 80) + " " + Math.round(r.width) + "×" + Math.round(r.height) })`)
	for _, s := range small {
		j.t.Errorf("on %s this target is too small to touch: %s", page, s)
	}
}

// logIn types the member's name and password into the login form, as a
// person does, and waits for the header to show them signed in.
func (j *journey) logIn(username, password string) {
	j.t.Helper()
	j.do("opening the login page",
		chromedp.Navigate(j.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-login")))
	j.do("logging in as "+username,
		chromedp.SendKeys(chromedp.CSS("#f-login"), username),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(`.site-header a[href="/u/`+username+`"]`)))
}

// logOut uses the header's button.
func (j *journey) logOut() {
	j.t.Helper()
	j.do("logging out",
		loadBy(chromedp.Click(chromedp.CSS(`.site-header form.logout button`))),
		chromedp.WaitVisible(chromedp.CSS(`.site-header a[href="/login"]`)))
}

// typeAtEnd puts the caret at the end of a text field, as a click below
// its text does, and types there.
func (j *journey) typeAtEnd(selector, text string) {
	j.t.Helper()
	sel, _ := json.Marshal(selector)
	j.do("typing into "+selector,
		chromedp.Evaluate[chromedp.Void](`{const e = document.querySelector(`+string(sel)+`); e.focus(); e.setSelectionRange(e.value.length, e.value.length)}`),
		chromedp.SendKeys(chromedp.CSS(selector), text))
}

// newMember creates a member of trust level 2 with the command line, for
// a journey that must not depend on the demo members' state.
func newMember(t *testing.T, prefix string) (username, password string) {
	t.Helper()
	return newMemberAt(t, prefix, 2)
}

// newMemberAt creates a member of a given trust level (0: a newcomer).
func newMemberAt(t *testing.T, prefix string, trust int) (username, password string) {
	t.Helper()
	username, password = forumtest.Unique(prefix), "un long mot de passe pour "+prefix
	code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)},
		"admin", "create-member", "--username", username, "--email", username+"@example.org",
		"--role", "member", "--trust-level", strconv.Itoa(trust), "--password", password)
	if code != 0 {
		t.Fatalf("creating %s: %d %s %s", username, code, out, errOut)
	}
	return username, password
}

// A member starts a thread in Markdown, another quotes it and mentions a
// third, who is notified, follows the notification, likes the reply and
// finds the thread by searching a plural of a word of its body.
func TestBrowserForumJourneyFrench(t *testing.T) {
	ts := startServer(t)
	j := newJourney(t)
	title := forumtest.Unique("Potager partagé du quartier n° ")
	body := "Nous cherchons une personne **bénévole** pour arroser le *potager* cet été.\n\n" +
		"- une citrouille à surveiller\n- des tomates à tailler\n"

	// Jeanne logs in (the login page is checked before she types).
	j.do("opening the login page", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#f-login")))
	if got := j.text("main h1"); got != "Se connecter" {
		t.Errorf("login page heading = %q", got)
	}
	j.checkPage("the login page", "fr-login")
	j.logIn("jeanne", ts.Accounts["jeanne"])

	// She opens a category from the home page and starts a thread there.
	j.do("opening a category",
		chromedp.Navigate(ts.URL+"/"),
		loadBy(chromedp.Click(chromedp.CSS(`.category-list a[href="/c/discussions-libres"]`))),
		chromedp.WaitVisible(chromedp.CSS(`.page-header a[href="/c/discussions-libres/new"]`)))
	if got := j.text("main h1"); got != "Discussions libres" {
		t.Errorf("category page heading = %q", got)
	}
	if n := len(visibleTexts(t, j.ctx, ".thread-list .thread-title")); n == 0 {
		t.Error("the category page lists no thread")
	}
	j.checkPage("the category page", "fr-category")

	j.do("opening the new thread form",
		loadBy(chromedp.Click(chromedp.CSS(`.page-header a[href="/c/discussions-libres/new"]`))),
		chromedp.WaitVisible(chromedp.CSS("#f-title")))
	if got := eval[string](j, `document.querySelector("#f-category_id").selectedOptions[0].text`); got != "Discussions libres" {
		t.Errorf("the new thread form has category %q selected, want the one it was opened from", got)
	}
	j.checkPage("the new thread form", "fr-new-thread")
	j.do("writing the thread",
		chromedp.SendKeys(chromedp.CSS("#f-title"), title),
		chromedp.SendKeys(chromedp.CSS("#f-body"), body),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/new"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".thread-header h1")))
	threadURL := strings.SplitN(j.location(), "#", 2)[0]
	if got := j.text(".thread-header h1"); got != title {
		t.Errorf("thread heading = %q, want %q", got, title)
	}
	if !regexp.MustCompile(`/t/\d+/potager-partage-du-quartier-n-\d+$`).MatchString(threadURL) {
		t.Errorf("thread address = %s, want /t/ID/potager-partage-du-quartier-n-N", threadURL)
	}
	rendered := eval[[]string](j, `["#p1 .post-body strong", "#p1 .post-body em", "#p1 .post-body ul > li"]
		.map(s => [...document.querySelectorAll(s)].map(e => e.textContent).join("|"))`)
	if want := []string{"bénévole", "potager", "une citrouille à surveiller|des tomates à tailler"}; strings.Join(rendered, "#") != strings.Join(want, "#") {
		t.Errorf("the Markdown rendered as %q, want %q", rendered, want)
	}
	if got := j.text("#p1 .post-author"); got != "jeanne" {
		t.Errorf("first post's author = %q", got)
	}
	j.checkPage("the thread page", "fr-thread")
	j.logOut()

	// Karim quotes Jeanne's post and mentions Sophie.
	j.logIn("karim", ts.Accounts["karim"])
	j.do("opening the thread", chromedp.Navigate(threadURL), chromedp.WaitVisible(chromedp.CSS("#p1")))
	j.do("quoting the first post",
		loadBy(chromedp.Click(chromedp.CSS(`#p1 .post-actions a[href*="quote="]`))),
		chromedp.WaitReady(chromedp.CSS(`#reply form input[type="hidden"][name="reply_to"][value="1"]`)))
	prefilled := eval[string](j, `document.querySelector("#f-body").value`)
	if !strings.HasPrefix(prefilled, "[quote=jeanne post=") || !strings.Contains(prefilled, "**bénévole**") {
		t.Errorf("the quote link filled the reply with %q, want jeanne's post in [quote=jeanne post=…]", prefilled)
	}
	if got := j.text("#reply .meta"); got != "en réponse au n°1" {
		t.Errorf("the reply form says %q, want «en réponse au n°1»", got)
	}
	j.typeAtEnd("#f-body", "Je peux venir le mardi. @sophie, tu nous rejoins ?")
	j.do("posting the reply",
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#p2")))
	if loc := j.location(); !strings.HasPrefix(loc, threadURL) || !strings.HasSuffix(loc, "#p2") {
		t.Errorf("after replying the browser is at %s, want %s…#p2", loc, threadURL)
	}
	if got := j.text("#p2 blockquote.quote .quote-source"); got != "@jeanne" {
		t.Errorf("the quote's source reads %q, want @jeanne", got)
	}
	if got := j.text("#p2 blockquote.quote"); !strings.Contains(got, "bénévole") {
		t.Errorf("the quote reads %q, want jeanne's words", got)
	}
	if got := j.text(`#p2 .post-body a.mention[href="/u/sophie"]`); got != "@sophie" {
		t.Errorf("the mention reads %q, want a link @sophie", got)
	}
	if got := eval[string](j, `document.querySelector("#p2 a.reply-to")?.getAttribute("href") ?? ""`); got != "#p1" {
		t.Errorf("the reply's header links to %q, want #p1, the post it answers", got)
	}
	j.logOut()

	// Sophie sees the badge, the notification, and lands on the reply.
	j.logIn("sophie", ts.Accounts["sophie"])
	badge := j.text(".site-header .notifications-link .badge")
	if !regexp.MustCompile(`^[1-9]\d*`).MatchString(badge) {
		t.Errorf("the header's notification badge reads %q, want the number of unread notifications", badge)
	}
	j.do("opening the notifications",
		loadBy(chromedp.Click(chromedp.CSS(".site-header .notifications-link"))),
		chromedp.WaitVisible(chromedp.CSS(".notification-list")))
	want := "karim vous a mentionné dans « " + title + " »"
	found := eval[[]string](j, `[...document.querySelectorAll(".notification.unread .notification-text")].map(e => e.textContent.trim())`)
	if !contains(found, want) {
		t.Fatalf("unread notifications = %q, want %q", found, want)
	}
	j.checkPage("the notifications page", "fr-notifications")
	wantJSON, _ := json.Marshal(want)
	j.do("following the notification",
		loadBy(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".notification-text")].find(e => e.textContent.trim() === `+string(wantJSON)+`).click()`)),
		chromedp.WaitVisible(chromedp.CSS("#p2 .post-body")))
	if loc := j.location(); !strings.HasPrefix(loc, threadURL) || !strings.HasSuffix(loc, "#p2") {
		t.Errorf("the notification led to %s, want %s…#p2", loc, threadURL)
	}

	// She likes the reply.
	if got := j.text("#p2 button.like"); got != "J’aime · 0" {
		t.Errorf("like button reads %q before liking", got)
	}
	j.do("liking the reply",
		loadBy(chromedp.Click(chromedp.CSS("#p2 button.like"))),
		chromedp.WaitVisible(chromedp.CSS(`#p2 button.like.liked[aria-pressed="true"]`)))
	if got := j.text("#p2 button.like"); got != "Je n’aime plus · 1" {
		t.Errorf("like button reads %q after liking, want «Je n’aime plus · 1»", got)
	}
	j.do("opening the notifications again", chromedp.Navigate(ts.URL+"/notifications"), chromedp.WaitVisible(chromedp.CSS(".notification-list")))
	still := eval[[]string](j, `[...document.querySelectorAll(".notification.unread .notification-text")].map(e => e.textContent.trim())`)
	if contains(still, want) {
		t.Errorf("the notification followed is still unread: %q", still)
	}

	// The thread is found by a plural of a singular word of its body.
	j.do("searching",
		loadBy(chromedp.Click(chromedp.CSS(`.site-header a[href="/search"]`))),
		chromedp.WaitVisible(chromedp.CSS("#f-q")),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "citrouilles"),
		loadBy(chromedp.Click(chromedp.CSS(`form.search-form button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".search-results")))
	if loc := j.location(); !strings.Contains(loc, "q=citrouilles") {
		t.Errorf("the search form went to %s", loc)
	}
	results := visibleTexts(t, j.ctx, ".search-results .result-title")
	if !contains(results, title) {
		t.Errorf("searching «citrouilles» found %q, want %q (its body says «citrouille»)", results, title)
	}
	if got := j.text(".search-results .result mark"); !strings.HasPrefix(strings.ToLower(got), "citrouille") {
		t.Errorf("the snippet highlights %q, want the word found", got)
	}
	j.checkPage("the search page", "fr-search")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// A visitor switches the site to English from the footer, then logs in,
// opens a thread and replies, on a phone: every page is in English and fits
// the screen.
func TestBrowserForumJourneyEnglishOnPhone(t *testing.T) {
	ts := startServer(t)
	name, password := newMember(t, "oliver")
	j := newJourney(t)
	j.do("emulating a phone", emulatePhone())

	j.do("opening the home page", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".category-list")))
	if lang := eval[string](j, `document.documentElement.lang`); lang != "fr" {
		t.Errorf(`<html lang> = %q before switching, want "fr" (the browser asks for French)`, lang)
	}
	j.do("switching to English",
		loadBy(chromedp.Click(chromedp.CSS(`.site-footer a[hreflang="en"]`))),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] .category-list`)))
	if got := j.text("#categories-title"); got != "Categories" {
		t.Errorf("home heading in English = %q", got)
	}
	if got := j.text(`.site-footer a[hreflang="fr"]`); got != "Français" {
		t.Errorf("the footer offers %q to go back, want Français", got)
	}
	j.checkPage("the home page on a phone, in English", "en-phone-home")

	j.do("opening the login page",
		loadBy(chromedp.Click(chromedp.CSS(`.site-header a[href="/login"]`))),
		chromedp.WaitVisible(chromedp.CSS("#f-login")))
	if got := j.text("main h1"); got != "Log in" {
		t.Errorf("login heading = %q", got)
	}
	if got := j.text(`label[for="f-login"]`); got != "Username or email address" {
		t.Errorf("login label = %q", got)
	}
	j.checkPage("the login page on a phone, in English", "en-phone-login")
	j.do("logging in",
		chromedp.SendKeys(chromedp.CSS("#f-login"), name),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(`.site-header a[href="/u/`+name+`"]`)))
	if got := j.text(".site-header form.logout button"); got != "Log out" {
		t.Errorf("logout button = %q, want English", got)
	}
	j.assertNoSideScroll("the home page of a member, on a phone")

	j.do("opening a category",
		loadBy(chromedp.Click(chromedp.CSS(`.category-list a[href="/c/discussions-libres"]`))),
		chromedp.WaitVisible(chromedp.CSS(`.page-header a[href="/c/discussions-libres/new"]`)))
	if got := j.text(`.page-header a[href="/c/discussions-libres/new"]`); got != "New thread" {
		t.Errorf("new thread button = %q", got)
	}
	j.checkPage("the category page on a phone, in English", "en-phone-category")

	j.do("opening a thread",
		loadBy(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".thread-list .thread-title")].find(a => a.textContent === "Vos lectures du moment ?").click()`)),
		chromedp.WaitVisible(chromedp.CSS(".thread-header h1")))
	if got := j.text("#reply-title"); got != "Reply" {
		t.Errorf("reply heading = %q", got)
	}
	if got := j.text(`#reply button[type="submit"]`); got != "Post the reply" {
		t.Errorf("reply button = %q", got)
	}
	if got := j.text(".post-actions button.like"); !strings.HasPrefix(got, "Like · ") {
		t.Errorf("like button = %q", got)
	}
	j.checkPage("the thread page on a phone, in English", "en-phone-thread")
	j.assertTapTargets("the thread page on a phone", ".site-header nav a", ".site-header button",
		".post-actions a", ".post-actions button", "#reply button", ".watch button", ".site-footer a")

	posts := eval[int](j, `document.querySelectorAll(".posts > .post").length`)
	reply := "Just finished a novel about lighthouse keepers: perfect for a rainy evening. " + forumtest.Unique("Ref ")
	next := "#p" + strconv.Itoa(posts+1)
	j.do("replying",
		chromedp.SendKeys(chromedp.CSS("#f-body"), reply),
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(next+" .post-body")))
	if got := j.text(next + " .post-body"); got != reply {
		t.Errorf("the reply shows %q, want %q", got, reply)
	}
	if got := j.text(next + " .post-author"); got != name {
		t.Errorf("the reply's author = %q, want %s", got, name)
	}
	if lang := eval[string](j, `document.documentElement.lang`); lang != "en" {
		t.Errorf(`<html lang> = %q after replying, want "en"`, lang)
	}
	j.checkPage("the thread after replying, on a phone", "en-phone-replied")

	// The member's other pages fit the phone too.
	for _, p := range []struct{ path, ready, heading, shot string }{
		{"/c/discussions-libres/new", "#f-title", "Start a thread", "en-phone-new-thread"},
		{"/notifications", ".notifications-page", "Notifications", "en-phone-notifications"},
		{"/search?q=lighthouse", ".search-results", "Search", "en-phone-search"},
	} {
		j.do("opening "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		if got := j.text("main h1"); got != p.heading {
			t.Errorf("%s heading = %q, want %q", p.path, got, p.heading)
		}
		j.checkPage(p.path+" on a phone, in English", p.shot)
		j.assertTapTargets(p.path+" on a phone", ".site-header nav a", ".site-header button", "main button")
	}
}

// Without JavaScript a member logs in, gets a refused reply back with what
// they typed and the reason, and posts it.
func TestBrowserForumJourneyWithoutJavaScript(t *testing.T) {
	ts := startServer(t)
	name, password := newMember(t, "sansjs")
	j := newJourney(t)
	if _, err := chromedp.Call(j.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	j.logIn(name, password)

	j.do("opening a thread",
		chromedp.Navigate(ts.URL+"/c/suggestions"),
		chromedp.WaitVisible(chromedp.CSS(".thread-list")),
		loadBy(chromedp.Click(chromedp.CSS(".thread-list .thread-title"))),
		chromedp.WaitVisible(chromedp.CSS(".thread-header h1")))
	// palabre.js did not run: dates are as the server wrote them.
	if got := j.text("#p1 time"); !absoluteDate.MatchString(got) {
		t.Fatalf("the first post's date reads %q: JavaScript ran, or the date is not written by the server", got)
	}

	posts := eval[int](j, `document.querySelectorAll(".posts > .post").length`)
	j.do("sending a reply too short",
		chromedp.SendKeys(chromedp.CSS("#f-body"), "!"),
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#e-body")))
	if got := eval[string](j, `document.querySelector("#f-body").value`); got != "!" {
		t.Errorf("the refused reply came back with %q, want what was typed", got)
	}
	if got := j.text("#e-body"); got == "" {
		t.Error("the refused reply has no reason next to its field")
	}
	reply := "Bonne idée, je m’inscris pour le premier mois ! " + forumtest.Unique("Réf. ")
	next := "#p" + strconv.Itoa(posts+1)
	j.typeAtEnd("#f-body", " "+reply)
	j.do("posting the reply",
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(next+" .post-body")))
	if got := j.text(next + " .post-body"); got != "! "+reply {
		t.Errorf("the reply shows %q, want %q", got, "! "+reply)
	}
	if got := j.text(next + " time"); !absoluteDate.MatchString(got) {
		t.Errorf("the reply's date reads %q, want the server's date (JavaScript is off)", got)
	}
	// The refused reply was answered 422 or 400, as it must be, which
	// Chromium logs as a failed load; anything else is an error.
	if _, err := chromedp.Run(j.ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatal(err)
	}
	refused := regexp.MustCompile(`status of (400|422) .*/t/\d+/reply\)$`)
	for _, e := range consoleErrors(j.ctx) {
		if !refused.MatchString(e) {
			t.Errorf("console error: %s", e)
		}
	}
	for _, v := range cspViolations(j.ctx) {
		t.Errorf("CSP violation: %s", v)
	}
	saveScreenshot(t, j.ctx, filepath.Join(journeyShots, "nojs-replied.png"))
}

// A member's own reply is not news to them: once they have posted it, the
// thread must not offer to jump to "the first unread post", which is theirs.
func TestBrowserOwnReplyIsNotUnread(t *testing.T) {
	ts := startServer(t)
	name, password := newMember(t, "lucie")
	j := newJourney(t)
	j.logIn(name, password)
	j.do("opening a thread",
		chromedp.Navigate(ts.URL+"/c/entraide"),
		loadBy(chromedp.Click(chromedp.CSS(".thread-list .thread-title"))),
		chromedp.WaitVisible(chromedp.CSS(".thread-header h1")))
	next := "#p" + strconv.Itoa(eval[int](j, `document.querySelectorAll(".posts > .post").length`)+1)
	j.do("replying",
		chromedp.SendKeys(chromedp.CSS("#f-body"), "Merci, c’est très clair. "+forumtest.Unique("Réf. ")),
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(next+" .post-body")))
	if got := j.text(".thread-header a.unread"); got != "" {
		t.Errorf("after posting %s the thread offers %q, which leads to the member's own reply", next, got)
	}
}
