package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A notification mail carries its list's unsubscribe link, in its footer
// and in the List-Unsubscribe headers of RFC 2369 and RFC 8058; the link's
// page asks before it changes anything, and a mail program's one-click POST
// (no cookie, from anywhere) stops the list.
func TestNotificationMailUnsubscribesInOneClick(t *testing.T) {
	s := newTestServer(t)
	db := s.db
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	ctx := context.Background()
	if _, err := mailer.SendDue(ctx); err != nil { // earlier tests' mail
		t.Fatal(err)
	}
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	reader := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	th := startThread(t, s, bearer(t, db, author), forumtest.MustCategory(t, db), "Une question de voisinage")
	w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID), header: bearer(t, db, author),
		body: `{"body":"Qu’en pensez-vous, @` + reader.Username + ` ?"}`})
	if w.Code != 201 {
		t.Fatalf("reply: %d %s", w.Code, w.Body)
	}
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := sink.to(reader.Email)
	if len(got) != 1 {
		t.Fatalf("%d mails for the mentioned member", len(got))
	}
	m := got[0]
	link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	u, err := url.Parse(link)
	if err != nil || u.Path != "/community/email/unsubscribe" || u.Query().Get("list") != forum.ListMention ||
		m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(m.Body, link) {
		t.Fatalf("unsubscribe headers %q %q, body:\n%s", m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"), m.Body)
	}
	path := "/email/unsubscribe?" + u.RawQuery
	mentions := func() bool {
		st, err := db.AccountSettings(forumtest.As(reader))
		if err != nil {
			t.Fatal(err)
		}
		return st.Notifications.Mentions
	}
	// Opening the link (a mail scanner does) changes nothing.
	if w := s.do(t, request{path: path}); w.Code != 200 || !strings.Contains(w.Body.String(), `action="/email/unsubscribe"`) || !mentions() {
		t.Fatalf("the link's page: %d, mentions still on: %v", w.Code, mentions())
	}
	// RFC 8058: a POST to the link with List-Unsubscribe=One-Click, from a
	// mail provider's server, in another origin.
	req := request{method: "POST", path: path, body: "List-Unsubscribe=One-Click",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://mail.example.net", "Sec-Fetch-Site": "cross-site"}}
	if w := s.do(t, req); w.Code != 200 || mentions() {
		t.Fatalf("one-click: %d %s; mentions still on: %v", w.Code, w.Body, mentions())
	}
	// A forged key changes nothing.
	q := u.Query()
	q.Set("key", strings.Repeat("0", 64))
	q.Set("list", forum.ListReply)
	req.path = "/email/unsubscribe?" + q.Encode()
	if w := s.do(t, req); w.Code != 404 || !strings.Contains(w.Body.String(), "lien") && !strings.Contains(w.Body.String(), "link") {
		t.Errorf("a forged key: %d", w.Code)
	}
	if st, _ := db.AccountSettings(forumtest.As(reader)); !st.Notifications.Replies {
		t.Error("a forged key turned replies off")
	}
}

// An address the receiving server refuses for good is marked bounced: the
// member gets no more notification mail, and their account says so.
func TestRefusedAddressStopsNotificationMail(t *testing.T) {
	s := newTestServer(t)
	db := s.db
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	ctx := context.Background()
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	gone := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	sink.mu.Lock()
	sink.refuse = gone.Username + "@"
	sink.mu.Unlock()
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		return forum.EnqueueMailTx(ctx, tx, forum.Mail{Recipient: gone.Email, Kind: "notify_reply",
			Data: map[string]string{"Username": gone.Username, "Actor": "x", "Title": "Sujet", "Path": "/p/1"}})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := db.AccountSettings(forumtest.As(gone))
	if err != nil || !st.EmailBounced {
		t.Fatalf("the refused address is not marked bounced: %+v %v", st, err)
	}
	w := s.do(t, request{path: "/account", header: bearer(t, db, gone)})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "refusé") && !strings.Contains(w.Body.String(), "refused") {
		t.Errorf("the account page does not say the address bounced: %d", w.Code)
	}
}

// A digest is composed in its reader's language, one thread a line with its
// address, only the sections it has, and its unsubscribe link.
func TestDigestMailIsComposed(t *testing.T) {
	sink := startSMTPSink(t)
	w := newTestMailer(t, sink)
	for _, c := range []struct{ lang, period, watched string }{
		{"fr", "quotidien", "Non lu dans les catégories que vous suivez"},
		{"en", "weekly", "Unread in the categories you watch"},
	} {
		period := forum.DigestDaily
		if c.lang == "en" {
			period = forum.DigestWeekly
		}
		subject, body, err := w.Compose(forum.Mail{Kind: forum.MailDigest, Locale: c.lang, Data: map[string]string{
			"Username": "zoe", "Period": period, "Watched": "Fête des voisins\t/t/7/fete-des-voisins\nJardin partagé\t/t/9/jardin",
			"Unsubscribe": "/email/unsubscribe?member=3&key=k&list=digest"}}, "Palabre")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{c.watched, "- Fête des voisins\n  https://forum.example.org/community/t/7/fete-des-voisins",
			"- Jardin partagé\n  https://forum.example.org/community/t/9/jardin",
			"\n-- \n", "https://forum.example.org/community/email/unsubscribe?member=3&key=k&list=digest"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: %q missing from\n%s", c.lang, want, body)
			}
		}
		if !strings.Contains(subject, c.period) || strings.Contains(body, "animées") || strings.Contains(body, "liveliest") || strings.Contains(body, "<no value>") {
			t.Errorf("%s: subject %q, body\n%s", c.lang, subject, body)
		}
	}
}
