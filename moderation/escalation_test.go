package moderation

import (
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// With auto_escalate, a moderator who hides or deletes a post also applies
// the next step of the ladder to its author; without it, nothing is applied
// (the step is only proposed), and the staff are never escalated.
func TestAutoEscalationClimbsTheLadderOnlyWhenAsked(t *testing.T) {
	p := NewPipeline(forumtest.DB(t))
	db := p.db
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic)
	staffAuthor := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	post := func(m *forum.Member) int64 {
		t.Helper()
		out, err := p.SubmitThread(forumtest.As(m), ThreadSubmission{CategoryID: cat.ID,
			Title: forumtest.Unique("Un sujet à modérer "), Body: forumtest.Unique("Un message à modérer ")})
		if err != nil {
			t.Fatal(err)
		}
		return out.Post.ID
	}
	posts := []int64{post(author), post(author), post(author), post(author)}
	staffPost := post(staffAuthor)
	reporter := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustLeader)
	act := func(postID int64, action string) {
		t.Helper()
		r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: postID, Reason: ReportSpam})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Resolve(forumtest.As(mod), Decision{ItemID: r.ReviewItemID, Action: action, Message: "Publicité"}); err != nil {
			t.Fatal(err)
		}
	}
	sanctions := func(m *forum.Member) []forum.Sanction {
		t.Helper()
		s, err := db.MemberSanctions(adminCtx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	kinds := func(s []forum.Sanction) map[string]forum.Sanction {
		out := map[string]forum.Sanction{}
		for _, x := range s {
			out[x.Kind] = x
		}
		return out
	}

	rvSettings(t, p, map[string]any{"escalation_ladder": []string{"warn", "silence:24h", "suspend:7d"}, "auto_escalate": false})
	act(posts[0], ActHide)
	if s := sanctions(author); len(s) != 0 {
		t.Fatalf("auto_escalate off, yet the author was sanctioned: %+v", s)
	}

	rvSettings(t, p, map[string]any{"auto_escalate": true})
	act(posts[1], ActHide)
	if s := kinds(sanctions(author)); len(s) != 1 || s[forum.SanctionWarning].ID == 0 {
		t.Fatalf("first step: %+v, want a warning", s)
	}
	act(posts[2], ActDelete)
	s := kinds(sanctions(author))
	silence, ok := s[forum.SanctionSilence]
	if len(s) != 2 || !ok || silence.Until == nil || silence.Until.Before(time.Now().Add(23*time.Hour)) || silence.Until.After(time.Now().Add(25*time.Hour)) {
		t.Fatalf("second step: %+v, want a silence of 24 h", s)
	}
	if m, _ := db.MemberByID(adminCtx, author.ID); !m.IsSilenced(time.Now()) {
		t.Error("the author is not silenced")
	}
	// Dismissing a report sanctions nobody.
	r, err := p.ReportPost(forumtest.As(reporter), ReportInput{PostID: posts[3], Reason: ReportSpam})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(forumtest.As(mod), Decision{ItemID: r.ReviewItemID, Action: ActDismiss}); err != nil {
		t.Fatal(err)
	}
	if s := sanctions(author); len(s) != 2 {
		t.Errorf("a dismissed report escalated: %d sanctions", len(s))
	}
	// The staff are never escalated automatically.
	act(staffPost, ActHide)
	if s := sanctions(staffAuthor); len(s) != 0 {
		t.Errorf("a moderator's post hidden escalated them: %+v", s)
	}
}
