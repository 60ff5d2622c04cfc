package forum_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestLimitCountsAttemptsInASlidingWindow(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	l := forum.Limit{Kind: "test", Max: 3, Window: forum.LimitLoginPerAccountAddress.Window}
	subject := forumtest.Unique("subject")
	for i := range l.Max {
		if err := db.CheckLimit(ctx, l, subject); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		if err := db.RecordAttempt(ctx, l, subject); err != nil {
			t.Fatal(err)
		}
	}
	err := db.CheckLimit(ctx, l, subject)
	fe := forum.AsError(err)
	if fe.Code != forum.ERATELIMITED || fe.Args["Minutes"] != 15 {
		t.Fatalf("over the limit: %v %v", err, fe.Args)
	}
	if err := db.CheckLimit(ctx, l, subject+"x"); err != nil {
		t.Errorf("another subject is limited: %v", err)
	}
	// The oldest attempt leaves the window: one more is allowed, and the
	// wait is counted from the oldest of the last Max.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE login_attempts SET at = now() - interval '10 minutes 30 seconds'
		WHERE id = (SELECT min(id) FROM login_attempts WHERE kind = 'test' AND subject = $1)`, subject); err != nil {
		t.Fatal(err)
	}
	if fe := forum.AsError(db.CheckLimit(ctx, l, subject)); fe.Code != forum.ERATELIMITED || fe.Args["Minutes"] != 5 {
		t.Errorf("wait counted from the oldest attempt: %v", fe.Args)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE login_attempts SET at = now() - interval '15 minutes 1 second'
		WHERE id = (SELECT min(id) FROM login_attempts WHERE kind = 'test' AND subject = $1)`, subject); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckLimit(ctx, l, subject); err != nil {
		t.Errorf("the window does not slide: %v", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE login_attempts SET at = now() - interval '16 minutes' WHERE kind = 'test' AND subject = $1`, subject); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearAttempts(ctx, l, subject); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckLimit(ctx, l, subject); err != nil {
		t.Errorf("cleared subject still limited: %v", err)
	}
}

func TestSessionsRotateRefreshAndRevoke(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	first, s1, err := db.RotateSession(ctx, "", forum.NewSession{MemberID: m.ID, UserAgent: "ua\xff" + string(make([]byte, 2000)), ClientIP: "not an ip"})
	if err != nil {
		t.Fatal(err)
	}
	if s1.ClientIP != nil || len(s1.UserAgent) > 520 || s1.Remember {
		t.Errorf("session stored: %+v", s1)
	}
	second, _, err := db.RotateSession(ctx, first, forum.NewSession{MemberID: m.ID, Remember: true, ClientIP: "2001:db8::1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.SessionMember(ctx, first); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("the rotated-out session still works: %v", err)
	}
	s, got, refreshed, err := db.SessionMember(ctx, second)
	if err != nil || got.ID != m.ID || !s.Remember || refreshed || *s.ClientIP != "2001:db8::1" {
		t.Fatalf("session: %+v %+v %v %v", s, got, refreshed, err)
	}
	// Refreshed only when last seen more than a few minutes ago.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE sessions SET last_seen_at = now() - interval '10 minutes', expires_at = now() + interval '1 minute' WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	_, _, refreshed, err = db.SessionMember(ctx, second)
	if err != nil || !refreshed {
		t.Fatalf("stale session not refreshed: %v %v", refreshed, err)
	}
	var days float64
	if err := db.SQL().GetContext(ctx, &days, `SELECT extract(epoch FROM expires_at - now()) / 86400 FROM sessions WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if days < 29.9 {
		t.Errorf("a remembered session was extended to %.1f days", days)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.SessionMember(ctx, second); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("expired session works: %v", err)
	}
	if n, err := db.PurgeSessions(ctx); err != nil || n < 1 {
		t.Errorf("purge: %d %v", n, err)
	}

	// Listing and revoking are the member's own business.
	a, _, _ := db.RotateSession(ctx, "", forum.NewSession{MemberID: m.ID})
	b, _, _ := db.RotateSession(ctx, "", forum.NewSession{MemberID: m.ID})
	other := forumtest.MustMember(t, db, forum.RoleMember, 0)
	c, _, _ := db.RotateSession(ctx, "", forum.NewSession{MemberID: other.ID})
	list, err := db.Sessions(forumtest.As(m))
	if err != nil || len(list) != 2 {
		t.Fatalf("sessions: %d %v", len(list), err)
	}
	otherList, _ := db.Sessions(forumtest.As(other))
	if err := db.RevokeSession(forumtest.As(m), otherList[0].ID()); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("revoking someone else's session: %v", err)
	}
	if _, _, _, err := db.SessionMember(ctx, c); err != nil {
		t.Errorf("someone else's session was closed: %v", err)
	}
	if n, err := db.RevokeOtherSessions(forumtest.As(m), a); err != nil || n != 1 {
		t.Errorf("revoke others: %d %v", n, err)
	}
	if _, _, _, err := db.SessionMember(ctx, b); err == nil {
		t.Error("another session survived")
	}
	if _, err := db.Sessions(context.Background()); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("anonymous listing: %v", err)
	}
}

func TestOutboxClaimsEachMailOnce(t *testing.T) {
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	recipient := forumtest.Unique("claim") + "@example.org"
	for range 10 {
		if err := forum.EnqueueMailTx(sys, db, forum.Mail{Recipient: recipient, Kind: forum.MailSignUpExisting, Data: map[string]string{"Username": "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ClaimMail(context.Background(), 1); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a visitor claims mail: %v", err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				batch, err := db.ClaimMail(sys, 2)
				if err != nil {
					t.Error(err)
					return
				}
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				for _, m := range batch {
					if m.Recipient == recipient {
						seen[m.ID]++
						if m.Data["Username"] != "x" || m.Attempts != 1 {
							t.Errorf("claimed mail: %+v", m)
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 10 {
		t.Errorf("%d of 10 mails claimed", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %d claimed %d times", id, n)
		}
	}
}

func TestEmailTokensAreSingleUse(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	if err := db.RequestPasswordReset(ctx, m.Email, "", "10.98.0.1"); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := db.SQL().GetContext(ctx, &raw, `SELECT data FROM outbox WHERE recipient = $1 AND kind = 'reset_password' ORDER BY id DESC LIMIT 1`, m.Email); err != nil {
		t.Fatal(err)
	}
	var data map[string]string
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	token := data["Token"]
	if err := db.CheckResetToken(ctx, token); err != nil {
		t.Fatalf("fresh token: %v (%s)", err, raw)
	}
	var wg sync.WaitGroup
	results := make([]error, 5)
	for i := range results {
		wg.Go(func() { _, results[i] = db.ResetPassword(ctx, token, "a long enough secret") })
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		if err == nil {
			ok++
		} else if forum.ErrorCode(err) != forum.EINVALID {
			t.Errorf("concurrent use: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("the token worked %d times", ok)
	}
	// A newer link cancels the older one; an expired one does not work.
	if err := db.RequestPasswordReset(ctx, m.Email, "", "10.98.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM email_tokens WHERE member_id = $1 AND used_at IS NULL`, m.ID); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d unused links at once", n)
	}
}
