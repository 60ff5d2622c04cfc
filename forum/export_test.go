package forum

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// LatestServedFromSnapshot reports whether the first page of limit latest
// threads is served from a snapshot for the actor of ctx.
func (db *DB) LatestServedFromSnapshot(ctx context.Context, limit int) (bool, error) {
	_, _, ok, err := db.latestFromSnapshot(ctx, limit, true)
	return ok, err
}

// ThreadPageFromSnapshot reports whether the page of thread id after the
// number after is served from its snapshot to the actor of ctx, by
// ThreadPage when whole, by ThreadPagePosts otherwise: whether the
// fingerprint its statement reads is the one snapshotStamp made of the
// snapshot's rows.
func (db *DB) ThreadPageFromSnapshot(ctx context.Context, id int64, after int, whole bool) (bool, error) {
	snap, err := db.snapshot(ctx, snapshotKey{id, after})
	if err != nil || snap == nil {
		return false, err
	}
	var r threadReader
	if err := r.read(ctx, db, id, ActorFrom(ctx).viewerID(), after, snap.postIDs(), whole); err != nil {
		return false, err
	}
	return r.Stamp == snap.stamp, nil
}

// ExpireRememberedSessions makes every session the credential cache of db
// remembers look expired to it, as if their lifetime had passed since.
func ExpireRememberedSessions(db *DB) {
	db.creds.mu.Lock()
	defer db.creds.mu.Unlock()
	for _, c := range db.creds.entries {
		if c.session.TokenHash != nil {
			c.session.ExpiresAt = time.Now().Add(-time.Second)
		}
	}
}

// RepliesWaiting reports how many replies of db wait for a batch.
func RepliesWaiting(db *DB) int {
	db.replies.work.mu.Lock()
	defer db.replies.work.mu.Unlock()
	return len(db.replies.pending)
}

// SearchIndexCleanerBusy reports whether the search index's cleaner of db
// has posts published since its last cleaning, or is cleaning.
func SearchIndexCleanerBusy(db *DB) bool {
	db.searchGIN.work.mu.Lock()
	defer db.searchGIN.work.mu.Unlock()
	return db.searchGIN.dirty || db.searchGIN.cleaning
}

// BoundedRead is db.boundedRead, for the tests of statement timeouts.
func (db *DB) BoundedRead(ctx context.Context, timeout time.Duration, key string, fn func(ctx context.Context, q *sqlx.DB) error) error {
	return db.boundedRead(ctx, timeout, key, fn)
}

// HoldSearchSlots takes every search slot of db, as as many slow searches
// would, and returns the function that frees them.
func HoldSearchSlots(t testing.TB, db *DB) (release func()) {
	t.Helper()
	n := db.searchSlots()
	frees := make([]func(), 0, n)
	for range n {
		free, err := db.searchSlot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		frees = append(frees, free)
	}
	return func() {
		for _, f := range frees {
			f()
		}
	}
}

// AuthenticationQueries are the statements that authenticate a request, by
// session cookie and by API token: what the credential cache remembers.
var AuthenticationQueries = []string{selectSessionMember, selectMemberByAPIToken}

// StoreRepliesTx decides and stores replies in tx as one batch does, each
// sent by the actor of its context; it returns each reply's post or the
// error of the rule that refused it.
func StoreRepliesTx(tx *sqlx.Tx, ctxs []context.Context, replies []Reply) ([]*Post, []error, error) {
	pending := make([]*pendingReply, len(replies))
	for i := range replies {
		pending[i] = &pendingReply{Reply: replies[i], actor: ActorFrom(ctxs[i])}
	}
	if err := storeRepliesTx(context.Background(), tx, nil, false, pending); err != nil {
		return nil, nil, err
	}
	posts, errs := make([]*Post, len(pending)), make([]error, len(pending))
	for i, r := range pending {
		posts[i], errs[i] = r.post, r.err
	}
	return posts, errs, nil
}

// SetHealthBackfillPosts bounds the posts of a stretch of the health
// backfill to n for the rest of the test (not parallel).
func SetHealthBackfillPosts(t testing.TB, n int) {
	old := healthBackfillPosts
	healthBackfillPosts = n
	t.Cleanup(func() { healthBackfillPosts = old })
}

