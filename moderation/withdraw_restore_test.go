package moderation

import (
	"context"
	"strings"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// authoredThread starts a thread by a fresh member, with the id of its
// first post.
func authoredThread(t *testing.T, p *Pipeline, cat *forum.Category) (*forum.Thread, int64, *forum.Member) {
	t.Helper()
	db := forumtest.DB(t)
	author := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	if cat == nil {
		cat = forumtest.MustCategory(t, db)
	}
	out, err := p.SubmitThread(forumtest.As(author), ThreadSubmission{CategoryID: cat.ID, Title: forumtest.Unique("Un sujet "),
		Body: forumtest.Unique("Le premier message ")})
	if err != nil {
		t.Fatal(err)
	}
	return out.Thread, out.Post.ID, author
}

func mustReply(t *testing.T, p *Pipeline, ctx context.Context, threadID int64, body string) *forum.Post {
	t.Helper()
	out, err := p.SubmitReply(ctx, ReplySubmission{ThreadID: threadID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return out.Post
}

func threadState(t *testing.T, id int64) (status string, posts int) {
	t.Helper()
	var row struct {
		Status string `db:"status"`
		Posts  int    `db:"post_count"`
	}
	if err := forumtest.DB(t).SQL().Get(&row, `SELECT status, post_count FROM threads WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return row.Status, row.Posts
}

func loggedOn(t *testing.T, action, targetType string, id int64) bool {
	t.Helper()
	var n int
	if err := forumtest.DB(t).SQL().Get(&n, `SELECT count(*) FROM mod_log WHERE action = $1 AND target_type = $2 AND target_id = $3`, action, targetType, id); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func wantCode(t *testing.T, what string, err error, code, key string) {
	t.Helper()
	fe := forum.AsError(err)
	if err == nil || fe.Code != code || (key != "" && fe.Key != key) {
		t.Errorf("%s: got %v, want %s %s", what, err, code, key)
	}
}

// Once another member replied, the author of a thread withdraws their
// first post: the thread, its title and the replies stay. Without others'
// replies (their own do not count) deleting the first post deletes the
// thread, as before.
func TestAuthorWithdrawsAThreadOthersRepliedTo(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th, first, author := authoredThread(t, p, nil)
	other := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	reply := mustReply(t, p, forumtest.As(other), th.ID, forumtest.Unique("Une réponse "))

	if err := db.DeleteThread(forumtest.As(author), th.ID); forum.ErrorCode(err) != forum.ETHREADREPLIED {
		t.Fatalf("author deleting a thread others replied to: %v", err)
	}
	p1, _, _ := db.PostByID(forumtest.As(author), first)
	if outcome, err := db.DeleteOutcome(forumtest.As(author), p1); err != nil || outcome != forum.WithdrawsFirst {
		t.Fatalf("outcome = %q, %v", outcome, err)
	}
	if _, err := db.DeletePost(forumtest.As(author), first); err != nil {
		t.Fatal(err)
	}
	if st, removal := postState(t, first); st != forum.StatusDeleted || removal != forum.RemovedByAuthor {
		t.Errorf("first post is %s (%q)", st, removal)
	}
	if st, _ := threadState(t, th.ID); st != forum.StatusPublished {
		t.Errorf("thread after withdrawal: %s", st)
	}
	visitor := context.Background()
	if got, err := db.ThreadByID(visitor, th.ID); err != nil || got.Replies() != 1 {
		t.Errorf("visitors lost the thread or its reply count: %+v, %v", got, err)
	}
	if st, _ := postState(t, reply.ID); st != forum.StatusPublished {
		t.Errorf("the reply is %s", st)
	}
	if err := db.DeleteThread(forumtest.As(author), th.ID); forum.ErrorCode(err) != forum.ETHREADREPLIED {
		t.Errorf("author deleting the thread after withdrawing: %v", err)
	}
	// Its own replies do not make the thread someone else's.
	th2, first2, author2 := authoredThread(t, p, nil)
	mustReply(t, p, forumtest.As(author2), th2.ID, forumtest.Unique("Je complète "))
	if _, err := db.DeletePost(forumtest.As(author2), first2); err != nil {
		t.Fatal(err)
	}
	if st, _ := threadState(t, th2.ID); st != forum.StatusDeleted {
		t.Errorf("a thread nobody else replied to is %s after its author deleted it", st)
	}
	// Staff still delete the thread, which stays restorable.
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	if err := db.DeleteThread(admin, th.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := threadState(t, th.ID); st != forum.StatusDeleted {
		t.Errorf("staff deleting the thread: %s", st)
	}
	if !loggedOn(t, "thread.delete", "thread", th.ID) {
		t.Error("thread.delete not logged")
	}
}

// Staff restore a soft-deleted post or thread whoever deleted it: status,
// counters, search and last activity come back, the removal is forgotten,
// and the log says so. Category moderators restore in their categories
// only; a post refused while held is not restorable.
func TestStaffRestoreDeletedPostsAndThreads(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	cat := forumtest.MustCategory(t, db)
	th, first, author := authoredThread(t, p, cat)
	word := forumtest.Unique("zrestaure")
	other := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	reply := mustReply(t, p, forumtest.As(other), th.ID, "Une réponse avec "+word)
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))

	// A moderator removed the reply.
	if _, err := db.DeletePost(admin, reply.ID); err != nil {
		t.Fatal(err)
	}
	if _, n := threadState(t, th.ID); n != 1 {
		t.Fatalf("post_count after the removal: %d", n)
	}
	if err := db.RestoreThread(admin, th.ID, ""); forum.ErrorCode(err) != forum.ECONFLICT {
		t.Errorf("restoring a thread that is not deleted: %v", err)
	}
	// Members and moderators of other categories may not restore.
	_, err := db.RestorePost(forumtest.As(other), reply.ID, "")
	wantCode(t, "a member restoring", err, forum.EFORBIDDEN, "post.restore_forbidden")
	elsewhere := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	otherCat := forumtest.MustCategory(t, db)
	localMod := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	if _, err := db.SQL().Exec(`INSERT INTO category_moderators (member_id, category_id) VALUES ($1, $2), ($3, $4)`,
		elsewhere.ID, otherCat.ID, localMod.ID, cat.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.RestorePost(forumtest.As(elsewhere), reply.ID, "")
	wantCode(t, "a moderator of another category restoring", err, forum.EFORBIDDEN, "post.restore_forbidden")

	restored, err := db.RestorePost(forumtest.As(localMod), reply.ID, "Retiré par erreur")
	if err != nil {
		t.Fatal(err)
	}
	if restored.Status != forum.StatusPublished {
		t.Errorf("restored post: %+v", restored)
	}
	if st, removal := postState(t, reply.ID); st != forum.StatusPublished || removal != "" {
		t.Errorf("reply after restore: %s (%q)", st, removal)
	}
	var last int64
	if err := db.SQL().Get(&last, `SELECT last_post_id FROM threads WHERE id = $1`, th.ID); err != nil || last != reply.ID {
		t.Errorf("last post after restore: %d, %v", last, err)
	}
	if _, n := threadState(t, th.ID); n != 2 {
		t.Errorf("post_count after restore: %d", n)
	}
	hits, err := db.Search(context.Background(), forum.SearchQuery{Text: word})
	if err != nil || len(hits.Hits) != 1 {
		t.Errorf("search after restore: %+v, %v", hits, err)
	}
	if !loggedOn(t, "post.restore", "post", reply.ID) {
		t.Error("post.restore not logged")
	}
	if _, err := db.RestorePost(admin, reply.ID, ""); forum.ErrorCode(err) != forum.ECONFLICT {
		t.Errorf("restoring a published post: %v", err)
	}

	// A thread its author deleted comes back with its first post.
	th2, first2, author2 := authoredThread(t, p, cat)
	if _, err := db.DeletePost(forumtest.As(author2), first2); err != nil {
		t.Fatal(err)
	}
	if err := db.RestoreThread(forumtest.As(localMod), th2.ID, ""); err != nil {
		t.Fatal(err)
	}
	if st, n := threadState(t, th2.ID); st != forum.StatusPublished || n != 1 {
		t.Errorf("restored thread: %s with %d posts", st, n)
	}
	if !loggedOn(t, "thread.restore", "thread", th2.ID) {
		t.Error("thread.restore not logged")
	}
	// A withdrawn first post comes back too.
	if _, err := db.DeletePost(forumtest.As(author), first); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RestorePost(admin, first, ""); err != nil {
		t.Fatal(err)
	}
	if st, _ := postState(t, first); st != forum.StatusPublished {
		t.Errorf("withdrawn first post after restore: %s", st)
	}

	// A held post refused before it was public is the queue's.
	held, itemID, _ := heldReply(t, p, th)
	if _, err := p.Resolve(admin, Decision{ItemID: itemID, Action: ActReject}); err != nil {
		t.Fatal(err)
	}
	_, err = db.RestorePost(admin, held.ID, "")
	wantCode(t, "restoring a refused held post", err, forum.ECONFLICT, "post.restore_unpublished")
	forumtest.AssertHeldInvariant(t, db)
}

// pendingEditSetup is a thread by a fresh author and a words rule that
// holds, with the word it watches.
func pendingEditSetup(t *testing.T, p *Pipeline) (*forum.Thread, int64, *forum.Member, string, *Rule) {
	t.Helper()
	th, first, author := authoredThread(t, p, nil)
	word := forumtest.Unique("zretenu")
	r := mustRule(t, p, RuleInput{Kind: KindWords, Action: ActionHold, Patterns: []string{word}})
	return th, first, author, word, r
}

func postBody(t *testing.T, id int64) string {
	t.Helper()
	var body string
	if err := forumtest.DB(t).SQL().Get(&body, `SELECT body_markdown FROM posts WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return body
}

func moderationNotices(t *testing.T, memberID, postID int64) []string {
	t.Helper()
	var actions []string
	if err := forumtest.DB(t).SQL().Select(&actions, `SELECT data->>'action' FROM notifications
WHERE member_id = $1 AND post_id = $2 AND kind = 'moderation' ORDER BY id`, memberID, postID); err != nil {
		t.Fatal(err)
	}
	return actions
}

// Editing a published first post into text a rule holds leaves the
// published version (and the thread) visible to everyone; the edit waits
// with one open review item, the author sees it and may change it, and
// approving publishes it as an edit.
func TestHeldEditKeepsThePublishedVersion(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th, first, author, word, _ := pendingEditSetup(t, p)
	before := postBody(t, first)
	out, err := p.SubmitEdit(forumtest.As(author), EditSubmission{PostID: first, Body: "Nouveau texte avec " + word})
	if err != nil {
		t.Fatal(err)
	}
	if !out.PendingEdit || out.Post.Status != forum.StatusPublished {
		t.Fatalf("held edit: pending %v, status %s", out.PendingEdit, out.Post.Status)
	}
	if st, _ := postState(t, first); st != forum.StatusPublished || postBody(t, first) != before {
		t.Errorf("the published post changed: %s %q", st, postBody(t, first))
	}
	if _, err := db.ThreadByID(context.Background(), th.ID); err != nil {
		t.Errorf("visitors lost the thread while the edit waits: %v", err)
	}
	forumtest.AssertHeldInvariant(t, db)
	mine, _, err := db.PostByID(forumtest.As(author), first)
	if err != nil || mine.PendingMarkdown == nil || !strings.Contains(*mine.PendingMarkdown, word) {
		t.Fatalf("the author does not see their pending edit: %+v, %v", mine, err)
	}
	if theirs, _, _ := db.PostByID(context.Background(), first); theirs.PendingHTML != nil {
		t.Error("a visitor sees the pending edit")
	}
	// The author's page (not the shared snapshot) shows the pending edit.
	_, page, err := db.ThreadPage(forumtest.As(author), th.ID, 0)
	if err != nil || page.Posts[0].PendingHTML == nil {
		t.Errorf("the author's thread page lacks the pending edit: %v", err)
	}
	// Edited again, still held: one item, the newer text.
	if _, err := p.SubmitEdit(forumtest.As(author), EditSubmission{PostID: first, Body: "Encore " + word + " corrigé"}); err != nil {
		t.Fatal(err)
	}
	items := reviewItems(t, first)
	if len(items) != 1 || items[0].Kind != ReviewHeld || items[0].Status != ReviewPending {
		t.Fatalf("items of the held edit: %+v", items)
	}
	forumtest.AssertHeldInvariant(t, db)
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	it, err := p.ReviewItem(admin, items[0].ID)
	if err != nil || it.Post == nil || !it.Post.PendingEdit || !strings.Contains(it.Post.Markdown, "corrigé") {
		t.Fatalf("the queue does not show the pending edit: %+v, %v", it, err)
	}
	if _, err := p.Resolve(admin, Decision{ItemID: items[0].ID, Action: ActApprove}); err != nil {
		t.Fatal(err)
	}
	if body := postBody(t, first); !strings.Contains(body, "corrigé") {
		t.Errorf("approved edit not published: %q", body)
	}
	_, _, revs, err := db.Revisions(admin, first)
	if err != nil || len(revs) != 1 || revs[0].BodyMarkdown != before || revs[0].EditorName == nil || *revs[0].EditorName != author.Username {
		t.Errorf("revisions after the approved edit: %+v, %v", revs, err)
	}
	if got := moderationNotices(t, author.ID, first); len(got) != 1 || got[0] != forum.ModerationEditApproved {
		t.Errorf("author told %v", got)
	}
	forumtest.AssertHeldInvariant(t, db)
}

// Refusing a held edit keeps the published version; the author is told
// the edit was refused, with the rule. Other decisions refuse it too, and
// an edit the rules let through replaces the waiting one.
func TestRefusedHeldEditKeepsThePublishedVersion(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))

	_, first, author, word, rule := pendingEditSetup(t, p)
	before := postBody(t, first)
	if _, err := p.SubmitEdit(forumtest.As(author), EditSubmission{PostID: first, Body: "Texte " + word}); err != nil {
		t.Fatal(err)
	}
	items := reviewItems(t, first)
	if _, err := p.Resolve(admin, Decision{ItemID: items[0].ID, Action: ActReject}); err != nil {
		t.Fatal(err)
	}
	if st, _ := postState(t, first); st != forum.StatusPublished || postBody(t, first) != before {
		t.Errorf("after refusing the edit the post is %s %q", st, postBody(t, first))
	}
	if got := moderationNotices(t, author.ID, first); len(got) != 1 || got[0] != forum.ModerationEditRejected {
		t.Errorf("author told %v", got)
	}
	var reason string
	if err := db.SQL().Get(&reason, `SELECT data->>'reason' FROM notifications WHERE member_id = $1 AND post_id = $2 AND kind = 'moderation'`, author.ID, first); err != nil || !strings.Contains(reason, rule.Name) {
		t.Errorf("the refusal does not cite the rule %q: %q, %v", rule.Name, reason, err)
	}
	forumtest.AssertHeldInvariant(t, db)

	// A suspension decided from the item refuses the edit, the post stays.
	_, first2, author2, word2, _ := pendingEditSetup(t, p)
	if _, err := p.SubmitEdit(forumtest.As(author2), EditSubmission{PostID: first2, Body: "Texte " + word2}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(admin, Decision{ItemID: reviewItems(t, first2)[0].ID, Action: ActWarn, Message: "Attention"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := postState(t, first2); st != forum.StatusPublished || !logged(t, "post.reject", first2) {
		t.Errorf("a warning left the post %s (refusal logged: %v)", st, logged(t, "post.reject", first2))
	}
	forumtest.AssertHeldInvariant(t, db)

	// Deleting the post from its item takes the edit with it.
	_, first3, author3, word3, _ := pendingEditSetup(t, p)
	if _, err := p.SubmitEdit(forumtest.As(author3), EditSubmission{PostID: first3, Body: "Texte " + word3}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resolve(admin, Decision{ItemID: reviewItems(t, first3)[0].ID, Action: ActDelete}); err != nil {
		t.Fatal(err)
	}
	forumtest.AssertHeldInvariant(t, db)

	// An edit the rules let through replaces the waiting one and closes its item.
	_, first4, author4, word4, _ := pendingEditSetup(t, p)
	if _, err := p.SubmitEdit(forumtest.As(author4), EditSubmission{PostID: first4, Body: "Texte " + word4}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SubmitEdit(forumtest.As(author4), EditSubmission{PostID: first4, Body: "Texte sans souci"}); err != nil {
		t.Fatal(err)
	}
	if postBody(t, first4) != "Texte sans souci" {
		t.Errorf("clean edit not published: %q", postBody(t, first4))
	}
	if items := reviewItems(t, first4); len(items) != 1 || items[0].Status != ReviewResolved {
		t.Errorf("items after a clean edit: %+v", items)
	}
	// The author who deletes their post withdraws its pending edit too.
	_, first5, author5, word5, _ := pendingEditSetup(t, p)
	if _, err := p.SubmitEdit(forumtest.As(author5), EditSubmission{PostID: first5, Body: "Texte " + word5}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePost(forumtest.As(author5), first5); err != nil {
		t.Fatal(err)
	}
	forumtest.AssertHeldInvariant(t, db)

	// An author who deletes their account leaves the edit to the
	// moderators, as their posts.
	_, first6, author6, word6, _ := pendingEditSetup(t, p)
	if _, err := p.SubmitEdit(forumtest.As(author6), EditSubmission{PostID: first6, Body: "Texte " + word6}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount(forumtest.As(author6), forumtest.Password); err != nil {
		t.Fatalf("deleting an account with a pending edit: %v", err)
	}
	if _, err := p.Resolve(admin, Decision{ItemID: reviewItems(t, first6)[0].ID, Action: ActReject}); err != nil {
		t.Fatal(err)
	}
	forumtest.AssertHeldInvariant(t, db)
}

// A thread's title is edited with its first post and follows the same
// rule: a clean title changes at once, a held one waits with the edit and
// the thread keeps its published title until the edit is approved. Only
// the first post carries a title.
func TestTitleEditFollowsTheHeldEditRule(t *testing.T) {
	db := forumtest.DB(t)
	p := NewPipeline(db)
	th, first, author, word, _ := pendingEditSetup(t, p)
	as := forumtest.As(author)
	title := func() string {
		var s string
		if err := db.SQL().Get(&s, `SELECT title FROM threads WHERE id = $1`, th.ID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	clean := forumtest.Unique("Un titre repris ")
	if _, err := p.SubmitEdit(as, EditSubmission{PostID: first, Body: "Le même corps", Title: &clean}); err != nil {
		t.Fatal(err)
	}
	if title() != clean {
		t.Fatalf("clean title not changed: %q", title())
	}
	held := "Un titre avec " + word
	out, err := p.SubmitEdit(as, EditSubmission{PostID: first, Body: "Le même corps", Title: &held})
	if err != nil {
		t.Fatal(err)
	}
	if !out.PendingEdit || title() != clean {
		t.Fatalf("a held title changed the thread: pending %v, title %q", out.PendingEdit, title())
	}
	if mine, _, _ := db.PostByID(as, first); mine.PendingTitle == nil || *mine.PendingTitle != held {
		t.Errorf("the author does not see the pending title: %+v", mine)
	}
	admin := forumtest.As(forumtest.MustMember(t, db, forum.RoleAdmin, forum.TrustLeader))
	if _, err := p.Resolve(admin, Decision{ItemID: reviewItems(t, first)[0].ID, Action: ActApprove}); err != nil {
		t.Fatal(err)
	}
	if title() != held {
		t.Errorf("approved title not applied: %q", title())
	}
	forumtest.AssertHeldInvariant(t, db)
	other := forumtest.MustMember(t, db, forum.RoleMember, forum.TrustRegular)
	reply := mustReply(t, p, forumtest.As(other), th.ID, "Une réponse")
	_, err = p.SubmitEdit(forumtest.As(other), EditSubmission{PostID: reply.ID, Body: "Une réponse", Title: &clean})
	wantCode(t, "a title on a reply", err, forum.EINVALID, "post.title_first_only")
}
