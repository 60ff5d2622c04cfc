package server

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/templates"
)

func TestRelativeDatesInBothLanguages(t *testing.T) {
	c := loadTestCatalog(t)
	now := time.Date(2026, time.March, 20, 15, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		ago    time.Duration
		fr, en string
	}{
		{0, "à l’instant", "just now"},
		{59 * time.Second, "à l’instant", "just now"},
		{time.Minute, "il y a 1 minute", "1 minute ago"},
		{3*time.Minute + 50*time.Second, "il y a 3 minutes", "3 minutes ago"},
		{59 * time.Minute, "il y a 59 minutes", "59 minutes ago"},
		{time.Hour, "il y a 1 heure", "1 hour ago"},
		{5*time.Hour + 59*time.Minute, "il y a 5 heures", "5 hours ago"},
		{24 * time.Hour, "hier", "yesterday"},
		{47 * time.Hour, "hier", "yesterday"},
		{48 * time.Hour, "il y a 2 jours", "2 days ago"},
		{6*24*time.Hour + 23*time.Hour, "il y a 6 jours", "6 days ago"},
		{7 * 24 * time.Hour, "13 mars 2026", "13 March 2026"},
		{400 * 24 * time.Hour, "13 février 2025", "13 February 2025"},
		{-30 * time.Second, "dans 1 minute", "in 1 minute"},
		{-2 * time.Minute, "dans 2 minutes", "in 2 minutes"},
		{-3 * time.Hour, "dans 3 heures", "in 3 hours"},
		{-30 * time.Hour, "demain", "tomorrow"},
		{-3 * 24 * time.Hour, "dans 3 jours", "in 3 days"},
		{-10 * 24 * time.Hour, "30 mars 2026", "30 March 2026"},
	} {
		at := now.Add(-tc.ago)
		if got := c.Lang("fr").Relative(at, now); got != tc.fr {
			t.Errorf("fr, %v ago: %q, want %q", tc.ago, got, tc.fr)
		}
		if got := c.Lang("en").Relative(at, now); got != tc.en {
			t.Errorf("en, %v ago: %q, want %q", tc.ago, got, tc.en)
		}
	}
}

func TestAbsoluteDatesAreUTCAndSaySo(t *testing.T) {
	c := loadTestCatalog(t)
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, time.January, 1, 0, 30, 0, 0, paris) // 31 December 2025, 23:30 UTC
	if got, want := c.Lang("fr").DateTime(at), "31 décembre 2025 à 23:30 UTC"; got != want {
		t.Errorf("fr: %q, want %q", got, want)
	}
	if got, want := c.Lang("en").DateTime(at), "31 December 2025 at 23:30 UTC"; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	for m := time.January; m <= time.December; m++ {
		for _, code := range []string{"fr", "en"} {
			if got := c.Lang(code).Date(time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC)); strings.Contains(got, "[") {
				t.Errorf("%s: month %d reads %q", code, m, got)
			}
		}
	}
}

func TestTimeElement(t *testing.T) {
	c := loadTestCatalog(t)
	now := time.Date(2026, time.March, 20, 15, 30, 0, 0, time.UTC)
	v := &View{Lang: c.Lang("fr"), Now: now}
	at := now.Add(-3 * time.Minute)
	want := `<time datetime="2026-03-20T15:27:00Z" title="20 mars 2026 à 15:27 UTC">il y a 3 minutes</time>`
	for _, in := range []any{at, &at, "2026-03-20T15:27:00Z", at.In(time.FixedZone("X", -5*3600))} {
		if got := string(v.Time(in)); got != want {
			t.Errorf("Time(%T %v) = %s, want %s", in, in, got, want)
		}
	}
	var none *time.Time
	for _, in := range []any{none, time.Time{}, "not a date", nil, 42} {
		if got := v.Time(in); got != "" {
			t.Errorf("Time(%#v) = %q, want nothing", in, got)
		}
	}
	en := &View{Lang: c.Lang("en"), Now: now}
	until := now.Add(72 * time.Hour)
	if got, want := string(en.TimeExact(until)), `<time datetime="2026-03-23T15:30:00Z" class="exact">23 March 2026 at 15:30 UTC</time>`; got != want {
		t.Errorf("TimeExact = %s, want %s", got, want)
	}
	if got := en.Date(&until); got != "23 March 2026" {
		t.Errorf("Date = %q", got)
	}
}

// Every date a page prints goes through View.Time (or Date, DateTime,
// TimeExact): none is formatted by hand in a template any more.
func TestTemplatesPrintNoHandFormattedDate(t *testing.T) {
	handMade := regexp.MustCompile(`\.Format "|<time `)
	files, _ := fs.Glob(templates.FS, "*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templates.FS, f)
		for i, line := range strings.Split(string(b), "\n") {
			if handMade.MatchString(line) {
				t.Errorf("%s:%d formats a date by hand: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// Dates are written once per day and minute and kept: what is kept is what
// would be written, in each language, on both sides of midnight and of 1970.
func TestDatesKeptAreTheDatesWritten(t *testing.T) {
	c := loadTestCatalog(t)
	for _, at := range []time.Time{
		time.Date(2026, 3, 20, 23, 59, 30, 0, time.UTC), time.Date(2026, 3, 21, 0, 0, 10, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(2026, 3, 20, 23, 59, 30, 0, time.FixedZone("Paris", 3600)),
	} {
		for _, code := range []string{"fr", "en"} {
			l := c.Lang(code)
			fresh := l.T("time.date_time", "Date", l.T("time.date", "Day", at.UTC().Day(), "Month", l.T(monthKeys[at.UTC().Month()-1]),
				"Year", at.UTC().Year()), "Time", at.UTC().Format("15:04"))
			for range 2 { // written, then kept
				if got := l.DateTime(at); got != fresh {
					t.Errorf("%s %v: %q, want %q", code, at, got, fresh)
				}
			}
		}
	}
}
