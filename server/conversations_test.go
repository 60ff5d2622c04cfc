package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

type conversationAnswer struct {
	Conversation struct {
		ID           int64
		Participants []string
		Unread       int
	}
	Message struct {
		ID     int64
		Status string
		HTML   string
		Author forum.MessageAuthor
	}
	Messages []struct {
		ID     int64
		Status string
		HTML   string
		Author forum.MessageAuthor
	}
	Reasons []apiReason
}

// start starts a conversation through the API and checks the status.
func startConversation(t *testing.T, s *Server, h map[string]string, to []string, title, body string, want int) conversationAnswer {
	t.Helper()
	rec, _ := json.Marshal(to)
	w := s.do(t, request{method: "POST", path: "/api/v1/conversations", header: h,
		body: fmt.Sprintf(`{"recipients": %s, "title": %q, "body": %q}`, rec, title, body)})
	if w.Code != want {
		t.Fatalf("starting a conversation: want %d, got %d %s", want, w.Code, w.Body)
	}
	if want >= 300 {
		return conversationAnswer{}
	}
	return decode[conversationAnswer](t, w.Body.Bytes())
}

func withServerSettings(t *testing.T, db *forum.DB, patch map[string]string) {
	t.Helper()
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	before, err := db.Settings(admin)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(before)
	var old map[string]json.RawMessage
	if err := json.Unmarshal(all, &old); err != nil {
		t.Fatal(err)
	}
	raw, restore := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for k, v := range patch {
		raw[k], restore[k] = json.RawMessage(v), old[k]
	}
	if _, err := db.UpdateSettings(admin, raw); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.UpdateSettings(admin, restore); err != nil {
			t.Error(err)
		}
	})
}

