package main

// Browser tests: real journeys through the real server (startServer) in a
// headless Chromium driven by chromedp (v0.23, the generic API: Run returns
// values, Do runs steps, WithListener sees every event of a tab).
//
// The harness:
//
//	ctx := newBrowser(t)                 // a tab in a fresh headless Chromium, 60 s budget
//	chromedp.Do(ctx, chromedp.Navigate(url), …)
//	chromedp.Do(ctx, loadBy(chromedp.Click(link)), …) // a click that loads a page: wait for it
//	chromedp.Do(ctx, emulatePhone())     // 390×844 mobile viewport, device scale 3 (emulateDesktop: back to 1280×900)
//	assertCleanConsole(t, ctx)           // no console error, exception or CSP violation so far
//	saveScreenshot(t, ctx, path)         // full-page PNG
//
// A failed test leaves a full-page screenshot in $PALABRE_SCREENSHOT_DIR
// (default testdata/screenshots/), named after the test.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds each test's use of its tab: a guard against a
// hang, not a speed check. On a 2-core machine shared by several builds
// (load average 30), starting the browser took 10-20 s and a journey
// through eight admin pages with axe-core outran 60 s, on main as well.
const browserTimeout = 3 * time.Minute

// chromiumPath finds the browser: $PALABRE_CHROMIUM, else chromium on PATH.
// A missing browser fails the test: browser tests are part of the suite and
// must never be skipped silently.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PALABRE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PALABRE_CHROMIUM=%s: %v (unset it to use chromium from PATH, which `make test` installs)", p, err)
		}
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Chromium is needed by the browser tests and was not found: run the tests with `make test`, " +
			"which installs Debian's chromium when missing, or set PALABRE_CHROMIUM to a Chromium binary")
	}
	return p
}

// pageLog collects what a tab reported that a clean page must not: console
// errors (console.error, uncaught exceptions, error-level browser log entries
// such as failed loads) and Content-Security-Policy violations.
type pageLog struct {
	mu     sync.Mutex
	errors []string
	csp    []string
}

type pageLogKey struct{}

// record runs in the tab's event loop (chromedp.WithListener): it must be
// quick and send no command. Because that loop calls it in the order the
// browser sent the events, before it reads the next message, every event sent
// before the reply to a command is recorded once that command has returned —
// so assertions need neither sleeps nor polling.
func (l *pageLog) record(ev any) {
	var msg string
	isError, isCSP := false, false
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		isError = true
		msg = "console." + string(ev.Type) + ": " + remoteArgs(ev.Args)
		if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
			f := st.CallFrames[0]
			msg += fmt.Sprintf(" (%s:%d)", f.URL, f.LineNumber+1)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		isError = true
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			desc, _, _ := strings.Cut(d.Exception.Description, "\n")
			msg += " " + desc
		}
		msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *log.EventEntryAdded:
		e := ev.Entry
		// Chromium reports CSP violations as browser log entries, at level
		// error ("Refused to … because it violates the following Content
		// Security Policy directive …").
		isCSP = strings.Contains(e.Text, "Content Security Policy")
		isError = e.Level == log.EntryLevelError
		msg = fmt.Sprintf("%s %s: %s", e.Source, e.Level, e.Text)
		if e.URL != "" {
			msg += " (" + e.URL + ")"
		}
	default:
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case isCSP:
		l.csp = append(l.csp, msg)
	case isError:
		l.errors = append(l.errors, msg)
	}
}

// remoteArgs renders console arguments roughly as DevTools shows them.
func remoteArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func pageLogOf(ctx context.Context) *pageLog {
	l, _ := ctx.Value(pageLogKey{}).(*pageLog)
	if l == nil {
		panic("not a context from newBrowser")
	}
	return l
}

// consoleErrors returns the console errors the tab reported so far (CSP
// violations excepted: see cspViolations).
func consoleErrors(ctx context.Context) []string {
	l := pageLogOf(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errors...)
}

// cspViolations returns the Content-Security-Policy violations the tab
// reported so far.
func cspViolations(ctx context.Context) []string {
	l := pageLogOf(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.csp...)
}

// forgetExpectedErrors clears the console errors the tab reported so far,
// after checking that each is expected: it holds one of the substrings (the
// 400 of a form refused on purpose). Later checks then see only new errors.
func forgetExpectedErrors(t *testing.T, ctx context.Context, expected ...string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatalf("reaching the page: %v", err)
	}
	l := pageLogOf(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errors {
		ok := false
		for _, x := range expected {
			ok = ok || strings.Contains(e, x)
		}
		if !ok {
			t.Errorf("console error: %s", e)
		}
	}
	l.errors = nil
}

// assertCleanConsole fails the test if the tab reported any console error or
// CSP violation. It first runs a round trip to the page, so that everything
// the page did until now has been recorded.
func assertCleanConsole(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatalf("reaching the page: %v", err)
	}
	for _, e := range consoleErrors(ctx) {
		t.Errorf("console error: %s", e)
	}
	for _, v := range cspViolations(ctx) {
		t.Errorf("CSP violation: %s", v)
	}
}

