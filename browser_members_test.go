package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// A newcomer's first visit: sign up (accepting the guidelines), log in,
// fill in the profile (a refused form comes back filled), see the public
// profile, log out.
func TestBrowserSignUpEditProfileLogOut(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	name := forumtest.Unique("jeanne")
	password := "un jardin sous la pluie"

	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/signup"),
		chromedp.WaitVisible(chromedp.CSS("#f-username")),
		chromedp.SendKeys(chromedp.CSS("#f-username"), name),
		chromedp.SendKeys(chromedp.CSS("#f-email"), name+"@example.org"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	); err != nil {
		t.Fatalf("filling the sign-up form: %v", err)
	}
	hasGuidelines, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('input[name="accept_guidelines_version"]')`))
	if err != nil {
		t.Fatal(err)
	}
	if hasGuidelines {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name="accept_guidelines_version"]`))); err != nil {
			t.Fatalf("accepting the guidelines: %v", err)
		}
	}
	if err := chromedp.Do(ctx,
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".auth-page .notice.ok")),
	); err != nil {
		t.Fatalf("signing up: %v", err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-login")),
		chromedp.SendKeys(chromedp.CSS("#f-login"), name),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(`.site-header a[href="/u/`+name+`"]`)),
	); err != nil {
		t.Fatalf("logging in: %v", err)
	}

	// A display name that is too long: the form comes back with the error
	// beside the field and the bio still typed.
	bio := "J’aime **les forums** et les jardins."
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#f-display_name")),
		chromedp.SendKeys(chromedp.CSS("#f-display_name"), strings.Repeat("J", 60)),
		chromedp.SendKeys(chromedp.CSS("#f-bio"), bio),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/account"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#e-display_name")),
	); err != nil {
		t.Fatalf("refused profile: %v", err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#f-bio").value`))
	if err != nil || kept != bio {
		t.Errorf("the bio typed was lost: %q (%v)", kept, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#f-display_name"), "Jeanne des Jardins"),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/account"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".account-page .notice.ok")),
	); err != nil {
		t.Fatalf("saving the profile: %v", err)
	}
	saveScreenshot(t, ctx, "/tmp/palabre-account.png")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/u/"+name),
		chromedp.WaitVisible(chromedp.CSS("#profile-name")),
	); err != nil {
		t.Fatalf("opening the profile: %v", err)
	}
	h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#profile-name")))
	strong, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".profile-bio strong")))
	if h1 != "Jeanne des Jardins" || strong != "les forums" {
		t.Errorf("profile shows %q with bio emphasis %q", h1, strong)
	}
	saveScreenshot(t, ctx, "/tmp/palabre-profile.png")
	// The refused profile was answered with an error status, as it must be,
	// which Chromium logs as a failed load; anything else is an error.
	refused := regexp.MustCompile(`status of (400|413|422) .*/account\)$`)
	for _, e := range consoleErrors(ctx) {
		if !refused.MatchString(e) {
			t.Errorf("console error: %s", e)
		}
	}
	for _, v := range cspViolations(ctx) {
		t.Errorf("CSP violation: %s", v)
	}

	if err := chromedp.Do(ctx,
		loadBy(chromedp.Click(chromedp.CSS(`form.logout button`))),
		chromedp.WaitVisible(chromedp.CSS(`.site-header a[href="/login"]`)),
	); err != nil {
		t.Fatalf("logging out: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#f-login"))); err != nil {
		t.Errorf("the account page is still open after logging out: %v", err)
	}
}
