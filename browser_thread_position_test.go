package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A reader of a long thread follows "jump to the first unread post" and
// lands on it, at the top of the window; as they scroll, a badge tells which
// post is at the top ("30 / 45"). Without JavaScript the pager says which
// posts the page shows ("21–40 / 45"), beside its last-page link, the
// header links the latest post and the thread's feed, and the reply form is
// under the page's last post.
func TestBrowserLongThreadPosition(t *testing.T) {
	ts := startServer(t)
	db := forumtest.DB(t)
	reader := forumtest.MustMember(t, db, forum.RoleMember, 2)
	writer := forumtest.MustMember(t, db, forum.RoleMember, 2)
	th := newAPIClient(t, ts.URL, "jeanne").startThread(forumtest.Unique("Un très long sujet n° "), "Le premier message d’un long sujet.")
	ctx := forumtest.As(writer)
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		for i := 2; i <= 45; i++ {
			if _, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.Thread.ID, AuthorID: writer.ID, BodyMarkdown: "r",
				BodyHTML: fmt.Sprintf("<p>Réponse numéro %d, assez longue pour occuper un peu de place à l’écran.</p>", i), Status: forum.StatusPublished}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The reader has read the first page.
	if err := db.MarkRead(forumtest.As(reader), th.Thread.ID, 20); err != nil {
		t.Fatal(err)
	}
	thread := fmt.Sprintf("%s/t/%d/%s", ts.URL, th.Thread.ID, th.Thread.Slug)
	ts.settle(t)

	j := newJourney(t)
	j.logIn(reader.Username, forumtest.Password)
	j.do("opening the thread", chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS(".thread-header a.unread")))
	j.do("jumping to the first unread post",
		loadBy(chromedp.Click(chromedp.CSS(".thread-header a.unread"))),
		chromedp.WaitVisible(chromedp.CSS("#p21")),
		chromedp.Poll[chromedp.Void](`location.hash === "#p21" && Math.abs(document.querySelector("#p21").getBoundingClientRect().top) < 2`))
	if got := j.text(".reading-position"); got != "21 / 45" {
		t.Errorf("on the first unread post the position reads %q, want 21 / 45", got)
	}
	j.do("scrolling to post 30",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#p30").scrollIntoView({block: "start"})`),
		chromedp.Poll[chromedp.Void](`document.querySelector(".reading-position").textContent === "30 / 45"`))
	j.checkPage("a long thread", "thread-position")

	// Without JavaScript: the page's range, and the links.
	if _, err := chromedp.Call(j.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	j.do("opening the second page without JavaScript", chromedp.Navigate(thread+"?after=20"), chromedp.WaitVisible(chromedp.CSS(".pager-top")))
	if got := eval[string](j, `document.querySelector(".pager-top .position").textContent.replace(/\s+/g, " ").trim()`); got != "Messages affichés : 21–40 / 45" {
		t.Errorf("the pager reads %q", got)
	}
	// The reply form is under the last post of every page, not only the last.
	if !eval[bool](j, `!!document.querySelector("#p40 ~ *, .posts ~ #reply") && !!document.querySelector('#reply form textarea[name="body"]')`) {
		t.Error("the second page has no reply form under its last post")
	}
	if got := eval[int](j, `document.querySelectorAll(".reading-position").length`); got != 0 {
		t.Error("the reading position shows without JavaScript")
	}
	links := eval[map[string]string](j, `({last: document.querySelector(".pager-top a:last-child")?.getAttribute("href") ?? "",
		latest: document.querySelector(".thread-header a.latest-post")?.getAttribute("href") ?? "",
		feed: document.querySelector(".thread-header a.feed-link")?.getAttribute("href") ?? ""})`)
	base := fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug)
	if links["last"] != base+"?after=40" || links["latest"] != base+"?after=40#p45" || links["feed"] != fmt.Sprintf("/t/%d/feed.atom", th.Thread.ID) {
		t.Errorf("the long thread's links: %v", links)
	}
}
