package forum_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestUpdateSettingsValidatesLogsAndNotifies(t *testing.T) {
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)

	// A second handle on the same database stands for another instance.
	other, err := forum.Open(context.Background(), forumtest.URL(t), forum.PoolOptions{MaxConns: 2, WaitFor: 5 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{})
	invalidated := make(chan struct{}, 10)
	var inv forum.Invalidations
	other.RegisterCaches(&inv)
	inv.On(forum.ChannelSettings, func(string) {
		select {
		case <-listening:
			invalidated <- struct{}{}
		default:
			close(listening) // the first call is the start-up invalidation
		}
	})
	go func() {
		_ = other.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), &inv)
	}() // returns when the test ends
	<-listening
	before, err := other.Settings(context.Background())
	if err != nil || before.SiteName != "Palabre" {
		t.Fatalf("defaults: %+v %v", before, err)
	}

	patch := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, c := range []struct {
		body, field, code string
	}{
		{`{"site_name": "  "}`, "site_name", forum.EINVALID},
		{`{"registration_mode": "sometimes"}`, "registration_mode", forum.EINVALID},
		{`{"links_per_post": "many"}`, "links_per_post", forum.EINVALID},
		{`{"colour": "red"}`, "colour", forum.EINVALID},
		{`{"title_min_length": 10, "title_max_length": 5}`, "title_max_length", forum.EINVALID},
	} {
		_, err := db.UpdateSettings(forumtest.As(admin), patch(c.body))
		fe := forum.AsError(err)
		if fe.Code != c.code || fe.Field != c.field {
			t.Errorf("UpdateSettings(%s) = %v, want %s on %s", c.body, err, c.code, c.field)
		}
	}
	if _, err := db.UpdateSettings(forumtest.As(mod), patch(`{"site_name": "X"}`)); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a moderator changed settings: %v", err)
	}

	s, err := db.UpdateSettings(forumtest.As(admin), patch(`{"site_name": "Le Forum", "registration_mode": "approval"}`))
	if err != nil || s.SiteName != "Le Forum" || s.RegistrationMode != forum.RegistrationApproval {
		t.Fatalf("update: %+v %v", s, err)
	}
	select {
	case <-invalidated:
	case <-time.After(5 * time.Second):
		t.Fatal("the other instance was not notified")
	}
	got, err := other.Settings(context.Background())
	if err != nil || got.SiteName != "Le Forum" {
		t.Errorf("the other instance sees %q", got.SiteName)
	}
	var logged struct {
		Action string          `db:"action"`
		Before json.RawMessage `db:"before"`
		After  json.RawMessage `db:"after"`
	}
	if err := db.SQL().Get(&logged, `SELECT action, before, after FROM mod_log WHERE action = 'settings.update' AND actor_id = $1`, admin.ID); err != nil {
		t.Fatal(err)
	}
	var b, a map[string]string
	if err := json.Unmarshal(logged.Before, &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(logged.After, &a); err != nil {
		t.Fatal(err)
	}
	if b["site_name"] != "Palabre" || a["site_name"] != "Le Forum" || a["registration_mode"] != "approval" || len(a) != 2 {
		t.Errorf("log before/after: %s → %s", logged.Before, logged.After)
	}
	// Put the defaults back for the other tests of the package.
	if _, err := db.UpdateSettings(forumtest.As(admin), patch(`{"site_name": "Palabre", "registration_mode": "open"}`)); err != nil {
		t.Fatal(err)
	}
}

// The forum's time zone is an IANA name, Europe/Paris by default; the
// dashboard's days start at midnight there.
func TestTimeZoneSetting(t *testing.T) {
	s := forum.DefaultSettings()
	if s.TimeZone != "Europe/Paris" || s.Location().String() != "Europe/Paris" {
		t.Fatalf("default time zone %q", s.TimeZone)
	}
	for zone, ok := range map[string]bool{"UTC": true, "America/Montreal": true, "Mars/Olympus": false, "": false, "Local": false, "+02:00": false} {
		s := forum.DefaultSettings()
		s.TimeZone = zone
		err := s.Validate()
		if ok && err != nil {
			t.Errorf("%q: %v", zone, err)
		}
		if !ok && forum.ErrorCode(err) != forum.EINVALID {
			t.Errorf("%q accepted: %v", zone, err)
		}
	}
}