// Only participants read a conversation: another member, an anonymous
// visitor and a moderator get 404, as for a conversation that does not
// exist; once a participant reports one of its messages, the staff read
// that conversation (and no other), each reading logged. Its text reaches
// neither the public search, nor the feeds, nor the cached pages.
func TestOnlyParticipantsReadAConversation(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	carol := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	ha, hb, hc, hm := bearer(t, db, alice), bearer(t, db, bob), bearer(t, db, carol), bearer(t, db, mod)
	secret := forumtest.Unique("zsecretword")

	started := startConversation(t, s, ha, []string{bob.Username}, "Une question privée", "Bonjour, "+secret+" entre nous.", 201)
	id := started.Conversation.ID
	if started.Message.Status != forum.MessagePublished || len(started.Conversation.Participants) != 2 {
		t.Fatalf("started: %+v", started)
	}
	other := startConversation(t, s, ha, []string{carol.Username}, "Une autre question", "Rien à signaler ici.", 201)
	path := fmt.Sprintf("/api/v1/conversations/%d", id)

	// Bob sees it unread, reads it, and it is read.
	list := decode[struct{ Conversations []struct{ ID, Unread int64 } }](t, s.do(t, request{path: "/api/v1/conversations", header: hb}).Body.Bytes())
	if len(list.Conversations) != 1 || list.Conversations[0].ID != id || list.Conversations[0].Unread != 1 {
		t.Fatalf("bob's list: %+v", list)
	}
	if w := s.do(t, request{path: path, header: hb}); w.Code != 200 || !strings.Contains(w.Body.String(), secret) {
		t.Fatalf("bob reads: %d %s", w.Code, w.Body)
	}
	list = decode[struct{ Conversations []struct{ ID, Unread int64 } }](t, s.do(t, request{path: "/api/v1/conversations", header: hb}).Body.Bytes())
	if list.Conversations[0].Unread != 0 {
		t.Errorf("read, still unread: %+v", list)
	}
	w := s.do(t, request{method: "POST", path: path + "/messages", header: hb, body: `{"body": "Bien reçu, merci."}`})
	if w.Code != 201 {
		t.Fatalf("bob replies: %d %s", w.Code, w.Body)
	}

	// Everyone else: 404, as for nothing.
	for name, h := range map[string]map[string]string{"another member": hc, "anonymous": nil, "a moderator without a report": hm} {
		if w := s.do(t, request{path: path, header: h}); w.Code != 404 || strings.Contains(w.Body.String(), secret) {
			t.Errorf("%s reads: %d %s", name, w.Code, w.Body)
		}
		if w := s.do(t, request{method: "POST", path: path + "/messages", header: h, body: `{"body": "Je m’invite."}`}); w.Code != 404 && w.Code != 401 {
			t.Errorf("%s writes: %d %s", name, w.Code, w.Body)
		}
	}
	// The pages too.
	page := fmt.Sprintf("/messages/%d", id)
	if w := s.do(t, request{path: page, header: hb}); w.Code != 200 || !strings.Contains(w.Body.String(), secret) {
		t.Errorf("bob's page: %d", w.Code)
	}
	for name, h := range map[string]map[string]string{"another member": hc, "anonymous": nil, "a moderator without a report": hm} {
		if w := s.do(t, request{path: page, header: h}); (w.Code != 404 && w.Code != 303 && w.Code != 401) || strings.Contains(w.Body.String(), secret) {
			t.Errorf("%s opens the page: %d", name, w.Code)
		}
		if w := s.do(t, request{path: "/messages", header: h}); strings.Contains(w.Body.String(), "Une question privée") {
			t.Errorf("%s's list shows it", name)
		}
	}
	if w := s.do(t, request{path: "/api/v1/conversations/999999999", header: hm}); w.Code != 404 {
		t.Errorf("no such conversation: %d", w.Code)
	}
	// Public search (which repeats the query: the page must be the one of a
	// word found nowhere), feeds, pages.
	control := forumtest.Unique("zcontrolword")
	for _, h := range []map[string]string{nil, ha} {
		for _, p := range []string{"/api/v1/search?q=", "/search?q="} {
			found := s.do(t, request{path: p + secret, header: h}).Body.String()
			none := s.do(t, request{path: p + control, header: h}).Body.String()
			if strings.ReplaceAll(found, secret, "Q") != strings.ReplaceAll(none, control, "Q") {
				t.Errorf("%s finds the private text:\n%s\n%s", p, found, none)
			}
		}
		for _, p := range []string{"/feed.atom", "/latest", "/"} {
			if w := s.do(t, request{path: p, header: h}); strings.Contains(w.Body.String(), secret) {
				t.Errorf("%s shows the private text", p)
			}
		}
	}
	// A server with the page cache on: a participant's reading is never
	// what an anonymous visitor is served.
	cfg, err := LoadConfig(func(string) string { return "" })
	if err != nil || !cfg.PageCache {
		t.Fatalf("page cache: %v", err)
	}
	cachedSrv, err := New(cfg, db, testSrv.log)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if w := cachedSrv.do(t, request{path: path, header: ha}); w.Code != 200 {
			t.Fatalf("alice through the cached server: %d", w.Code)
		}
		if w := cachedSrv.do(t, request{path: path}); w.Code != 404 || strings.Contains(w.Body.String(), secret) {
			t.Errorf("anonymous through the cached server: %d %s", w.Code, w.Body)
		}
	}

	// Bob reports Alice's message: the moderators may read this
	// conversation, not the other one, and each reading is logged.
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/reports", started.Message.ID), header: hb, body: `{"reason": "inappropriate"}`})
	if w.Code != 201 {
		t.Fatalf("bob reports: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/messages/%d/reports", started.Message.ID), header: hc, body: `{"reason": "spam"}`}); w.Code != 404 {
		t.Errorf("carol reports a message she cannot read: %d %s", w.Code, w.Body)
	}
	logged := func() int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM mod_log WHERE action = 'conversation.read' AND target_id = $1 AND actor_id = $2`, id, mod.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if logged() != 0 {
		t.Fatal("a reading logged before any")
	}
	var itemID int64
	if err := db.SQL().Get(&itemID, `SELECT review_item_id FROM reports WHERE message_id = $1`, started.Message.ID); err != nil {
		t.Fatal(err)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/mod/queue/%d", itemID), header: hm}); w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`href="/m/%d"`, started.Message.ID)) {
		t.Errorf("the review item does not lead to the message: %d", w.Code)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/m/%d", started.Message.ID), header: hc}); w.Code != 404 {
		t.Errorf("carol follows the message's link: %d", w.Code)
	}
	if logged() != 0 {
		t.Fatal("a reading logged before any")
	}
	if w := s.do(t, request{path: path, header: hm}); w.Code != 200 || !strings.Contains(w.Body.String(), secret) {
		t.Fatalf("the moderator after the report: %d %s", w.Code, w.Body)
	}
	if logged() != 1 {
		t.Errorf("the moderator's reading is not in the log (%d lines)", logged())
	}
	if w := s.do(t, request{path: fmt.Sprintf("/api/v1/conversations/%d", other.Conversation.ID), header: hm}); w.Code != 404 {
		t.Errorf("the moderator reads another conversation: %d", w.Code)
	}
	if w := s.do(t, request{method: "POST", path: path + "/messages", header: hm, body: `{"body": "Je m’invite."}`}); w.Code != 404 {
		t.Errorf("the moderator writes in it: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: path, header: hc}); w.Code != 404 {
		t.Errorf("carol after the report: %d", w.Code)
	}

	// Leaving: no longer read.
	if w := s.do(t, request{method: "POST", path: path + "/leave", header: hb}); w.Code != 204 {
		t.Fatalf("bob leaves: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: path, header: hb}); w.Code != 404 {
		t.Errorf("bob reads after leaving: %d", w.Code)
	}
	// Alice adds Carol, who then reads it.
	if w := s.do(t, request{method: "POST", path: path + "/participants", header: ha, body: fmt.Sprintf(`{"username": %q}`, carol.Username)}); w.Code != 200 {
		t.Fatalf("alice adds carol: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: path, header: hc}); w.Code != 200 {
		t.Errorf("carol once added: %d", w.Code)
	}
}

// Messages go through the posts' pipeline: a held message comes back 202
// with why, seen only by its author and, whole, by the moderator deciding
// (the reading logged) until they approve it; a
// refused one is 422 naming the rule, and nothing is stored.
func TestMessagesGoThroughThePipeline(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	block, hold := forumtest.Unique("zmsgblock"), forumtest.Unique("zmsghold")
	rules := map[string]*moderation.Rule{}
	for word, action := range map[string]string{block: moderation.ActionBlock, hold: moderation.ActionHold} {
		r, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Règle MP "), Description: "Restez courtois.",
			Kind: moderation.KindWords, Action: action, Patterns: []string{word}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.pipeline.DeleteRule(sys, r.ID); err != nil {
				t.Error(err)
			}
		})
		rules[action] = r
	}
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	ha, hb, hm := bearer(t, db, alice), bearer(t, db, bob), bearer(t, db, mod)
	ha["Accept-Language"] = "fr"

	var before int
	if err := db.SQL().Get(&before, `SELECT count(*) FROM conversations WHERE author_id = $1`, alice.ID); err != nil {
		t.Fatal(err)
	}
	w := s.do(t, request{method: "POST", path: "/api/v1/conversations", header: ha,
		body: fmt.Sprintf(`{"recipients": [%q], "title": "Un titre correct", "body": "Quel %s !"}`, bob.Username, block)})
	if e := decodeError(t, w); w.Code != 422 || e.Code != forum.EREJECTED || len(e.Rules) != 1 || e.Rules[0] != rules[moderation.ActionBlock].Ref() {
		t.Errorf("refused: %d %s", w.Code, w.Body)
	}
	var after int
	if err := db.SQL().Get(&after, `SELECT count(*) FROM conversations WHERE author_id = $1`, alice.ID); err != nil || after != before {
		t.Errorf("a refused conversation was stored: %d → %d %v", before, after, err)
	}

	conv := startConversation(t, s, ha, []string{bob.Username}, "Bonjour Bob", "Premier message, tout va bien.", 201)
	path := fmt.Sprintf("/api/v1/conversations/%d", conv.Conversation.ID)
	w = s.do(t, request{method: "POST", path: path + "/messages", header: ha, body: fmt.Sprintf(`{"body": "Et puis %s !"}`, hold)})
	held := decode[conversationAnswer](t, w.Body.Bytes())
	if w.Code != 202 || held.Message.Status != forum.MessageHeld || len(held.Reasons) != 1 ||
		held.Reasons[0].Rule != rules[moderation.ActionHold].Ref() || !strings.Contains(held.Reasons[0].Message, "validation par un modérateur") {
		t.Fatalf("held: %d %s", w.Code, w.Body)
	}
	shows := func(h map[string]string) bool {
		w := s.do(t, request{path: path, header: h})
		if w.Code != 200 {
			t.Fatalf("reading: %d %s", w.Code, w.Body)
		}
		return strings.Contains(w.Body.String(), hold)
	}
	if !shows(ha) || shows(hb) {
		t.Errorf("held: its author sees it %v, the recipient %v", shows(ha), shows(hb))
	}
	var notified int
	countNotified := func() int {
		if err := db.SQL().Get(&notified, `SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = 'message'`, bob.ID); err != nil {
			t.Fatal(err)
		}
		return notified
	}
	if countNotified() != 1 {
		t.Errorf("bob was notified %d times (the first message only)", notified)
	}

	// The moderator approves it from the review queue: Bob reads it.
	var itemID int64
	if err := db.SQL().Get(&itemID, `SELECT review_item_id FROM conversation_messages WHERE id = $1`, held.Message.ID); err != nil {
		t.Fatal(err)
	}
	item := decode[struct{ Item struct{ Kind string } }](t, s.do(t, request{path: fmt.Sprintf("/api/v1/review/%d", itemID), header: hm}).Body.Bytes())
	if item.Item.Kind != moderation.ReviewHeld {
		t.Errorf("review item: %+v", item)
	}
	// The moderator reads the held message whole, and only it (not the
	// conversation's first message), the reading logged.
	readings := func() int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM mod_log WHERE action = 'message.read' AND target_id = $1 AND actor_id = $2`, held.Message.ID, mod.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	seen := readings() // the API's item, read above
	if w := s.do(t, request{path: fmt.Sprintf("/mod/queue/%d", itemID), header: hm}); w.Code != 200 || !strings.Contains(w.Body.String(), `value="approve"`) ||
		!strings.Contains(w.Body.String(), "Et puis "+hold+" !") || strings.Contains(w.Body.String(), "Premier message, tout va bien.") {
		t.Errorf("the review page of a held message: %d, the message shown: %v", w.Code, strings.Contains(w.Body.String(), hold))
	}
	if n := readings(); seen != 1 || n != 2 {
		t.Errorf("the moderator's readings logged: %d, then %d, want 1 then 2", seen, n)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/api/v1/review/%d", itemID), header: hm}); !strings.Contains(w.Body.String(), hold) || readings() != 3 {
		t.Errorf("the API's review item: the message %v, %d readings logged", strings.Contains(w.Body.String(), hold), readings())
	}
	// Its author's page says why it waits.
	if w := s.do(t, request{path: fmt.Sprintf("/messages/%d", conv.Conversation.ID), header: ha}); w.Code != 200 || !strings.Contains(w.Body.String(), "post-held") {
		t.Errorf("the author's page: %d", w.Code)
	}
	w = s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/review/%d/resolve", itemID), header: hm, body: `{"action": "approve"}`})
	if w.Code != 200 {
		t.Fatalf("approve: %d %s", w.Code, w.Body)
	}
	if !shows(hb) {
		t.Error("approved, bob does not see it")
	}
	if countNotified() != 2 {
		t.Errorf("bob was not notified of the approved message (%d)", notified)
	}
}

