package forum_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// listeningInstance opens another handle on the test database that listens
// as `palabre serve` does (its caches' handlers), and returns it with the
// payloads of ChannelMembers, each received once the cache has handled it.
func listeningInstance(t *testing.T) (*forum.DB, <-chan string) {
	db, payloads, _ := pausableInstance(t)
	return db, payloads
}

// pausableInstance is listeningInstance whose announcements can be held
// back: while the returned mutex is locked, the cache hears nothing.
func pausableInstance(t *testing.T) (*forum.DB, <-chan string, *sync.Mutex) {
	t.Helper()
	db := forumtest.Instance(t)
	ctx, cancel := context.WithCancel(context.Background())
	payloads := make(chan string, 64)
	var hold sync.Mutex
	var handlers forum.Invalidations
	handlers.On(forum.ChannelMembers, func(string) { hold.Lock(); hold.Unlock() }) //nolint:staticcheck // SA2001: waits while the test holds the lock
	db.RegisterCaches(&handlers)
	handlers.On(forum.ChannelMembers, func(p string) { payloads <- p })
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := db.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), &handlers); err != nil && ctx.Err() == nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case p := <-payloads: // Listen calls every handler with "" once it listens
		if p != "" {
			t.Fatalf("first payload %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the instance does not listen")
	}
	return db, payloads, &hold
}

// waitAnnounced waits until the database announces a change of member id.
func waitAnnounced(t *testing.T, payloads <-chan string, id int64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case p := <-payloads:
			if p == "" || slices.Contains(strings.Split(p, ","), strconv.FormatInt(id, 10)) {
				return
			}
		case <-deadline:
			t.Fatalf("no announcement of member %d", id)
		}
	}
}

func TestCredentialsAreRememberedUntilTheDatabaseAnnouncesAChange(t *testing.T) {
	db := forumtest.DB(t)
	other, payloads := listeningInstance(t)
	ctx := context.Background()
	m, token := memberWithToken(t, db)
	got, err := other.MemberByAPIToken(ctx, token)
	if err != nil || got.ID != m.ID || *got.UnreadNotifications != 0 {
		t.Fatalf("first lookup: %+v %v", got, err)
	}
	waitAnnounced(t, payloads, m.ID) // the token's first use was recorded
	if _, err := other.MemberByAPIToken(ctx, token); err != nil {
		t.Fatal(err)
	}

	// A change made without its announcement is not seen: the answer comes
	// from memory.
	forumtest.Unannounced(t, db, `UPDATE members SET display_name = 'Pas annoncé' WHERE id = $1`, m.ID)
	if got, err := other.MemberByAPIToken(ctx, token); err != nil || got.DisplayName == "Pas annoncé" {
		t.Fatalf("the second lookup read the database: %+v %v", got, err)
	}
	// The handle that does not listen never remembers.
	if got, err := db.MemberByAPIToken(ctx, token); err != nil || got.DisplayName != "Pas annoncé" {
		t.Fatalf("a handle without a listener answered from memory: %+v %v", got, err)
	}

	// Each announced change is seen: a notification (the badge)…
	notifyModeration(t, db, m)
	waitAnnounced(t, payloads, m.ID)
	if got, err := other.MemberByAPIToken(ctx, token); err != nil || *got.UnreadNotifications != 1 || got.DisplayName != "Pas annoncé" {
		t.Fatalf("after a notification: %+v %v", got, err)
	}
	// …a sanction…
	db.SQL().MustExec(`UPDATE members SET suspended_until = now() + interval '1 day' WHERE id = $1`, m.ID)
	waitAnnounced(t, payloads, m.ID)
	if got, err := other.MemberByAPIToken(ctx, token); err != nil || forum.CanLogIn(got, time.Now()) == nil {
		t.Fatalf("a suspended member's token still logs in: %+v %v", got, err)
	}
	// …and a revoked token.
	db.SQL().MustExec(`UPDATE api_tokens SET revoked_at = now() WHERE member_id = $1`, m.ID)
	waitAnnounced(t, payloads, m.ID)
	if _, err := other.MemberByAPIToken(ctx, token); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Fatalf("a revoked token: %v", err)
	}
}

