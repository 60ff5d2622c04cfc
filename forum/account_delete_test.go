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

// post makes m write a thread with one post.
func post(t *testing.T, db *forum.DB, m *forum.Member, body string) (threadID, postID int64) {
	t.Helper()
	cat := forumtest.MustCategory(t, db)
	err := db.SQL().QueryRowxContext(context.Background(), `
		WITH t AS (INSERT INTO threads (category_id, author_id, title, slug, post_count) VALUES ($1, $2, 'Mon sujet', 'mon-sujet', 1) RETURNING id)
		INSERT INTO posts (thread_id, number, author_id, body_markdown, body_html)
		SELECT id, 1, $2, $3, '<p>' || $3 || '</p>' FROM t RETURNING thread_id, id`, cat.ID, m.ID, body).Scan(&threadID, &postID)
	if err != nil {
		t.Fatal(err)
	}
	return threadID, postID
}

func TestDeleteAccountAnonymisesAndKeepsPosts(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	_, postID := post(t, db, m, "Bonjour à tous")
	token, err := db.CreateAPIToken(forumtest.As(m), m.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	bio := "Je **cuisine**"
	html := "<p>Je <strong>cuisine</strong></p>"
	name := "Marie"
	if _, err := db.UpdateProfile(forumtest.As(m), forum.ProfileUpdate{DisplayName: &name, BioMarkdown: &bio, BioHTML: &html}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordVisit(ctx, m.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Warn(forum.WithSystem(ctx), m.ID, "Attention"); err != nil {
		t.Fatal(err)
	}

	if err := db.DeleteAccount(forumtest.As(m), "wrong password!"); forum.AsError(err).Field != "password" || forum.ErrorCode(err) != forum.EINVALID {
		t.Fatalf("wrong password: %v", err)
	}
	if err := db.DeleteAccount(forumtest.As(m), forumtest.Password); err != nil {
		t.Fatal(err)
	}

	got := reload(t, db, m)
	if got.Status != "deleted" || got.Username != forum.DeletedUsername(m.ID) || got.Email != "" || got.DisplayName != "" {
		t.Errorf("not anonymised: %+v", got)
	}
	var row struct {
		Hash string `db:"password_hash"`
		Bio  string `db:"bio_markdown"`
		HTML string `db:"bio_html"`
	}
	if err := db.SQL().GetContext(ctx, &row, `SELECT password_hash, bio_markdown, bio_html FROM members WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if row != (struct {
		Hash string `db:"password_hash"`
		Bio  string `db:"bio_markdown"`
		HTML string `db:"bio_html"`
	}{}) {
		t.Errorf("personal data left: %+v", row)
	}
	var author *int64
	var body string
	if err := db.SQL().QueryRowxContext(ctx, `SELECT author_id, body_markdown FROM posts WHERE id = $1`, postID).Scan(&author, &body); err != nil {
		t.Fatal(err)
	}
	if author == nil || *author != m.ID || body != "Bonjour à tous" {
		t.Errorf("post not kept: %v %q", author, body)
	}
	for _, table := range []string{"sessions", "api_tokens", "member_visits", "notifications"} {
		var n int
		if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM `+table+` WHERE member_id = $1`, m.ID); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	var mails int
	if err := db.SQL().GetContext(ctx, &mails, `SELECT count(*) FROM outbox WHERE recipient = $1`, m.Email); err != nil {
		t.Fatal(err)
	}
	if mails != 0 {
		t.Errorf("%d mails to the deleted address kept", mails)
	}
	if _, err := db.MemberByAPIToken(ctx, token); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("token still works: %v", err)
	}
	if _, err := db.MemberByUsername(ctx, m.Username); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("old name still found: %v", err)
	}
	if _, err := db.ProfileByUsername(ctx, forum.DeletedUsername(m.ID)); forum.ErrorCode(err) != forum.ENOTFOUND {
		t.Errorf("deleted profile shown: %v", err)
	}
	var logged int
	if err := db.SQL().GetContext(ctx, &logged, `SELECT count(*) FROM mod_log WHERE target_type = 'member' AND target_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if logged != 2 {
		t.Errorf("%d log rows, want the warning and the deletion", logged)
	}
	// The name is free again, and a member may even take the placeholder's
	// spelling without a clash.
	if _, err := db.CreateMember(forum.WithSystem(ctx), forum.NewMember{Username: m.Username, Email: forumtest.Unique("x") + "@example.org", Password: forumtest.Password}); err != nil {
		t.Errorf("reusing the name: %v", err)
	}
	if _, err := db.CreateMember(forum.WithSystem(ctx), forum.NewMember{Username: forum.DeletedUsername(m.ID), Email: forumtest.Unique("x") + "@example.org", Password: forumtest.Password}); err != nil {
		t.Errorf("taking the placeholder's spelling: %v", err)
	}
}

func TestExportHoldsWhatTheMemberWroteAndNoSecret(t *testing.T) {
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	other := forumtest.MustMember(t, db, forum.RoleMember, 1)
	post(t, db, m, "Ma **recette** de crêpes")
	post(t, db, other, "Pas à moi")
	if _, err := db.CreateAPIToken(forumtest.As(m), m.ID, "mon script"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Warn(forum.WithSystem(context.Background()), m.ID, "Restez courtois"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExportAccount(context.Background()); forum.ErrorCode(err) != forum.EUNAUTHORIZED {
		t.Errorf("anonymous export: %v", err)
	}
	exp, err := db.ExportAccount(forumtest.As(m))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(exp)
	s := string(b)
	for _, want := range []string{m.Email, "Ma **recette** de crêpes", "Mon sujet", "mon script", "Restez courtois", `"replies":true`} {
		if !strings.Contains(s, want) {
			t.Errorf("export lacks %q: %s", want, s)
		}
	}
	for _, banned := range []string{"Pas à moi", "argon2", "token_hash", "password"} {
		if strings.Contains(s, banned) {
			t.Errorf("export holds %q: %s", banned, s)
		}
	}
	if len(exp.Posts) != 1 || len(exp.Threads) != 1 || len(exp.APITokens) != 1 || len(exp.Sanctions) != 1 {
		t.Errorf("export counts: %+v", exp)
	}
}

func TestProfilesAndSettings(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	m := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	post(t, db, m, "Premier message")
	p, err := db.ProfileByUsername(ctx, strings.ToUpper(m.Username))
	if err != nil || p.Member.ID != m.ID || p.Member.PostCount != 1 || len(p.RecentPosts) != 1 || p.RecentPosts[0].ThreadTitle != "Mon sujet" {
		t.Fatalf("profile: %v %+v", err, p)
	}
	for _, name := range []string{"nobody-" + forumtest.Unique("x"), "'; DROP TABLE members; --", "\xff\xfe", strings.Repeat("a", 300)} {
		if _, err := db.ProfileByUsername(ctx, name); forum.ErrorCode(err) != forum.ENOTFOUND {
			t.Errorf("profile of %q: %v", name, err)
		}
	}

	bad := []struct {
		label string
		u     forum.ProfileUpdate
		field string
	}{
		{"overlong display name", forum.ProfileUpdate{DisplayName: ptr(strings.Repeat("é", 51))}, "display_name"},
		{"invalid UTF-8", forum.ProfileUpdate{DisplayName: ptr("Mar\xffie")}, "display_name"},
		{"newline in name", forum.ProfileUpdate{DisplayName: ptr("Marie\nCurie")}, "display_name"},
		{"unknown language", forum.ProfileUpdate{Locale: ptr("de")}, "locale"},
		{"overlong bio", forum.ProfileUpdate{BioMarkdown: ptr(strings.Repeat("x", 3001)), BioHTML: ptr("")}, "bio"},
	}
	for _, c := range bad {
		if _, err := db.UpdateProfile(forumtest.As(m), c.u); forum.AsError(err).Field != c.field {
			t.Errorf("%s: %v", c.label, err)
		}
	}
	sqlish := "Robert'); DROP TABLE members;--"
	s, err := db.UpdateProfile(forumtest.As(m), forum.ProfileUpdate{DisplayName: ptr("  " + sqlish[:20] + "  "), Locale: ptr("en"),
		Notifications: &forum.NotificationPrefs{Replies: false, Mentions: true, Likes: true}})
	if err != nil || s.DisplayName != sqlish[:20] || s.Locale != "en" || s.Notifications.Replies || !s.Notifications.Likes {
		t.Errorf("update: %v %+v", err, s)
	}
	// Fields left out stay.
	s, err = db.UpdateProfile(forumtest.As(m), forum.ProfileUpdate{Locale: ptr("")})
	if err != nil || s.DisplayName != sqlish[:20] || !s.Notifications.Likes {
		t.Errorf("partial update: %v %+v", err, s)
	}

	// Password change: the current one is required, the new one checked.
	if err := db.ChangePassword(forumtest.As(m), "not my password", "a much better passphrase", ""); forum.AsError(err).Field != "current_password" {
		t.Errorf("wrong current password: %v", err)
	}
	if err := db.ChangePassword(forumtest.As(m), forumtest.Password, "password123", ""); forum.AsError(err).Field != "new_password" {
		t.Errorf("common new password: %v", err)
	}
	bg := context.Background()
	here, _, err := db.RotateSession(bg, "", forum.NewSession{MemberID: m.ID, UserAgent: "here"})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, _, err := db.RotateSession(bg, "", forum.NewSession{MemberID: m.ID, UserAgent: "elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ChangePassword(forumtest.As(m), forumtest.Password, "a much better passphrase", here); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.SessionMember(bg, here); err != nil {
		t.Errorf("the session that changed the password was closed: %v", err)
	}
	if _, got, _, err := db.SessionMember(bg, elsewhere); err == nil && got != nil {
		t.Error("another session survived the password change")
	}
	if err := db.DeleteAccount(forumtest.As(m), forumtest.Password); forum.AsError(err).Field != "password" {
		t.Errorf("old password still accepted: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