// RangePlan plans the pieces of the days from f to t, as the dashboard
// does for the most active members of a range, and returns each day's
// weight in their signed sum (from lo to hi, the days that have rows),
// how many runs of days and which window it used, and its cost.
func RangePlan(f, t, lo, hi time.Time, end *time.Time, months bool) (weights map[time.Time]int, runs, window, cost int) {
	p := planRange(f, t, lo, hi, end, months)
	weights = map[time.Time]int{}
	in := func(d, a, b time.Time) bool { return !d.Before(a) && !d.After(b) }
	for d := lo; !d.After(hi); d = d.AddDate(0, 0, 1) {
		w := 0
		for _, r := range p.Runs {
			if r.Monthly && (p.Daily || r.From.Month() != r.To.Month() || r.From.Year() != r.To.Year()) {
				panic("a run of a month's running totals crosses months")
			}
			if in(d, r.From, r.To) {
				w += r.Sign
			}
		}
		if p.Window > 0 && in(d, end.AddDate(0, 0, -(p.Window-1)), *end) {
			w += p.WindowSign
		}
		weights[d] = w
	}
	return weights, len(p.Runs), p.Window, p.Cost
}

// RangeReadsBounds reports whether the most active members of the days
// from f to t are read from the months' bounds.
func RangeReadsBounds(f, t, lo, hi time.Time, end *time.Time, months bool) bool {
	return planRange(f, t, lo, hi, end, months).readsBounds()
}

// QuartersAround gives the quarters of a month that hold the days from a
// to b: how many end before a, and the one b is in.
func QuartersAround(a, b int) (before, last int) { return quartersAround(a, b) }

// RangeBoundDepth is how many members of the highest bounds have their
// exact posts read.
var RangeBoundDepth = rangeBoundDepth

// SetRangeBoundDepth makes the members of the highest bounds whose exact
// posts are read n until the test ends.
func SetRangeBoundDepth(t testing.TB, n int) {
	old := rangeBoundDepth
	rangeBoundDepth = n
	t.Cleanup(func() { rangeBoundDepth = old })
}

// SetBoundJoinedMonths makes the most months whose bounds are joined by
// member, rather than grouped, n until the test ends.
func SetBoundJoinedMonths(t testing.TB, n int) {
	old := boundJoinedMonths
	boundJoinedMonths = n
	t.Cleanup(func() { boundJoinedMonths = old })
}

// HealthMonthsDiffer counts the rows of health_member_months that differ
// from those summed again from health_members (0 when kept right).
func HealthMonthsDiffer(t testing.TB, db *DB) int {
	t.Helper()
	sum := buildHealthMonths[strings.Index(buildHealthMonths, "SELECT"):]
	var n int
	if err := db.pool.Get(&n, `
WITH s AS (`+sum+`), k AS (SELECT month, member_id, days, posts, threads, likes_received FROM health_member_months)
SELECT (SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM k) a) + (SELECT count(*) FROM (SELECT * FROM k EXCEPT SELECT * FROM s) b)`); err != nil {
		t.Fatal(err)
	}
	return n
}

// WindowLessFirstDepth is the first depth read in a window for the most
// active members.
var WindowLessFirstDepth = windowLessFirstDepth

// SetWindowLessFirstDepth makes the first depth read in a window for the
// most active members n until the test ends.
func SetWindowLessFirstDepth(t testing.TB, n int) {
	old := windowLessFirstDepth
	windowLessFirstDepth = n
	t.Cleanup(func() { windowLessFirstDepth = old })
}

// TopViewedFirstDepth is the first depth of the most read lists.
var TopViewedFirstDepth = topViewedFirstDepth

// SetTopViewedFirstDepth makes the first depth of the most read lists n
// until the test ends.
func SetTopViewedFirstDepth(t testing.TB, n int) {
	old := topViewedFirstDepth
	topViewedFirstDepth = n
	t.Cleanup(func() { topViewedFirstDepth = old })
}
