package server

import (
	"html/template"
	"strings"
	"sync"
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
	r := l.relativeTexts()
	switch {
	case d < time.Minute:
		if past {
			return r.justNow
		}
		return r.minutes[0][1] // in a minute
	case d < time.Hour:
		return r.minutes[b2i(past)][d/time.Minute]
	case d < 24*time.Hour:
		return r.hours[b2i(past)][d/time.Hour]
	case d < 48*time.Hour:
		return r.yesterday[b2i(past)]
	default:
		return r.days[b2i(past)][d/(24*time.Hour)]
	}
}

// relativeTexts are every text Relative can answer within recentSpan, in
// a language, written once: the posts of every page ask for them.
// Index 0 of the first dimension is the future, 1 the past.
type relativeTexts struct {
	justNow   string
	minutes   [2][60]string
	hours     [2][24]string
	yesterday [2]string
	days      [2][recentSpan / (24 * time.Hour)]string
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (l *Lang) relativeTexts() *relativeTexts {
	l.relativeOnce.Do(func() {
		r := &relativeTexts{justNow: l.T("time.just_now"), yesterday: [2]string{l.T("time.tomorrow"), l.T("time.yesterday")}}
		for past, keys := range [2][3]string{{"time.in_minutes", "time.in_hours", "time.in_days"}, {"time.minutes_ago", "time.hours_ago", "time.days_ago"}} {
			for n := range r.minutes[past] {
				r.minutes[past][n] = l.T(keys[0], "Count", n)
			}
			for n := range r.hours[past] {
				r.hours[past][n] = l.T(keys[1], "Count", n)
			}
			for n := range r.days[past] {
				r.days[past][n] = l.T(keys[2], "Count", n)
			}
		}
		l.relative = r
	})
	return l.relative
}

// Date is t's day (UTC) in the language: "12 mars 2026", "12 March 2026".
// Each day is written once per language and kept (a bounded cache: posts
// of a page share a few days).
func (l *Lang) Date(t time.Time) string {
	t = t.UTC()
	day := floorDiv(t.Unix(), 86400)
	if s, ok := l.dates.get(day); ok {
		return s
	}
	s := l.T("time.date", "Day", t.Day(), "Month", l.T(monthKeys[t.Month()-1]), "Year", t.Year())
	l.dates.put(day, s)
	return s
}

// DateTime is t's day and time (UTC, said so): "12 mars 2026 à 14:05 UTC",
// written once per minute and language (a bounded cache).
func (l *Lang) DateTime(t time.Time) string {
	t = t.UTC()
	minute := floorDiv(t.Unix(), 60)
	if s, ok := l.dateTimes.get(minute); ok {
		return s
	}
	s := l.T("time.date_time", "Date", l.Date(t), "Time", t.Format("15:04"))
	l.dateTimes.put(minute, s)
	return s
}

// floorDiv divides rounding down, so that times before 1970 get their own
// day and minute.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// textCache keeps texts by a number (a day, a minute); past its bound it
// starts over.
type textCache struct {
	mu sync.RWMutex
	m  map[int64]string
}

const textCacheMax = 8192

func (c *textCache) get(k int64) (string, bool) {
	c.mu.RLock()
	s, ok := c.m[k]
	c.mu.RUnlock()
	return s, ok
}

func (c *textCache) put(k int64, s string) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= textCacheMax {
		c.m = make(map[int64]string)
	}
	c.m[k] = s
	c.mu.Unlock()
}

var monthKeys = [12]string{
	"time.month_1", "time.month_2", "time.month_3", "time.month_4", "time.month_5", "time.month_6",
	"time.month_7", "time.month_8", "time.month_9", "time.month_10", "time.month_11", "time.month_12",
}
