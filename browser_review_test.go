package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
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

// watchQueueEvents runs in every new document before its scripts: it notes
// the header when review.js hears the first "queue" event of /mod/events,
// just before its handler runs and just after, and resolves
// window.firstQueueEvent with both and the event's count.
const watchQueueEvents = `(() => {
  let heard;
  window.firstQueueEvent = new Promise(resolve => { heard = resolve; });
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, handler, options) {
    if (type !== "queue") {
      return add.call(this, type, handler, options);
    }
    return add.call(this, type, function (e) {
      const badge = document.querySelector("[data-review-badge]");
      const seen = () => ({
        shown: badge.checkVisibility({visibilityProperty: true}),
        text: badge.textContent.replace(/\s+/g, " ").trim(),
        header: document.querySelector(".site-header").getBoundingClientRect().height,
        main: document.querySelector("main").getBoundingClientRect().top,
      });
      const before = seen();
      handler.call(this, e);
      heard({count: JSON.parse(e.data).count, before: before, after: seen()});
    }, options);
  };
})()`

// headerState is the review badge and the header's room, as the page
// draws them.
type headerState struct {
	Shown  bool    `json:"shown"`
	Text   string  `json:"text"`
	Header float64 `json:"header"`
	Main   float64 `json:"main"`
}

// The staff's review badge is in the page as it is first drawn, with the
// number the event stream then sends: nothing moves when review.js hears
// it, so that a click aimed at a card of /admin lands on it (when the
// badge appeared only then, the header grew by a line under
// TestBrowserAdminWebhooks's click, which missed). Shown or hidden, the
// badge keeps the header's height, at both widths: an item that arrives
// later moves nothing either.
func TestBrowserReviewBadgeIsThereBeforeTheStream(t *testing.T) {
	ts := startServer(t)
	// An item waits: a newcomer's thread held for its shortened link (held,
	// it changes no page the other tests read).
	newcomer, _ := newMemberAt(t, "badge", 0)
	apiSend(t, ts.URL, newAPIClient(t, ts.URL, newcomer).token, "POST", "/api/v1/threads",
		fmt.Sprintf(`{"category_id": %d, "title": %q, "body": "Bonjour, voici mon jardin : https://bit.ly/jardin-en-fleurs"}`,
			categoryID(t, ts.URL, "entraide"), forumtest.Unique("Mon jardin n° ")), http.StatusAccepted, nil)

	j := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	j.logIn("camille", ts.Accounts["camille"])
	j.do("watching the event stream", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchQueueEvents})
		return err
	}))
	for _, width := range []struct {
		name    string
		emulate chromedp.Action[chromedp.Void]
	}{{"desktop", emulateDesktop()}, {"phone", emulatePhone()}} {
		j.do("opening /admin on a "+width.name, width.emulate,
			chromedp.Navigate(ts.URL+"/admin"),
			chromedp.WaitVisible(chromedp.CSS(`.admin-sections a[href="/admin/webhooks"]`)))
		first, err := chromedp.Run(j.ctx, chromedp.Evaluate[struct {
			Count  int         `json:"count"`
			Before headerState `json:"before"`
			After  headerState `json:"after"`
		}](`window.firstQueueEvent`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("waiting for the first event on a %s: %v", width.name, err)
		}
		if first.Count < 1 {
			t.Fatalf("the stream counts %d items with one waiting", first.Count)
		}
		want := fmt.Sprintf("%d éléments en attente de décision", first.Count)
		if first.Count == 1 {
			want = "1 élément en attente de décision"
		}
		if !first.Before.Shown || first.Before.Text != want {
			t.Errorf("on a %s, before the stream's first event the badge is %+v, want shown, reading %q", width.name, first.Before, want)
		}
		if first.After != first.Before {
			t.Errorf("on a %s, the stream's first event changed the header: %+v, then %+v", width.name, first.Before, first.After)
		}
		// Hidden (nothing waits), the badge keeps its room.
		rooms := eval[[]float64](j, `(() => {
			const badge = document.querySelector("[data-review-badge]");
			const room = () => [document.querySelector(".site-header").getBoundingClientRect().height,
				document.querySelector("main").getBoundingClientRect().top,
				document.querySelector('.site-header a[href="/admin"]').getBoundingClientRect().left];
			const shown = room();
			badge.hidden = true;
			const hidden = room();
			badge.hidden = false;
			return shown.concat(hidden);
		})()`)
		if rooms[0] != rooms[3] || rooms[1] != rooms[4] || rooms[2] != rooms[5] {
			t.Errorf("on a %s, hiding the badge moves the header (height, main's top, the next link's left): %v, then %v", width.name, rooms[:3], rooms[3:])
		}
	}
	j.do("back to a desktop", emulateDesktop())
	assertCleanConsole(t, j.ctx)
}
