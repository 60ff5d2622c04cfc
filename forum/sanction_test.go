package forum_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// reload reads a member again, as the next request would.
func reload(t *testing.T, db *forum.DB, m *forum.Member) *forum.Member {
	t.Helper()
	got, err := db.MemberByID(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSanctionPermissionsMatrix(t *testing.T) {
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 3)
	member := forumtest.MustMember(t, db, forum.RoleMember, 4)
	until := time.Now().Add(24 * time.Hour)

	cases := []struct {
		label  string
		ctx    context.Context
		target *forum.Member
		code   string
	}{
		{"visitor", context.Background(), forumtest.MustMember(t, db, forum.RoleMember, 0), forum.EUNAUTHORIZED},
		{"member on member", forumtest.As(member), forumtest.MustMember(t, db, forum.RoleMember, 0), forum.EFORBIDDEN},
		{"moderator on member", forumtest.As(mod), forumtest.MustMember(t, db, forum.RoleMember, 0), ""},
		{"moderator on moderator", forumtest.As(mod), forumtest.MustMember(t, db, forum.RoleModerator, 0), forum.EFORBIDDEN},
		{"moderator on admin", forumtest.As(mod), admin, forum.EFORBIDDEN},
		{"moderator on self", forumtest.As(mod), mod, forum.EFORBIDDEN},
		{"admin on moderator", forumtest.As(admin), forumtest.MustMember(t, db, forum.RoleModerator, 0), ""},
		{"admin on admin", forumtest.As(admin), forumtest.MustMember(t, db, forum.RoleAdmin, 0), ""},
		{"admin on self", forumtest.As(admin), admin, forum.EFORBIDDEN},
		{"system on admin", forum.WithSystem(context.Background()), forumtest.MustMember(t, db, forum.RoleAdmin, 0), ""},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			for _, kind := range []string{forum.SanctionWarning, forum.SanctionSilence, forum.SanctionSuspension, forum.SanctionBan} {
				_, err := db.Sanction(c.ctx, forum.SanctionOrder{MemberID: c.target.ID, Kind: kind, Reason: "Propos insultants", Until: &until})
				if forum.ErrorCode(err) != c.code {
					t.Fatalf("%s: error %v, want code %q", kind, err, c.code)
				}
			}
			if c.code == "" {
				got := reload(t, db, c.target)
				if !got.IsSilenced(time.Now()) || !got.IsSuspended(time.Now()) || !got.IsBanned() || got.SanctionReason != "Propos insultants" {
					t.Errorf("sanctions not in force: %+v", got)
				}
			}
		})
	}
}

func TestSanctionValidation(t *testing.T) {
	db := forumtest.DB(t)
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 3))
	target := forumtest.MustMember(t, db, forum.RoleMember, 0)
	past, far := time.Now().Add(-time.Hour), time.Now().Add(11*365*24*time.Hour)
	for _, c := range []struct {
		label string
		order forum.SanctionOrder
		code  string
		field string
	}{
		{"no reason", forum.SanctionOrder{Kind: forum.SanctionWarning, Reason: "  "}, forum.EINVALID, "reason"},
		{"overlong reason", forum.SanctionOrder{Kind: forum.SanctionWarning, Reason: strings.Repeat("é", 1001)}, forum.ETOOLARGE, "reason"},
		{"invalid UTF-8", forum.SanctionOrder{Kind: forum.SanctionWarning, Reason: "bad \xff"}, forum.EINVALID, "reason"},
		{"control characters", forum.SanctionOrder{Kind: forum.SanctionWarning, Reason: "bad \x1b[31m"}, forum.EINVALID, "reason"},
		{"unknown kind", forum.SanctionOrder{Kind: "exile", Reason: "x"}, forum.EINVALID, "kind"},
		{"silence without end", forum.SanctionOrder{Kind: forum.SanctionSilence, Reason: "x"}, forum.EINVALID, "until"},
		{"end in the past", forum.SanctionOrder{Kind: forum.SanctionSuspension, Reason: "x", Until: &past}, forum.EINVALID, "until"},
		{"end too far", forum.SanctionOrder{Kind: forum.SanctionSuspension, Reason: "x", Until: &far}, forum.EINVALID, "until"},
		{"unknown member", forum.SanctionOrder{MemberID: -1, Kind: forum.SanctionWarning, Reason: "x"}, forum.ENOTFOUND, ""},
	} {
		if c.order.MemberID == 0 {
			c.order.MemberID = target.ID
		}
		_, err := db.Sanction(mod, c.order)
		if fe := forum.AsError(err); err == nil || fe.Code != c.code || fe.Field != c.field {
			t.Errorf("%s: %v, want %s on %q", c.label, err, c.code, c.field)
		}
	}
	// A SQL-looking reason is stored as typed.
	s, err := db.Warn(mod, target.ID, "'); DROP TABLE sanctions; --")
	if err != nil || s.Reason != "'); DROP TABLE sanctions; --" {
		t.Fatalf("warn: %v %+v", err, s)
	}
}