// Who may write to whom: new members only when the settings allow, up to
// the recipients their trust level allows, not to members who refuse
// their messages or ignore them (told only that they do not accept
// messages), and not to twenty members who never wrote back; staff may
// always write.
func TestWhoMayStartAConversation(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	withServerSettings(t, db, map[string]string{
		"messages_tl0_may_start": "false", "message_max_recipients": "[1, 2, 2, 2, 2]",
		"messages_unanswered_per_day": "[2, 2, 2, 2, 2]",
	})
	newbie := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustNew)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	others := make([]*forum.Member, 4)
	for i := range others {
		others[i] = forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	}
	hn, ha, hm := bearer(t, db, newbie), bearer(t, db, alice), bearer(t, db, mod)

	startConversation(t, s, hn, []string{others[0].Username}, "Bonjour à vous", "Je suis nouveau ici.", 403)
	startConversation(t, s, ha, []string{others[0].Username, others[1].Username, others[2].Username}, "Bonjour à vous", "À vous trois.", 400)
	startConversation(t, s, ha, []string{"personne-" + forumtest.Unique("x")}, "Bonjour à vous", "Personne ?", 400)
	startConversation(t, s, ha, []string{alice.Username}, "Bonjour à moi", "Moi-même.", 400)

	// Two members written to first, who do not answer: the third waits.
	first := startConversation(t, s, ha, []string{others[0].Username}, "Bonjour à vous", "Un premier message.", 201)
	startConversation(t, s, ha, []string{others[1].Username}, "Bonjour à vous", "Un deuxième message.", 201)
	startConversation(t, s, ha, []string{others[2].Username}, "Bonjour à vous", "Un troisième message.", 429)
	// One answers: Alice may write to someone new.
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/messages", first.Conversation.ID),
		header: bearer(t, db, others[0]), body: `{"body": "Je vous réponds."}`}); w.Code != 201 {
		t.Fatalf("answer: %d %s", w.Code, w.Body)
	}
	startConversation(t, s, ha, []string{others[2].Username}, "Bonjour à vous", "Un troisième message.", 201)

	// A member who accepts messages from staff only, or ignores Alice.
	refusing, ignoring := others[3], forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	if w := s.do(t, request{method: "PUT", path: "/api/v1/me/message-preferences", header: bearer(t, db, refusing), body: `{"min_trust_level": 0, "staff_only": true}`}); w.Code != 200 {
		t.Fatalf("preferences: %d %s", w.Code, w.Body)
	}
	hi := bearer(t, db, ignoring)
	if w := s.do(t, request{method: "PUT", path: "/api/v1/me/ignored/" + alice.Username, header: hi}); w.Code != 204 {
		t.Fatalf("ignore: %d %s", w.Code, w.Body)
	}
	for _, m := range []*forum.Member{refusing, ignoring} {
		rec, _ := json.Marshal([]string{m.Username})
		w := s.do(t, request{method: "POST", path: "/api/v1/conversations", header: map[string]string{"Authorization": ha["Authorization"], "Accept-Language": "en"},
			body: fmt.Sprintf(`{"recipients": %s, "title": "Bonjour à vous", "body": "Un message."}`, rec)})
		if e := decodeError(t, w); w.Code != 403 || e.Message != m.Username+" does not accept messages." {
			t.Errorf("to %s: %d %s", m.Username, w.Code, w.Body)
		}
	}
	// Staff always may, and cannot be ignored.
	startConversation(t, s, hm, []string{refusing.Username, ignoring.Username, others[0].Username}, "Un mot de la modération", "Bonjour à tous les trois.", 201)
	if w := s.do(t, request{method: "PUT", path: "/api/v1/me/ignored/" + mod.Username, header: hi}); w.Code != 403 {
		t.Errorf("ignoring a moderator: %d %s", w.Code, w.Body)
	}
	// No longer ignored: Alice may write.
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/me/ignored/" + alice.Username, header: hi}); w.Code != 204 {
		t.Fatalf("unignore: %d %s", w.Code, w.Body)
	}
	withServerSettings(t, db, map[string]string{"messages_unanswered_per_day": "[0, 0, 0, 0, 0]"})
	startConversation(t, s, ha, []string{ignoring.Username}, "Bonjour à vous", "Un message.", 201)
}

