package main

// Browser tests of the interface's enhancements (issue 8): Markdown preview,
// quote on select, the new replies notice, dates in the reader's language.
// The harness is in browser_harness_test.go, the journey helpers in
// browser_forum_test.go.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// apiClient calls the JSON API as one member, with a token from the
// command line.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func newAPIClient(t *testing.T, base, username string) *apiClient {
	t.Helper()
	code, token, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)}, "admin", "token", "--username", username)
	if code != 0 {
		t.Fatalf("token for %s: %s", username, errOut)
	}
	return &apiClient{t: t, base: base, token: strings.TrimSpace(token)}
}

// post sends a JSON body and decodes the answer into out; it fails the test
// unless the status is 201.
func (a *apiClient) post(path string, body, out any) {
	a.t.Helper()
	payload, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", a.base+path, strings.NewReader(string(payload)))
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var e any
		_ = json.NewDecoder(resp.Body).Decode(&e) // shown as <nil> when it is not JSON
		a.t.Fatalf("POST %s: %d %v", path, resp.StatusCode, e)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		a.t.Fatal(err)
	}
}

type apiCreated struct {
	Thread struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	} `json:"thread"`
	Post struct {
		ID     int64 `json:"id"`
		Number int   `json:"number"`
	} `json:"post"`
}

