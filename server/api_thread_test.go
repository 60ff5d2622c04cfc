package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

type threadAnswer struct {
	Thread forum.Thread `json:"thread"`
	Post   apiPost      `json:"post"`
	Posts  []apiPost    `json:"posts"`
	Next   *int         `json:"next"`
}

func decode[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

// startThread creates a thread through the API and returns it.
func startThread(t testing.TB, s *Server, h map[string]string, cat *forum.Category, title string) threadAnswer {
	t.Helper()
	w := s.do(t, request{method: "POST", path: "/api/v1/threads", header: h,
		body: fmt.Sprintf(`{"category_id": %d, "title": %q, "body": "Bonjour à tous, premier message."}`, cat.ID, title)})
	if w.Code != 201 {
		t.Fatalf("POST /threads: %d %s", w.Code, w.Body)
	}
	return decode[threadAnswer](t, w.Body.Bytes())
}

// storeHeld stores a post held for approval, as the pipeline will.
func storeHeld(t *testing.T, db *forum.DB, author *forum.Member, threadID int64, body string) *forum.Post {
	t.Helper()
	var p *forum.Post
	ctx := forumtest.As(author)
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: threadID, AuthorID: author.ID,
			BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: forum.StatusHeld})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestThreadsAndRepliesThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	ha, hb, hm := bearer(t, db, alice), bearer(t, db, bob), bearer(t, db, mod)

	if w := s.do(t, request{method: "POST", path: "/api/v1/threads", body: `{"category_id": 1, "title": "x", "body": "y"}`}); w.Code != 401 {
		t.Errorf("anonymous thread: %d", w.Code)
	}
	th := startThread(t, s, ha, cat, "Un sujet d’essai")
	if th.Thread.Slug != "un-sujet-d-essai" || th.Thread.CategorySlug != cat.Slug || th.Post.Number != 1 || th.Post.Author.Username != alice.Username {
		t.Errorf("created: %+v", th)
	}
	path := fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID)
	w := s.do(t, request{method: "POST", path: path + "/posts", header: hb,
		body: fmt.Sprintf(`{"body": "[quote=%s post=%d]\nBonjour\n[/quote]\n\nMerci @%s !", "reply_to": 1}`, alice.Username, th.Post.ID, alice.Username)})
	if w.Code != 201 {
		t.Fatalf("reply: %d %s", w.Code, w.Body)
	}
	r := decode[threadAnswer](t, w.Body.Bytes()).Post
	if r.Number != 2 || r.ReplyTo == nil || *r.ReplyTo != 1 ||
		!strings.Contains(r.HTML, fmt.Sprintf(`href="/p/%d"`, th.Post.ID)) || !strings.Contains(r.HTML, `class="mention"`) {
		t.Errorf("reply: %+v", r)
	}
	if w := s.do(t, request{method: "POST", path: path + "/posts", header: hb, body: `{"body": "ok", "reply_to": 99}`}); w.Code != 400 {
		t.Errorf("reply to a missing post: %d %s", w.Code, w.Body)
	}
	got := decode[threadAnswer](t, s.do(t, request{path: path}).Body.Bytes())
	if got.Thread.PostCount != 2 || len(got.Posts) != 2 || got.Posts[1].Author.Username != bob.Username || got.Next != nil {
		t.Errorf("GET thread: %+v", got)
	}

	// Moderators lock; members cannot; a locked thread refuses replies.
	if w := s.do(t, request{method: "PATCH", path: path, header: hb, body: `{"locked": true}`}); w.Code != 403 {
		t.Errorf("member locking: %d", w.Code)
	}
	if w := s.do(t, request{method: "PATCH", path: path, header: hm, body: `{"locked": true}`}); w.Code != 200 {
		t.Fatalf("moderator locking: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{method: "POST", path: path + "/posts", header: hb, body: `{"body": "encore"}`})
	if w.Code != 403 || !strings.Contains(decodeError(t, w).Message, "verrouillé") {
		t.Errorf("reply to a locked thread: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: "/api/v1/threads/999999999"}); w.Code != 404 {
		t.Errorf("missing thread: %d", w.Code)
	}
}

func TestHeldPostsNeverReachOtherMembers(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 0)
	other := forumtest.MustMember(t, db, forum.RoleMember, 2)
	mod := forumtest.MustMember(t, db, forum.RoleModerator, 2)
	open := startThread(t, s, bearer(t, db, other), cat, "Sujet ouvert")
	secret := forumtest.Unique("secretheld")
	held := storeHeld(t, db, author, open.Thread.ID, secret)

	// A thread whose first post is held.
	var heldThread *forum.Thread
	err := db.InTx(forumtest.As(author), func(tx *sqlx.Tx) error {
		var err error
		heldThread, _, err = forum.CreateThreadTx(forumtest.As(author), tx, forum.NewThread{CategoryID: cat.ID, AuthorID: author.ID,
			Title: "Sujet retenu " + secret, BodyMarkdown: secret, BodyHTML: "<p>" + secret + "</p>", Status: forum.StatusHeld})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{
		fmt.Sprintf("/api/v1/threads/%d", open.Thread.ID),
		fmt.Sprintf("/t/%d/%s", open.Thread.ID, open.Thread.Slug),
		fmt.Sprintf("/api/v1/categories/%d/threads", cat.ID),
		"/c/" + cat.Slug,
		"/latest",
		"/",
		fmt.Sprintf("/api/v1/threads/%d", heldThread.ID),
		fmt.Sprintf("/t/%d/%s", heldThread.ID, heldThread.Slug),
		fmt.Sprintf("/p/%d", held.ID),
		fmt.Sprintf("/p/%d/revisions", held.ID),
	}
	for _, who := range []struct {
		label string
		h     map[string]string
		sees  bool
	}{
		{"visitor", nil, false},
		{"other member", bearer(t, db, other), false},
		{"author", bearer(t, db, author), true},
		{"moderator", bearer(t, db, mod), true},
	} {
		for _, p := range pages {
			w := s.do(t, request{path: p, header: who.h})
			if w.Code >= 500 {
				t.Errorf("%s %s: %d", who.label, p, w.Code)
			}
			if strings.Contains(w.Body.String(), secret) && !who.sees {
				t.Errorf("%s sees the held post on %s", who.label, p)
			}
		}
		w := s.do(t, request{path: fmt.Sprintf("/t/%d/%s", heldThread.ID, heldThread.Slug), header: who.h})
		if (w.Code == 200) != who.sees || (!who.sees && w.Code != 404) {
			t.Errorf("%s opening the held thread: %d", who.label, w.Code)
		}
		w = s.do(t, request{path: fmt.Sprintf("/api/v1/threads/%d", open.Thread.ID), header: who.h})
		if strings.Contains(w.Body.String(), secret) != who.sees {
			t.Errorf("%s: held reply shown = %v in the API", who.label, !who.sees)
		}
	}
	got := decode[threadAnswer](t, s.do(t, request{path: fmt.Sprintf("/api/v1/threads/%d", open.Thread.ID)}).Body.Bytes())
	if got.Thread.PostCount != 1 {
		t.Errorf("a held post is counted: %d", got.Thread.PostCount)
	}
}

func TestEditingDeletingAndLikingThroughTheAPI(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha, hb := bearer(t, db, alice), bearer(t, db, bob)
	th := startThread(t, s, ha, cat, "Sujet modifiable")
	reply := decode[threadAnswer](t, s.do(t, request{method: "POST", path: fmt.Sprintf("/api/v1/threads/%d/posts", th.Thread.ID),
		header: ha, body: `{"body": "première version"}`}).Body.Bytes()).Post
	post := fmt.Sprintf("/api/v1/posts/%d", reply.ID)

	if w := s.do(t, request{method: "PATCH", path: post, header: hb, body: `{"body": "piraté"}`}); w.Code != 403 {
		t.Errorf("someone else editing: %d", w.Code)
	}
	w := s.do(t, request{method: "PATCH", path: post, header: ha, body: `{"body": "deuxième **version**"}`})
	if w.Code != 200 || !strings.Contains(decode[threadAnswer](t, w.Body.Bytes()).Post.HTML, "<strong>version</strong>") {
		t.Fatalf("edit: %d %s", w.Code, w.Body)
	}
	db.SQL().MustExec(`UPDATE posts SET created_at = now() - interval '3 days' WHERE id = $1`, reply.ID)
	if w := s.do(t, request{method: "PATCH", path: post, header: ha, body: `{"body": "trop tard"}`}); w.Code != 403 {
		t.Errorf("edit after the window: %d %s", w.Code, w.Body)
	}
	w = s.do(t, request{path: post + "/revisions", header: ha})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "première version") {
		t.Errorf("revisions for the author: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{path: post + "/revisions", header: hb}); w.Code != 403 {
		t.Errorf("revisions for another member: %d", w.Code)
	}

	// Likes: one per member, not one's own.
	if w := s.do(t, request{method: "POST", path: post + "/like", header: ha}); w.Code != 403 {
		t.Errorf("liking one's own post: %d", w.Code)
	}
	for range 2 {
		w = s.do(t, request{method: "POST", path: post + "/like", header: hb})
	}
	if st := decode[forum.LikeState](t, w.Body.Bytes()); w.Code != 200 || st.Count != 1 || !st.Liked {
		t.Errorf("like: %d %s", w.Code, w.Body)
	}

	// Soft deletion: a placeholder for others.
	if w := s.do(t, request{method: "DELETE", path: post, header: hb}); w.Code != 403 {
		t.Errorf("someone else deleting: %d", w.Code)
	}
	if w := s.do(t, request{method: "DELETE", path: post, header: ha}); w.Code != 204 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	got := decode[threadAnswer](t, s.do(t, request{path: fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), header: hb}).Body.Bytes())
	if last := got.Posts[len(got.Posts)-1]; !last.Redacted || last.HTML != "" || last.Status != forum.StatusDeleted || got.Thread.PostCount != 1 {
		t.Errorf("deleted post for others: %+v (post_count %d)", last, got.Thread.PostCount)
	}
	w = s.do(t, request{path: fmt.Sprintf("/t/%d/%s", th.Thread.ID, th.Thread.Slug), header: hb})
	if !strings.Contains(w.Body.String(), "Message supprimé par son auteur") || strings.Contains(w.Body.String(), "deuxième") {
		t.Errorf("HTML placeholder missing: %s", w.Body)
	}
}

func TestCategoryPagesAndAdministration(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	admin := forumtest.MustMember(t, db, forum.RoleAdmin, 4)
	member := forumtest.MustMember(t, db, forum.RoleMember, 2)
	hm := bearer(t, db, member)
	for i := range threadsPerPage + 5 {
		startThread(t, s, hm, cat, fmt.Sprintf("Sujet numéro %d", i))
	}
	seen := map[int64]bool{}
	next := ""
	for pages := 0; ; pages++ {
		p := fmt.Sprintf("/api/v1/categories/%d/threads", cat.ID)
		if next != "" {
			p += "?after=" + url.QueryEscape(next)
		}
		l := decode[struct {
			Threads []forum.Thread
			Next    *string
		}](t, s.do(t, request{path: p}).Body.Bytes())
		for _, th := range l.Threads {
			if seen[th.ID] {
				t.Errorf("thread %d repeated", th.ID)
			}
			seen[th.ID] = true
		}
		if l.Next == nil {
			break
		}
		next = *l.Next
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != threadsPerPage+5 {
		t.Errorf("%d threads seen over the pages, want %d", len(seen), threadsPerPage+5)
	}
	if w := s.do(t, request{path: "/c/" + cat.Slug + "?after=garbage!"}); w.Code != 400 {
		t.Errorf("bad cursor: %d", w.Code)
	}
	w := s.do(t, request{path: "/c/" + cat.Slug})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Sujet numéro 34") || !strings.Contains(w.Body.String(), `rel="next"`) {
		t.Errorf("category page: %d", w.Code)
	}

	ha := bearer(t, db, admin)
	p := fmt.Sprintf("/api/v1/categories/%d", cat.ID)
	if w := s.do(t, request{method: "PUT", path: p, header: hm, body: `{"name": "x"}`}); w.Code != 403 {
		t.Errorf("member editing a category: %d", w.Code)
	}
	w = s.do(t, request{method: "PUT", path: p, header: ha, body: `{"name": "Renommée", "slug": "` + cat.Slug + `", "position": 7, "read_only": true}`})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"read_only":true`) {
		t.Errorf("admin editing a category: %d %s", w.Code, w.Body)
	}
	if w := s.do(t, request{method: "DELETE", path: p, header: ha}); w.Code != 409 {
		t.Errorf("deleting a category with threads: %d", w.Code)
	}
	empty := forumtest.MustCategory(t, db)
	if w := s.do(t, request{method: "DELETE", path: fmt.Sprintf("/api/v1/categories/%d", empty.ID), header: ha}); w.Code != 204 {
		t.Errorf("deleting an empty category: %d", w.Code)
	}
	// A read-only category refuses members' threads.
	w = s.do(t, request{method: "POST", path: "/api/v1/threads", header: hm, body: fmt.Sprintf(`{"category_id": %d, "title": "Interdit ici", "body": "non"}`, cat.ID)})
	if w.Code != 403 {
		t.Errorf("thread in a read-only category: %d", w.Code)
	}
	// The admin page.
	w = s.do(t, request{path: "/admin/categories", header: ha})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Renommée") {
		t.Errorf("admin page: %d", w.Code)
	}
	if w := s.do(t, request{path: "/admin/categories", header: hm}); w.Code != 403 {
		t.Errorf("admin page for a member: %d", w.Code)
	}

}

// API answers carry post bodies with their tags as they are (not \u003c…),
// and stay valid JSON whatever the text.
func TestAPIAnswersWritePostHTMLAsItIs(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	h := bearer(t, db, forumtest.MustMember(t, db, forum.RoleMember, 2))
	th := startThread(t, s, h, cat, `Guillemets " et <chevrons> & esperluettes`)
	w := s.do(t, request{path: fmt.Sprintf("/api/v1/threads/%d", th.Thread.ID), header: h})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"html":"<p>Bonjour`) || strings.Contains(w.Body.String(), `\u003c`) {
		t.Fatalf("thread JSON: %d %s", w.Code, w.Body)
	}
	got := decode[threadAnswer](t, w.Body.Bytes())
	if got.Thread.Title != `Guillemets " et <chevrons> & esperluettes` || !strings.HasPrefix(got.Posts[0].HTML, "<p>Bonjour") {
		t.Errorf("decoded: %q %q", got.Thread.Title, got.Posts[0].HTML)
	}
}