// A silenced member cannot write messages.
func TestSilencedMembersCannotWriteMessages(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	conv := startConversation(t, s, bearer(t, db, bob), []string{alice.Username}, "Bonjour Alice", "Comment allez-vous ?", 201)
	silenced := *alice
	until := time.Now().Add(time.Hour)
	silenced.SilencedUntil = &until
	as := forumtest.As(&silenced)
	if _, err := s.pipeline.SubmitMessage(as, moderation.MessageSubmission{ConversationID: conv.Conversation.ID, Body: "Je réponds quand même."}); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a silenced member wrote: %v", err)
	}
	if _, err := s.pipeline.StartConversation(as, moderation.ConversationSubmission{Recipients: []string{bob.Username}, Title: "Bonjour Bob", Body: "Un message."}); forum.ErrorCode(err) != forum.EFORBIDDEN {
		t.Errorf("a silenced member started a conversation: %v", err)
	}
	if _, err := s.pipeline.SubmitMessage(forumtest.As(alice), moderation.MessageSubmission{ConversationID: conv.Conversation.ID, Body: "Je réponds."}); err != nil {
		t.Errorf("once not silenced: %v", err)
	}
}

// A moderator's warning arrives as a private message too, which the
// member can answer; the moderator reads the answer.
func TestAWarningArrivesAsAMessage(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	member := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	reason := forumtest.Unique("Merci de rester courtois dans les échanges ")
	if _, err := db.Warn(forumtest.As(mod), member.ID, reason); err != nil {
		t.Fatal(err)
	}
	hm := bearer(t, db, member)
	list := decode[struct {
		Conversations []struct {
			ID           int64
			Title        string
			Participants []string
			Unread       int
		}
	}](t, s.do(t, request{path: "/api/v1/conversations", header: hm}).Body.Bytes())
	if len(list.Conversations) != 1 || list.Conversations[0].Title != reason || list.Conversations[0].Unread != 1 {
		t.Fatalf("the member's conversations: %+v", list)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d", list.Conversations[0].ID)
	if w := s.do(t, request{method: "POST", path: path + "/messages", header: hm, body: `{"body": "Entendu, désolé."}`}); w.Code != 201 {
		t.Fatalf("answering: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: path, header: bearer(t, db, mod)}); w.Code != 200 || !strings.Contains(w.Body.String(), "Entendu, désolé.") {
		t.Errorf("the moderator reads the answer: %d %s", w.Code, w.Body)
	}
}

// Ignoring a member: their mentions, replies and messages no longer notify
// you; stopping brings them back.
func TestIgnoredMembersNoLongerNotify(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	carol := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ha, hb, hc := bearer(t, db, alice), bearer(t, db, bob), bearer(t, db, carol)
	cat := forumtest.MustCategory(t, db)
	w := s.do(t, request{method: "POST", path: "/api/v1/threads", header: ha,
		body: fmt.Sprintf(`{"category_id": %d, "title": "Un fil d’Alice", "body": "Le premier message du fil."}`, cat.ID)})
	if w.Code != 201 {
		t.Fatalf("thread: %d %s", w.Code, w.Body)
	}
	thread := decode[struct{ Thread struct{ ID int64 } }](t, w.Body.Bytes()).Thread.ID
	conv := startConversation(t, s, hb, []string{alice.Username}, "Bonjour Alice", "Un premier message.", 201)

	if w := s.do(t, request{method: "PUT", path: "/api/v1/me/ignored/" + bob.Username, header: ha}); w.Code != 204 {
		t.Fatalf("ignore: %d %s", w.Code, w.Body)
	}
	count := func(kind string) int {
		var n int
		if err := db.SQL().Get(&n, `SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = $2`, alice.ID, kind); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mentions, messages := count("mention"), count("message")
	reply := func(h map[string]string, body string) {
		t.Helper()
		if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", thread), header: h,
			body: fmt.Sprintf(`{"body": %q, "reply_to": 1}`, body)}); w.Code != 201 {
			t.Fatalf("reply: %d %s", w.Code, w.Body)
		}
	}
	reply(hb, "Bonjour @"+alice.Username+", une remarque.")
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/messages", conv.Conversation.ID), header: hb, body: `{"body": "Un deuxième message."}`}); w.Code != 201 {
		t.Fatalf("message: %d %s", w.Code, w.Body)
	}
	if count("mention") != mentions || count("message") != messages {
		t.Errorf("an ignored member notified: mentions %d → %d, messages %d → %d", mentions, count("mention"), messages, count("message"))
	}
	reply(hc, "Bonjour @"+alice.Username+", une autre remarque.")
	if count("mention") != mentions+1 {
		t.Error("a member not ignored does not notify")
	}
	if w := s.do(t, request{method: "DELETE", path: "/api/v1/me/ignored/" + bob.Username, header: ha}); w.Code != 204 {
		t.Fatalf("unignore: %d %s", w.Code, w.Body)
	}
	reply(hb, "Re-bonjour @"+alice.Username+".")
	if count("mention") != mentions+2 {
		t.Error("no longer ignored, still silent")
	}
	list := decode[struct{ Members []forum.IgnoredMember }](t, s.do(t, request{path: "/api/v1/me/ignored", header: ha}).Body.Bytes())
	if len(list.Members) != 0 {
		t.Errorf("ignored list after unignoring: %+v", list)
	}
}

