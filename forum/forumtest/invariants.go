package forumtest

import (
	"testing"

	"github.com/palabre/palabre/forum"
)

// heldInvariantViolations lists the posts that break the held-post
// invariant: a post that waits for review (held, or with a pending edit of
// its published version) without exactly one open review item, or an open
// held item whose post no longer waits.
const heldInvariantViolations = `
SELECT p.id, p.status, count(ri.id) AS open_items
FROM posts p
LEFT JOIN review_items ri ON ri.post_id = p.id AND ri.status = 'pending'
LEFT JOIN post_pending_edits pe ON pe.post_id = p.id
WHERE p.status = 'held' OR pe.post_id IS NOT NULL OR (ri.kind = 'held' AND p.status <> 'held')
GROUP BY p.id, p.status, pe.post_id
HAVING (((p.status = 'held' OR pe.post_id IS NOT NULL) AND count(ri.id) <> 1)
	OR (p.status <> 'held' AND pe.post_id IS NULL))`

// AssertHeldInvariant fails the test if a post the review queue decided on
// was left in a wrong state: every held post has exactly one open review
// item, and no open held item outlives its post's wait. Held posts that a
// fixture wrote without the pipeline (no item ever) are not counted.
func AssertHeldInvariant(t testing.TB, db *forum.DB) {
	t.Helper()
	var bad []struct {
		ID        int64  `db:"id"`
		Status    string `db:"status"`
		OpenItems int    `db:"open_items"`
	}
	q := heldInvariantViolations + `
	AND (p.status <> 'held' OR EXISTS (SELECT 1 FROM review_items x WHERE x.post_id = p.id))`
	if err := db.SQL().Select(&bad, q); err != nil {
		t.Fatalf("checking held posts: %v", err)
	}
	for _, b := range bad {
		t.Errorf("held-post invariant broken: post %d is %s with %d open review items", b.ID, b.Status, b.OpenItems)
	}
}
