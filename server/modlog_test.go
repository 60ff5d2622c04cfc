package server

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// Every action code has a sentence in both languages, and each says all
// its placeholders: no missing phrase, no "<no value>", no code.
func TestEveryLogActionReadsAsASentence(t *testing.T) {
	c := loadTestCatalog(t)
	actor, target, until := "lea", int64(42), time.Now().Add(7*24*time.Hour)
	for _, code := range forum.LogActions {
		for _, lang := range []string{"fr", "en"} {
			if !c.Keys(lang)[moderation.SentenceKey(string(code))] {
				t.Errorf("%s has no sentence in %s", code, lang)
				continue
			}
			l := c.Negotiate(lang, "", "fr")
			for _, public := range []bool{false, true} {
				for _, tt := range []string{"member", "post", "thread", "rule", "category", "review_item", "settings", "guidelines"} {
					name := "Nom"
					line := moderation.LogLine{At: time.Now(), ActorID: &target, ActorName: &actor, Action: string(code),
						TargetType: tt, TargetID: &target, TargetName: &name, Reason: "insultes",
						Before: json.RawMessage(`{"kind": "suspension"}`),
						After:  json.RawMessage(fmt.Sprintf(`{"until": %q, "role": "moderator", "trust_level": 2, "category_id": 3, "public_mod_log": true}`, until.Format(time.RFC3339Nano)))}
					said := l.say(line.Sentence(public))
					if strings.Contains(said, "[") || strings.Contains(said, "<no value>") || strings.Contains(said, string(code)) || said == "" {
						t.Errorf("%s (%s, %s, public %v): %q", code, lang, tt, public, said)
					}
				}
			}
		}
	}
}

// visibleText is what a reader sees of a page's moderation table: its text,
// without tags and attributes.
func visibleText(t *testing.T, page string) string {
	t.Helper()
	start, end := strings.Index(page, `<table class="modlog">`), strings.Index(page, "</table>")
	if start < 0 || end < start {
		t.Fatalf("no moderation table in %s", page)
	}
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page[start:end], " ")
}

// noCodes fails when the text shows an action code or JSON.
func noCodes(t *testing.T, what, text string) {
	t.Helper()
	for _, code := range forum.LogActions {
		if strings.Contains(text, string(code)) {
			t.Errorf("%s shows the code %s: %s", what, code, text)
		}
	}
	if strings.Contains(text, "{") || strings.Contains(text, "&#34;") || strings.Contains(text, `"`) {
		t.Errorf("%s shows JSON: %s", what, text)
	}
}

// The moderation log and the transparency page read as sentences in the
// reader's language; the CSV keeps the codes, the API adds the sentence.
func TestModLogReadsAsSentences(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 4)
	target := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if _, err := db.Suspend(forumtest.As(mod), target.ID, "insultes", time.Now().Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.LiftSanction(forumtest.As(mod), target.ID, forum.SanctionSuspension, "Excuses acceptées"); err != nil {
		t.Fatal(err)
	}
	modH := bearer(t, db, mod)
	path := fmt.Sprintf("/mod/log?target_type=member&target_id=%d", target.ID)

	fr := s.do(t, request{path: path, header: map[string]string{"Accept-Language": "fr", "Authorization": modH["Authorization"]}})
	text := visibleText(t, fr.Body.String())
	for _, want := range []string{
		mod.Username + " a suspendu " + target.Username + " pour 7 jours — motif : insultes",
		mod.Username + " a levé la suspension de " + target.Username + " — motif : Excuses acceptées",
	} {
		if fr.Code != 200 || !strings.Contains(text, want) {
			t.Errorf("French log: %d, no %q in %s", fr.Code, want, text)
		}
	}
	noCodes(t, "the French log", text)

	enW := s.do(t, request{path: path, header: en(bearer(t, db, mod))})
	text = visibleText(t, enW.Body.String())
	if want := mod.Username + " suspended " + target.Username + " for 7 days — reason: insultes"; !strings.Contains(text, want) {
		t.Errorf("English log: no %q in %s", want, text)
	}
	noCodes(t, "the English log", text)

	// The API keeps the codes and adds the sentence.
	api := s.do(t, request{path: fmt.Sprintf("/api/v1/modlog?target_type=member&target_id=%d", target.ID), header: en(bearer(t, db, mod))})
	var got struct {
		Entries []struct{ Action, Text string }
	}
	if err := json.Unmarshal(api.Body.Bytes(), &got); err != nil || len(got.Entries) != 2 || got.Entries[0].Action != "sanction.lift" ||
		!strings.HasPrefix(got.Entries[0].Text, mod.Username+" lifted the suspension of "+target.Username) {
		t.Errorf("API: %s", api.Body)
	}
	// The CSV keeps the codes.
	csv := s.do(t, request{path: "/mod/log.csv?" + path[len("/mod/log?"):], header: modH})
	if !strings.Contains(csv.Body.String(), ",member.suspension,") || !strings.Contains(csv.Body.String(), ",sanction.lift,") {
		t.Errorf("CSV: %s", csv.Body)
	}

	// The transparency page names neither the moderator nor the member.
	admin := forum.WithSystem(context.Background())
	if _, err := db.UpdateSettings(admin, map[string]json.RawMessage{"public_mod_log": json.RawMessage("true")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.UpdateSettings(admin, map[string]json.RawMessage{"public_mod_log": json.RawMessage("false")}); err != nil {
			t.Error(err)
		}
	})
	pub := s.do(t, request{path: "/transparency", header: map[string]string{"Accept-Language": "fr"}})
	text = visibleText(t, pub.Body.String())
	if pub.Code != 200 || !strings.Contains(text, "Un modérateur a suspendu un membre pour 7 jours") ||
		strings.Contains(text, target.Username) || strings.Contains(text, mod.Username) || strings.Contains(text, "insultes") {
		t.Errorf("transparency: %d %s", pub.Code, text)
	}
	noCodes(t, "the transparency page", text)
}

// Lines whose plain sentence would mislead get their own: a member who
// deleted their account did it themself, and a refused edit left the post
// published.
func TestModLogSentencesOfSelfDeletionAndEdits(t *testing.T) {
	c := loadTestCatalog(t)
	l := c.Negotiate("fr", "", "fr")
	lea, other, name := int64(7), int64(8), "lea"
	say := func(line moderation.LogLine, public bool) string { return l.say(line.Sentence(public)) }
	self := moderation.LogLine{At: time.Now(), ActorID: &lea, ActorName: &name, Action: string(forum.LogMemberDelete), TargetType: "member", TargetID: &lea, TargetName: &name}
	if got := say(self, true); got != "Un membre a supprimé son compte" {
		t.Errorf("self-deletion, public: %q", got)
	}
	byStaff := self
	byStaff.TargetID = &other
	if got := say(byStaff, true); !strings.HasPrefix(got, "Un modérateur a supprimé") {
		t.Errorf("deletion by a moderator, public: %q", got)
	}
	edit := moderation.LogLine{At: time.Now(), ActorID: &other, ActorName: &name, Action: string(forum.LogPostReject), TargetType: "post", TargetID: &lea,
		After: json.RawMessage(`{"status": "published", "edit": "refused"}`)}
	if got := say(edit, false); !strings.Contains(got, "a refusé la modification") || !strings.Contains(got, "reste tel quel") {
		t.Errorf("refused edit: %q", got)
	}
	edit.Action, edit.After = string(forum.LogPostApprove), json.RawMessage(`{"status": "published", "edit": "published"}`)
	if got := say(edit, false); !strings.Contains(got, "a approuvé et publié la modification") {
		t.Errorf("approved edit: %q", got)
	}
}
