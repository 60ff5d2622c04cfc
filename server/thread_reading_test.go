package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// A long thread says where a page is ("21–40 / 45") and links its
// last page and latest post; a member's bookmarks show pressed, and the
// posts of a member they ignore are folded — from the snapshot as without.
func TestLongThreadsBookmarksAndIgnoredAuthors(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	alice := forumtest.MustMember(t, db, forum.RoleMember, 2)
	bob := forumtest.MustMember(t, db, forum.RoleMember, 2)
	carol := forumtest.MustMember(t, db, forum.RoleMember, 2)
	ha := bearer(t, db, alice)
	th := startThread(t, s, bearer(t, db, bob), cat, "Un long sujet")
	for i := 2; i <= 45; i++ {
		author := bob
		if i%2 == 0 {
			author = carol
		}
		ctx := forumtest.As(author)
		if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := forum.CreateReplyTx(ctx, tx, forum.NewReply{ThreadID: th.Thread.ID, AuthorID: author.ID,
				BodyMarkdown: "r", BodyHTML: fmt.Sprintf("<p>réponse %d</p>", i), Status: forum.StatusPublished})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	var second int64
	if err := db.GetContext(context.Background(), &second, `SELECT id FROM posts WHERE thread_id = $1 AND number = 22`, th.Thread.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BookmarkPost(forumtest.As(alice), second, forum.BookmarkInput{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Ignore(forumtest.As(alice), carol.Username); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/t/%d/%s?after=20", th.Thread.ID, th.Thread.Slug)
	for _, round := range []string{"first read", "from the snapshot"} {
		w := s.do(t, request{path: page, header: ha})
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", round, w.Code)
		}
		for _, want := range []string{
			`<span class="position"><span class="visually-hidden">Messages affichés : </span>21–40 / 45</span>`,
			`aria-label="Pages (fin de la discussion)"`,
			fmt.Sprintf(`href="/t/%d/%s?after=40">Dernière page`, th.Thread.ID, th.Thread.Slug),
			fmt.Sprintf(`class="latest-post" href="/t/%d/%s?after=40#p45"`, th.Thread.ID, th.Thread.Slug),
			fmt.Sprintf(`href="/t/%d/feed.atom"`, th.Thread.ID),
			fmt.Sprintf(`action="/p/%d/bookmark/delete"`, second),
			`<details class="ignored-post"><summary>Message d’un membre que vous ignorez`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %s", round, want)
			}
		}
		if n := strings.Count(body, `class="ignored-post"`); n != 10 {
			t.Errorf("%s: %d posts folded, want carol's 10", round, n)
		}
		if n := strings.Count(body, `aria-pressed="true">En signet`); n != 1 {
			t.Errorf("%s: %d posts bookmarked, want 1", round, n)
		}
	}
	// A visitor sees neither, and the anonymous page holds no form.
	body := s.do(t, request{path: page}).Body.String()
	if strings.Contains(body, "ignored-post") || strings.Contains(body, "/bookmark") {
		t.Error("a visitor's page shows bookmarks or folded posts")
	}
}