// A member who deletes their account leaves their conversations; their
// messages stay for the others, from a former member; their data export
// had them.
func TestDeletedMembersMessagesStayFromAFormerMember(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	hb := bearer(t, db, bob)
	conv := startConversation(t, s, hb, []string{alice.Username}, "Avant mon départ", "Un message qui doit rester.", 201)
	export, err := db.ExportAccount(forumtest.As(bob))
	if err != nil {
		t.Fatal(err)
	}
	if len(export.Conversations) != 1 || len(export.Messages) != 1 || export.Messages[0].BodyMarkdown != "Un message qui doit rester." {
		t.Errorf("export: %+v %+v", export.Conversations, export.Messages)
	}
	if err := db.DeleteAccount(forumtest.As(bob), forumtest.Password); err != nil {
		t.Fatal(err)
	}
	w := s.do(t, request{path: fmt.Sprintf("/api/v1/conversations/%d", conv.Conversation.ID), header: bearer(t, db, alice)})
	got := decode[conversationAnswer](t, w.Body.Bytes())
	if w.Code != 200 || len(got.Messages) != 1 || !got.Messages[0].Author.Former || got.Messages[0].Author.Username != "" ||
		!strings.Contains(got.Messages[0].HTML, "doit rester") {
		t.Errorf("after the deletion: %d %s", w.Code, w.Body)
	}
}

// The preferences form on the messages page: staff only, then members of
// trust level 2 and above, and the email choice.
func TestMessagePreferencesForm(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	basic := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic)
	regular := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	hb := bearer(t, db, bob)
	hb["Content-Type"] = "application/x-www-form-urlencoded"
	post := func(form string) {
		t.Helper()
		r := request{method: "POST", path: "/messages/preferences", header: hb}
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(form))
		for k, v := range hb {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		s.engine.ServeHTTP(w, req)
		if w.Code != 303 {
			t.Fatalf("saving %s: %d %s", form, w.Code, w.Body)
		}
	}
	post("from=2")
	startConversation(t, s, bearer(t, db, basic), []string{bob.Username}, "Bonjour Bob", "Un message.", 403)
	startConversation(t, s, bearer(t, db, regular), []string{bob.Username}, "Bonjour Bob", "Un message.", 201)
	post("from=staff&email_on_message=1")
	startConversation(t, s, bearer(t, db, regular), []string{bob.Username}, "Encore moi", "Un autre message.", 403)
	prefs := decode[forum.MessagePreferences](t, s.do(t, request{path: "/api/v1/me/message-preferences", header: bearer(t, db, bob)}).Body.Bytes())
	if !prefs.StaffOnly || prefs.EmailOnMessage == nil || !*prefs.EmailOnMessage {
		t.Errorf("preferences: %+v", prefs)
	}
	post("from=0")
	prefs = decode[forum.MessagePreferences](t, s.do(t, request{path: "/api/v1/me/message-preferences", header: bearer(t, db, bob)}).Body.Bytes())
	if prefs.StaffOnly || prefs.MinTrustLevel != 0 || *prefs.EmailOnMessage {
		t.Errorf("preferences: %+v", prefs)
	}
	if w := s.do(t, request{path: "/messages", header: hb}); w.Code != 200 || !strings.Contains(w.Body.String(), `<option value="0" selected>`) {
		t.Errorf("the messages page: %d", w.Code)
	}
}

// The duplicates rule holds for messages as for posts: the same text sent
// again to someone else within the window is refused, and says so.
func TestTheSameTextToManyIsADuplicate(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	r, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Doublons MP "), Kind: moderation.KindDuplicates, Action: moderation.ActionBlock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.pipeline.DeleteRule(sys, r.ID); err != nil {
			t.Error(err)
		}
	})
	sender := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	h := bearer(t, db, sender)
	text := forumtest.Unique("Découvrez mon offre exceptionnelle numéro ")
	startConversation(t, s, h, []string{forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember).Username}, "Une offre", text, 201)
	rec, _ := json.Marshal([]string{forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember).Username})
	w := s.do(t, request{method: "POST", path: "/api/v1/conversations", header: h,
		body: fmt.Sprintf(`{"recipients": %s, "title": "Une offre", "body": %q}`, rec, text)})
	if e := decodeError(t, w); w.Code != 422 || len(e.Rules) != 1 || e.Rules[0] != r.Ref() {
		t.Errorf("the same text again: %d %s", w.Code, w.Body)
	}
}

