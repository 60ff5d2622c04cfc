package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The staff's pages fit a phone: an administrator reads the rules, the
// members, the settings, the dashboard, the queue and the log at 390 px
// without the page scrolling sideways (a wide table scrolls inside itself).
func TestBrowserStaffPagesFitAPhone(t *testing.T) {
	ts := startServer(t)
	type page struct{ path, wait, shot string }
	// Each group has its own tab: axe takes a while on a busy machine.
	for _, group := range [][]page{
		{{"/admin/rules", ".rules-table", "phone-admin-rules"}, {"/admin/rules/new", "#f-name", "phone-admin-rule-new"}},
		{{"/admin/members", ".members-table", "phone-admin-members"}, {"/admin/settings", "main form", "phone-admin-settings"}},
		{{"/admin/dashboard", "main h1", "phone-admin-dashboard"}, {"/admin/categories", "main h1", "phone-admin-categories"}},
		{{"/mod/queue", "main h1", "phone-mod-queue"}, {"/mod/log", "main h1", "phone-mod-log"}},
	} {
		t.Run(group[0].path, func(t *testing.T) {
			j := newJourney(t)
			j.logIn("camille", ts.Accounts["camille"])
			j.do("emulating a phone", emulatePhone())
			for _, p := range group {
				j.do("opening "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
				j.checkPage(p.path+" on a phone", p.shot)
			}
		})
	}
}

// The choices of the report form and of the moderator's decision sit on the
// line of their label, at both widths: a radio button is a small box at the
// start of its label, not a full-width field above it, and a long label
// wraps beside it.
func TestBrowserRadioChoicesSitBesideTheirLabels(t *testing.T) {
	ts := startServer(t)
	author, _ := newMember(t, "radio")
	created := newAPIClient(t, ts.URL, author).startThread("Des choix bien alignés", "Un message à signaler pour voir le formulaire.")
	reader, password := newMember(t, "radiolecteur")
	// A report already made, for the moderator's decision form.
	other := created.Post.ID
	apiSend(t, ts.URL, newAPIClient(t, ts.URL, "jeanne").token, "POST", fmt.Sprintf("/api/v1/posts/%d/reports", other), `{"reason": "spam"}`, http.StatusCreated, nil)
	var item int64
	if err := forumtest.DB(t).GetContext(context.Background(), &item, `SELECT id FROM review_items WHERE post_id = $1 AND kind = 'reported'`, other); err != nil {
		t.Fatal(err)
	}
	for _, form := range []struct{ who, password, path string }{
		{reader, password, fmt.Sprintf("/p/%d/report", created.Post.ID)},
		{"camille", ts.Accounts["camille"], fmt.Sprintf("/mod/queue/%d", item)},
	} {
		j := newJourney(t)
		j.logIn(form.who, form.password)
		for _, width := range []struct {
			name    string
			emulate chromedp.Action[chromedp.Void]
		}{{"desktop", emulateDesktop()}, {"phone", emulatePhone()}} {
			j.do("emulating a "+width.name, width.emulate)
			j.do("opening "+form.path, chromedp.Navigate(ts.URL+form.path), chromedp.WaitVisible(chromedp.CSS(`input[type="radio"]`)))
			misplaced := eval[[]string](j, `[...document.querySelectorAll('label.choice')].filter(l => {
				const r = l.querySelector('input[type="radio"]').getBoundingClientRect();
				const text = l.querySelector('span').getBoundingClientRect();
				return r.width > 40 || r.right > text.left || r.bottom < text.top || r.top > text.bottom;
			}).map(l => l.innerText.trim())`)
			if len(misplaced) > 0 {
				t.Errorf("on a %s, these choices of %s do not sit beside their radio button: %q", width.name, form.path, misplaced)
			}
		}
	}
}

// The pages of visitors, members and the staff fit both widths: at 1280 px
// and at 390 px, each passes axe (any impact), scrolls no sideways and is
// saved as a screenshot (journeyShots) for a person to look at. Each page is
// opened in a state worth looking at: a conversation with a message, a
// bookmark with a reminder, notifications and search results to list, a
// held post and a report to review, a rule of each kind to edit.
func TestBrowserMainPagesFitBothWidths(t *testing.T) {
	ts := startServer(t)
	db := forumtest.DB(t)
	name, password := newMember(t, "largeur")
	memberAPI := newAPIClient(t, ts.URL, name)
	jeanneAPI := newAPIClient(t, ts.URL, "jeanne")
	own := memberAPI.startThread(forumtest.Unique("Mon sujet aux deux largeurs n° "), "Un message à modifier et à retirer.")
	other := jeanneAPI.startThread(forumtest.Unique("Le sujet de Jeanne n° "), "Un message que l’on pourrait signaler, sur la rhubarbe du jardin.")
	// A bookmark with a note and a reminder, for the bookmarks page.
	apiSend(t, ts.URL, memberAPI.token, "PUT", fmt.Sprintf("/api/v1/posts/%d/bookmark", other.Post.ID),
		`{"note": "À relire", "remind_at": "`+time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339)+`"}`, http.StatusOK, nil)
	// A mention, for the notifications page; a conversation, for the
	// messages pages; an avatar, for the account page.
	jeanneAPI.reply(own.Thread.ID, "@"+name+" merci, je passerai voir la rhubarbe demain.")
	var conv struct {
		Conversation struct{ ID int64 } `json:"conversation"`
		Message      struct{ ID int64 } `json:"message"`
	}
	memberAPI.post("/api/v1/conversations", map[string]any{"recipients": []string{"jeanne"},
		"title": forumtest.Unique("Graines à échanger n° "), "body": "Bonjour Jeanne, auriez-vous des graines de **capucine** ?"}, &conv)
	// A reply withdrawn, which the staff still see, marked.
	var withdrawn apiCreated
	memberAPI.post(fmt.Sprintf("/api/v1/threads/%d/posts", own.Thread.ID), map[string]any{"body": "Une réponse que je retire aussitôt."}, &withdrawn)
	apiSend(t, ts.URL, memberAPI.token, "DELETE", fmt.Sprintf("/api/v1/posts/%d", withdrawn.Post.ID), "", http.StatusNoContent, nil)
	avatar, contentType := multipartPNG(t)
	apiSend(t, ts.URL, memberAPI.token, "PUT", "/api/v1/me/avatar", avatar, http.StatusOK, map[string]string{"Content-Type": contentType})
	// A report of the member’s post and a newcomer’s thread held for its
	// shortened link, for the
	// review pages.
	apiSend(t, ts.URL, jeanneAPI.token, "POST", fmt.Sprintf("/api/v1/posts/%d/reports", own.Post.ID), `{"reason": "off_topic"}`, http.StatusCreated, nil)
	newcomer, _ := newMemberAt(t, "nouvelle", 0)
	apiSend(t, ts.URL, newAPIClient(t, ts.URL, newcomer).token, "POST", "/api/v1/threads",
		fmt.Sprintf(`{"category_id": %d, "title": %q, "body": "Bonjour à toutes et à tous, voici les photos de mon balcon : https://bit.ly/balcon-fleuri"}`,
			categoryID(t, ts.URL, "entraide"), forumtest.Unique("Premier pas n° ")), http.StatusAccepted, nil)
	var reported, held, memberID int64
	ctx := context.Background()
	if err := db.GetContext(ctx, &reported, `SELECT id FROM review_items WHERE post_id = $1 AND kind = 'reported'`, own.Post.ID); err != nil {
		t.Fatalf("the report's review item: %v", err)
	}
	if err := db.GetContext(ctx, &held, `SELECT r.id FROM review_items r JOIN posts p ON p.id = r.post_id JOIN members m ON m.id = p.author_id
		WHERE m.username = $1 AND r.kind = 'held'`, newcomer); err != nil {
		t.Fatalf("the held thread's review item: %v", err)
	}
	if err := db.GetContext(ctx, &memberID, `SELECT id FROM members WHERE username = $1`, name); err != nil {
		t.Fatal(err)
	}
	var rules []struct {
		ID   int64
		Kind string
	}
	if err := db.SelectContext(ctx, &rules, `SELECT DISTINCT ON (kind) id, kind FROM rules ORDER BY kind, id`); err != nil || len(rules) < 6 {
		t.Fatalf("a rule of each kind: %v %v", rules, err)
	}
	// The links a member finds in their mail: a password reset, an address
	// to confirm, and the notice of a suspended member (given at log-in).
	forgetful, _ := newMember(t, "oublieuse")
	_, out, _ := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": forumtest.URL(t)}, "admin", "reset-password", "--username", forgetful)
	reset := regexp.MustCompile(`/password/reset\?token=[A-Za-z0-9_-]+`).FindString(out)
	if reset == "" {
		t.Fatalf("reset-password printed no link: %q", out)
	}
	suspended := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if _, err := db.Suspend(forum.WithSystem(ctx), suspended.ID, "Propos blessants envers un membre", time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	notice := suspensionNotice(t, ts.URL, suspended.Username, forumtest.Password)
	// The transparency page is open, and says what was decided.
	apiSend(t, ts.URL, newAPIClient(t, ts.URL, "camille").token, "PATCH", "/api/v1/settings", `{"public_mod_log": true}`, http.StatusOK, nil)

	type page struct{ path, wait, shot, refused string } // refused: the status a page answers on purpose (Chromium logs it)
	visitor := []page{{"/", ".categories", "home", ""}, {"/latest", ".thread-list", "latest", ""}, {"/c/entraide", ".thread-list", "category", ""},
		{"/guidelines", "main h1", "guidelines", ""}, {"/search?q=rhubarbe", ".result-list", "search", ""}, {"/login", "#f-login", "login", ""},
		{"/signup", "#f-username", "signup", ""}, {"/password/forgot", "main h1", "password-forgot", ""}, {"/login/email", "main h1", "login-email", ""},
		{"/u/jeanne", "#profile-name", "profile", ""}, {reset, "#f-password", "password-reset", ""},
		{"/verify-email?token=un-lien-de-confirmation", "main h1", "verify-email", ""}, {notice, ".appeal-form", "suspended", ""},
		{"/transparency", "main h1", "transparency", ""}, {"/t/999999999/aucun", "main h1", "not-found", "404"}}
	member := []page{{"/account", ".avatar-settings img.avatar", "account", ""}, {"/account/sessions", "main h1", "account-sessions", ""},
		{"/account/tokens", "main h1", "account-tokens", ""}, {"/account/delete", "main h1", "account-delete", ""},
		{"/notifications", ".notification", "notifications", ""}, {"/messages", ".conversation-list", "messages", ""},
		{fmt.Sprintf("/messages/%d", conv.Conversation.ID), "#m-1", "conversation", ""}, {"/messages/new?to=jeanne", "main h1", "message-new", ""},
		{fmt.Sprintf("/m/%d/edit", conv.Message.ID), "#f-body", "message-edit", ""},
		{"/bookmarks", ".bookmark-edit", "bookmarks", ""}, {"/new", "#f-body", "new-thread", ""}, {"/c/entraide", ".thread-list", "category-member", ""},
		{fmt.Sprintf("/p/%d/edit", own.Post.ID), "#f-body", "post-edit", ""}, {fmt.Sprintf("/p/%d/delete", own.Post.ID), "main h1", "post-withdraw", ""},
		{fmt.Sprintf("/p/%d/report", other.Post.ID), "main h1", "report-form", ""}, {"/u/" + name, "#profile-name", "profile-own", ""},
		{"/search?q=rhubarbe", ".result-list", "search-member", ""}, {"/admin", "main h1", "forbidden", "403"}}
	staff := []page{{"/admin", "main h1", "admin", ""}, {"/admin/rules/test", "main h1", "admin-rules-test", ""},
		{"/admin/rules/words", "main h1", "admin-rules-words", ""}, {"/admin/guidelines", "main h1", "admin-guidelines", ""},
		{"/admin/members?q=jeanne", "main h1", "admin-members-search", ""}, {fmt.Sprintf("/admin/members/%d", memberID), "main h1", "admin-member", ""},
		{"/admin/webhooks", "main h1", "admin-webhooks", ""}, {"/mod/queue", "main h1", "mod-queue", ""},
		{fmt.Sprintf("/mod/queue/%d", held), "main h1", "review-held", ""}, {fmt.Sprintf("/mod/queue/%d", reported), "main h1", "review-report", ""},
		{"/mod/log", "main h1", "mod-log", ""}, {"/admin/dashboard", "main h1", "admin-dashboard", ""},
		{"/admin/dashboard/report", ".health-report", "admin-report", ""},
		{fmt.Sprintf("/t/%d/%s", own.Thread.ID, own.Thread.Slug), ".post-deleted", "thread-withdrawn-staff", ""}}
	for _, r := range rules {
		staff = append(staff, page{fmt.Sprintf("/admin/rules/%d", r.ID), "#f-name", "admin-rule-" + r.Kind, ""})
	}
	for _, width := range []struct {
		name string
		set  chromedp.Action[chromedp.Void]
	}{{"desktop", emulateDesktop()}, {"phone", emulatePhone()}} {
		for _, who := range []struct {
			name, username, password string
			pages                    []page
		}{{"visitor", "", "", visitor}, {"member", name, password, member}, {"staff", "camille", ts.Accounts["camille"], staff}} {
			// A tab for at most ten pages: axe takes a while on a busy
			// machine, and a tab's time is bounded (browserTimeout).
			for part := 0; part*10 < len(who.pages); part++ {
				pages := who.pages[part*10 : min(len(who.pages), part*10+10)]
				t.Run(fmt.Sprintf("%s %s %d", width.name, who.name, part+1), func(t *testing.T) {
					j := newJourney(t)
					if who.username != "" {
						j.logIn(who.username, who.password)
					}
					j.do("emulating a "+width.name, width.set)
					for _, p := range pages {
						j.do("opening "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
						if p.refused != "" {
							forgetExpectedErrors(t, j.ctx, "status of "+p.refused)
						}
						j.checkPage(p.path+" ("+width.name+")", width.name+"-"+p.shot)
					}
					if part > 0 {
						return
					}
					// A thread, from the category page.
					j.do("opening a thread", chromedp.Navigate(ts.URL+"/c/entraide"),
						loadBy(chromedp.Click(chromedp.CSS(".thread-list .thread-title"))), chromedp.WaitVisible(chromedp.CSS("#p1")))
					j.checkPage("a thread ("+width.name+", "+who.name+")", fmt.Sprintf("%s-thread-%s", width.name, who.name))
				})
			}
		}
	}
}

// apiSend sends body (a string, or bytes) to the JSON API with a member's
// token and fails the test unless the answer has the status wanted.
func apiSend(t *testing.T, base, token, method, path string, body any, want int, header map[string]string) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		answer, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, answer, want)
	}
}

// categoryID is the id of the category with that slug.
func categoryID(t *testing.T, base, slug string) int64 {
	t.Helper()
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
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&cats); err != nil {
		t.Fatal(err)
	}
	for _, c := range cats.Categories {
		if c.Slug == slug {
			return c.ID
		}
	}
	t.Fatalf("no category %s", slug)
	return 0
}

// multipartPNG is a small picture as the multipart body of an upload.
func multipartPNG(t *testing.T) (body []byte, contentType string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := range 64 {
		for y := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), 120, uint8(y * 4), 255})
		}
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	f, err := w.CreateFormFile("file", "portrait.png")
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// suspensionNotice logs a suspended member in, as the login form does, and
// returns the notice page the refusal leads to.
func suspensionNotice(t *testing.T, base, login, password string) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/login", url.Values{"login": {login}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	notice := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(notice, "/suspended?token=") {
		t.Fatalf("logging in while suspended: %d %q", resp.StatusCode, notice)
	}
	return notice
}