func TestSanctionsEndByThemselvesAndCanBeLifted(t *testing.T) {
	db := forumtest.DB(t)
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 3))
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	until := time.Now().Add(2 * time.Hour)
	if _, err := db.Silence(mod, target.ID, "Spam répété", until); err != nil {
		t.Fatal(err)
	}
	got := reload(t, db, target)
	if !got.IsSilenced(time.Now()) || got.IsSilenced(until.Add(time.Second)) || got.IsSuspended(time.Now()) {
		t.Errorf("silence does not end at its date: %+v", got)
	}

	// A silenced member cannot post and is told until when and why.
	_, err := db.RequirePoster(forumtest.As(got))
	fe := forum.AsError(err)
	if fe.Code != forum.EFORBIDDEN || fe.Args["Reason"] != "Spam répété" || fe.Args["Until"] != forum.FormatSanctionDate(until) {
		t.Errorf("silenced poster: %v %v", err, fe.Args)
	}
	if _, err := db.RequirePoster(forumtest.As(target)); err != nil {
		t.Errorf("before the silence: %v", err)
	}

	if err := db.LiftSanction(mod, target.ID, forum.SanctionSilence, "Erreur"); err != nil {
		t.Fatal(err)
	}
	if got := reload(t, db, target); got.IsSilenced(time.Now()) || got.SanctionReason != "" {
		t.Errorf("after lifting: %+v", got)
	}
	if err := db.LiftSanction(mod, target.ID, forum.SanctionSilence, ""); forum.ErrorCode(err) != forum.ECONFLICT {
		t.Errorf("lifting nothing: %v", err)
	}
	list, err := db.MemberSanctions(forumtest.As(target), target.ID)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil || list[0].InForce(time.Now()) {
		t.Errorf("sanction history: %v %+v", err, list)
	}
	if _, err := db.MemberSanctions(forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, 2)), target.ID); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("another member reads the sanctions: %v", err)
	}
}

func TestSuspensionEndsSessionsAndExplainsItself(t *testing.T) {
	db := forumtest.DB(t)
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, 4))
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO sessions (token_hash, member_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`,
		forum.HashToken(forumtest.Unique("session")), target.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SuspensionNoticeFor(ctx, target.ID); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("notice before suspension: %v", err)
	}
	until := time.Now().Add(72 * time.Hour)
	if _, err := db.Suspend(admin, target.ID, "Harcèlement", until); err != nil {
		t.Fatal(err)
	}
	var sessions int
	if err := db.SQL().GetContext(ctx, &sessions, `SELECT count(*) FROM sessions WHERE member_id = $1`, target.ID); err != nil {
		t.Fatal(err)
	}
	if sessions != 0 {
		t.Errorf("%d sessions left after suspension", sessions)
	}
	n, err := db.SuspensionNoticeFor(ctx, target.ID)
	if err != nil || n.Kind != forum.SanctionSuspension || n.Reason != "Harcèlement" || n.Until == nil || n.Until.Sub(until).Abs() > time.Microsecond {
		t.Errorf("notice: %v %+v", err, n)
	}
	if _, err := db.Ban(admin, target.ID, "Récidive"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.SuspensionNoticeFor(ctx, target.ID); err != nil || n.Kind != forum.SanctionBan || n.Until != nil {
		t.Errorf("notice after ban: %v %+v", err, n)
	}
}

func TestSanctionsAreWrittenToTheModerationLog(t *testing.T) {
	db := forumtest.DB(t)
	modM := forumtest.MustMember(t, db, forum.RoleModerator, 3)
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	until := time.Now().Add(time.Hour)
	if _, err := db.Silence(forumtest.As(modM), target.ID, "Hors sujet", until); err != nil {
		t.Fatal(err)
	}
	if err := db.LiftSanction(forumtest.As(modM), target.ID, forum.SanctionSilence, "Excuses"); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ActorID *int64          `db:"actor_id"`
		Action  string          `db:"action"`
		Reason  string          `db:"reason"`
		Before  json.RawMessage `db:"before"`
		After   json.RawMessage `db:"after"`
	}
	err := db.SQL().SelectContext(context.Background(), &rows, `SELECT actor_id, action, reason, before, after FROM mod_log
		WHERE target_type = 'member' AND target_id = $1 ORDER BY id`, target.ID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("log rows: %v %d", err, len(rows))
	}
	if rows[0].Action != "member.silence" || rows[0].Reason != "Hors sujet" || *rows[0].ActorID != modM.ID ||
		!strings.Contains(string(rows[0].Before), `"silenced_until": null`) || !strings.Contains(string(rows[0].After), "Hors sujet") {
		t.Errorf("silence row: %+v %s %s", rows[0], rows[0].Before, rows[0].After)
	}
	if rows[1].Action != "sanction.lift" || rows[1].Reason != "Excuses" {
		t.Errorf("lift row: %+v", rows[1])
	}
	// The member is told, in their notifications.
	var notes []string
	if err := db.SQL().SelectContext(context.Background(), &notes, `SELECT data->>'action' || ':' || (data->>'reason') FROM notifications
		WHERE member_id = $1 AND kind = 'moderation' ORDER BY id`, target.ID); err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0] != "silence:Hors sujet" || notes[1] != "lifted:Excuses" {
		t.Errorf("notifications: %q", notes)
	}
}

func TestAppealOncePerSanction(t *testing.T) {
	db := forumtest.DB(t)
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleModerator, 3))
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	s, err := db.Warn(mod, target.ID, "Ton agressif")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppealSanction(forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, 1)), s.ID, "pas moi"); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("appeal by someone else: %v", err)
	}
	if _, err := db.AppealSanction(forumtest.As(target), s.ID, " "); forum.ErrorCode(err) != forum.EINVALID {
		t.Errorf("empty appeal: %v", err)
	}
	got, err := db.AppealSanction(forumtest.As(target), s.ID, "Je citais quelqu’un d’autre.")
	if err != nil || got.AppealedAt == nil || got.AppealText != "Je citais quelqu’un d’autre." || got.CanAppeal() {
		t.Fatalf("appeal: %v %+v", err, got)
	}
	if _, err := db.AppealSanction(forumtest.As(target), s.ID, "encore"); forum.ErrorCode(err) != forum.ECONFLICT {
		t.Errorf("second appeal: %v", err)
	}
}
