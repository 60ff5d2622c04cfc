package forum_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// mdMails counts the mails of a kind queued for a member.
func mdMails(t *testing.T, db *forum.DB, to *forum.Member, kind string) int {
	t.Helper()
	var n int
	if err := db.SQL().Get(&n, `SELECT count(*) FROM outbox WHERE recipient = $1 AND kind = $2`, to.Email, kind); err != nil {
		t.Fatal(err)
	}
	return n
}

// Notification mail goes to confirmed addresses only, and stops for an
// address that bounced until its owner confirms it again; the in-app
// notification is there either way.
func TestNotificationMailOnlyToConfirmedAddressesThatDoNotBounce(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := member(t, db)
	confirmed := member(t, db)
	unconfirmed := forumtest.MustUnconfirmedMember(t, db, forum.RoleMember, forum.TrustMember)
	th, _ := ntThread(t, db, alice, cat, forum.StatusPublished, forum.PostRefs{})
	ntReply(t, db, alice, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{confirmed.Username, unconfirmed.Username}})
	if n := mdMails(t, db, confirmed, "notify_mention"); n != 1 {
		t.Errorf("confirmed address: %d mails, want 1", n)
	}
	if n := mdMails(t, db, unconfirmed, "notify_mention"); n != 0 {
		t.Errorf("unconfirmed address: %d mails, want 0", n)
	}
	var inApp int
	if err := db.SQL().Get(&inApp, `SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = 'mention'`, unconfirmed.ID); err != nil || inApp != 1 {
		t.Errorf("the unconfirmed member's notification: %d %v", inApp, err)
	}

	// The confirmed address bounces: no more notification mail.
	var mail forum.Mail
	if err := db.SQL().Get(&mail.ID, `SELECT id FROM outbox WHERE recipient = $1`, confirmed.Email); err != nil {
		t.Fatal(err)
	}
	mail.Recipient = strings.ToUpper(confirmed.Email) // as a server may spell it
	if err := db.MarkMailBounced(forum.WithSystem(context.Background()), mail, errors.New("550 5.1.1 no such user")); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := db.SQL().Get(&status, `SELECT status FROM outbox WHERE id = $1`, mail.ID); err != nil || status != "failed" {
		t.Errorf("the bounced mail is %q (%v), want failed at once", status, err)
	}
	ntReply(t, db, alice, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{confirmed.Username}})
	if n := mdMails(t, db, confirmed, "notify_mention"); n != 1 {
		t.Errorf("after the bounce: %d mails, want still 1", n)
	}
	settings, err := db.AccountSettings(forumtest.As(confirmed))
	if err != nil || !settings.EmailBounced {
		t.Fatalf("the account does not say the address bounced: %+v %v", settings, err)
	}

	// Confirming the address again resumes it.
	if err := db.ResendVerification(forumtest.As(confirmed), "fr"); err != nil {
		t.Fatalf("a bounced address cannot be confirmed again: %v", err)
	}
	var token string
	if err := db.SQL().Get(&token, `SELECT data->>'Token' FROM outbox WHERE recipient = $1 AND kind = $2`, confirmed.Email, forum.MailVerifyEmail); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyEmail(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	ntReply(t, db, alice, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{confirmed.Username}})
	if n := mdMails(t, db, confirmed, "notify_mention"); n != 2 {
		t.Errorf("after confirming again: %d mails, want 2", n)
	}
	// A confirmed address that never bounced is not confirmed twice.
	if err := db.ResendVerification(forumtest.As(alice), "fr"); forum.ErrorCode(err) != forum.ECONFLICT {
		t.Errorf("resending to a confirmed address: %v", err)
	}
}