// newBrowser starts a headless Chromium for the test and returns the context
// of its tab, which ends after browserTimeout. The browser stops when the test
// ends; if the test failed, a full-page screenshot is saved first.
//
// One browser per test, not one per package: a Chromium starts in a few
// hundred milliseconds here, which is small next to a journey, and it buys
// full isolation (cookies, storage, cache, service workers: later journeys log
// in as different members), a fresh --user-data-dir under t.TempDir that the
// testing package removes, and no browser outliving the test binary (package
// main's TestMain is forumtest.Main, which has no hook to stop a shared one).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	profile := t.TempDir() // removed after the browser has stopped (cleanups run last-in first-out)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.NoSandbox, // Chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		// A French-speaking reader: the server negotiates the language from
		// Accept-Language (headless Chromium sends en-US otherwise).
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	plog := &pageLog{}
	var logMu sync.Mutex
	ended := false // t.Logf after the test has ended panics
	errorf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !ended {
			t.Logf("chromedp: "+format, args...)
		}
	}
	tabCtx, cancelTab := chromedp.NewContext(allocCtx,
		chromedp.WithListener(plog.record),
		chromedp.WithErrorf(errorf),
	)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		logMu.Lock()
		ended = true
		logMu.Unlock()
	})

	// Start the browser on the tab's own context: chromedp binds the
	// browser's life to the context of the first Run, and the per-test
	// deadline below must not kill the tab the failure screenshot needs.
	start := time.Now()
	if err := chromedp.Do(tabCtx, emulateDesktop()); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	t.Logf("browser started in %v", time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(tabCtx, browserTimeout)
	ctx = context.WithValue(ctx, pageLogKey{}, plog)
	t.Cleanup(cancel)
	t.Cleanup(func() {
		if t.Failed() {
			saveFailureScreenshot(t, tabCtx)
		}
	})
	return ctx
}

// saveFailureScreenshot writes a full-page PNG of the tab to
// $PALABRE_SCREENSHOT_DIR (default testdata/screenshots) and logs its path.
func saveFailureScreenshot(t *testing.T, tabCtx context.Context) {
	dir := os.Getenv("PALABRE_SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_") + ".png"
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		path = filepath.Join(dir, name)
	}
	ctx, cancel := context.WithTimeout(tabCtx, 10*time.Second)
	defer cancel()
	if err := writeScreenshot(ctx, path); err != nil {
		t.Logf("failure screenshot not saved: %v", err)
		return
	}
	t.Logf("failure screenshot: %s", path)
}

// saveScreenshot writes a full-page PNG of the tab to path.
func saveScreenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	if err := writeScreenshot(ctx, path); err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	t.Logf("screenshot: %s", path)
}

func writeScreenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// loadBy runs steps that make the tab load another document (a click on a
// link or on a form's button, a key that submits, a script's click) and
// returns once that document has loaded: its load event has fired. A step
// that queries the page after such a click must come after loadBy, or it
// races the navigation: it finds an element of the page being left (the
// home page's thread list, a preview's picture in the form just sent), or
// the page goes away under it ("Could not find node with given id",
// "Cannot find context with specified id").
//
// chromedp.RunResponse listens to the tab before the steps run, so no load
// is missed however fast it comes, and counts only the load event of a
// document the steps started (after its "init" lifecycle event): not one of
// the page left. A same-document navigation (to an anchor of the page)
// counts too. It waits for as long as the tab's context allows: no timing
// is assumed.
func loadBy(steps ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.RunResponse(ctx, steps...)
		return err
	})
}

// emulateDesktop gives the tab a 1280×900 CSS-pixel viewport at scale 1,
// the default of newBrowser (headless Chromium's window of that size has a
// smaller viewport, 1280×757, so the viewport is set rather than inferred).
// Use it to come back from emulatePhone.
func emulateDesktop() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(1280, 900)
}

// emulatePhone makes the tab a phone in portrait: a 390×844 CSS-pixel
// viewport (iPhone 12–15 class), mobile (the viewport meta tag applies),
// touch, device scale 3. Run it before navigating; emulateDesktop undoes it.
func emulatePhone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844,
		chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3), chromedp.EmulatePortrait)
}

// visibleTexts returns the innerText of the elements matching the CSS
// selector that are rendered and visible (checkVisibility: not display:none,
// not visibility:hidden, not opacity 0) with a non-empty box.
func visibleTexts(t *testing.T, ctx context.Context, selector string) []string {
	t.Helper()
	sel, _ := json.Marshal(selector)
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(`+string(sel)+`)]
		.filter(e => e.checkVisibility({opacityProperty: true, visibilityProperty: true}) &&
			e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0)
		.map(e => e.innerText.trim())`))
	if err != nil {
		t.Fatalf("reading %s: %v", selector, err)
	}
	return texts
}

// auditAccessibility runs axe-core (from the npm registry; `make test`
// installs it and sets PALABRE_AXE_JS) on the page of ctx and fails the
// test on every serious or critical violation. DevTools evaluation is not
// subject to the page's CSP, so the page itself still allows no inline
// script.
func auditAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, v := range accessibilityViolations(t, ctx, page) {
		t.Errorf("accessibility on %s: %s", page, v)
	}
}

// accessibilityViolations returns every axe-core finding, whatever its impact.
func accessibilityViolations(t *testing.T, ctx context.Context, page string) []string {
	t.Helper()
	path := os.Getenv("PALABRE_AXE_JS")
	if path == "" {
		t.Fatal("PALABRE_AXE_JS is not set: run the browser tests with `make test`, which installs axe-core")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src)+";undefined")); err != nil {
		t.Fatalf("loading axe-core into %s: %v", page, err)
	}
	type violation struct {
		ID, Impact, Help string
		Nodes            []string
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`
		axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
			.filter(v => v.impact !== null)
			.map(v => ({ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.slice(0, 3).map(n => n.html)})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core on %s: %v", page, err)
	}
	var out []string
	for _, v := range found {
		out = append(out, fmt.Sprintf("(%s) %s [%s] %q", v.Impact, v.Help, v.ID, v.Nodes))
	}
	return out
}
