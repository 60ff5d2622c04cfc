package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// barChart is a small bar chart drawn server-side as SVG: positions are
// computed here, the template writes rect elements with SVG attributes (no
// style attribute, no script: the CSP stays strict).
type barChart struct {
	ID     string // for the caption's id
	Title  string
	Width  int
	Height int
	Max    int
	Total  int
	Bars   []chartBar
}

type chartBar struct {
	X, Y, W, H int
	Day        string // YYYY-MM-DD
	Value      int
}

const (
	chartHeight = 80
	chartBarW   = 10
	chartGap    = 2
)

func newBarChart(id, title string, days []forum.DayActivity, value func(forum.DayActivity) int) barChart {
	ch := barChart{ID: id, Title: title, Height: chartHeight, Width: len(days) * (chartBarW + chartGap)}
	for _, d := range days {
		ch.Max = max(ch.Max, value(d))
	}
	for i, d := range days {
		v := value(d)
		h := 0
		if ch.Max > 0 {
			h = v * chartHeight / ch.Max
		}
		if v > 0 && h < 2 {
			h = 2 // a day with activity is never invisible
		}
		ch.Total += v
		ch.Bars = append(ch.Bars, chartBar{X: i * (chartBarW + chartGap), Y: chartHeight - h, W: chartBarW, H: h, Day: d.Day.Format("2006-01-02"), Value: v})
	}
	return ch
}

type dashboardPage struct {
	D                   *forum.Dashboard
	Charts              []barChart
	FirstReply          string
	UnansweredPercent   string
	ReviewSeen          string
	ReviewClaim         string
	ReviewResolve       string
	QueueKinds          []queueKind
	DashboardWindowDays int
}

type queueKind struct {
	Kind  string
	Count int
}

// htmlAdminDashboard shows the community's health (admins and moderators).
func (s *Server) htmlAdminDashboard(c *gin.Context) {
	d, err := s.db.Dashboard(c.Request.Context(), time.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	lang := s.lang(c)
	page := dashboardPage{
		D:                   d,
		FirstReply:          formatDuration(lang, d.FirstReplyMedian),
		ReviewSeen:          formatDuration(lang, d.ReviewSeenMedian),
		ReviewClaim:         formatDuration(lang, d.ReviewClaimMedian),
		ReviewResolve:       formatDuration(lang, d.ReviewResolveMedian),
		DashboardWindowDays: forum.DashboardDays,
		Charts: []barChart{
			newBarChart("posts", lang.T("admin.dashboard_posts_per_day"), d.Days, func(a forum.DayActivity) int { return a.Posts }),
			newBarChart("threads", lang.T("admin.dashboard_threads_per_day"), d.Days, func(a forum.DayActivity) int { return a.Threads }),
			newBarChart("members", lang.T("admin.dashboard_members_per_day"), d.Days, func(a forum.DayActivity) int { return a.NewMembers }),
			newBarChart("reports", lang.T("admin.dashboard_reports_per_day"), d.Days, func(a forum.DayActivity) int { return a.Reports }),
		},
	}
	if share := d.UnansweredShare(); share >= 0 {
		page.UnansweredPercent = fmt.Sprintf("%.0f %%", share*100)
	}
	for _, k := range []string{"held", "flagged", "reported", "appeal"} {
		page.QueueKinds = append(page.QueueKinds, queueKind{Kind: k, Count: d.Queue[k]})
	}
	s.render(c, http.StatusOK, "admin_dashboard", lang.T("admin.dashboard_title"), page)
}

// formatDuration writes a duration for people: minutes, hours and minutes,
// or days and hours; "—" when there was nothing to measure.
func formatDuration(lang *Lang, d *time.Duration) string {
	if d == nil {
		return "—"
	}
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case *d < time.Minute:
		return lang.T("admin.duration_under_minute")
	case m < 60:
		return lang.T("admin.duration_minutes", "M", m)
	case m < 48*60:
		return lang.T("admin.duration_hours", "H", m/60, "M", fmt.Sprintf("%02d", m%60))
	default:
		return lang.T("admin.duration_days", "D", m/(24*60), "H", m/60%24)
	}
}
