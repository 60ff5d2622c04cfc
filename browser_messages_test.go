package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum/forumtest"
)

// A member writes privately to another from their profile; the other finds
// it under Messages, unread, reads it and replies; the first reads the
// reply. Every page passes the accessibility audit.
func TestBrowserPrivateMessageJourney(t *testing.T) {
	ts := startServer(t)
	alice, alicePw := newMember(t, "alice")
	bob, bobPw := newMember(t, "bob")
	title := forumtest.Unique("Arrosage du potager n° ")
	body := "Bonjour, pourriez-vous **arroser** les tomates jeudi ?"
	answer := "Avec plaisir, je passerai jeudi matin."

	a := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	a.logIn(alice, alicePw)
	a.do("opening bob's profile",
		chromedp.Navigate(ts.URL+"/u/"+bob),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/messages/new?to=`+bob+`"]`)),
		loadBy(chromedp.Click(chromedp.CSS(`a[href="/messages/new?to=`+bob+`"]`))),
		chromedp.WaitVisible(chromedp.CSS("#f-title")))
	if got := eval[string](a, `document.querySelector("#f-recipients").value`); got != bob {
		t.Errorf("recipients = %q, want %q", got, bob)
	}
	a.checkPage("the new message form", "message-new")
	a.do("writing to bob",
		chromedp.SendKeys(chromedp.CSS("#f-title"), title),
		chromedp.SendKeys(chromedp.CSS("#f-body"), body),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/messages/new"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".conversation-messages #m-1")))
	if got := a.text("#m-1 .post-body strong"); got != "arroser" {
		t.Errorf("the message as sent: %q", got)
	}
	conversation := a.location()

	b := &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	b.logIn(bob, bobPw)
	b.do("opening the messages",
		loadBy(chromedp.Click(chromedp.CSS(`.site-header a.messages-link`))),
		chromedp.WaitVisible(chromedp.CSS(".conversation-list")))
	if got := b.text(".conversation.unread .thread-title"); got != title {
		t.Errorf("bob's unread conversation: %q", got)
	}
	b.checkPage("the list of conversations", "messages")
	b.do("reading alice's message",
		loadBy(chromedp.Click(chromedp.CSS(".conversation.unread .thread-title"))),
		chromedp.WaitVisible(chromedp.CSS("#m-1")))
	if got := b.text("#m-1 .post-body"); !strings.Contains(got, "arroser les tomates") {
		t.Errorf("bob reads %q", got)
	}
	// Selecting words of the message offers to quote them, by their author.
	b.do("quoting a selection of alice's message",
		chromedp.Evaluate[chromedp.Void](`{const p = document.querySelector("#m-1 .post-body p");
			const r = document.createRange(); r.selectNodeContents(p);
			const s = getSelection(); s.removeAllRanges(); s.addRange(r);}`),
		chromedp.WaitVisible(chromedp.CSS("#m-1 .quote-selection")),
		chromedp.Click(chromedp.CSS("#m-1 .quote-selection")))
	if got, want := eval[string](b, `document.querySelector("#f-body").value`), "[quote="+alice+"]\nBonjour, pourriez-vous arroser les tomates jeudi ?\n[/quote]\n"; got != want {
		t.Errorf("the reply holds %q, want %q", got, want)
	}
	b.do("emptying the reply", chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-body").value = ""`))
	b.do("replying",
		chromedp.SendKeys(chromedp.CSS("#f-body"), answer),
		loadBy(chromedp.Click(chromedp.CSS(`form[action$="/reply"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS("#m-2")))
	b.checkPage("a conversation", "conversation")

	// A tab of its own: each tab's time is bounded, and the audits above
	// are slow on a busy machine.
	a = &journey{t: t, ctx: newBrowser(t), base: ts.URL}
	a.logIn(alice, alicePw)
	a.do("reading the reply", chromedp.Navigate(conversation), chromedp.WaitVisible(chromedp.CSS("#m-2")))
	if got := a.text("#m-2 .post-body"); got != answer {
		t.Errorf("alice reads %q", got)
	}
	if got := a.text("#m-2 .post-author"); got != bob {
		t.Errorf("the reply's author: %q", got)
	}
}
