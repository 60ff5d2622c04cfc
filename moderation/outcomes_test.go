package moderation

import (
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// heldReply holds a reply by a fresh member in th with a watched word of
// its own, and returns the post and the id of its review item.
func heldReply(t *testing.T, p *Pipeline, th *forum.Thread) (*forum.Post, int64, *forum.Member) {
	t.Helper()
	db := forumtest.DB(t)
	word := forumtest.Unique("zheld")
	mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{word}})
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustBasic)
	out, err := p.SubmitReply(forumtest.As(author), ReplySubmission{ThreadID: th.ID, Body: "Voici " + word + " pour voir."})
	if err != nil {
		t.Fatal(err)
	}
	if out.Post.Status != forum.StatusHeld {
		t.Fatalf("reply not held: %s", out.Post.Status)
	}
	items := reviewItems(t, out.Post.ID)
	if len(items) != 1 {
		t.Fatalf("items of a held reply: %+v", items)
	}
	return out.Post, items[0].ID, author
}

func postState(t *testing.T, id int64) (status, removal string) {
	t.Helper()
	var row struct {
		Status  string `db:"status"`
		Removal string `db:"removal"`
	}
	if err := forumtest.DB(t).SQL().Get(&row, `SELECT status, removal FROM posts WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return row.Status, row.Removal
}

func logged(t *testing.T, action string, postID int64) bool {
	t.Helper()
	var n int
	if err := forumtest.DB(t).SQL().Get(&n, `SELECT count(*) FROM mod_log WHERE action = $1 AND target_type = 'post' AND target_id = $2`, action, postID); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// Every decision that closes a held post's item settles the post: a
// sanction, a lock or a move refuses it (logged), approving publishes it.
func TestDecisionsOnAHeldItemSettleItsPost(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	for _, d := range []Decision{
		{Action: ActSuspend, Duration: "7d", Message: "Insultes répétées"},
		{Action: ActBan, Message: "Spam"},
		{Action: ActWarn, Message: "Attention"},
		{Action: ActLockThread},
	} {
		th := mustThread(t, p)
		post, itemID, _ := heldReply(t, p, th)
		d.ItemID = itemID
		if _, err := p.Resolve(mod, d); err != nil {
			t.Fatalf("%s: %v", d.Action, err)
		}
		if st, removal := postState(t, post.ID); st != forum.StatusDeleted || removal != forum.RemovedUnpublished {
			t.Errorf("%s: the held post is %s (%q), want refused", d.Action, st, removal)
		}
		if !logged(t, "post.reject", post.ID) {
			t.Errorf("%s: the refusal is not in the log", d.Action)
		}
		forumtest.AssertHeldInvariant(t, db)
	}
	th := mustThread(t, p)
	post, itemID, _ := heldReply(t, p, th)
	if _, err := p.Resolve(mod, Decision{ItemID: itemID, Action: ActApprove}); err != nil {
		t.Fatal(err)
	}
	if st, _ := postState(t, post.ID); st != forum.StatusPublished {
		t.Errorf("approved post is %s", st)
	}
	forumtest.AssertHeldInvariant(t, db)
}

// The database itself refuses to close a held post's item while the post
// still waits.
func TestDatabaseRefusesAnOrphanHeldPost(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th := mustThread(t, p)
	post, itemID, _ := heldReply(t, p, th)
	if _, err := db.SQL().Exec(`UPDATE review_items SET status = 'resolved' WHERE id = $1`, itemID); err == nil {
		t.Error("closing a held post's item left the post waiting")
	}
	if _, err := db.SQL().Exec(`UPDATE posts SET status = 'published' WHERE id = $1`, post.ID); err == nil {
		t.Error("publishing a held post left its item open")
	}
	forumtest.AssertHeldInvariant(t, db)
}

// A held post deleted by its author closes its item and shows nowhere.
func TestAuthorDeletingAHeldPostClosesItsItem(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th := mustThread(t, p)
	post, itemID, author := heldReply(t, p, th)
	if _, err := db.DeletePost(forumtest.As(author), post.ID); err != nil {
		t.Fatal(err)
	}
	if items := reviewItems(t, post.ID); len(items) != 1 || items[0].ID != itemID || items[0].Status != ReviewResolved {
		t.Errorf("item after the author withdrew the post: %+v", items)
	}
	if _, removal := postState(t, post.ID); removal != forum.RemovedUnpublished {
		t.Errorf("removal = %q", removal)
	}
	forumtest.AssertHeldInvariant(t, db)
}

// Approving a held post into a thread deleted meanwhile is refused with a
// conflict naming the reason; nothing is published.
func TestApprovingIntoADeletedThreadIsRefused(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th := mustThread(t, p)
	post, itemID, _ := heldReply(t, p, th)
	mod := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	var first int64
	if err := db.SQL().Get(&first, `SELECT id FROM posts WHERE thread_id = $1 AND number = 1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePost(mod, first); err != nil {
		t.Fatal(err)
	}
	_, err := p.Resolve(mod, Decision{ItemID: itemID, Action: ActApprove})
	if fe := forum.AsError(err); fe == nil || fe.Code != forum.ECONFLICT || fe.Key != "review.thread_removed" {
		t.Fatalf("approving into a deleted thread: %v", err)
	}
	if st, _ := postState(t, post.ID); st != forum.StatusHeld {
		t.Errorf("post is %s", st)
	}
	// Rejecting it still works.
	if _, err := p.Resolve(mod, Decision{ItemID: itemID, Action: ActReject}); err != nil {
		t.Fatal(err)
	}
	forumtest.AssertHeldInvariant(t, db)
}