// A member searches their own conversations; nobody else's.
func TestSearchingOnesOwnConversations(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	carol := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	word := forumtest.Unique("zcitrouille")
	conv := startConversation(t, s, bearer(t, db, alice), []string{bob.Username}, "Le potager", "Il reste une "+word+" à cueillir.", 201)
	startConversation(t, s, bearer(t, db, alice), []string{bob.Username}, "Autre chose", "Rien à voir.", 201)
	found := func(h map[string]string, q string) []int64 {
		t.Helper()
		list := decode[struct{ Conversations []struct{ ID int64 } }](t, s.do(t, request{path: "/api/v1/conversations?q=" + q, header: h}).Body.Bytes())
		var ids []int64
		for _, c := range list.Conversations {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := found(bearer(t, db, bob), word); len(got) != 1 || got[0] != conv.Conversation.ID {
		t.Errorf("bob searches %s: %v", word, got)
	}
	if got := found(bearer(t, db, carol), word); len(got) != 0 {
		t.Errorf("carol finds bob's conversation: %v", got)
	}
	if got := found(bearer(t, db, bob), "%25"); len(got) != 0 {
		t.Errorf("a wildcard matched everything: %v", got)
	}
	if w := s.do(t, request{path: "/messages?q=" + word, header: bearer(t, db, bob)}); w.Code != 200 || !strings.Contains(w.Body.String(), "Le potager") || strings.Contains(w.Body.String(), "Autre chose") {
		t.Errorf("the search on the messages page: %d", w.Code)
	}
	// A text too long for the box comes back in it, with why, on the
	// page (400), and the API answers 400 on q.
	long := strings.Repeat("mot", forum.SearchMaxRunes)
	w := s.do(t, request{path: "/messages?q=" + long, header: bearer(t, db, bob)})
	if body := w.Body.String(); w.Code != 400 || !strings.Contains(body, `value="`+long+`" aria-invalid="true" aria-describedby="e-q"`) ||
		!strings.Contains(body, `<p class="field-error" id="e-q">`) || !strings.Contains(body, `action="/messages"`) {
		t.Errorf("a text too long for the box: %d", w.Code)
	}
	if w := s.do(t, request{path: "/api/v1/conversations?q=" + long, header: bearer(t, db, bob)}); w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"q"`) {
		t.Errorf("a text too long for the API: %d %s", w.Code, w.Body.String())
	}
}

// The header's Messages entry counts the member's conversations with an
// unread message, on a listening instance that remembers credentials: a
// message from someone else shows at once (its trigger announces the
// participants, migration 0053), reading the conversation clears it on that very page and
// the next; visitors' pages have no Messages entry.
func TestMessagesBadgeCountsUnreadConversations(t *testing.T) {
	db := forumtest.DB(t)
	s, _, _ := pausableInstance(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	badge := func(path string, h map[string]string) string {
		t.Helper()
		s.db.SettleWrite(context.Background())
		w := s.do(t, request{path: path, header: h})
		if w.Code != 200 {
			t.Fatalf("GET %s: %d", path, w.Code)
		}
		body := w.Body.String()
		i := strings.Index(body, `data-messages-badge`)
		if i < 0 {
			return ""
		}
		rest := body[i:]
		return rest[strings.Index(rest, ">")+1 : strings.Index(rest, "<")]
	}
	// Recent enough not to be recorded again (which would be announced):
	// bob is then read from memory until something announces him.
	for _, m := range []*forum.Member{alice, bob} {
		forumtest.Unannounced(t, db, `UPDATE members SET last_seen_at = now() WHERE id = $1`, m.ID)
		forumtest.Unannounced(t, db, `UPDATE api_tokens SET last_used_at = now() WHERE member_id = $1`, m.ID)
	}
	for range 2 {
		if got := badge("/", hb); got != "" {
			t.Fatalf("before any message, bob's badge reads %q", got)
		}
	}
	started := startConversation(t, s, ha, []string{bob.Username}, "Des nouvelles", "Bonjour Bob, comment allez-vous ?", 201)
	if got := badge("/", hb); got != "1" {
		t.Errorf("with a message unread, bob's badge reads %q, want 1", got)
	}
	if got := badge("/", ha); got != "" {
		t.Errorf("alice's own message counts for her: %q", got)
	}
	if got := badge(fmt.Sprintf("/messages/%d", started.Conversation.ID), hb); got != "" {
		t.Errorf("the conversation just read still counts on its page: %q", got)
	}
	if got := badge("/", hb); got != "" {
		t.Errorf("after reading, bob's badge reads %q", got)
	}
	if w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/messages", started.Conversation.ID), header: ha,
		body: `{"body": "Et le potager, il pousse ?"}`}); w.Code != 201 {
		t.Fatalf("alice's second message: %d %s", w.Code, w.Body)
	}
	if got := badge("/", hb); got != "1" {
		t.Errorf("with alice's reply unread, bob's badge reads %q, want 1", got)
	}
	if w := s.do(t, request{path: "/"}); strings.Contains(w.Body.String(), "messages-link") {
		t.Error("a visitor's page has a Messages entry")
	}
}

// A reporter has one open report per message: reporting the same message
// again answers 409 with a sentence, through the API and the form, while
// another message of the same author, or the author from their profile,
// may still be reported.
func TestOneOpenReportPerReporterAndMessage(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	started := startConversation(t, s, ha, []string{bob.Username}, "Deux messages", "Un premier message un peu vif.", 201)
	w := s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/messages", started.Conversation.ID), header: ha,
		body: `{"body": "Et un second, tout aussi vif."}`})
	if w.Code != 201 {
		t.Fatalf("second message: %d %s", w.Code, w.Body)
	}
	second := decode[conversationAnswer](t, w.Body.Bytes()).Message.ID
	report := func(path string) *httptest.ResponseRecorder {
		return s.do(t, request{method: "POST", path: path, header: hb, body: `{"reason": "inappropriate"}`})
	}
	first := fmt.Sprintf("/api/v1/messages/%d/reports", started.Message.ID)
	if w := report(first); w.Code != 201 {
		t.Fatalf("the first report: %d %s", w.Code, w.Body)
	}
	if w := report(first); w.Code != 409 || !strings.Contains(decodeError(t, w).Message, "déjà signalé") {
		t.Errorf("the same message again: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/m/%d/report", started.Message.ID), hb, url.Values{"reason": {"spam"}})); w.Code != 409 ||
		!strings.Contains(w.Body.String(), "déjà signalé") {
		t.Errorf("the same message again, by the form: %d", w.Code)
	}
	if w := report(fmt.Sprintf("/api/v1/messages/%d/reports", second)); w.Code != 201 {
		t.Errorf("another message of the same author: %d %s", w.Code, w.Body)
	}
	if w := report(fmt.Sprintf("/api/v1/members/%s/reports", alice.Username)); w.Code != 201 {
		t.Errorf("the author from their profile: %d %s", w.Code, w.Body)
	}
}

// A message's author edits it as a post is edited: the new text goes through
// the pipeline again (refused: nothing changes; held: the others no longer
// see it, and a moderator has it), the conversation says it was edited; no
// one else may edit it. The Quote link fills the reply with the message.
func TestMessagesAreEditedThroughThePipelineAndQuoted(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	block, hold := forumtest.Unique("zeditblock"), forumtest.Unique("zedithold")
	for word, action := range map[string]string{block: moderation.ActionBlock, hold: moderation.ActionHold} {
		r, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Règle édition "), Description: "Restez courtois.",
			Kind: moderation.KindWords, Action: action, Patterns: []string{word}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.pipeline.DeleteRule(sys, r.ID); err != nil {
				t.Error(err)
			}
		})
	}
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	conv := startConversation(t, s, ha, []string{bob.Username}, "Une faute de frappe", "Rendez-vous jeudi à 10 h.", 201)
	msg := fmt.Sprintf("/api/v1/messages/%d", conv.Message.ID)
	page := fmt.Sprintf("/messages/%d", conv.Conversation.ID)
	edit := func(h map[string]string, body string) *httptest.ResponseRecorder {
		return s.do(t, request{method: "PATCH", path: msg, header: h, body: fmt.Sprintf(`{"body": %q}`, body)})
	}

	if w := edit(hb, "Ce n’est pas mon message."); w.Code != 403 {
		t.Errorf("bob edits alice's message: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: fmt.Sprintf("/m/%d/edit", conv.Message.ID), header: hb}); w.Code != 403 {
		t.Errorf("bob opens the edit form of alice's message: %d", w.Code)
	}
	w := edit(ha, "Rendez-vous **vendredi** à 10 h.")
	edited := decode[struct{ Message struct{ HTML, Status string } }](t, w.Body.Bytes())
	if w.Code != 200 || !strings.Contains(edited.Message.HTML, "<strong>vendredi</strong>") || edited.Message.Status != forum.MessagePublished {
		t.Fatalf("alice edits: %d %s", w.Code, w.Body)
	}
	if body := s.do(t, request{path: page, header: hb}).Body.String(); !strings.Contains(body, "vendredi") || !strings.Contains(body, "message-edited") {
		t.Errorf("bob does not read the edited message, marked edited")
	}
	if w := edit(ha, "Quel "+block+" !"); w.Code != 422 {
		t.Errorf("a refused edit: %d %s", w.Code, w.Body)
	}
	if body := s.do(t, request{path: page, header: hb}).Body.String(); !strings.Contains(body, "vendredi") || strings.Contains(body, block) {
		t.Errorf("a refused edit changed the message")
	}
	// By the form, the new text held: bob no longer sees it, a moderator has it.
	if w := s.do(t, request{path: fmt.Sprintf("/m/%d/edit", conv.Message.ID), header: ha}); w.Code != 200 || !strings.Contains(w.Body.String(), "vendredi") {
		t.Fatalf("alice's edit form: %d", w.Code)
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/m/%d/edit", conv.Message.ID), ha, url.Values{"body": {"Et puis " + hold + " !"}})); w.Code != 202 {
		t.Errorf("an edit held, by the form: %d", w.Code)
	}
	if body := s.do(t, request{path: page, header: hb}).Body.String(); strings.Contains(body, hold) || strings.Contains(body, "vendredi") {
		t.Errorf("bob still reads a message whose edit is held")
	}
	var item *int64
	if err := db.SQL().Get(&item, `SELECT review_item_id FROM conversation_messages WHERE id = $1`, conv.Message.ID); err != nil || item == nil {
		t.Errorf("the held edit has no review item: %v", err)
	}

	// Quoting: bob's reply form holds alice's (first) message.
	second := startConversation(t, s, ha, []string{bob.Username}, "À citer", "Les tomates sont mûres.", 201)
	w = s.do(t, request{path: fmt.Sprintf("/messages/%d?quote=%d", second.Conversation.ID, second.Message.ID), header: hb})
	if !strings.Contains(w.Body.String(), "[quote="+alice.Username+"]\nLes tomates sont mûres.\n[/quote]") {
		t.Errorf("the quote link did not fill the reply: %s", w.Body)
	}
	// A message of another conversation is not quoted.
	w = s.do(t, request{path: fmt.Sprintf("/messages/%d?quote=%d", second.Conversation.ID, conv.Message.ID), header: hb})
	if strings.Contains(w.Body.String(), "[quote="+alice.Username+"]") {
		t.Error("a message of another conversation was quoted")
	}
}

// Participants like each other's messages, as posts: not their own, once
// each (idempotent), and take the like back; the conversation shows the
// count and the pressed button; no one outside the conversation likes.
func TestMessagesAreLiked(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	carol := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ha, hb, hc := bearer(t, db, alice), bearer(t, db, bob), bearer(t, db, carol)
	conv := startConversation(t, s, ha, []string{bob.Username}, "Merci !", "Merci pour les semis.", 201)
	like := fmt.Sprintf("/api/v1/messages/%d/like", conv.Message.ID)
	state := func(w *httptest.ResponseRecorder) forum.MessageLikes {
		t.Helper()
		if w.Code != 200 {
			t.Fatalf("like: %d %s", w.Code, w.Body)
		}
		return decode[forum.MessageLikes](t, w.Body.Bytes())
	}
	for range 2 {
		if got := state(s.do(t, request{method: "POST", path: like, header: hb})); got.Count != 1 || !got.Liked {
			t.Errorf("bob likes: %+v", got)
		}
	}
	if w := s.do(t, request{method: "POST", path: like, header: ha}); w.Code != 403 {
		t.Errorf("alice likes her own message: %d", w.Code)
	}
	if w := s.do(t, request{method: "POST", path: like, header: hc}); w.Code != 404 {
		t.Errorf("carol, outside the conversation, likes: %d", w.Code)
	}
	page := s.do(t, request{path: fmt.Sprintf("/messages/%d", conv.Conversation.ID), header: hb}).Body.String()
	if !strings.Contains(page, `aria-pressed="true">Je n’aime plus · 1</button>`) {
		t.Errorf("bob's page does not show his like")
	}
	if w := s.do(t, formRequest(fmt.Sprintf("/m/%d/like", conv.Message.ID), hb, url.Values{"unlike": {"1"}})); w.Code != 303 {
		t.Errorf("taking the like back by the form: %d", w.Code)
	}
	if got := state(s.do(t, request{method: "DELETE", path: like, header: hb})); got.Count != 0 || got.Liked {
		t.Errorf("after taking it back: %+v", got)
	}
}

// A message past a conversation's first page is reached where it is: the
// reply form, the message's permanent link and the report form's way back
// lead to the page that holds it (the second, as its "more" link opens
// it), not to the first one at an anchor it does not have; a message of
// the first page is reached there.
func TestLinksToAMessageLeadToItsPage(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	alice := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	bob := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	conv := startConversation(t, s, ha, []string{bob.Username}, "Une longue conversation", "Le premier message.", 201)
	var last *forum.Message
	for i := 2; i <= forum.MessagesPerPage+1; i++ {
		ctx := forumtest.As(alice)
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			last, err = forum.AddMessageTx(ctx, tx, forum.NewMessage{ConversationID: conv.Conversation.ID, AuthorID: alice.ID,
				BodyMarkdown: fmt.Sprint("Message ", i), BodyHTML: fmt.Sprintf("<p>Message %d</p>", i), Status: forum.MessagePublished})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	shows := func(h map[string]string, location string, number int) {
		t.Helper()
		path, anchor, _ := strings.Cut(location, "#")
		w := s.do(t, request{path: path, header: h})
		if w.Code != 200 || anchor != fmt.Sprintf("m-%d", number) || !strings.Contains(w.Body.String(), fmt.Sprintf(`id="m-%d"`, number)) {
			t.Errorf("%s: %d, no message %d", location, w.Code, number)
		}
	}
	w := s.do(t, formRequest(fmt.Sprintf("/messages/%d/reply", conv.Conversation.ID), hb, url.Values{"body": {"Une réponse, enfin."}}))
	if w.Code != 303 {
		t.Fatalf("reply: %d %s", w.Code, w.Body)
	}
	shows(hb, w.Header().Get("Location"), forum.MessagesPerPage+2)
	w = s.do(t, request{path: fmt.Sprintf("/m/%d", last.ID), header: hb})
	if w.Code != 303 {
		t.Fatalf("permanent link: %d", w.Code)
	}
	shows(hb, w.Header().Get("Location"), last.Number)
	w = s.do(t, request{path: fmt.Sprintf("/m/%d/report", last.ID), header: hb})
	back := regexp.MustCompile(`href="(/messages/[^"]+)"`).FindAllStringSubmatch(w.Body.String(), -1)
	if w.Code != 200 || len(back) == 0 {
		t.Fatalf("report form: %d", w.Code)
	}
	shows(hb, html.UnescapeString(back[len(back)-1][1]), last.Number)
	if got, want := messageURL(conv.Conversation.ID, last.Number), fmt.Sprintf("/messages/%d?after=%d#m-%d", conv.Conversation.ID, forum.MessagesPerPage, last.Number); got != want {
		t.Errorf("message %d at %s, want %s", last.Number, got, want)
	}
	w = s.do(t, request{path: fmt.Sprintf("/m/%d", conv.Message.ID), header: hb})
	if loc := w.Header().Get("Location"); loc != fmt.Sprintf("/messages/%d#m-1", conv.Conversation.ID) {
		t.Errorf("the first message's link: %s", loc)
	}
	// The list leads alice, who has read all but bob's reply, to it, and
	// bob, who read everything, to the conversation's first page.
	listLink := func(h map[string]string) string {
		t.Helper()
		w := s.do(t, request{path: "/messages", header: h})
		m := regexp.MustCompile(`<a class="thread-title" href="([^"]+)">Une longue conversation</a>`).FindStringSubmatch(w.Body.String())
		if w.Code != 200 || m == nil {
			t.Fatalf("the list: %d", w.Code)
		}
		return html.UnescapeString(m[1])
	}
	if got, want := listLink(ha), messageURL(conv.Conversation.ID, forum.MessagesPerPage+2); got != want {
		t.Errorf("alice's list leads to %s, want %s", got, want)
	}
	shows(ha, listLink(ha), forum.MessagesPerPage+2)
	if got, want := listLink(hb), fmt.Sprintf("/messages/%d", conv.Conversation.ID); got != want {
		t.Errorf("bob's list leads to %s, want %s", got, want)
	} // Alice's notification of the reply, and its email, lead to it too.
	var reply, notification int64
	var mailed string
	if err := db.SQL().QueryRow(`SELECT id FROM conversation_messages WHERE conversation_id = $1 AND number = $2`,
		conv.Conversation.ID, forum.MessagesPerPage+2).Scan(&reply); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(`SELECT id FROM notifications WHERE member_id = $1 AND kind = 'message'`, alice.ID).Scan(&notification); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(`SELECT data->>'Path' FROM outbox WHERE kind = 'notify_message' AND recipient = $1`, alice.Email).Scan(&mailed); err != nil {
		t.Fatal(err)
	}
	listed := decode[struct {
		Notifications []struct{ URL string } `json:"notifications"`
	}](t, s.do(t, request{path: "/api/v1/notifications", header: ha}).Body.Bytes())
	permalink := fmt.Sprintf("/m/%d", reply)
	opened := s.do(t, request{path: fmt.Sprintf("/notifications/%d/open", notification), header: ha}).Header().Get("Location")
	if len(listed.Notifications) != 1 || listed.Notifications[0].URL != permalink || opened != permalink || mailed != permalink {
		t.Errorf("the notification leads to %+v and opens %q, its email %q; want %s", listed.Notifications, opened, mailed, permalink)
	}
	w = s.do(t, request{path: permalink, header: ha})
	shows(ha, w.Header().Get("Location"), forum.MessagesPerPage+2)
	// The second page leads back to the first, a page further on to the
	// numbers before it; the first to none.
	prev := regexp.MustCompile(`<a rel="prev" href="([^"]+)">`)
	first := fmt.Sprintf("/messages/%d", conv.Conversation.ID)
	for after, want := range map[int]string{forum.MessagesPerPage: first, forum.MessagesPerPage + 1: first + "?after=1"} {
		m := prev.FindStringSubmatch(s.do(t, request{path: fmt.Sprintf("%s?after=%d", first, after), header: ha}).Body.String())
		if m == nil || html.UnescapeString(m[1]) != want {
			t.Errorf("the way back from after=%d: %v, want %s", after, m, want)
		}
	}
	if m := prev.FindStringSubmatch(s.do(t, request{path: first, header: ha}).Body.String()); m != nil {
		t.Errorf("the first page leads back to %s", m[1])
	}
}