// The unsubscribe link stops its list, and only with the member's key.
func TestUnsubscribeLinksNeedTheirKey(t *testing.T) {
	db := forumtest.DB(t)
	m := member(t, db)
	var key string
	if err := db.SQL().Get(&key, `SELECT unsubscribe_key FROM members WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if len(key) < 32 {
		t.Fatalf("key %q is too short to be a credential", key)
	}
	id := fmt.Sprint(m.ID)
	ctx := context.Background()
	for _, c := range []struct{ member, key, list string }{
		{id, key[:len(key)-1] + "x", forum.ListReply}, {id, "", forum.ListReply}, {"0", key, forum.ListReply},
		{id, key, "everything"}, {"abc", key, forum.ListReply},
	} {
		if _, err := db.Unsubscribe(ctx, c.member, c.key, c.list); forum.ErrorCode(err) != forum.ENOTFOUND {
			t.Errorf("%+v: %v, want not found", c, err)
		}
	}
	prefs := func() forum.NotificationPrefs {
		s, err := db.AccountSettings(forumtest.As(m))
		if err != nil {
			t.Fatal(err)
		}
		return s.Notifications
	}
	if !prefs().Replies {
		t.Fatal("replies are off to begin with")
	}
	if _, err := db.Unsubscribe(ctx, id, key, forum.ListReply); err != nil {
		t.Fatal(err)
	}
	if p := prefs(); p.Replies || !p.Mentions {
		t.Errorf("after leaving replies: %+v", p)
	}
	if _, err := db.Unsubscribe(ctx, id, key, forum.ListReply); err != nil {
		t.Errorf("twice: %v", err)
	}
	if _, err := db.UpdateProfile(forumtest.As(m), forum.ProfileUpdate{Notifications: &forum.NotificationPrefs{Digest: forum.DigestWeekly}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Unsubscribe(ctx, id, key, forum.ListDigest); err != nil {
		t.Fatal(err)
	}
	if p := prefs(); p.Digest != forum.DigestOff {
		t.Errorf("digest after leaving it: %q", p.Digest)
	}
	if _, err := db.UpdateProfile(forumtest.As(m), forum.ProfileUpdate{Notifications: &forum.NotificationPrefs{Digest: "hourly"}}); forum.AsError(err).Field != "digest" {
		t.Errorf("an unknown frequency: %v", err)
	}
}

// A digest lists, for its period, the replies waiting for the member, what
// is unread in the categories they watch and the liveliest threads; it is
// sent once per period, skipped when there is nothing to say, and never to
// an unconfirmed address.
func TestDigestsAreSentOncePerPeriodWithTheirSections(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	reader, writer := member(t, db), member(t, db)
	unconfirmed := forumtest.MustUnconfirmedMember(t, db, forum.RoleMember, forum.TrustMember)
	quiet := member(t, db)
	for _, m := range []*forum.Member{reader, unconfirmed, quiet} {
		if _, err := db.UpdateProfile(forumtest.As(m), forum.ProfileUpdate{Notifications: &forum.NotificationPrefs{Digest: forum.DigestDaily}}); err != nil {
			t.Fatal(err)
		}
	}
	// Choosing a digest starts its first period now: nothing is due yet.
	sys := forum.WithSystem(context.Background())
	if n, err := db.SendDueDigests(sys); err != nil || n != 0 {
		t.Fatalf("digests just chosen: %d %v", n, err)
	}
	if _, err := db.WatchCategory(forumtest.As(reader), cat.ID, forum.WatchWatching); err != nil {
		t.Fatal(err)
	}
	// The tests of the package share the database: the reader muted every
	// other category, so that the liveliest threads are this test's.
	if _, err := db.SQL().Exec(`INSERT INTO watches (member_id, category_id, level) SELECT $1, id, 'muted' FROM categories WHERE id <> $2`,
		reader.ID, cat.ID); err != nil {
		t.Fatal(err)
	}
	th, _ := ntThread(t, db, writer, cat, forum.StatusPublished, forum.PostRefs{})
	ntReply(t, db, writer, th.ID, forum.StatusPublished, nil, forum.PostRefs{Mentions: []string{reader.Username}})
	// A day later (the period moved back rather than the clock forward),
	// over everything written since the last digest.
	if _, err := db.SQL().Exec(`UPDATE members SET digest_sent_at = now() - interval '25 hours' WHERE id = ANY($1)`,
		pq.Array([]int64{reader.ID, unconfirmed.ID, quiet.ID})); err != nil {
		t.Fatal(err)
	}
	// The quiet member muted every category (the tests of the package
	// share the database, and run one at a time): nothing to tell them.
	if _, err := db.SQL().Exec(`INSERT INTO watches (member_id, category_id, level) SELECT $1, id, 'muted' FROM categories`, quiet.ID); err != nil {
		t.Fatal(err)
	}
	n, err := db.SendDueDigests(sys)
	if err != nil {
		t.Fatal(err)
	}
	if got := mdMails(t, db, reader, forum.MailDigest); got != 1 {
		t.Fatalf("the reader's digests: %d, want 1 (%d sent in all)", got, n)
	}
	if got := mdMails(t, db, unconfirmed, forum.MailDigest); got != 0 {
		t.Errorf("a digest went to an unconfirmed address")
	}
	var data map[string]string
	var raw []byte
	if err := db.SQL().Get(&raw, `SELECT data FROM outbox WHERE recipient = $1 AND kind = $2`, reader.Email, forum.MailDigest); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	threadLine := th.Title + "\t/t/" + fmt.Sprint(th.ID) + "/" + th.Slug
	if data["Period"] != forum.DigestDaily || !strings.Contains(data["Replies"], th.Title+"\t/p/") ||
		data["Watched"] != threadLine || !strings.Contains(data["Popular"], threadLine) ||
		!strings.Contains(data["Unsubscribe"], "list=digest") {
		t.Errorf("digest data %q", data)
	}
	if got := mdMails(t, db, quiet, forum.MailDigest); got != 0 {
		t.Errorf("an empty digest was sent")
	}
	// Sent: not again in the same period.
	if n, err := db.SendDueDigests(sys); err != nil || n != 0 {
		t.Errorf("second run: %d %v", n, err)
	}
	var sentAt time.Time
	if err := db.SQL().Get(&sentAt, `SELECT digest_sent_at FROM members WHERE id = $1`, quiet.ID); err != nil || time.Since(sentAt) > time.Hour {
		t.Errorf("the skipped digest's period did not start again: %v %v", sentAt, err)
	}
}
