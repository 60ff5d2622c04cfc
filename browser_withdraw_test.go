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

// replyAs replies in the thread of a post through the API, with a token the
// command line gives the member.
func replyAs(t *testing.T, base, username string, postID int64, body string) {
	t.Helper()
	code, token, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)}, "admin", "token", "--username", username)
	if code != 0 {
		t.Fatalf("token for %s: %s", username, errOut)
	}
	var threadID int64
	if err := forumtest.DB(t).SQL().Get(&threadID, `SELECT thread_id FROM posts WHERE id = $1`, postID); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"body": body})
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/threads/%d/posts", base, threadID), strings.NewReader(string(payload)))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("replying: %d", resp.StatusCode)
	}
}

// The author of a thread someone answered deletes its first post: the page
// offers to withdraw their text, the thread and the reply stay, the post
// reads "withdrawn by its author"; a moderator restores it with the button
// on the post, without JavaScript needed.
func TestBrowserWithdrawAndRestoreJourney(t *testing.T) {
	ts := startServer(t)
	author, authorPw := newMember(t, "retrait")
	replier, _ := newMember(t, "repondant")
	title := forumtest.Unique("Une question sur le compost ")
	postID := postThreadAs(t, ts.URL, author, title, "Comment démarrer un compost en appartement ?")
	answer := forumtest.Unique("Avec un lombricomposteur ")
	replyAs(t, ts.URL, replier, postID, answer)

	a := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	a.logIn(author, authorPw)
	a.do("opening the thread",
		chromedp.Navigate(fmt.Sprintf("%s/p/%d", ts.URL, postID)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#p1 a[href="/p/%d/delete"]`, postID))),
		loadBy(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#p1 a[href="/p/%d/delete"]`, postID)))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`form[action="/p/%d/delete"] button`, postID))))
	if got := a.text("main"); !strings.Contains(got, "leurs réponses restent") {
		t.Errorf("the confirmation does not say the thread stays: %q", got)
	}
	a.checkPage("the withdrawal confirmation", "post-withdraw")
	a.do("withdrawing the text",
		loadBy(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/p/%d/delete"] button`, postID)))),
		chromedp.WaitVisible(chromedp.CSS("#p1 .placeholder")))
	if got := a.text("#p1 .placeholder"); got != "Message retiré par son auteur." {
		t.Errorf("the withdrawn post reads %q", got)
	}
	if got := a.text("main"); !strings.Contains(got, answer) || !strings.Contains(got, title) {
		t.Errorf("the thread lost its title or reply: %q", got)
	}

	mod := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	mod.logIn("lea_modo", ts.Accounts["lea_modo"])
	restore := fmt.Sprintf(`#p1 form[action="/p/%d/restore"] button`, postID)
	mod.do("opening the thread as a moderator",
		chromedp.Navigate(fmt.Sprintf("%s/p/%d", ts.URL, postID)),
		chromedp.WaitVisible(chromedp.CSS(restore)))
	mod.checkPage("a thread with a deleted post, staff view", "thread-restore")
	mod.do("restoring the post",
		loadBy(chromedp.Click(chromedp.CSS(restore))),
		chromedp.WaitVisible(chromedp.CSS("#p1 .post-body")),
		chromedp.WaitNotPresent(chromedp.CSS(restore)))
	if got := mod.text("#p1 .post-body"); !strings.Contains(got, "compost en appartement") {
		t.Errorf("the restored post reads %q", got)
	}
}
