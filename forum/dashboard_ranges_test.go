package forum_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/palabre/palabre/forum"
)

// A range's pieces (whole months, windows, days added or taken away) sum
// to each of its days once and to no other day that has rows, whatever
// its edges: month ends, leap days, before the first rollup or after the
// last, around the windows' end. The cheapest plan is kept.
func TestRangePiecesCoverEachDayOnce(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	check := func(f, t0, lo, hi time.Time, end *time.Time, months bool) (int, int, int) {
		t.Helper()
		weights, runs, w, cost := forum.RangePlan(f, t0, lo, hi, end, months)
		for x, got := range weights {
			want := 0
			if !x.Before(f) && !x.After(t0) {
				want = 1
			}
			if got != want {
				t.Fatalf("range %s…%s (rows %s…%s, windows to %v, months %v): day %s weighs %d, want %d",
					f.Format(time.DateOnly), t0.Format(time.DateOnly), lo.Format(time.DateOnly), hi.Format(time.DateOnly),
					end, months, x.Format(time.DateOnly), got, want)
			}
		}
		return runs, w, cost
	}
	lo, hi := day("2026-09-28"), day("2026-12-07")
	end := hi
	// The bench forum's 365-day range to yesterday: a window that holds
	// all its rows (the smallest: 90 days) less today.
	if runs, w, cost := check(day("2025-12-08"), day("2026-12-06"), lo, hi, &end, true); w != 90 || runs != 1 || cost != 2 {
		t.Errorf("365 days to yesterday: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	// 15 October to 20 November: a run in each month.
	if runs, w, cost := check(day("2026-10-15"), day("2026-11-20"), lo, hi, &end, true); w != 0 || runs != 2 || cost != 2 {
		t.Errorf("15 October to 20 November: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	// 30 September to 1 December: the 90 days less two runs (28…29
	// September, 2…7 December) rather than four months' runs.
	if runs, w, cost := check(day("2026-09-30"), day("2026-12-01"), lo, hi, &end, true); w != 90 || runs != 2 || cost != 3 {
		t.Errorf("30 September to 1 December: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	// Without the months (another job ran last), days, or a window less
	// days.
	if runs, w, cost := check(day("2026-10-15"), day("2026-11-20"), lo, hi, nil, false); w != 0 || runs != 1 || cost != 37 {
		t.Errorf("15 October to 20 November, days only: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	if runs, w, cost := check(day("2026-10-01"), day("2026-12-06"), lo, hi, &end, false); w != 90 || runs != 2 || cost != 30+3+1 {
		t.Errorf("1 October to 6 December, days only: %d runs of days, window %d, cost %d", runs, w, cost)
	}
	rng := rand.New(rand.NewPCG(25, 61))
	base := day("2023-01-01")
	for range 3000 {
		lo := base.AddDate(0, 0, rng.IntN(800))
		hi := lo.AddDate(0, 0, rng.IntN(800))
		f := base.AddDate(0, 0, rng.IntN(1800))
		t0 := f.AddDate(0, 0, rng.IntN(400))
		var e *time.Time
		if rng.IntN(4) > 0 {
			x := hi.AddDate(0, 0, rng.IntN(3)-1)
			e = &x
		}
		check(f, t0, lo, hi, e, rng.IntN(5) > 0)
	}
}
