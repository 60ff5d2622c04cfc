package forum_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

func TestTwoWorkersRunEachJobOnce(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	kind := forumtest.Unique("test.count")
	const n = 40
	for i := range n {
		if _, err := db.EnqueueJob(ctx, forum.NewJob{Kind: kind, Payload: map[string]int{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	runs := map[int64]int{}
	handler := func(ctx context.Context, j *forum.Job) error {
		if !forum.ActorFrom(ctx).System {
			return errors.New("a job must run as the system")
		}
		mu.Lock()
		runs[j.ID]++
		mu.Unlock()
		return nil
	}
	var wg sync.WaitGroup
	for w := range 2 {
		r := &forum.JobRunner{DB: db, Handlers: map[string]forum.JobHandler{kind: handler}, Worker: "w" + string(rune('a'+w))}
		wg.Go(func() {
			if _, err := r.RunDue(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(runs) != n {
		t.Errorf("%d jobs ran, want %d", len(runs), n)
	}
	for id, c := range runs {
		if c != 1 {
			t.Errorf("job %d ran %d times", id, c)
		}
	}
	var pending int
	if err := db.SQL().GetContext(ctx, &pending, `SELECT count(*) FROM jobs WHERE kind = $1 AND done_at IS NULL`, kind); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("%d jobs not marked done", pending)
	}
}

func TestFailedJobsRetryLaterThenGiveUp(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	kind := forumtest.Unique("test.fail")
	if _, err := db.EnqueueJob(ctx, forum.NewJob{Kind: kind, MaxAttempts: 2}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	r := &forum.JobRunner{DB: db, Handlers: map[string]forum.JobHandler{kind: func(context.Context, *forum.Job) error {
		calls++
		return errors.New("smtp: connection refused \xff")
	}}}
	if n, err := r.RunDue(ctx); err != nil || n != 1 || calls != 1 {
		t.Fatalf("first run: %d jobs, %d calls, %v", n, calls, err)
	}
	var row struct {
		Attempts  int        `db:"attempts"`
		LastError string     `db:"last_error"`
		RunAt     time.Time  `db:"run_at"`
		FailedAt  *time.Time `db:"failed_at"`
	}
	if err := db.SQL().GetContext(ctx, &row, `SELECT attempts, last_error, run_at, failed_at FROM jobs WHERE kind = $1`, kind); err != nil {
		t.Fatal(err)
	}
	if row.Attempts != 1 || row.LastError == "" || !row.RunAt.After(time.Now()) || row.FailedAt != nil {
		t.Errorf("after a failure: %+v", row)
	}
	// Not due yet: nothing runs.
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Errorf("a job ran before its retry time")
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE jobs SET run_at = now() WHERE kind = $1`, kind); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().GetContext(ctx, &row, `SELECT attempts, last_error, run_at, failed_at FROM jobs WHERE kind = $1`, kind); err != nil {
		t.Fatal(err)
	}
	if row.Attempts != 2 || row.FailedAt == nil || calls != 2 {
		t.Errorf("after the last attempt: %+v, %d calls", row, calls)
	}
}

func TestPeriodicJobsScheduleTheirNextRunOnce(t *testing.T) {
	db := forumtest.DB(t)
	ctx := context.Background()
	kind := forumtest.Unique("test.periodic")
	ran := 0
	r := &forum.JobRunner{DB: db, Handlers: map[string]forum.JobHandler{kind: func(context.Context, *forum.Job) error { ran++; return nil }},
		Periodic: []forum.PeriodicJob{{Kind: kind, Every: time.Hour}}}
	// Two instances starting together schedule one job.
	for i := range 2 {
		if ok, err := db.EnqueueJob(ctx, forum.NewJob{Kind: kind, UniqueKey: kind}); err != nil || ok != (i == 0) {
			t.Fatalf("enqueue %d: %v %v", i, ok, err)
		}
	}
	if n := countJobs(t, db, kind); n != 1 {
		t.Fatalf("%d jobs scheduled, want 1", n)
	}
	if n, err := r.RunDue(ctx); err != nil || n != 1 || ran != 1 {
		t.Fatalf("run: %d %v", n, err)
	}
	var next time.Time
	if err := db.SQL().GetContext(ctx, &next, `SELECT run_at FROM jobs WHERE kind = $1 AND done_at IS NULL`, kind); err != nil {
		t.Fatalf("no next run: %v", err)
	}
	if d := time.Until(next); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("next run in %s, want an hour", d)
	}
}

func countJobs(t *testing.T, db *forum.DB, kind string) int {
	t.Helper()
	var n int
	if err := db.SQL().GetContext(context.Background(), &n, `SELECT count(*) FROM jobs WHERE kind = $1`, kind); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunnerSchedulesPeriodicJobsAndStopsWithItsContext(t *testing.T) {
	db := forumtest.DB(t)
	kind := forumtest.Unique("test.run")
	ran := make(chan struct{}, 1)
	r := &forum.JobRunner{DB: db, Poll: 10 * time.Millisecond,
		Handlers: map[string]forum.JobHandler{kind: func(context.Context, *forum.Job) error { ran <- struct{}{}; return nil }},
		Periodic: []forum.PeriodicJob{{Kind: kind, Every: time.Hour}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the periodic job did not run")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
	if n := countJobs(t, db, kind); n != 2 {
		t.Errorf("%d jobs, want the run done and the next one", n)
	}
}