// startThread posts a thread in «Discussions libres» and returns it.
func (a *apiClient) startThread(title, body string) apiCreated {
	a.t.Helper()
	var cats struct {
		Categories []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"categories"`
	}
	resp, err := http.Get(a.base + "/api/v1/categories")
	if err != nil {
		a.t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&cats); err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	var catID int64
	for _, c := range cats.Categories {
		if c.Slug == "discussions-libres" {
			catID = c.ID
		}
	}
	var out apiCreated
	a.post("/api/v1/threads", map[string]any{"category_id": catID, "title": title, "body": body}, &out)
	return out
}

func (a *apiClient) reply(threadID int64, body string) apiCreated {
	a.t.Helper()
	var out apiCreated
	a.post(fmt.Sprintf("/api/v1/threads/%d/posts", threadID), map[string]any{"body": body}, &out)
	return out
}

// The preview shows the Markdown rendered by the server beside the text
// as it is typed (on a phone, below it when asked for), and never runs what
// a member typed as HTML.
func TestBrowserPreview(t *testing.T) {
	ts := startServer(t)
	name, password := newMember(t, "apercu")
	j := newJourney(t)
	j.logIn(name, password)

	j.do("opening the new thread form",
		chromedp.Navigate(ts.URL+"/c/discussions-libres/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-body")),
		chromedp.WaitVisible(chromedp.CSS(".preview")))
	if got := j.text("form .preview-button"); got != "Masquer l’aperçu" {
		t.Fatalf("the form's preview button reads %q, want «Masquer l’aperçu»", got)
	}
	if got := j.text(".preview-body .empty"); !strings.HasPrefix(got, "Rien à prévisualiser") {
		t.Errorf("the preview of an empty text says %q", got)
	}
	if beside := eval[bool](j, `document.querySelector(".preview").getBoundingClientRect().left >= document.querySelector("#f-body").getBoundingClientRect().right`); !beside {
		t.Error("at 1280 px the preview is not beside the text")
	}
	body := "Du **gras** et de l’*italique*.\n\n<script>window.pwned = 1</script>\n\n" +
		"<img src=x onerror=\"window.pwned = 2\">\n\n[piège](javascript:window.pwned=3)"
	j.do("typing",
		chromedp.SendKeys(chromedp.CSS("#f-body"), body),
		chromedp.WaitVisible(chromedp.CSS(".preview-body em")))
	if got := j.text(".preview-body strong") + "|" + j.text(".preview-body em"); got != "gras|italique" {
		t.Errorf("the preview shows %q, want the Markdown rendered (gras|italique)", got)
	}
	inert := eval[[]any](j, `[window.pwned ?? null, document.querySelectorAll(".preview-body script, .preview-body img, .preview-body [onerror]").length,
		[...document.querySelectorAll(".preview-body a")].filter(a => a.href.startsWith("javascript:")).length]`)
	if fmt.Sprint(inert) != "[<nil> 0 0]" {
		t.Errorf("the preview let typed HTML through: [window.pwned, scripts/images, javascript: links] = %v", inert)
	}
	if got := eval[string](j, `document.querySelector("#f-body").value`); got != body {
		t.Errorf("previewing changed the text to %q", got)
	}
	assertCleanConsole(t, j.ctx)
	auditAccessibility(t, j.ctx, "the new thread form with its preview")

	// The preview follows what is typed.
	j.typeAtEnd("#f-body", "\n\n- une liste")
	j.do("waiting for the preview to follow", chromedp.WaitVisible(chromedp.CSS(".preview-body ul > li")))
	if got := j.text(".preview-body li"); got != "une liste" {
		t.Errorf("the preview's list reads %q", got)
	}

	// It can be put away, and brought back.
	j.do("hiding the preview", chromedp.Click(chromedp.CSS("form .preview-button")))
	if got := eval[[]any](j, `[document.querySelector(".preview").hidden, document.querySelector("form .preview-button").getAttribute("aria-expanded"), document.querySelector("form .preview-button").innerText]`); fmt.Sprint(got) != "[true false Afficher l’aperçu]" {
		t.Errorf("after hiding: [hidden, aria-expanded, label] = %v", got)
	}

	// On a phone it waits below the text until asked for.
	j.do("opening the form on a phone",
		emulatePhone(),
		chromedp.Navigate(ts.URL+"/c/discussions-libres/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-body")))
	if got := eval[bool](j, `document.querySelector(".preview").hidden`); !got {
		t.Error("on a phone the preview shows before it is asked for")
	}
	j.do("asking for it",
		chromedp.Click(chromedp.CSS("form .preview-button")),
		chromedp.WaitVisible(chromedp.CSS(".preview")))
	if below := eval[bool](j, `document.querySelector(".preview").getBoundingClientRect().top >= document.querySelector("#f-body").getBoundingClientRect().bottom`); !below {
		t.Error("on a phone the preview is not below the text")
	}
	j.checkPage("the new thread form on a phone, with its preview", "compose-phone")
	j.do("back to a desktop", emulateDesktop())

	// The reply form of a thread has it too.
	j.do("opening a thread",
		chromedp.Navigate(ts.URL+"/c/entraide"),
		loadBy(chromedp.Click(chromedp.CSS(".thread-list .thread-title"))),
		chromedp.WaitVisible(chromedp.CSS("#reply .preview-button")))
	assertCleanConsole(t, j.ctx)
}

// pressKey presses and releases a key as a keyboard does: the page's
// keydown handlers may prevent what the key would type (chromedp.KeyEvent
// sends the typed character as an event of its own, which they cannot).
func pressKey(key string, keyCode int64, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: key,
			WindowsVirtualKeyCode: keyCode, NativeVirtualKeyCode: keyCode, Text: text, UnmodifiedText: text}
		if text == "" {
			down.Type = input.DispatchKeyEventTypeRawKeyDown
		}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := down
		up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}

// The composer's toolbar writes Markdown around the selection, "@" offers
// the thread's writers first, and a draft typed on one device is there on
// another, until the reply is sent.
func TestBrowserComposer(t *testing.T) {
	ts := startServer(t)
	camille := newAPIClient(t, ts.URL, "camille")
	th := camille.startThread(forumtest.Unique("Un brouillon voyage n° "), "Qui veut essayer le nouveau compositeur ?")
	name, password := newMember(t, "compositeur")
	j := newJourney(t)
	j.logIn(name, password)
	page := fmt.Sprintf("%s/t/%d/%s", ts.URL, th.Thread.ID, th.Thread.Slug)
	j.do("opening the thread", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#reply .composer-toolbar")))
	if got := eval[[]string](j, `[...document.querySelectorAll("#reply .composer-tool")].map(b => b.getAttribute("aria-label"))`); strings.Join(got, ",") != "Gras,Italique,Lien,Citation,Code,Liste à puces,Image" {
		t.Errorf("the toolbar's buttons: %q", got)
	}

	// Bold around a selection; with nothing selected, a sample to type over.
	j.typeAtEnd("#f-body", "Un mot important")
	j.do("selecting «important» and making it bold",
		chromedp.Evaluate[chromedp.Void](`{const e = document.querySelector("#f-body"); e.setSelectionRange(7, 16)}`),
		chromedp.Click(chromedp.CSS(`#reply .composer-tool[aria-label="Gras"]`)))
	if got := eval[string](j, `document.querySelector("#f-body").value`); got != "Un mot **important**" {
		t.Errorf("after Bold: %q", got)
	}
	j.do("a list at the end",
		chromedp.Evaluate[chromedp.Void](`{const e = document.querySelector("#f-body"); e.setSelectionRange(e.value.length, e.value.length)}`),
		chromedp.Click(chromedp.CSS(`#reply .composer-tool[aria-label="Liste à puces"]`)))
	if got := eval[[]any](j, `{const e = document.querySelector("#f-body"); [e.value, e.value.slice(e.selectionStart, e.selectionEnd)]}`); fmt.Sprint(got) != "[Un mot **important**\n\n- élément de liste élément de liste]" {
		t.Errorf("after List: [text, selection] = %v", got)
	}
	// Arrow keys move in the toolbar, one tab stop.
	j.do("moving in the toolbar",
		chromedp.Focus(chromedp.CSS(`#reply .composer-tool[aria-label="Gras"]`)),
		pressKey("ArrowRight", 39, ""))
	if got := eval[string](j, `document.activeElement.getAttribute("aria-label") + " " + [...document.querySelectorAll("#reply .composer-tool")].filter(b => b.tabIndex === 0).length`); got != "Italique 1" {
		t.Errorf("after ArrowRight the focus is on %q", got)
	}

	// @ offers camille, who wrote in the thread, first; Enter chooses.
	j.do("clearing the text", chromedp.Evaluate[chromedp.Void](`{const e = document.querySelector("#f-body"); e.value = ""}`))
	j.typeAtEnd("#f-body", "Merci @cam")
	j.do("waiting for the members", chromedp.WaitVisible(chromedp.CSS("#reply .mention-option")))
	if got := j.text("#reply .mention-option[aria-selected=true] .mention-username"); got != "@camille" {
		t.Errorf("the first member offered is %q, want @camille", got)
	}
	if got := j.text("#reply .mention-option .mention-in-thread"); got != "dans cette discussion" {
		t.Errorf("camille is marked %q", got)
	}
	auditAccessibility(t, j.ctx, "the composer with its toolbar, preview and mention list")
	j.do("choosing", pressKey("Enter", 13, "\r"))
	if got := eval[string](j, `document.querySelector("#f-body").value`); got != "Merci @camille " {
		t.Errorf("after choosing: %q", got)
	}
	if got := eval[bool](j, `document.querySelector("#reply .mention-list").hidden`); !got {
		t.Error("the list stays open after choosing")
	}

	// The draft is kept as typed, and is there in another browser.
	j.typeAtEnd("#f-body", "pour ce sujet, je reviens vite.")
	j.do("waiting for the draft to be saved", chromedp.WaitVisible(chromedp.CSS("#reply .composer-discard")))
	other := newJourney(t)
	other.logIn(name, password)
	other.do("opening the thread on another device", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#reply .composer-discard")))
	if got := eval[string](other, `document.querySelector("#f-body").value`); got != "Merci @camille pour ce sujet, je reviens vite." {
		t.Errorf("the other device has %q", got)
	}
	if got := other.text("#reply .composer-status"); !strings.HasPrefix(got, "Votre brouillon a été rétabli.") {
		t.Errorf("the other device says %q", got)
	}
	other.checkPage("a thread with a draft brought back", "compose-draft")

	// Sent, the reply uses the draft up: the first device finds an empty form.
	other.do("sending",
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#p2")))
	j.do("reopening the thread", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#p2")))
	if got := eval[string](j, `document.querySelector("#f-body").value`); got != "" {
		t.Errorf("after sending, the form holds %q", got)
	}
	assertCleanConsole(t, j.ctx)
}

// Selecting words in a post shows a Quote button that puts them, quoted
// with their author and post, in the reply.
func TestBrowserQuoteOnSelect(t *testing.T) {
	ts := startServer(t)
	camille := newAPIClient(t, ts.URL, "camille")
	th := camille.startThread(forumtest.Unique("Citer une phrase n° "),
		"Première phrase à ne pas citer.\n\nLe compost se retourne toutes les trois semaines.")
	name, password := newMember(t, "citation")
	j := newJourney(t)
	j.logIn(name, password)
	j.do("opening the thread", chromedp.Navigate(fmt.Sprintf("%s/t/%d/%s", ts.URL, th.Thread.ID, th.Thread.Slug)),
		chromedp.WaitVisible(chromedp.CSS("#p1 .post-body")))
	if eval[bool](j, `!document.querySelector(".quote-selection") || document.querySelector(".quote-selection").hidden`) == false {
		t.Error("the Quote button shows before anything is selected")
	}
	j.do("selecting a sentence of the post",
		chromedp.Evaluate[chromedp.Void](`{const p = document.querySelectorAll("#p1 .post-body p")[1];
			const r = document.createRange(); r.selectNodeContents(p);
			const s = getSelection(); s.removeAllRanges(); s.addRange(r);}`),
		chromedp.WaitVisible(chromedp.CSS("#p1 .quote-selection")))
	if got := j.text("#p1 .quote-selection"); got != "Citer" {
		t.Errorf("the button reads %q, want «Citer»", got)
	}
	auditAccessibility(t, j.ctx, "a thread with a selection to quote")
	j.do("quoting it", chromedp.Click(chromedp.CSS("#p1 .quote-selection")))
	want := fmt.Sprintf("[quote=camille post=%d]\nLe compost se retourne toutes les trois semaines.\n[/quote]\n", th.Post.ID)
	if got := eval[string](j, `document.querySelector("#f-body").value`); got != want {
		t.Errorf("the reply holds %q, want %q", got, want)
	}
	if got := eval[string](j, `document.activeElement.id`); got != "f-body" {
		t.Errorf("focus is on %q after quoting, want the reply (f-body)", got)
	}
	if !eval[bool](j, `document.querySelector(".quote-selection").hidden`) {
		t.Error("the Quote button stays after quoting")
	}
	j.typeAtEnd("#f-body", "Et il faut l’arroser un peu en été.")
	j.do("posting the reply",
		loadBy(chromedp.Click(chromedp.CSS(`#reply button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#p2 blockquote.quote")))
	if got := j.text("#p2 blockquote.quote"); !strings.Contains(got, "Le compost se retourne") {
		t.Errorf("the posted quote reads %q", got)
	}
	assertCleanConsole(t, j.ctx)
}

// A reader of a thread's last page is told of replies posted since, with a
// link to them, without reloading.
func TestBrowserNewRepliesNotice(t *testing.T) {
	ts := startServer(t)
	camille := newAPIClient(t, ts.URL, "camille")
	th := camille.startThread(forumtest.Unique("Nouvelles réponses n° "), "Qui vient samedi au jardin ?")
	name, password := newMember(t, "veilleur")
	j := newJourney(t)
	j.logIn(name, password)
	j.do("opening the thread", chromedp.Navigate(fmt.Sprintf("%s/t/%d/%s", ts.URL, th.Thread.ID, th.Thread.Slug)),
		chromedp.WaitVisible(chromedp.CSS("#p1 .post-body")))
	check := func() {
		t.Helper()
		if _, err := chromedp.Run(j.ctx, chromedp.Evaluate[chromedp.Void](`window.Palabre.checkNewReplies()`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("checking for new replies: %v", err)
		}
	}
	check()
	if got := visibleTexts(t, j.ctx, ".new-replies"); len(got) != 0 {
		t.Errorf("a notice shows with no new reply: %q", got)
	}

	first := camille.reply(th.Thread.ID, "Moi, dès 10 heures.")
	// The notice asks anonymously, from the shared page cache: it shows the
	// reply once the server has heard of it, a moment after the reply.
	ts.settle(t)
	check()
	if got := j.text(".new-replies"); got != "1 nouvelle réponse — afficher" {
		t.Errorf("after one reply the notice reads %q", got)
	}
	camille.reply(th.Thread.ID, "Et j’apporte des graines.")
	ts.settle(t)
	// The tab comes back into view: it asks at once (checkNewReplies then
	// waits for that request rather than sending another).
	j.do("making the tab visible again", chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("visibilitychange"))`))
	check()
	if got := j.text(".new-replies"); got != "2 nouvelles réponses — afficher" {
		t.Errorf("after two replies the notice reads %q", got)
	}
	if got := eval[string](j, `document.querySelector(".new-replies").getAttribute("role")`); got != "status" {
		t.Errorf("the notice has role %q, want status (read out by screen readers)", got)
	}
	assertCleanConsole(t, j.ctx)
	auditAccessibility(t, j.ctx, "a thread with the new replies notice")

	// The notice leads to the first new reply, on its page.
	j.do("following the notice",
		loadBy(chromedp.Click(chromedp.CSS(".new-replies a"))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#p%d .post-body", first.Post.Number))))
	if loc := j.location(); !strings.HasSuffix(loc, fmt.Sprintf("#p%d", first.Post.Number)) {
		t.Errorf("the notice led to %s, want the first new reply", loc)
	}
	if got := j.text("#p3 .post-body"); got != "Et j’apporte des graines." {
		t.Errorf("the second new reply reads %q", got)
	}
}

// backdate moves a post's date into the past, as if written then.
func backdate(t *testing.T, postID int64, ago time.Duration) {
	t.Helper()
	db, err := sql.Open("postgres", forumtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE posts SET created_at = now() - make_interval(secs => $2) WHERE id = $1`, postID, ago.Seconds()); err != nil {
		t.Fatal(err)
	}
}

// Dates read as the server wrote them, in the reader's language, and
// palabre.js keeps the server's words when it refreshes them.
func TestBrowserDatesInBothLanguages(t *testing.T) {
	ts := startServer(t)
	camille := newAPIClient(t, ts.URL, "camille")
	th := camille.startThread(forumtest.Unique("Des dates n° "), "Un message d’il y a trois heures.")
	second := camille.reply(th.Thread.ID, "Un message d’hier.")
	third := camille.reply(th.Thread.ID, "Un message d’il y a longtemps.")
	backdate(t, th.Post.ID, 3*time.Hour+5*time.Minute)
	backdate(t, second.Post.ID, 30*time.Hour)
	backdate(t, third.Post.ID, 40*24*time.Hour)
	old := time.Now().Add(-40 * 24 * time.Hour).UTC()
	url := fmt.Sprintf("%s/t/%d/%s", ts.URL, th.Thread.ID, th.Thread.Slug)

	ctx := newBrowser(t)
	j := &journey{t: t, ctx: ctx, base: ts.URL}
	type dated struct{ Text, Title string }
	dates := func() []dated {
		t.Helper()
		return eval[[]dated](j, `["#p1", "#p2", "#p3"].map(p => document.querySelector(p + " .post-header time"))
			.map(e => ({Text: e.textContent, Title: e.title}))`)
	}
	// What the server wrote, before palabre.js: the page's own HTML.
	served := func() []string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`fetch(location.href).then(r => r.text()).then(h => {
			const d = new DOMParser().parseFromString(h, "text/html");
			return [...d.querySelectorAll(".post-header time")].map(e => e.textContent)})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	months := map[string][]string{
		"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	}
	for _, lang := range []struct {
		code, hours, yesterday string
		full                   *regexp.Regexp
	}{
		{"fr", "il y a 3 heures", "hier", regexp.MustCompile(`^\d{1,2} \p{L}+ \d{4} à \d{2}:\d{2} UTC$`)},
		{"en", "3 hours ago", "yesterday", regexp.MustCompile(`^\d{1,2} \p{L}+ \d{4} at \d{2}:\d{2} UTC$`)},
	} {
		if lang.code == "en" {
			j.do("switching to English",
				loadBy(chromedp.Click(chromedp.CSS(`.site-footer a[hreflang="en"]`))),
				chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] .thread-header`)))
		} else {
			j.do("opening the thread", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#p3")))
		}
		longAgo := fmt.Sprintf("%d %s %d", old.Day(), months[lang.code][old.Month()-1], old.Year())
		want := []string{lang.hours, lang.yesterday, longAgo}
		got := dates()
		for i, d := range got {
			if d.Text != want[i] {
				t.Errorf("%s: post %d's date reads %q, want %q", lang.code, i+1, d.Text, want[i])
			}
			if !lang.full.MatchString(d.Title) {
				t.Errorf("%s: post %d's date has the title %q, want the full date and time", lang.code, i+1, d.Title)
			}
		}
		if s := served(); strings.Join(s, "|") != strings.Join(want, "|") {
			t.Errorf("%s: the server wrote %q, palabre.js shows %q: they must say the same", lang.code, s, got)
		}
		// A refresh (palabre.js does one a minute) keeps the same words.
		j.do("refreshing the dates", chromedp.Evaluate[chromedp.Void](`window.Palabre.refreshTimes()`))
		if again := dates(); fmt.Sprint(again) != fmt.Sprint(got) {
			t.Errorf("%s: refreshing changed the dates from %v to %v", lang.code, got, again)
		}
		assertCleanConsole(t, ctx)
		auditAccessibility(t, ctx, "a thread in "+lang.code)
	}
}

// Ctrl+Enter in the reply's text sends it, as its button does.
func TestBrowserCtrlEnterSendsAReply(t *testing.T) {
	ts := startServer(t)
	author, _ := newMember(t, "ctrlentree")
	created := newAPIClient(t, ts.URL, author).startThread("Envoyer au clavier", "Un sujet où l’on répond sans souris.")
	name, password := newMember(t, "clavier")
	j := newJourney(t)
	j.logIn(name, password)
	j.do("opening the thread",
		chromedp.Navigate(fmt.Sprintf("%s/t/%d/%s", ts.URL, created.Thread.ID, created.Thread.Slug)),
		chromedp.WaitVisible(chromedp.CSS("#f-body")))
	j.typeAtEnd("#f-body", "Réponse envoyée avec Ctrl+Entrée.")
	j.do("pressing Ctrl+Enter",
		loadBy(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl))),
		chromedp.WaitVisible(chromedp.CSS("#p2")))
	if got := j.text("#p2 .post-body"); got != "Réponse envoyée avec Ctrl+Entrée." {
		t.Errorf("the second post reads %q", got)
	}
	assertCleanConsole(t, j.ctx)
}