func TestSessionsAreForgottenWhenClosedElsewhere(t *testing.T) {
	db := forumtest.DB(t)
	other, payloads := listeningInstance(t)
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	keep, _, err := db.RotateSession(ctx, "", forum.NewSession{MemberID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	closed, _, err := db.RotateSession(ctx, "", forum.NewSession{MemberID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{keep, closed} {
		if _, got, _, err := other.SessionMember(ctx, token); err != nil || got.ID != m.ID {
			t.Fatalf("first lookup: %+v %v", got, err)
		}
	}
	forumtest.Unannounced(t, db, `UPDATE members SET display_name = 'Pas annoncé' WHERE id = $1`, m.ID)
	if _, got, _, err := other.SessionMember(ctx, keep); err != nil || got.DisplayName == "Pas annoncé" {
		t.Fatalf("the second lookup read the database: %+v %v", got, err)
	}
	if err := db.DeleteSession(ctx, closed); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, payloads, m.ID)
	if _, _, _, err := other.SessionMember(ctx, closed); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Fatalf("a closed session: %v", err)
	}
	// The member's other session is read again, with what changed.
	if _, got, _, err := other.SessionMember(ctx, keep); err != nil || got.DisplayName != "Pas annoncé" {
		t.Fatalf("the other session: %+v %v", got, err)
	}
	// A session that expired while remembered is refused at once.
	if _, _, _, err := other.SessionMember(ctx, keep); err != nil {
		t.Fatal(err)
	}
	forumtest.Unannounced(t, db, `UPDATE sessions SET expires_at = now() WHERE member_id = $1`, m.ID)
	if _, _, _, err := other.SessionMember(ctx, keep); err != nil {
		t.Fatalf("remembered session: %v", err)
	}
	forum.ExpireRememberedSessions(other)
	if _, _, _, err := other.SessionMember(ctx, keep); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Fatalf("an expired session: %v", err)
	}
}

func TestAWriteOnThisInstanceIsSeenAtOnce(t *testing.T) {
	db := forumtest.DB(t)
	other, payloads, hold := pausableInstance(t)
	ctx := context.Background()
	m, token := rememberedMember(t, db, other, payloads)
	// A write that changes nothing of theirs leaves them remembered.
	forumtest.Unannounced(t, db, `UPDATE members SET display_name = 'Avant' WHERE id = $1`, m.ID)
	other.SettleWrite(ctx)
	if got, err := other.MemberByAPIToken(ctx, token); err != nil || got.DisplayName == "Avant" {
		t.Fatalf("forgotten by a write that did not change them: %+v %v", got, err)
	}

	// A write that changes them is settled only once its announcement is
	// heard, however late it comes.
	hold.Lock()
	if _, err := db.SQL().Exec(`UPDATE members SET display_name = 'Après' WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	settled := make(chan struct{})
	go func() {
		other.SettleWrite(ctx)
		close(settled)
	}()
	select {
	case <-settled:
		t.Error("the write was settled before its announcement was heard")
	case <-time.After(100 * time.Millisecond):
	}
	hold.Unlock()
	<-settled
	if got, err := other.MemberByAPIToken(ctx, token); err != nil || got.DisplayName != "Après" {
		t.Fatalf("after the write: %+v %v", got, err)
	}
}

// A write whose marker never comes back (the LISTEN connection is stuck)
// is settled by forgetting everyone.
func TestAWriteNotHeardForgetsEveryone(t *testing.T) {
	db := forumtest.DB(t)
	other, payloads, hold := pausableInstance(t)
	ctx := context.Background()
	m, token := rememberedMember(t, db, other, payloads)
	hold.Lock()
	if _, err := db.SQL().Exec(`UPDATE members SET display_name = 'Oublié' WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	other.SettleWrite(short)
	got, err := other.MemberByAPIToken(ctx, token)
	hold.Unlock()
	if err != nil || got.DisplayName != "Oublié" {
		t.Fatalf("after a write not heard: %+v %v", got, err)
	}
}

// Opening a notification is a link (GET): the badge of the page it leads
// to is read again, whether or not the announcement has arrived.
func TestOpeningANotificationIsSeenAtOnce(t *testing.T) {
	db := forumtest.DB(t)
	other, payloads, hold := pausableInstance(t)
	ctx := context.Background()
	m, token := memberWithToken(t, db)
	notifyModeration(t, db, m)
	waitAnnounced(t, payloads, m.ID)
	if _, err := other.MemberByAPIToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, payloads, m.ID) // the token's first use was recorded
	got, err := other.MemberByAPIToken(ctx, token)
	if err != nil || *got.UnreadNotifications != 1 {
		t.Fatalf("before: %+v %v", got, err)
	}
	var id int64
	if err := db.SQL().Get(&id, `SELECT id FROM notifications WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	hold.Lock()
	defer hold.Unlock()
	if _, err := other.OpenNotification(forumtest.As(got), id); err != nil {
		t.Fatal(err)
	}
	if got, err := other.MemberByAPIToken(ctx, token); err != nil || *got.UnreadNotifications != 0 {
		t.Errorf("after opening it: %+v %v", got, err)
	}
}

// memberWithToken creates a member and an API token of theirs.
func memberWithToken(t *testing.T, db *forum.DB) (*forum.Member, string) {
	t.Helper()
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	token, err := db.CreateAPIToken(forum.WithSystem(context.Background()), m.ID, "cache")
	if err != nil {
		t.Fatal(err)
	}
	return m, token
}

// rememberedMember creates a member with an API token and has the other
// instance remember them: once their token's first use was recorded (and
// announced), the next lookup is kept.
func rememberedMember(t *testing.T, db, other *forum.DB, payloads <-chan string) (*forum.Member, string) {
	t.Helper()
	ctx := context.Background()
	m, token := memberWithToken(t, db)
	if _, err := other.MemberByAPIToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, payloads, m.ID)
	if _, err := other.MemberByAPIToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	return m, token
}

// notifyModeration gives m one more notification.
func notifyModeration(t *testing.T, db *forum.DB, m *forum.Member) {
	t.Helper()
	ctx := forum.WithSystem(context.Background())
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		return forum.NotifyModerationTx(ctx, tx, m.ID, forum.ModerationNotice{Action: forum.ModerationActions[0], Reason: "test"})
	})
	if err != nil {
		t.Fatal(err)
	}
}
