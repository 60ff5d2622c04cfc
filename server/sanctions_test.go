package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// en asks for English pages.
func en(h map[string]string) map[string]string {
	if h == nil {
		h = map[string]string{}
	}
	h["Accept-Language"] = "en"
	return h
}

// modlogActions lists the moderation log's actions about a member.
func modlogActions(t *testing.T, db *forum.DB, memberID int64) []string {
	t.Helper()
	var out []string
	if err := db.SQL().Select(&out, `SELECT action FROM mod_log WHERE target_type = 'member' AND target_id = $1 ORDER BY id`, memberID); err != nil {
		t.Fatal(err)
	}
	return out
}

// Sanctions are reversible: lifted or shortened through the API by the
// staff who may sanction the member, checked against the sanction's
// member, logged, and listed for staff.
func TestSanctionsAreLiftedAndShortenedThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	otherMod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	catMod := forumtest.MustMember(t, db, forum.RoleMember, 3)
	cat := forumtest.MustCategory(t, db)
	if err := db.SetCategoryModerator(forum.WithSystem(context.Background()), catMod.ID, cat.ID, true); err != nil {
		t.Fatal(err)
	}
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	week := time.Now().Add(7 * 24 * time.Hour)
	susp, err := db.Suspend(forumtest.As(mod), target.ID, "Règle : insultes — propos répétés", week)
	if err != nil {
		t.Fatal(err)
	}
	staffSanction, err := db.Silence(forumtest.As(admin), otherMod.ID, "Ton agressif", week)
	if err != nil {
		t.Fatal(err)
	}
	path := func(id int64, what string) string {
		return "/api/v1/sanctions/" + strconv.FormatInt(id, 10) + "/" + what
	}

	// Listed for staff only.
	list := "/api/v1/members/" + target.Username + "/sanctions"
	if w := s.do(t, request{path: list, header: bearer(t, db, target)}); w.Code != http.StatusForbidden {
		t.Errorf("a member lists sanctions: %d", w.Code)
	}
	w := s.do(t, request{path: list, header: bearer(t, db, mod)})
	var listed struct{ Sanctions []forum.Sanction }
	if err := json.Unmarshal(w.Body.Bytes(), &listed); err != nil || w.Code != 200 || len(listed.Sanctions) != 1 || listed.Sanctions[0].ID != susp.ID {
		t.Fatalf("sanctions of %s: %d %s", target.Username, w.Code, w.Body)
	}
	if w := s.do(t, request{path: "/api/v1/members/nobody-" + forumtest.Unique("x") + "/sanctions", header: bearer(t, db, mod)}); w.Code != 404 {
		t.Errorf("sanctions of nobody: %d", w.Code)
	}

	// Who may not: a category moderator (who sanctions nobody), a
	// moderator for another moderator's sanction, the member themselves.
	for _, c := range []struct {
		who  *forum.Member
		id   int64
		want int
	}{{catMod, susp.ID, 403}, {target, susp.ID, 403}, {mod, staffSanction.ID, 403}, {mod, 99999999, 404}} {
		if w := s.do(t, request{method: "POST", path: path(c.id, "lift"), body: `{"reason": "erreur"}`, header: bearer(t, db, c.who)}); w.Code != c.want {
			t.Errorf("%s lifts sanction %d: %d, want %d %s", c.who.Username, c.id, w.Code, c.want, w.Body)
		}
	}
	if w := s.do(t, request{method: "POST", path: path(susp.ID, "lift"), body: `{"reason": " "}`, header: bearer(t, db, mod)}); w.Code != 400 || decodeError(t, w).Field != "reason" {
		t.Errorf("lift without a reason: %d %s", w.Code, w.Body)
	}

	// Shortened: an end closer, not further, not past.
	if w := s.do(t, request{method: "POST", path: path(susp.ID, "shorten"), body: `{"days": 9, "reason": "x"}`, header: bearer(t, db, mod)}); w.Code != 400 {
		t.Errorf("lengthening by shortening: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: path(susp.ID, "shorten"), body: `{"days": 0, "reason": "x"}`, header: bearer(t, db, mod)}); w.Code != 400 {
		t.Errorf("shortening into the past: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "POST", path: path(susp.ID, "shorten"), body: `{"days": 2, "reason": "Première fois"}`, header: bearer(t, db, mod)})
	var got struct{ Sanction forum.Sanction }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 || got.Sanction.Until == nil || !got.Sanction.Until.Before(time.Now().Add(3*24*time.Hour)) {
		t.Fatalf("shorten: %d %s", w.Code, w.Body)
	}
	m, _ := db.MemberByID(context.Background(), target.ID)
	if m.SuspendedUntil == nil || !m.SuspendedUntil.Equal(*got.Sanction.Until) {
		t.Errorf("member's suspension not shortened: %v", m.SuspendedUntil)
	}

	// The admin member page says what the member's state really is.
	w = s.do(t, request{path: "/admin/members/" + strconv.FormatInt(target.ID, 10), header: en(bearer(t, db, admin))})
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Suspended until") || !strings.Contains(body, `action="/admin/members/`+strconv.FormatInt(target.ID, 10)+`/sanctions/lift"`) {
		t.Errorf("admin member page does not show the suspension: %d", w.Code)
	}

	// Lifted: the member may log in again; a second lift is a conflict.
	w = s.do(t, request{method: "POST", path: path(susp.ID, "lift"), body: `{"reason": "Excuses présentées"}`, header: bearer(t, db, mod)})
	if w.Code != 200 {
		t.Fatalf("lift: %d %s", w.Code, w.Body)
	}
	m, _ = db.MemberByID(context.Background(), target.ID)
	if m.IsSuspended(time.Now()) || forum.CanLogIn(m, time.Now()) != nil {
		t.Errorf("still suspended after the lift: %+v", m.SuspendedUntil)
	}
	if w := s.do(t, request{method: "POST", path: path(susp.ID, "lift"), body: `{"reason": "encore"}`, header: bearer(t, db, mod)}); w.Code != 409 {
		t.Errorf("second lift: %d", w.Code)
	}
	acts := strings.Join(modlogActions(t, db, target.ID), ",")
	if !strings.Contains(acts, "member.suspension,sanction.shorten,sanction.lift") {
		t.Errorf("moderation log: %s", acts)
	}
	// An admin may lift a moderator's sanction.
	if w := s.do(t, request{method: "POST", path: path(staffSanction.ID, "lift"), body: `{"reason": "ok"}`, header: bearer(t, db, admin)}); w.Code != 200 {
		t.Errorf("admin lifts a moderator's silence: %d %s", w.Code, w.Body)
	}
}

// The member's admin page lifts and shortens, for moderators too, and the
// form is checked against the member of the page.
func TestAdminMemberPageLiftsAndShortens(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	other := forumtest.MustMember(t, db, forum.RoleMember, 1)
	silence, err := db.Silence(forumtest.As(mod), target.ID, "Hors sujet répété", time.Now().Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	page := "/admin/members/" + strconv.FormatInt(target.ID, 10)
	w := s.do(t, request{path: page, header: en(bearer(t, db, mod))})
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Silenced until") || strings.Contains(body, target.Email) {
		t.Fatalf("moderator's view of the member page: %d", w.Code)
	}
	sid := strconv.FormatInt(silence.ID, 10)
	// Another member's page does not reach this sanction.
	w = s.doForm(t, "/admin/members/"+strconv.FormatInt(other.ID, 10)+"/sanctions/lift", "sanction_id="+sid+"&reason=x", bearer(t, db, mod))
	if w.Code != 404 {
		t.Errorf("lift through another member's page: %d", w.Code)
	}
	w = s.doForm(t, page+"/sanctions/shorten", "sanction_id="+sid+"&reason=&days=3", en(bearer(t, db, mod)))
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Give the reason") {
		t.Errorf("shorten without a reason: %d %s", w.Code, w.Body)
	}
	w = s.doForm(t, page+"/sanctions/shorten", "sanction_id="+sid+"&reason=Calm%C3%A9&days=3", bearer(t, db, mod))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("shorten: %d %s", w.Code, w.Body)
	}
	w = s.doForm(t, page+"/sanctions/lift", "sanction_id="+sid+"&reason=Fini", bearer(t, db, mod))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("lift: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: page + "?done=lifted", header: en(bearer(t, db, mod))})
	if body := w.Body.String(); strings.Contains(body, "Silenced until") || !strings.Contains(body, "The sanction is lifted") {
		t.Errorf("page after the lift still says silenced")
	}
	// The member is told in words.
	var data string
	if err := db.SQL().Get(&data, `SELECT data::text FROM notifications WHERE member_id = $1 AND kind = 'moderation' ORDER BY id DESC LIMIT 1`, target.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(data, `"lifted"`) {
		t.Errorf("last notification: %s", data)
	}
	acts := strings.Join(modlogActions(t, db, target.ID), ",")
	if acts != "member.silence,sanction.shorten,sanction.lift" {
		t.Errorf("moderation log: %s", acts)
	}
}

// A suspended member who tries to log in reaches, without a session, the
// page that says why, until when, under which rule, and takes an appeal,
// which reaches the review queue; the sanction mail links there.
func TestSuspendedMemberReadsWhyAndAppealsWithoutASession(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	until := time.Now().Add(5 * 24 * time.Hour)
	susp, err := db.Suspend(forumtest.As(mod), m.ID, "Insultes — traiter les autres d’idiots", until)
	if err != nil {
		t.Fatal(err)
	}

	// The mail says what, until when, why, and links to the notice page.
	var raw []byte
	if err := db.SQL().Get(&raw, `SELECT data FROM outbox WHERE recipient = $1 AND kind = 'notify_sanction' ORDER BY id DESC LIMIT 1`, m.Email); err != nil {
		t.Fatalf("no sanction mail: %v", err)
	}
	var mailData map[string]string
	if err := json.Unmarshal(raw, &mailData); err != nil {
		t.Fatal(err)
	}
	cfg, _ := LoadConfig(func(k string) string { return map[string]string{"PALABRE_BASE_URL": "https://forum.example.org"}[k] })
	mailer, err := NewMailer(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for lang, words := range map[string][]string{
		"en": {"suspended your account until " + forum.FormatSanctionDate(until), "Rule and reason: Insultes", "https://forum.example.org/suspended?token="},
		"fr": {"a suspendu votre compte jusqu’au " + forum.FormatSanctionDate(until), "Règle et motif : Insultes", "https://forum.example.org/suspended?token="},
	} {
		subject, body, err := mailer.Compose(forum.Mail{Kind: forum.MailNotifySanction, Locale: lang, Data: mailData}, "Palabre")
		for _, w := range words {
			if err != nil || !strings.Contains(body, w) {
				t.Errorf("%s mail lacks %q: %q / %q %v", lang, w, subject, body, err)
			}
		}
	}
	mailed := "/suspended?" + url.Values{"token": {mailData["Token"]}}.Encode()
	if w := s.do(t, request{path: mailed}); w.Code != 200 || !strings.Contains(w.Body.String(), "traiter les autres") {
		t.Errorf("the mailed link: %d", w.Code)
	}

	// Logging in leads to the notice page.
	b := newBrowser(s)
	w := b.logIn(t, m.Username, forumtest.Password, false)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/suspended?token=") {
		t.Fatalf("suspended log-in: %d %q", w.Code, loc)
	}
	if b.me(t) != "" {
		t.Fatal("a suspended member got a session")
	}
	w = b.do(t, "GET", loc, nil, nil)
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "traiter les autres d’idiots") || !strings.Contains(body, s.catalog.Lang("en").DateTime(until)) ||
		!strings.Contains(body, `name="appeal"`) {
		t.Fatalf("notice page: %d %s", w.Code, body)
	}
	// Reached by a secret link: no cache keeps it.
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("notice page's Cache-Control: %q", cc)
	}
	token, _ := url.ParseQuery(strings.TrimPrefix(loc, "/suspended?"))
	// A made-up link shows nothing.
	if w := b.do(t, "GET", "/suspended?token=made-up", nil, nil); w.Code != 400 || strings.Contains(w.Body.String(), "idiots") {
		t.Errorf("made-up link: %d", w.Code)
	}
	// An empty appeal is refused, the form kept; then the appeal is sent.
	w = b.do(t, "POST", "/suspended", url.Values{"token": {token.Get("token")}, "appeal": {" "}}, nil)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Explain why") {
		t.Errorf("empty appeal: %d", w.Code)
	}
	w = b.do(t, "POST", "/suspended", url.Values{"token": {token.Get("token")}, "appeal": {"Je me suis emporté, cela ne se reproduira pas."}}, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("appeal: %d %s", w.Code, w.Body)
	}
	w = b.do(t, "GET", w.Header().Get("Location"), nil, nil)
	if !strings.Contains(w.Body.String(), "Your appeal has been sent") || strings.Contains(w.Body.String(), `name="appeal"`) {
		t.Errorf("after the appeal: %s", w.Body)
	}
	var itemID int64
	if err := db.SQL().Get(&itemID, `SELECT id FROM review_items WHERE kind = 'appeal' AND sanction_id = $1 AND status = 'pending'`, susp.ID); err != nil {
		t.Fatalf("the appeal is not in the queue: %v", err)
	}
	// Lifting from the queue is logged; the member logs in again.
	p := moderation.NewPipeline(db)
	if _, err := p.Resolve(forumtest.As(mod), moderation.Decision{ItemID: itemID, Action: moderation.ActLift, Message: "Accepté"}); err != nil {
		t.Fatal(err)
	}
	if acts := strings.Join(modlogActions(t, db, m.ID), ","); !strings.Contains(acts, "sanction.lift") {
		t.Errorf("moderation log: %s", acts)
	}
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != http.StatusSeeOther || strings.HasPrefix(w.Header().Get("Location"), "/suspended") {
		t.Errorf("log-in after the appeal was granted: %d %v", w.Code, w.Header())
	}
	// The notice link now says it is over.
	if w := s.do(t, request{path: mailed, header: en(nil)}); !strings.Contains(w.Body.String(), "Nothing keeps you from logging in") {
		t.Errorf("notice link after the lift: %s", w.Body)
	}
}

