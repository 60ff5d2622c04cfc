package server

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// loggedIn returns a browser logged in as a new member.
func loggedIn(t *testing.T, s *Server, role forum.Role, trust int) (*browser, *forum.Member) {
	t.Helper()
	m := forumtest.MustMember(t, forumtest.DB(t), role, trust)
	b := newBrowser(s)
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", w.Code, w.Body)
	}
	return b, m
}

func TestProfilePageAndAPIShowPublicDataOnly(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	ctx := forumtest.As(m)
	u, err := s.pipeline.PrepareProfile(ctx, m, ptr("Camille D."), ptr("Jardinière. <script>alert(1)</script> [site](https://example.org)"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateProfile(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Warn(forum.WithSystem(context.Background()), m.ID, "Secret reason"); err != nil {
		t.Fatal(err)
	}

	w := s.do(t, request{path: "/u/" + strings.ToUpper(m.Username), header: map[string]string{"Accept-Language": "en"}})
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("profile: %d %s", w.Code, body)
	}
	for _, want := range []string{"Camille D.", "@" + m.Username, "Moderator", "Member", "Joined", `rel="nofollow ugc noopener"`, "Jardinière"} {
		if !strings.Contains(body, want) {
			t.Errorf("profile lacks %q", want)
		}
	}
	for _, banned := range []string{"<script>alert", m.Email, "Secret reason"} {
		if strings.Contains(body, banned) {
			t.Errorf("profile shows %q", banned)
		}
	}

	w = s.do(t, request{path: "/api/v1/members/" + m.Username})
	var got forum.Profile
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || got.Member.DisplayName != "Camille D." || got.Member.TrustLevel != 2 {
		t.Fatalf("API profile: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), m.Email) || strings.Contains(w.Body.String(), "Secret") || strings.Contains(w.Body.String(), "sanction") {
		t.Errorf("API profile leaks: %s", w.Body)
	}
	for _, path := range []string{"/u/nobody-" + forumtest.Unique("x"), "/u/%27%3B%20DROP%20TABLE%20members%3B--", "/u/%ff%fe", "/api/v1/members/%ff"} {
		if w := s.do(t, request{path: path}); w.Code != 404 {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
}

func TestUpdateMeThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	auth := bearer(t, db, m)
	patch := func(body string) (int, apiErrorBody, string) {
		w := s.do(t, request{method: "PATCH", path: "/api/v1/me", body: body, header: auth})
		if w.Code >= 400 {
			return w.Code, decodeError(t, w), w.Body.String()
		}
		return w.Code, apiErrorBody{}, w.Body.String()
	}
	for _, c := range []struct {
		label, body string
		status      int
		field       string
	}{
		{"overlong bio", `{"bio": "` + strings.Repeat("x", 3001) + `"}`, 413, "bio"},
		{"invalid UTF-8 in display name", "{\"display_name\": \"Mar\xffie\"}", 400, "display_name"},
		{"escaped control character", `{"display_name": "Marie\u0007"}`, 400, "display_name"},
		{"overlong display name", `{"display_name": "` + strings.Repeat("é", 51) + `"}`, 413, "display_name"},
		{"unknown language", `{"locale": "de"}`, 400, "locale"},
		{"unknown field", `{"email": "x@example.org"}`, 400, ""},
		{"wrong current password", `{"display_name": "Changed", "current_password": "nope nope nope", "new_password": "a much better passphrase"}`, 400, "current_password"},
		{"common new password", `{"current_password": "` + forumtest.Password + `", "new_password": "password1234"}`, 400, "new_password"},
	} {
		status, e, body := patch(c.body)
		if status != c.status || e.Field != c.field || e.Message == "" {
			t.Errorf("%s: %d %s", c.label, status, body)
		}
	}
	if got, _ := db.MemberByID(context.Background(), m.ID); got.DisplayName != "" {
		t.Errorf("a refused request changed the display name to %q", got.DisplayName)
	}

	sqlish := `Robert'); DROP TABLE members;--`
	status, _, body := patch(`{"display_name": "` + sqlish + `", "bio": "![chat](https://example.org/chat.png)", "locale": "en",
		"email_notifications": {"replies": false, "mentions": true, "quotes": true, "likes": true, "moderation": true}}`)
	var res struct {
		Member   forum.Member
		Settings forum.AccountSettings
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if status != 200 || res.Member.DisplayName != sqlish || res.Member.Locale != "en" || res.Settings.Notifications.Replies || !res.Settings.Notifications.Likes {
		t.Fatalf("update: %d %s", status, body)
	}
	p, _ := db.ProfileByUsername(context.Background(), m.Username)
	if strings.Contains(p.Member.BioHTML, "<img") || !strings.Contains(p.Member.BioHTML, "https://example.org/chat.png") {
		t.Errorf("a TL0 bio shows an image: %s", p.Member.BioHTML)
	}
	if status, _, body := patch(`{"current_password": "` + forumtest.Password + `", "new_password": "a much better passphrase"}`); status != 200 {
		t.Errorf("password change: %d %s", status, body)
	}
	if w := newBrowser(s).logIn(t, m.Username, "a much better passphrase", false); w.Code != http.StatusSeeOther {
		t.Errorf("log-in with the new password: %d", w.Code)
	}
}

func TestAccountPageFormsComeBackFilled(t *testing.T) {
	s := newTestServer(t)
	b, m := loggedIn(t, s, forum.RoleMember, 1)
	w := b.do(t, "GET", "/account", nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `name="display_name"`) || !strings.Contains(w.Body.String(), "No sanction") {
		t.Fatalf("account page: %d %s", w.Code, w.Body)
	}

	bio := "Mon **jardin** & moi"
	form := url.Values{"display_name": {strings.Repeat("n", 60)}, "bio": {bio}, "locale": {"fr"}, "notify_likes": {"on"}}
	w = b.do(t, "POST", "/account", form, nil)
	body := w.Body.String()
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "at most 50 characters") ||
		!strings.Contains(body, html.EscapeString(bio)) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("refused profile: %d %s", w.Code, body)
	}
	form.Set("display_name", "Ma\xffrie")
	if w := b.do(t, "POST", "/account", form, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "UTF-8") {
		t.Errorf("invalid UTF-8: %d", w.Code)
	}

	form.Set("display_name", "Marie")
	w = b.do(t, "POST", "/account", form, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account?saved=profile" {
		t.Fatalf("saving: %d %s", w.Code, w.Body)
	}
	// The member chose French: the page follows.
	w = b.do(t, "GET", "/account?saved=profile", nil, nil)
	if !strings.Contains(w.Body.String(), "Votre profil a été enregistré") || !strings.Contains(w.Body.String(), `value="Marie"`) {
		t.Errorf("after saving: %s", w.Body)
	}

	w = b.do(t, "POST", "/account/password", url.Values{"current_password": {"wrong one!!"}, "new_password": {"x"}, "confirm_password": {"y"}}, nil)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Les deux nouveaux mots de passe diffèrent") {
		t.Errorf("different passwords: %d", w.Code)
	}
	w = b.do(t, "POST", "/account/password", url.Values{"current_password": {"wrong one!!"}, "new_password": {"a fine new passphrase"}, "confirm_password": {"a fine new passphrase"}}, nil)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Ce n’est pas votre mot de passe actuel") {
		t.Errorf("wrong current password: %d", w.Code)
	}
	_ = m
}

func TestSilencedMembersSeeABannerAndCannotPost(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	b, m := loggedIn(t, s, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, db)
	until := time.Now().Add(48 * time.Hour)
	if _, err := db.Silence(forum.WithSystem(context.Background()), m.ID, "Messages publicitaires", until); err != nil {
		t.Fatal(err)
	}
	w := b.do(t, "GET", "/", nil, nil)
	if !strings.Contains(w.Body.String(), "silenced until "+s.catalog.Lang("en").DateTime(until)) {
		t.Errorf("no silence banner: %s", w.Body)
	}
	w = b.json(t, "POST", "/api/v1/threads", `{"category_id": `+idText(cat.ID)+`, "title": "Promo du jour", "body": "Achetez !"}`, nil)
	if w.Code != 403 {
		t.Fatalf("silenced post: %d %s", w.Code, w.Body)
	}
	e := decodeError(t, w)
	if !strings.Contains(e.Message, "Messages publicitaires") || !strings.Contains(e.Message, forum.FormatSanctionDate(until)) {
		t.Errorf("silenced post message: %s", e.Message)
	}
	w = b.do(t, "GET", "/account", nil, nil)
	if !strings.Contains(w.Body.String(), "Messages publicitaires") || !strings.Contains(w.Body.String(), "/account/sanctions/") {
		t.Errorf("account page lacks the sanction and its appeal form")
	}
	list, _ := db.MemberSanctions(forumtest.As(m), m.ID)
	w = b.do(t, "POST", "/account/sanctions/"+idText(list[0].ID)+"/appeal", url.Values{"appeal": {"  "}}, nil)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Explain why") {
		t.Errorf("empty appeal: %d", w.Code)
	}
	w = b.do(t, "POST", "/account/sanctions/"+idText(list[0].ID)+"/appeal", url.Values{"appeal": {"C’était une erreur de ma part."}}, nil)
	if w.Code != http.StatusSeeOther {
		t.Errorf("appeal: %d %s", w.Code, w.Body)
	}
}

