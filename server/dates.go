package server

import (
	"html/template"
	"strings"
	"time"
)

// Dates as readers see them: how long ago when recent ("il y a 3 minutes",
// "yesterday"), the date in their language beyond a week ("12 mars 2026"),
// and the full date and time as the tooltip. The wording is the catalogue's
// time.* group; static/js/palabre.js rewrites the same phrases in the
// browser as time passes (Intl.RelativeTimeFormat says exactly what the
// catalogue says), so that an open page does not go stale.
//
// Pages anonymous readers get are cached for up to pageCacheTTL (five
// minutes, page_cache.go): a cached page may say "il y a 2 minutes" of
// something 7 minutes old until palabre.js, which runs as soon as the page
// has loaded, corrects it. Without JavaScript the phrase is at most five
// minutes behind, which we accept for the cache's sake.

// recentSpan is how far back (or ahead) a date is told relatively.
const recentSpan = 7 * 24 * time.Hour

// Time is a <time> element for t (a time.Time, a *time.Time or an RFC 3339
// string): how long ago (or the date beyond a week), the machine-readable
// datetime, the full date and time as its title. Nil or zero gives nothing.
func (v *View) Time(t any) template.HTML {
	at, ok := timeOf(t)
	if !ok {
		return ""
	}
	return timeElement(at, "", v.Lang.DateTime(at), v.Lang.Relative(at, v.Now))
}

// TimeExact is a <time> element giving the full date and time (when a
// sanction ends, say: "in 3 days" would not do). palabre.js leaves it alone.
func (v *View) TimeExact(t any) template.HTML {
	at, ok := timeOf(t)
	if !ok {
		return ""
	}
	full := v.Lang.DateTime(at)
	return timeElement(at, "exact", "", full)
}

func timeElement(at time.Time, class, title, text string) template.HTML {
	var b strings.Builder
	b.Grow(64 + len(title) + len(text))
	b.WriteString(`<time datetime="`)
	b.WriteString(at.UTC().Format(time.RFC3339))
	b.WriteString(`"`)
	if class != "" {
		b.WriteString(` class="` + class + `"`)
	}
	if title != "" {
		b.WriteString(` title="`)
		b.WriteString(template.HTMLEscapeString(title))
		b.WriteString(`"`)
	}
	b.WriteString(`>`)
	b.WriteString(template.HTMLEscapeString(text))
	b.WriteString(`</time>`)
	return template.HTML(b.String())
}

// Date is t's day in the reader's language ("12 mars 2026"), for sentences
// such as "Version 3 du …".
func (v *View) Date(t any) string {
	at, ok := timeOf(t)
	if !ok {
		return ""
	}
	return v.Lang.Date(at)
}

// DateTime is t's day and time in the reader's language ("12 mars 2026 à
// 14:05 UTC"), for sentences such as "… jusqu’au …".
func (v *View) DateTime(t any) string {
	at, ok := timeOf(t)
	if !ok {
		return ""
	}
	return v.Lang.DateTime(at)
}

// timeOf accepts what templates hold: time.Time, *time.Time (nil when
// absent) or an RFC 3339 string (JSON-shaped view structs).
func timeOf(t any) (time.Time, bool) {
	var at time.Time
	switch t := t.(type) {
	case time.Time:
		at = t
	case *time.Time:
		if t == nil {
			return time.Time{}, false
		}
		at = *t
	case string:
		parsed, err := time.Parse(time.RFC3339, t)
		if err != nil {
			return time.Time{}, false
		}
		at = parsed
	default:
		return time.Time{}, false
	}
	return at, !at.IsZero()
}

// Relative tells how far t is from now: "à l’instant", "il y a 3 minutes",
// "hier", "dans 2 jours"…, and the date itself beyond a week. Whole units,
// rounded down, as palabre.js counts them.
func (l *Lang) Relative(t, now time.Time) string {
	d := now.Sub(t)
	past := d >= 0
	if !past {
		d = -d
	}
	if d >= recentSpan {
		return l.Date(t)
	}
	switch {
	case d < time.Minute:
		if past {
			return l.T("time.just_now")
		}
		return l.T("time.in_minutes", "Count", 1)
	case d < time.Hour:
		return l.T(pick(past, "time.minutes_ago", "time.in_minutes"), "Count", int(d/time.Minute))
	case d < 24*time.Hour:
		return l.T(pick(past, "time.hours_ago", "time.in_hours"), "Count", int(d/time.Hour))
	case d < 48*time.Hour:
		return l.T(pick(past, "time.yesterday", "time.tomorrow"))
	default:
		return l.T(pick(past, "time.days_ago", "time.in_days"), "Count", int(d/(24*time.Hour)))
	}
}

func pick(past bool, ago, ahead string) string {
	if past {
		return ago
	}
	return ahead
}

// Date is t's day (UTC) in the language: "12 mars 2026", "12 March 2026".
func (l *Lang) Date(t time.Time) string {
	t = t.UTC()
	return l.T("time.date", "Day", t.Day(), "Month", l.T(monthKeys[t.Month()-1]), "Year", t.Year())
}

// DateTime is t's day and time (UTC, said so): "12 mars 2026 à 14:05 UTC".
func (l *Lang) DateTime(t time.Time) string {
	t = t.UTC()
	return l.T("time.date_time", "Date", l.Date(t), "Time", t.Format("15:04"))
}

var monthKeys = [12]string{
	"time.month_1", "time.month_2", "time.month_3", "time.month_4", "time.month_5", "time.month_6",
	"time.month_7", "time.month_8", "time.month_9", "time.month_10", "time.month_11", "time.month_12",
}
