package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// postThreadAs starts a thread through the API with a token the command
// line gives the member, and returns the id of its first post.
func postThreadAs(t *testing.T, base, username, title, body string) int64 {
	t.Helper()
	code, token, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)}, "admin", "token", "--username", username)
	if code != 0 {
		t.Fatalf("token for %s: %s", username, errOut)
	}
	var cats struct {
		Categories []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"categories"`
	}
	resp, err := http.Get(base + "/api/v1/categories")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&cats); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var catID int64
	for _, c := range cats.Categories {
		if c.Slug == "discussions-libres" {
			catID = c.ID
		}
	}
	payload, _ := json.Marshal(map[string]any{"category_id": catID, "title": title, "body": body})
	req, _ := http.NewRequest("POST", base+"/api/v1/threads", strings.NewReader(string(payload)))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Post struct {
			ID int64 `json:"id"`
		} `json:"post"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || out.Post.ID == 0 {
		t.Fatalf("starting a thread: %d", resp.StatusCode)
	}
	return out.Post.ID
}

// A member reports a post → it appears live in the moderator's open queue →
// the moderator silences the author for 24 hours → the author is told,
// cannot post, and appeals → the log shows all of it.
func TestBrowserReportSilenceAppealJourney(t *testing.T) {
	ts := startServer(t)
	author, authorPw := newMember(t, "vendeur")
	reporter, reporterPw := newMember(t, "vigilante")
	title := forumtest.Unique("Montres de luxe à prix cassés ")
	postID := postThreadAs(t, ts.URL, author, title, "Achetez nos montres, livraison gratuite, lien en message privé.")

	// The moderator keeps the queue open.
	mod := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	mod.logIn("lea_modo", ts.Accounts["lea_modo"])
	mod.do("opening the queue",
		chromedp.Navigate(ts.URL+"/mod/queue"),
		chromedp.WaitVisible(chromedp.CSS("#review-items")))

	// A member reports the post from the thread.
	member := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	member.logIn(reporter, reporterPw)
	member.do("opening the post",
		chromedp.Navigate(fmt.Sprintf("%s/p/%d", ts.URL, postID)),
		chromedp.WaitVisible(chromedp.CSS("#p1 .report-link")),
		loadBy(chromedp.Click(chromedp.CSS("#p1 .report-link"))),
		chromedp.WaitVisible(chromedp.CSS(".report-form")))
	member.do("reporting it as spam",
		chromedp.Click(chromedp.CSS(`input[name="reason"][value="spam"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-note"), "Publicité pour des montres"),
		loadBy(chromedp.Click(chromedp.CSS(`.report-form button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))

	// It arrives in the moderator's queue without a reload.
	mod.do("seeing the report arrive",
		chromedp.WaitVisible(chromedp.CSS(`#review-items li.arrived[data-item-id]`)))
	if got := mod.text("#review-items li.arrived"); !strings.Contains(got, title) || !strings.Contains(got, "Publicité pour des montres") {
		t.Errorf("the new item reads %q", got)
	}
	if badge := mod.text("[data-review-count]"); badge == "" || badge == "0" {
		t.Errorf("header badge %q", badge)
	}
	// What a screen reader hears agrees with the number: "1 élément", "2 éléments".
	heard := strings.Join(strings.Fields(eval[string](mod, `document.querySelector("[data-review-badge]").textContent`)), " ")
	if n := mod.text("[data-review-count]"); (n == "1") != strings.HasPrefix(heard, n+" élément en attente") || (n != "1" && !strings.HasPrefix(heard, n+" éléments en attente")) {
		t.Errorf("the badge reads %q", heard)
	}
	mod.checkPage("the review queue", "review-queue")

	// The moderator opens it and silences the author for 24 hours.
	mod.do("opening the item",
		loadBy(chromedp.Click(chromedp.CSS(`#review-items li.arrived a.review-link`))),
		chromedp.WaitVisible(chromedp.CSS(".review-decide form")))
	mod.checkPage("a review item", "review-item")
	mod.do("claiming the item",
		loadBy(chromedp.Click(chromedp.CSS(`form[action$="/claim"] button[type="submit"]`))),
		chromedp.WaitReady(chromedp.CSS(`form[action$="/claim"] input[name="release"]`)))
	if got := mod.text(".review-item-header, main"); !strings.Contains(got, "lea_modo") {
		t.Errorf("the item does not say who claimed it: %q", got)
	}
	mod.do("silencing the author",
		chromedp.Click(chromedp.CSS(`input[name="action"][value="silence"]`)),
		chromedp.SetValue(chromedp.CSS("#f-duration"), "24h"),
		chromedp.SendKeys(chromedp.CSS("#f-message"), "Pas de publicité commerciale ici."),
		loadBy(chromedp.Click(chromedp.CSS(`.review-decide button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))

	// The author is told, cannot post, and appeals.
	member.logOut()
	member.logIn(author, authorPw)
	member.do("reading the banner and the notification",
		chromedp.WaitVisible(chromedp.CSS(".silenced-banner")),
		chromedp.Navigate(ts.URL+"/notifications"),
		chromedp.WaitVisible(chromedp.CSS("main")))
	if got := member.text("main"); !strings.Contains(got, "Pas de publicité commerciale ici.") {
		t.Errorf("the notifications do not give the reason: %q", got)
	}
	member.do("trying to reply",
		chromedp.Navigate(fmt.Sprintf("%s/p/%d", ts.URL, postID)),
		chromedp.WaitVisible(chromedp.CSS("#f-body")),
		chromedp.SendKeys(chromedp.CSS("#f-body"), "Je réponds quand même"),
		loadBy(chromedp.Click(chromedp.CSS(`form[action$="/reply"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".reply .notice.error, .reply .field-error")))
	if n := eval[int](member, `document.querySelectorAll(".posts > li").length`); n != 1 {
		t.Errorf("the silenced author's reply was published: %d posts", n)
	}
	member.do("appealing",
		chromedp.Navigate(ts.URL+"/account#sanctions"),
		chromedp.WaitVisible(chromedp.CSS("#f-appeal")),
		chromedp.SendKeys(chromedp.CSS("#f-appeal"), "Je vends vraiment ces montres, ce n’est pas du spam."),
		loadBy(chromedp.Click(chromedp.CSS(`form[action$="/appeal"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".notice.ok")))

	// The appeal is an item of the queue, and the log shows everything.
	mod.do("finding the appeal",
		chromedp.Navigate(ts.URL+"/mod/queue?kind=appeal"),
		chromedp.WaitVisible(chromedp.CSS("#review-items")))
	if got := mod.text("#review-items"); !strings.Contains(got, author) {
		t.Errorf("the appeal of %s is not in the queue: %q", author, got)
	}
	mod.do("reading the log",
		chromedp.Navigate(ts.URL+"/mod/log?actor=lea_modo"),
		chromedp.WaitVisible(chromedp.CSS("table.modlog")))
	actions := eval[[]string](mod, `[...document.querySelectorAll("tr.modlog-line")].map(r => r.dataset.action)`)
	for _, want := range []string{"member.silence", "review.resolve"} {
		if !contains(actions, want) {
			t.Errorf("the log lacks %s: %v", want, actions)
		}
	}
	mod.checkPage("the moderation log", "modlog")
}