// In-app notices of sanctions say what was decided and until when.
func TestSanctionNotificationsSayWhatAndUntilWhen(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	until := time.Now().Add(3 * 24 * time.Hour)
	if _, err := db.Silence(forumtest.As(mod), m.ID, "Spam", until); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{
		"en": "silenced your account until " + s.catalog.Lang("en").DateTime(until),
		"fr": "en sourdine jusqu’au " + s.catalog.Lang("fr").DateTime(until),
	} {
		h := bearer(t, db, m)
		h["Accept-Language"] = lang
		w := s.do(t, request{path: "/notifications", header: h})
		if !strings.Contains(w.Body.String(), want) || !strings.Contains(w.Body.String(), "Spam") {
			t.Errorf("%s notifications lack %q: %d", lang, want, w.Code)
		}
	}
}

// Every way of posting asks for the current guidelines once a version
// requires acceptance; the admin who published it has accepted it.
func TestPostingAsksForTheNewGuidelines(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	t.Cleanup(func() {
		db.SQL().MustExec(`UPDATE guideline_versions SET requires_acceptance = false`)
		db.InvalidateGuidelines()
	})
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	cat := forumtest.MustCategory(t, db)
	th, err := s.pipeline.SubmitThread(forumtest.As(member), moderation.ThreadSubmission{CategoryID: cat.ID, Title: "Un sujet tout à fait calme", Body: "Bonjour à tous, voici un message paisible."})
	if err != nil {
		t.Fatal(err)
	}
	// A version before, so that there is an old one to refuse.
	if w := s.do(t, request{method: "PUT", path: "/api/v1/guidelines", body: `{"body_markdown": "## Avant\n\nUne version plus ancienne de la charte."}`, header: bearer(t, db, admin)}); w.Code != 200 {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	md := "## Respect\n\nOn se respecte, même en désaccord. " + forumtest.Unique("v")
	w := s.do(t, request{method: "PUT", path: "/api/v1/guidelines", body: `{"body_markdown": ` + quote(md) + `, "requires_acceptance": true}`, header: bearer(t, db, admin)})
	var g forum.GuidelineVersion
	if err := json.Unmarshal(w.Body.Bytes(), &g); err != nil || w.Code != 200 {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	// The publisher is not stopped: the queue (and its live stream) opens.
	if w := s.do(t, request{path: "/mod/queue", header: bearer(t, db, admin)}); w.Code != 200 {
		t.Errorf("the publisher's queue: %d %v", w.Code, w.Header().Get("Location"))
	}

	h := bearer(t, db, member)
	tid := strconv.FormatInt(th.Thread.ID, 10)
	for _, r := range []request{
		{method: "POST", path: "/api/v1/threads", body: fmt.Sprintf(`{"category_id": %d, "title": "Encore un sujet calme", "body": "Un texte tranquille."}`, cat.ID)},
		{method: "POST", path: "/api/v1/threads/" + tid + "/posts", body: `{"body": "Une réponse tranquille."}`},
		{method: "PATCH", path: "/api/v1/posts/" + strconv.FormatInt(th.Post.ID, 10), body: `{"body": "Un texte modifié, toujours calme."}`},
	} {
		r.header = h
		w := s.do(t, r)
		if w.Code != 403 {
			t.Errorf("%s %s before accepting: %d %s", r.method, r.path, w.Code, w.Body)
			continue
		}
		if e := decodeError(t, w); e.Code != forum.EGUIDELINES || e.Version != g.Version {
			t.Errorf("%s %s: %+v", r.method, r.path, e)
		}
	}
	// HTML: the form comes back with the guidelines, a box, and the text.
	w = s.doForm(t, "/t/"+tid+"/reply", "body="+url.QueryEscape("Ma réponse soigneusement rédigée"), h)
	body := w.Body.String()
	if w.Code != 403 || !strings.Contains(body, "On se respecte") || !strings.Contains(body, `name="accept_guidelines" value="`+strconv.Itoa(g.Version)+`"`) ||
		!strings.Contains(body, "Ma réponse soigneusement rédigée") {
		t.Fatalf("reply form before accepting: %d", w.Code)
	}
	w = s.doForm(t, "/new", url.Values{"category_id": {strconv.FormatInt(cat.ID, 10)}, "title": {"Titre gardé intact"}, "body": {"Corps gardé intact."}}.Encode(), h)
	if body := w.Body.String(); w.Code != 403 || !strings.Contains(body, `name="accept_guidelines"`) || !strings.Contains(body, "Titre gardé intact") {
		t.Errorf("new thread form before accepting: %d", w.Code)
	}
	// Ticking the box accepts and posts.
	w = s.doForm(t, "/t/"+tid+"/reply", "body="+url.QueryEscape("Ma réponse soigneusement rédigée")+"&accept_guidelines="+strconv.Itoa(g.Version), h)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reply with the box ticked: %d %s", w.Code, w.Body)
	}
	refreshed, _ := db.MemberByID(context.Background(), member.ID)
	if refreshed.GuidelinesVersion == nil || *refreshed.GuidelinesVersion != g.Version {
		t.Errorf("accepted version: %v", refreshed.GuidelinesVersion)
	}

	// The API accepts the current version only.
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	oh := bearer(t, db, other)
	if w := s.do(t, request{method: "POST", path: "/api/v1/guidelines/accept", body: `{"version": ` + strconv.Itoa(g.Version-1) + `}`, header: oh}); w.Code != 409 {
		t.Errorf("accepting an old version: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: "/api/v1/guidelines/accept", body: `{"version": ` + strconv.Itoa(g.Version) + `}`, header: oh}); w.Code != 200 {
		t.Fatalf("accepting: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: "/api/v1/threads/" + tid + "/posts", body: `{"body": "Une réponse acceptée."}`, header: oh}); w.Code != 201 {
		t.Errorf("reply after accepting: %d %s", w.Code, w.Body)
	}
}