func TestSuspendedPageExplains(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	w := s.do(t, request{path: "/suspended", header: map[string]string{"Accept-Language": "en"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "A suspended account cannot log in") {
		t.Errorf("suspended page: %d %s", w.Code, w.Body)
	}

	// What the log-in shows a suspended member once their password is right.
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	until := time.Now().Add(72 * time.Hour)
	if _, err := db.Suspend(forum.WithSystem(context.Background()), m.ID, "Insultes <répétées>", until); err != nil {
		t.Fatal(err)
	}
	notice, err := db.SuspensionNoticeFor(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest("POST", "/login", nil)
	c.Request.Header.Set("Accept-Language", "fr")
	s.renderSuspension(c, notice)
	body := rec.Body.String()
	if rec.Code != 403 || !strings.Contains(body, "Insultes &lt;répétées&gt;") || !strings.Contains(body, s.catalog.Lang("fr").DateTime(until)) ||
		!strings.Contains(body, "Fin de la suspension") {
		t.Errorf("suspension notice: %d %s", rec.Code, body)
	}
}

func TestExportAndDeleteAccount(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	b, m := loggedIn(t, s, forum.RoleMember, 1)
	token := bearer(t, db, m)

	w := b.do(t, "GET", "/account/export", nil, nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %d %v", w.Code, w.Header())
	}
	var exp forum.AccountExport
	if err := json.Unmarshal(w.Body.Bytes(), &exp); err != nil || exp.Account.Email != m.Email || len(exp.Sessions) != 1 || len(exp.APITokens) != 1 {
		t.Errorf("export: %v %s", err, w.Body)
	}
	if strings.Contains(w.Body.String(), "argon2") || strings.Contains(w.Body.String(), "hash") {
		t.Errorf("export holds a secret: %s", w.Body)
	}
	if w := s.do(t, request{path: "/api/v1/me/export", header: token}); w.Code != 200 || !strings.Contains(w.Body.String(), m.Email) {
		t.Errorf("API export: %d", w.Code)
	}
	if w := s.do(t, request{path: "/api/v1/me/export"}); w.Code != 401 {
		t.Errorf("anonymous export: %d", w.Code)
	}

	w = b.do(t, "POST", "/account/delete", url.Values{"password": {"'; DELETE FROM members; --"}}, nil)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "This is not your current password") {
		t.Errorf("wrong password: %d %s", w.Code, w.Body)
	}
	w = b.do(t, "POST", "/account/delete", url.Values{"password": {forumtest.Password}}, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Your account has been deleted") {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if b.me(t) != "" {
		t.Error("still logged in after deleting the account")
	}
	if w := s.do(t, request{path: "/api/v1/me", header: token}); w.Code != 401 {
		t.Errorf("token after deletion: %d", w.Code)
	}
	if w := newBrowser(s).logIn(t, m.Username, forumtest.Password, false); w.Code == http.StatusSeeOther {
		t.Error("a deleted account logs in")
	}
	if w := s.do(t, request{path: "/u/" + m.Username}); w.Code != 404 {
		t.Errorf("deleted profile: %d", w.Code)
	}
}

func TestVisitsAreRecorded(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 0)
	for range 3 {
		s.do(t, request{path: "/api/v1/me", header: bearer(t, db, m)})
	}
	var days int
	if err := db.GetContext(context.Background(), &days, `SELECT count(*) FROM member_visits WHERE member_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if days != 1 {
		t.Errorf("%d visit rows, want 1", days)
	}
}

func ptr[T any](v T) *T { return &v }

func idText(n int64) string { return strconv.FormatInt(n, 10) }

// A member whose address is not confirmed can ask for a new link, not
// every second; a confirmed one is told there is nothing to do.
func TestResendVerificationLink(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustUnconfirmedMember(t, db, forum.RoleMember, 1)
	h := bearer(t, db, m)
	if w := s.do(t, request{path: "/account", header: h}); !strings.Contains(w.Body.String(), `action="/account/verify-email"`) {
		t.Fatalf("the account page offers no new link: %d", w.Code)
	}
	w := s.doForm(t, "/account/verify-email", "", h)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("resend: %d %s", w.Code, w.Body)
	}
	var mails int
	if err := db.SQL().Get(&mails, `SELECT count(*) FROM outbox WHERE recipient = $1 AND kind = 'verify_email'`, m.Email); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("%d verification mails queued, want 1", mails)
	}
	w = s.doForm(t, "/account/verify-email", "", h)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "minute") {
		t.Errorf("second resend at once: %d", w.Code)
	}
	db.SQL().MustExec(`UPDATE members SET email_verified_at = now() WHERE id = $1`, m.ID)
	w = s.doForm(t, "/account/verify-email", "", h)
	if w.Code != http.StatusConflict || strings.Contains(w.Body.String(), `action="/account/verify-email"`) {
		t.Errorf("resend for a confirmed address: %d", w.Code)
	}
}

// A member who signed up is asked on every page to confirm their address,
// and their first post is refused with the reason, kept in the form, until
// they do.
func TestMembersConfirmTheirAddressBeforeTheyPost(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	version := currentGuidelines(t, db)
	cat := forumtest.MustCategory(t, db)
	b := newBrowser(s)
	name := forumtest.Unique("Inès_")
	email := name + "@example.org"
	if w := b.do(t, "POST", "/signup", signUpForm(name, email, "a quiet river bank", version), nil); w.Code != 200 {
		t.Fatalf("sign-up: %d %s", w.Code, w.Body)
	}
	if w := b.logIn(t, name, "a quiet river bank", false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", w.Code, w.Body)
	}
	w := b.do(t, "GET", "/", nil, nil)
	if body := w.Body.String(); !strings.Contains(body, "unconfirmed-banner") || !strings.Contains(body, html.EscapeString(email)) ||
		!strings.Contains(body, `href="/account#email"`) {
		t.Errorf("no banner asking to confirm the address: %s", body)
	}

	w = b.json(t, "POST", "/api/v1/threads", `{"category_id": `+idText(cat.ID)+`, "title": "Bonjour à toutes et à tous", "body": "Je me présente."}`, nil)
	if w.Code != http.StatusForbidden {
		t.Fatalf("thread before confirming: %d %s", w.Code, w.Body)
	}
	if e := decodeError(t, w); !strings.Contains(e.Message, "Confirm your email address") || !strings.Contains(e.Message, email) {
		t.Errorf("refusal: %s", e.Message)
	}
	form := url.Values{"category_id": {idText(cat.ID)}, "title": {"Bonjour à toutes et à tous"}, "body": {"Je me présente : Inès, jardinière."}}
	w = b.do(t, "POST", "/new", form, nil)
	if body := w.Body.String(); w.Code != http.StatusForbidden || !strings.Contains(body, "Je me présente : Inès, jardinière.") ||
		!strings.Contains(body, "Bonjour à toutes et à tous") || !strings.Contains(body, "Confirm your email address") {
		t.Errorf("the refused thread does not come back in the form: %d %s", w.Code, body)
	}

	var token string
	if err := db.SQL().Get(&token, `SELECT data->>'Token' FROM outbox WHERE recipient = $1 AND kind = 'verify_email'`, email); err != nil {
		t.Fatal(err)
	}
	if w := b.do(t, "POST", "/verify-email", url.Values{"token": {token}}, nil); w.Code != 200 || strings.Contains(w.Body.String(), "unconfirmed-banner") {
		t.Fatalf("confirming: %d, or the page saying the address is confirmed asks to confirm it: %s", w.Code, w.Body)
	}
	if w := b.do(t, "GET", "/", nil, nil); strings.Contains(w.Body.String(), "unconfirmed-banner") {
		t.Errorf("the banner stays once the address is confirmed")
	}
	w = b.json(t, "POST", "/api/v1/threads", `{"category_id": `+idText(cat.ID)+`, "title": "Bonjour à toutes et à tous", "body": "Je me présente."}`, nil)
	if w.Code != http.StatusCreated {
		t.Errorf("thread once confirmed: %d %s", w.Code, w.Body)
	}
}

// An account an admin created may post before its address is confirmed, and
// is still asked, without the posting restriction, to confirm it.
func TestAdminCreatedAccountsAreAskedToConfirmTheirAddress(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if _, err := db.ExecContext(context.Background(), `UPDATE members SET email_verified_at = NULL, email_confirmation_waived = true WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(s)
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", w.Code, w.Body)
	}
	body := b.do(t, "GET", "/latest", nil, nil).Body.String()
	if !strings.Contains(body, "unconfirmed-banner") || !strings.Contains(body, "not confirmed yet") || strings.Contains(body, "Confirm your email address to post") {
		t.Errorf("an admin-created account is not asked to confirm its address: %s", body)
	}
}
