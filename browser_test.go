package main

// Browser journeys through the real server in headless Chromium; the harness
// (newBrowser, assertCleanConsole, auditAccessibility, screenshots, phone
// emulation) is in browser_harness_test.go.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// relativeFrench is what static/js/palabre.js writes into <time> elements with
// Intl.RelativeTimeFormat("fr", {numeric: "auto"}) for a date in the past.
var relativeFrench = regexp.MustCompile(`^(à l’instant|il y a \d+ (seconde|minute|heure|jour|semaine|mois|an)s?|maintenant|hier|avant-hier|la semaine dernière|le mois dernier|l’année dernière)$`)

var demoCategories = []string{"Annonces", "Présentations", "Entraide", "Discussions libres", "Suggestions"}

func TestBrowserHomeShowsDemoCategories(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)

	checkHome := func(screenshot string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(".category-list")),
		); err != nil {
			t.Fatalf("opening the home page: %v", err)
		}

		got := visibleTexts(t, ctx, ".category-list .category-name")
		if strings.Join(got, "|") != strings.Join(demoCategories, "|") {
			t.Errorf("visible categories = %q, want %q", got, demoCategories)
		}

		lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil || lang != "fr" {
			t.Errorf(`<html lang> = %q (%v), want "fr"`, lang, err)
		}
		title, err := chromedp.Run(ctx, chromedp.Title())
		if err != nil || !strings.Contains(title, "Palabre") {
			t.Errorf("title = %q (%v), want it to contain Palabre", title, err)
		}

		// palabre.js is deferred: it has run before the load event that
		// Navigate waited for.
		type timeEl struct{ Text, Title string }
		times, err := chromedp.Run(ctx, chromedp.Evaluate[[]timeEl](
			`[...document.querySelectorAll("time[datetime]")].map(e => ({Text: e.textContent.trim(), Title: e.title}))`))
		if err != nil || len(times) == 0 {
			t.Fatalf("no <time datetime> on the home page (%v)", err)
		}
		if tm := times[0]; !relativeFrench.MatchString(tm.Text) || tm.Title == "" {
			t.Errorf("<time> = %q (title %q), want a relative French phrase such as «il y a 3 minutes», with the absolute date as its title", tm.Text, tm.Title)
		}

		assertCleanConsole(t, ctx)
		auditAccessibility(t, ctx, "the home page")
		saveScreenshot(t, ctx, screenshot)
	}

	checkHome("/tmp/palabre-home.png")

	if err := chromedp.Do(ctx, emulatePhone()); err != nil {
		t.Fatalf("emulating a phone: %v", err)
	}
	checkHome("/tmp/palabre-home-phone.png")

	// The phone layout must fit the screen: no horizontal scrolling.
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if w[0] > w[1] {
		t.Errorf("on a phone the page is %dpx wide for a %dpx viewport: it scrolls sideways", w[0], w[1])
	}
}

// TestBrowserHarnessReportsCSPViolationsAndErrors checks the harness itself:
// an inline script and an inline style, both refused by Palabre's CSP, and a
// console.error must all be reported, or assertCleanConsole proves nothing.
func TestBrowserHarnessReportsCSPViolationsAndErrors(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.Evaluate[chromedp.Void](`
			const s = document.createElement("script");
			s.textContent = "window.inlineRan = true";
			document.body.append(s);
			document.body.setAttribute("style", "color: red");
			console.error("boom", 42);
		`),
	); err != nil {
		t.Fatal(err)
	}
	// One more round trip: the violations are reported as the page handles them.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatal(err)
	}
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.inlineRan === true`))
	if err != nil || ran {
		t.Errorf("the inline script ran (%v): the CSP did not apply", err)
	}
	csp := cspViolations(ctx)
	if len(csp) < 2 || !strings.Contains(strings.Join(csp, "\n"), "script-src") || !strings.Contains(strings.Join(csp, "\n"), "style-src") {
		t.Errorf("CSP violations = %q, want the inline script's and the inline style's", csp)
	}
	errs := consoleErrors(ctx)
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "console.error: boom 42") {
		t.Errorf("console errors = %q, want the console.error", errs)
	}
}

// The accessibility audit itself must be able to fail: an image without a
// text alternative and an unlabelled button are serious violations.
func TestBrowserAccessibilityAuditReportsViolations(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.Evaluate[chromedp.Void](`
			document.querySelector("main").insertAdjacentHTML("beforeend",
				'<img src="/nothing.png" width="10" height="10"><button type="button"></button>');`),
	); err != nil {
		t.Fatal(err)
	}
	found := strings.Join(accessibilityViolations(t, ctx, "a broken page"), "\n")
	for _, rule := range []string{"image-alt", "button-name"} {
		if !strings.Contains(found, "["+rule+"]") {
			t.Errorf("axe-core did not report %s; it reported:\n%s", rule, found)
		}
	}
}
