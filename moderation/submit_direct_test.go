package moderation

import (
	"fmt"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A plain reply and one that mentions someone (which, before the one path
// of migration 0045, took the pipeline's own transaction instead of one
// statement) refuse and store alike.
func TestRepliesFollowTheThreadOnBothPaths(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	mentioned := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
	for _, path := range []struct{ name, body string }{
		{"one statement", "Une réponse toute simple."},
		{"transaction", "Une réponse pour @" + mentioned.Username + "."},
	} {
		t.Run(path.name, func(t *testing.T) {
			th := mustThread(t, p)
			member := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember)
			mod := forumtest.MustMember(t, db, forum.RoleModerator, forum.TrustMember)
			submit := func(as *forum.Member, threadID int64) (*Submitted, error) {
				return p.SubmitReply(forumtest.As(as), ReplySubmission{ThreadID: threadID, Body: forumtest.Unique(path.body + " ")})
			}
			refused := func(what string, as *forum.Member, threadID int64, code, key string) {
				t.Helper()
				before := countPosts(t, threadID)
				_, err := submit(as, threadID)
				if fe := forum.AsError(err); fe.Code != code || fe.Key != key {
					t.Errorf("%s: %v, want %s %s", what, err, code, key)
				}
				if countPosts(t, threadID) != before {
					t.Errorf("%s: a refused reply was stored", what)
				}
			}

			out, err := submit(member, th.ID)
			if err != nil {
				t.Fatal(err)
			}
			var stored struct {
				Number    int   `db:"number"`
				PostCount int   `db:"post_count"`
				LastPost  int64 `db:"last_post_id"`
				Queued    bool  `db:"queued"`
			}
			if err := db.SQL().Get(&stored, `SELECT p.number, t.post_count, t.last_post_id,
	EXISTS (SELECT 1 FROM notification_queue q WHERE q.post_id = p.id) AS queued
FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1`, out.Post.ID); err != nil {
				t.Fatal(err)
			}
			if out.Post.Number != 2 || stored.Number != 2 || stored.PostCount != 2 || stored.LastPost != out.Post.ID || stored.Queued {
				t.Errorf("reply stored as %+v, returned as #%d", stored, out.Post.Number)
			}
			// The thread's author watches it and hears of the reply at once.
			var told int
			if err := db.SQL().Get(&told, `SELECT count(*) FROM notifications WHERE post_id = $1 AND kind = 'watching'`, out.Post.ID); err != nil {
				t.Fatal(err)
			}
			if told != 1 {
				t.Errorf("the thread's author got %d notifications", told)
			}

			refused("missing thread", member, 1<<40, forum.ENOTFOUND, "thread.not_found")

			if _, err := db.SQL().Exec(`UPDATE threads SET locked = true WHERE id = $1`, th.ID); err != nil {
				t.Fatal(err)
			}
			refused("locked thread", member, th.ID, forum.EFORBIDDEN, "thread.locked")
			if _, err := submit(mod, th.ID); err != nil {
				t.Errorf("a moderator's reply to a locked thread: %v", err)
			}

			if _, err := db.SQL().Exec(`UPDATE threads SET locked = false, status = 'held', author_id = $2 WHERE id = $1`, th.ID, member.ID); err != nil {
				t.Fatal(err)
			}
			refused("own held thread", member, th.ID, forum.EFORBIDDEN, "thread.not_open")
			refused("someone else's held thread", forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember), th.ID, forum.ENOTFOUND, "thread.not_found")
			if _, err := submit(mod, th.ID); err != nil {
				t.Errorf("a moderator's reply to a held thread: %v", err)
			}
		})
	}
}

// A history rule that flags or holds instead of refusing decides where the
// reply is stored, and its reason is counted once.
func TestHistoryRulesThatDoNotRefuseStillDecide(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	rate := mustRule(t, p, RuleInput{Kind: KindRate, Action: ActionFlag})
	withSettings(t, db, map[string]any{"posts_per_minute": [5]int{2, 2, 2, 2, 2}})
	th := mustThread(t, p)
	as := forumtest.As(forumtest.MustMember(t, db, forum.RoleMember, forum.TrustMember))
	for i := range 2 {
		out, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: fmt.Sprintf("Message %d", i)})
		if err != nil || out.Verdict.Flagged {
			t.Fatalf("post %d: %v %+v", i, err, out)
		}
	}
	out, err := p.SubmitReply(as, ReplySubmission{ThreadID: th.ID, Body: "Un de trop"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Post.Status != forum.StatusPublished || !out.Verdict.Flagged || len(out.Verdict.Reasons) != 1 || out.Verdict.Reasons[0].Rule != rate.Ref() {
		t.Fatalf("over the limit: %s %+v", out.Post.Status, out.Verdict)
	}
	if items := reviewItems(t, out.Post.ID); len(items) != 1 || items[0].Kind != ReviewFlagged {
		t.Errorf("review items: %+v", items)
	}
}
