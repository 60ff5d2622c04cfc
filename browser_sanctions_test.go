package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A suspended member who tries to log in reads why, until when and under
// which rule, without a session, and appeals from that page.
func TestBrowserSuspendedMemberReadsWhyAndAppeals(t *testing.T) {
	ts := startServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if _, err := db.Suspend(forum.WithSystem(context.Background()), m.ID, "Insultes — propos blessants envers un membre", time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-login")),
		chromedp.SendKeys(chromedp.CSS("#f-login"), m.Username),
		chromedp.SendKeys(chromedp.CSS("#f-password"), forumtest.Password),
		loadBy(chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".appeal-form")),
	); err != nil {
		t.Fatalf("logging in while suspended: %v", err)
	}
	state := strings.Join(visibleTexts(t, ctx, ".sanction-state"), " ")
	reason := strings.Join(visibleTexts(t, ctx, ".sanction-reason"), " ")
	if !strings.Contains(state, "suspendu") || !strings.Contains(reason, "propos blessants") {
		t.Errorf("notice page: %q / %q", state, reason)
	}
	auditAccessibility(t, ctx, "the suspension notice")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-appeal"), "Je me suis emporté, je présente mes excuses."),
		loadBy(chromedp.Click(chromedp.CSS(`.appeal-form button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(".suspended-page .notice.ok")),
	); err != nil {
		t.Fatalf("appealing: %v", err)
	}
	var n int
	if err := db.SQL().Get(&n, `SELECT count(*) FROM review_items WHERE kind = 'appeal' AND member_id = $1 AND status = 'pending'`, m.ID); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d appeals in the queue, want 1", n)
	}
	assertCleanConsole(t, ctx)
}
