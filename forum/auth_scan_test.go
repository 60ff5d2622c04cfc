package forum_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// The authentication queries scan their member by hand (no reflection):
// what they return is the member as read anywhere else, every field, with
// the unread count of the header.
func TestAuthenticatedMemberIsTheWholeMember(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleModerator, 3)
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	db.MustExec(`UPDATE members SET display_name = 'Zoé', locale = 'en', guidelines_version = 2, silenced_until = $2,
		sanction_reason = 'essai', email_verified_at = now(), last_seen_at = now() WHERE id = $1`, m.ID, until)
	want, err := db.MemberByID(forum.WithSystem(context.Background()), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	token, err := db.CreateAPIToken(forum.WithSystem(context.Background()), m.ID, "essai")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.MemberByAPIToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if got.UnreadNotifications == nil || *got.UnreadNotifications != 0 {
		t.Errorf("unread count %v, want 0", got.UnreadNotifications)
	}
	got.UnreadNotifications = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by token:\n%+v\nwant\n%+v", got, want)
	}
	session, _, err := db.RotateSession(context.Background(), "", forum.NewSession{MemberID: m.ID, UserAgent: "test", ClientIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, got, _, err = db.SessionMember(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	got.UnreadNotifications = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by session:\n%+v\nwant\n%+v", got, want)
	}
}
