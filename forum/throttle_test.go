package forum_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// reserveAtOnce reserves n attempts against limits at once, from two
// handles on the database (two instances), and returns how many got in.
func reserveAtOnce(t *testing.T, n int, attempts ...forum.Attempt) int {
	t.Helper()
	dbs := []*forum.DB{forumtest.DB(t), forumtest.Instance(t)}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	reserved := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := dbs[i%2].Reserve(context.Background(), attempts...)
			switch forum.ErrorCode(err) {
			case "":
				mu.Lock()
				reserved++
				mu.Unlock()
			case forum.ERATELIMITED:
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return reserved
}

func TestReservationsAreAtomicAcrossInstances(t *testing.T) {
	l := forum.Limit{Kind: "test", Max: 5, Window: 15 * time.Minute}
	subject := forumtest.Unique("burst")
	if got := reserveAtOnce(t, 30, forum.Attempt{Limit: l, Subject: subject}); got != l.Max {
		t.Errorf("30 attempts at once on two instances: %d reserved, want %d", got, l.Max)
	}
	// Limits that share subjects in different orders queue, not deadlock;
	// and the tightest of them holds.
	a, b := forumtest.Unique("a"), forumtest.Unique("b")
	tight := forum.Limit{Kind: "test", Max: 3, Window: time.Minute}
	if got := reserveAtOnce(t, 20, forum.Attempt{Limit: l, Subject: a}, forum.Attempt{Limit: tight, Subject: b}); got != 3 {
		t.Errorf("two limits: %d reserved, want 3", got)
	}
	if got := reserveAtOnce(t, 20, forum.Attempt{Limit: tight, Subject: b}, forum.Attempt{Limit: l, Subject: a}); got != 0 {
		t.Errorf("two limits, other order: %d reserved, want 0", got)
	}
}

func TestAReservationCountsAgainstAllItsLimitsOrNone(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	wide := forum.Limit{Kind: "test", Max: 10, Window: 15 * time.Minute}
	narrow := forum.Limit{Kind: "test", Max: 1, Window: 15 * time.Minute}
	shared, own := forumtest.Unique("shared"), forumtest.Unique("own")
	if _, err := db.Reserve(ctx, forum.Attempt{Limit: narrow, Subject: own}); err != nil {
		t.Fatal(err)
	}
	// Refused by the narrow limit: the wide one is not touched.
	for range 3 {
		if _, err := db.Reserve(ctx, forum.Attempt{Limit: wide, Subject: shared}, forum.Attempt{Limit: narrow, Subject: own}); forum.ErrorCode(err) != forum.ERATELIMITED {
			t.Fatalf("over the narrow limit: %v", err)
		}
	}
	var n int
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM login_attempts WHERE subject = $1`, shared); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a refused reservation counted %d attempts", n)
	}
	// Given back, an attempt no longer counts.
	r, err := db.Reserve(ctx, forum.Attempt{Limit: wide, Subject: shared})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.GiveBack(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM login_attempts WHERE subject = $1`, shared); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d attempts after giving back", n)
	}
}

func TestBackOffDoublesAfterTheFreeAttempts(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	l := forum.Limit{Kind: "test", Max: 2, Window: time.Hour, Backoff: 15 * time.Second, BackoffCap: 100 * time.Second}
	subject := forumtest.Unique("slope")
	a := forum.Attempt{Limit: l, Subject: subject}
	for i := range l.Max {
		if _, err := db.Reserve(ctx, a); err != nil {
			t.Fatalf("free attempt %d: %v", i, err)
		}
	}
	// age moves every attempt back in time by d.
	age := func(d time.Duration) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, `UPDATE login_attempts SET at = at - make_interval(secs => $2) WHERE subject = $1`,
			subject, d.Seconds()); err != nil {
			t.Fatal(err)
		}
	}
	// wait is the time the next attempt is told to wait, 0 when allowed.
	for _, want := range []time.Duration{15 * time.Second, 30 * time.Second, 60 * time.Second, 100 * time.Second, 100 * time.Second} {
		_, err := db.Reserve(ctx, a)
		fe := forum.AsError(err)
		if fe.Code != forum.ERATELIMITED || fe.RetryAfter < want-2*time.Second || fe.RetryAfter > want {
			t.Fatalf("want a wait of %v: %v (Retry-After %v)", want, err, fe.RetryAfter)
		}
		age(want)
		if _, err := db.Reserve(ctx, a); err != nil {
			t.Fatalf("after %v: %v", want, err)
		}
	}
	if fe := forum.AsError(forum.TooManyAttempts(30 * time.Second)); fe.Key != "auth.try_again_in_seconds" || fe.Args["Seconds"] != 30 {
		t.Errorf("a short wait is told in seconds: %+v", fe)
	}
}
