package forum_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// Publishing replies wakes the search index's cleaner, which empties the
// index's pending list of their words, then stops once posting stops.
func TestPublishedPostsLeaveTheSearchIndexPendingListEmpty(t *testing.T) {
	db := forumtest.DB(t)
	cat := forumtest.MustCategory(t, db)
	author := forumtest.MustMember(t, db, forum.RoleMember, 2)
	th := mustThread(t, db, author, cat, forum.StatusPublished)
	for i := range 5 {
		body := fmt.Sprintf("Le potager partagé, saison %d : tomates, courgettes et haricots.", i)
		if _, err := db.SubmitReply(forumtest.As(author), forum.Reply{ThreadID: th.ID, AuthorID: author.ID,
			BodyMarkdown: body, BodyHTML: "<p>" + body + "</p>", Status: forum.StatusPublished}); err != nil {
			t.Fatal(err)
		}
	}
	// The replies' fan-out told the cleaner (they returned after it): it is
	// busy until it has cleaned after the last of them.
	deadline := time.Now().Add(10 * time.Second)
	for forum.SearchIndexCleanerBusy(db) {
		if time.Now().After(deadline) {
			t.Fatal("the cleaner did not clean after the replies")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var pages int
	if err := db.SQL().Get(&pages, `SELECT gin_clean_pending_list('posts_search'::regclass)`); err != nil {
		t.Fatal(err)
	}
	if pages != 0 {
		t.Errorf("%d pages left in the pending list", pages)
	}
}
