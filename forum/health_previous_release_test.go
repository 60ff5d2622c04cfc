package forum

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The health job of the previous release, for the tests of a rolling
// upgrade (docs/operations.md §4), in which its instances run the job
// beside this release's: by default the job of the releases before
// migration 0061 (forum/health.go at d135782^), the last that knew neither
// health_redo nor health_member_months. It clears the marks of
// health_dirty alone, computes its tables for their days, and saves
// computed_at but not months_at. The statements in which it differs from
// this release's job are copied here as it ran them; those that compute
// its tables are the package's, which have not changed since.

// previousReleaseHealthRollups are the tables the previous release's job
// computed, each with its statement ($1: the time zone, $2 and $3: the
// first and last days; $4: the terms of health_terms, now for
// health_unanswered).
var previousReleaseHealthRollups = map[string]string{
	"health_days":           rollupHealthDays,
	"health_terms":          rollupHealthTerms,
	"health_members":        rollupHealthMembers,
	"health_review_days":    rollupHealthReview,
	"health_review_latency": rollupHealthLatency,
	"health_rule_days":      rollupHealthRules,
	"health_report_days":    rollupHealthReports,
	"health_unanswered":     rollupHealthUnanswered,
}

// RollupHealthAsPreviousRelease runs the previous release's health job
// once at now. known narrows the rollup tables it computes (all of
// previousReleaseHealthRollups when none are given), for a release that
// knew fewer, as those before the moderation rollups (migration 0057) did:
// such a job clears the marks of health_dirty all the same. It covers a run once the history is
// computed, in the same time zone and with the same terms, the only one
// the upgrade tests make; it returns an error otherwise.
func (db *DB) RollupHealthAsPreviousRelease(ctx context.Context, now time.Time, known ...string) error {
	if len(known) == 0 {
		known = slices.Sorted(maps.Keys(previousReleaseHealthRollups))
	}
	for _, table := range known {
		if _, ok := previousReleaseHealthRollups[table]; !ok {
			return fmt.Errorf("the previous release's job did not compute %s", table)
		}
	}
	st, err := db.Settings(ctx)
	if err != nil {
		return err
	}
	tz := st.TimeZone
	if !validTimeZone(tz) {
		tz = "UTC"
	}
	loc := st.Location()
	today := localDay(now, loc)
	terms := st.ReputationTerms
	if terms == nil {
		terms = []string{}
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var s healthState
		if err := tx.GetContext(ctx, &s, `SELECT time_zone, terms, activity_since, backfill_from, window_to FROM health_state FOR UPDATE`); err != nil {
			return err
		}
		if s.TimeZone != tz || !slices.Equal(s.Terms, terms) || s.BackfillFrom != nil {
			return fmt.Errorf("the previous release's job is run here only once the history is computed (time zone %q, terms %q, backfill from %v)",
				s.TimeZone, s.Terms, s.BackfillFrom)
		}
		days := map[time.Time]bool{today: true, today.AddDate(0, 0, -1): true}
		var marked []time.Time
		if err := tx.SelectContext(ctx, &marked, `DELETE FROM health_dirty RETURNING (at AT TIME ZONE $1)::date`, tz); err != nil {
			return err
		}
		for _, d := range marked {
			days[d] = true
		}
		if s.ActivitySince != nil {
			since := localDay(s.ActivitySince.Add(-24*time.Hour), loc)
			if oldest := today.AddDate(0, 0, -healthBackfillDays); since.Before(oldest) {
				since = oldest
			}
			for d := since; d.Before(today); d = d.AddDate(0, 0, 1) {
				days[d] = true
			}
			var active []time.Time
			if err := tx.SelectContext(ctx, &active, `
SELECT DISTINCT (created_at AT TIME ZONE $1)::date FROM threads
WHERE last_post_at >= $2::timestamptz - interval '10 minutes'`, tz, *s.ActivitySince); err != nil {
				return err
			}
			for _, d := range active {
				days[d] = true
			}
		}
		rebuild := s.WindowTo == nil || !s.WindowTo.UTC().Equal(today)
		windows := pq.Array(DashboardPeriods)
		if !rebuild {
			if _, err := tx.ExecContext(ctx, prepareHealthWindowChanges); err != nil {
				return err
			}
		}
		for _, r := range dayRanges(days) {
			from, to := r[0].Format(time.DateOnly), r[1].Format(time.DateOnly)
			if !rebuild {
				if _, err := tx.ExecContext(ctx, adjustHealthWindows, from, to, today.Format(time.DateOnly), -1, windows); err != nil {
					return err
				}
			}
			for _, table := range known {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE day BETWEEN $1::date AND $2::date`, from, to); err != nil {
					return err
				}
			}
			for _, table := range known {
				q, args := previousReleaseHealthRollups[table], []any{tz, from, to}
				switch table {
				case "health_terms":
					if len(terms) == 0 {
						continue
					}
					args = append(args, pq.Array(terms))
				case "health_unanswered":
					args = append(args, now)
				}
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return fmt.Errorf("computing %s: %w", table, err)
				}
			}
			if !rebuild {
				if _, err := tx.ExecContext(ctx, adjustHealthWindows, from, to, today.Format(time.DateOnly), 1, windows); err != nil {
					return err
				}
			}
		}
		if !rebuild {
			if _, err := tx.ExecContext(ctx, applyHealthWindowChanges); err != nil {
				return err
			}
		} else {
			if _, err := tx.ExecContext(ctx, `DELETE FROM health_member_windows`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, buildHealthWindows, today.Format(time.DateOnly), windows); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, recordHealthQueue, today.Format(time.DateOnly), now); err != nil {
			return err
		}
		if err := foldTrafficReaders(ctx, tx, today.Format(time.DateOnly)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
UPDATE health_state SET time_zone = $1, activity_since = $2, backfill_from = NULL, computed_at = $2, terms = $3, window_to = $4`,
			tz, now, pq.Array(terms), today.Format(time.DateOnly))
		return err
	})
}
