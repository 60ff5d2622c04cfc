package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/moderation"
)

// The guidelines' verdict through the JSON API: 422 names the rules that
// refused the text, 202 says why a post is held, in the reader's language.
func TestAPIAnswersTheVerdict(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sys := forum.WithSystem(context.Background())
	block, hold := forumtest.Unique("zapib"), forumtest.Unique("zapih")
	rules := map[string]*moderation.Rule{}
	for word, action := range map[string]string{block: moderation.ActionBlock, hold: moderation.ActionHold} {
		r, err := s.pipeline.CreateRule(sys, moderation.RuleInput{Name: forumtest.Unique("Règle API "), Description: "Soyez courtois.",
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
	cat := forumtest.MustCategory(t, db)
	h := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	h["Accept-Language"] = "fr"

	w := s.do(t, request{method: "POST", path: "/api/v1/threads", header: h,
		body: fmt.Sprintf(`{"category_id": %d, "title": "Un titre correct", "body": "Quel %s !"}`, cat.ID, block)})
	e := decodeError(t, w)
	want := []forum.RuleRef{rules[moderation.ActionBlock].Ref()}
	if w.Code != 422 || e.Code != forum.EREJECTED || !slices.Equal(e.Rules, want) ||
		!strings.Contains(e.Message, rules[moderation.ActionBlock].Name) || !strings.Contains(e.Message, "Soyez courtois.") {
		t.Errorf("refused: %d %s", w.Code, w.Body)
	}

	w = s.do(t, request{method: "POST", path: "/api/v1/threads", header: h,
		body: fmt.Sprintf(`{"category_id": %d, "title": "Un titre correct", "body": "Quel %s !"}`, cat.ID, hold)})
	answer := decode[struct {
		Post    struct{ Status string }
		Reasons []apiReason
	}](t, w.Body.Bytes())
	if w.Code != 202 || answer.Post.Status != forum.StatusHeld || len(answer.Reasons) != 1 ||
		answer.Reasons[0].Rule != rules[moderation.ActionHold].Ref() || !strings.Contains(answer.Reasons[0].Message, "validation par un modérateur") {
		t.Errorf("held: %d %s", w.Code, w.Body)
	}
}
