package server

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// barChart is a small bar chart drawn server-side as SVG: positions are
// computed here, the template writes rect elements with SVG attributes (no
// style attribute, no script: the CSP stays strict).
type barChart struct {
	ID    string // for the caption's id
	Title string
	// The catalogue keys of a bar's heading (a day or a month), of the
	// summary, the description and the table's title.
	Unit, Summary, Desc, Table string
	Width                      int
	Height                     int
	Max                        int
	Total                      int
	Bars                       []chartBar
}

type chartBar struct {
	X, Y, W, H int
	Day        string // YYYY-MM-DD, or YYYY-MM for a month
	Value      int
}

const (
	chartHeight = 80
	chartBarW   = 10
	chartGap    = 2
)

// dashboardMonthlyAfter is the longest period whose charts have a bar a
// day: a longer one (up to ten years) has a bar a month, so that a page
// draws a few hundred bars whatever the period, as Discourse's reports
// group long ranges.
const dashboardMonthlyAfter = 400

// How a month's bar sums its days: their total, their highest value or
// their mean (rounded).
type monthBar int

const (
	monthSum monthBar = iota
	monthMax
	monthMean
)

// pointsOf are the chart's points of rows, each dated and valued by point.
func pointsOf[T any](rows []T, point func(T) chartPoint) []chartPoint {
	out := make([]chartPoint, len(rows))
	for i, r := range rows {
		out[i] = point(r)
	}
	return out
}

type chartPoint struct {
	Day   time.Time
	Value int
}

// byMonth groups days (oldest first) into months, each dated on its
// first day.
func byMonth(points []chartPoint, how monthBar) []chartPoint {
	var out []chartPoint
	days := 0
	for _, p := range points {
		first := time.Date(p.Day.Year(), p.Day.Month(), 1, 0, 0, 0, 0, time.UTC)
		if n := len(out); n == 0 || !out[n-1].Day.Equal(first) {
			if n > 0 && how == monthMean {
				out[n-1].Value = (out[n-1].Value + days/2) / days
			}
			out = append(out, chartPoint{Day: first})
			days = 0
		}
		last := &out[len(out)-1]
		days++
		switch how {
		case monthMax:
			last.Value = max(last.Value, p.Value)
		default:
			last.Value += p.Value
		}
	}
	if n := len(out); n > 0 && how == monthMean {
		out[n-1].Value = (out[n-1].Value + days/2) / days
	}
	return out
}

func drawBarChart(id, title string, points []chartPoint, monthly bool, how monthBar) barChart {
	label := time.DateOnly
	ch := barChart{ID: id, Title: title, Unit: "admin.dashboard_day", Summary: "admin.dashboard_chart_summary",
		Desc: "admin.dashboard_chart_desc", Table: "admin.dashboard_chart_table", Height: chartHeight}
	if monthly {
		points, label = byMonth(points, how), "2006-01"
		ch.Unit, ch.Summary, ch.Desc, ch.Table = "admin.dashboard_month", "admin.dashboard_chart_summary_month",
			"admin.dashboard_chart_desc_month", "admin.dashboard_chart_table_month"
	}
	ch.Width = len(points) * (chartBarW + chartGap)
	for _, p := range points {
		ch.Max = max(ch.Max, p.Value)
	}
	for i, p := range points {
		v := p.Value
		h := 0
		if ch.Max > 0 {
			h = v * chartHeight / ch.Max
		}
		if v > 0 && h < 2 {
			h = 2 // a day with activity is never invisible
		}
		ch.Total += v
		ch.Bars = append(ch.Bars, chartBar{X: i * (chartBarW + chartGap), Y: chartHeight - h, W: chartBarW, H: h, Day: p.Day.Format(label), Value: v})
	}
	return ch
}

// figure is one of the dashboard's figures with the previous period's.
type figure struct {
	Label    string
	Value    string
	Previous string
	Change   string // "up 12 %", "down 3 %", "unchanged", "" when nothing to compare
	Dir      string // up, down, flat or ""
}

// changeText writes the change from prev to cur for people.
func changeText(lang *Lang, cur, prev float64) (string, string) {
	c := forum.Change(cur, prev)
	if c == nil {
		return "", ""
	}
	n := int(math.Round(math.Abs(*c)))
	switch {
	case n == 0:
		return lang.T("admin.dashboard_change_flat"), "flat"
	case *c > 0:
		return lang.T("admin.dashboard_change_up", "Percent", n), "up"
	default:
		return lang.T("admin.dashboard_change_down", "Percent", n), "down"
	}
}

func countFigure(lang *Lang, key string, cur, prev int) figure {
	f := figure{Label: lang.T(key), Value: strconv.Itoa(cur), Previous: strconv.Itoa(prev)}
	f.Change, f.Dir = changeText(lang, float64(cur), float64(prev))
	return f
}

func countFigure64(lang *Lang, key string, cur, prev int64) figure {
	f := figure{Label: lang.T(key), Value: strconv.FormatInt(cur, 10), Previous: strconv.FormatInt(prev, 10)}
	f.Change, f.Dir = changeText(lang, float64(cur), float64(prev))
	return f
}

func durationFigure(lang *Lang, key string, cur, prev *time.Duration) figure {
	f := figure{Label: lang.T(key), Value: formatDuration(lang, cur), Previous: formatDuration(lang, prev)}
	if cur != nil && prev != nil {
		f.Change, f.Dir = changeText(lang, cur.Seconds(), prev.Seconds())
	}
	return f
}

func shareFigure(lang *Lang, key string, cur, prev float64) figure {
	pc := func(v float64) string {
		if v < 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f %%", v*100)
	}
	f := figure{Label: lang.T(key), Value: pc(cur), Previous: pc(prev)}
	if cur >= 0 && prev >= 0 {
		f.Change, f.Dir = changeText(lang, cur, prev)
	}
	return f
}

type dashboardPage struct {
	D             *forum.Dashboard
	Query         url.Values // the period, for the CSV links
	QueryString   string
	Series        []seriesLink
	ReportMonth   string // the last month, for the report's link
	Month         string // the report's month, for people
	Complete      bool   // the report's month is over
	Periods       []periodLink
	From, To      string // the period's dates, for the range form
	PeriodText    string
	ComputedAt    string
	Engagement    []figure
	Response      []figure
	Moderation    []figure
	Charts        []barChart
	Traffic       []figure
	QueueCharts   []barChart
	Reputation    []figure
	Terms         []figure
	TermCharts    []barChart
	Rules         []ruleRow
	Oldest        []queueAge
	Unit          string // the catalogue key of Oldest's first heading: a day or a month
	TrafficCharts []barChart
	Categories    []categoryRow
	ReviewSeen    string
	ReviewClaim   string
	ReviewResolve string
	QueueKinds    []queueKind
}

type periodLink struct {
	Days    int
	Current bool
}

type categoryRow struct {
	Name, Slug                       string
	Posts, Threads, Answered, Unans  int
	FirstResponse, UnansweredPercent string
}

type seriesLink struct {
	Name, URL string
}

type ruleRow struct {
	forum.RuleFiring
	Precision string
}

type queueAge struct {
	Day, Age string
}

type queueKind struct {
	Kind  string
	Count int
}

// dashboardPeriod reads the period of the request (?period=7|30|90|365 or
// ?from=…&to=…), today being the forum's.
func (s *Server) dashboardPeriod(c *gin.Context) (forum.Period, error) {
	st, err := s.db.Settings(c.Request.Context())
	if err != nil {
		return forum.Period{}, err
	}
	today := forum.TodayIn(time.Now(), st.Location())
	return forum.ParsePeriod(c.Query("period"), c.Query("from"), c.Query("to"), today)
}

// loadDashboard reads the dashboard of the request's period.
func (s *Server) loadDashboard(c *gin.Context) (*forum.Dashboard, error) {
	p, err := s.dashboardPeriod(c)
	if err != nil {
		return nil, err
	}
	return s.db.Dashboard(c.Request.Context(), time.Now(), p)
}

// htmlAdminDashboard shows the community's health (admins and moderators).
func (s *Server) htmlAdminDashboard(c *gin.Context) {
	d, err := s.loadDashboard(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	lang := s.lang(c)
	page := newDashboardPage(lang, d)
	page.Query = url.Values{"from": {page.From}, "to": {page.To}}
	if d.Period.Days != 0 {
		page.Query = url.Values{"period": {strconv.Itoa(d.Period.Days)}}
	}
	page.QueryString = page.Query.Encode()
	for _, name := range dashboardSeries {
		page.Series = append(page.Series, seriesLink{Name: name, URL: "/admin/dashboard/" + name + ".csv?" + page.QueryString})
	}
	page.ReportMonth = forum.TodayIn(time.Now(), d.Location).AddDate(0, -1, 0).Format("2006-01")
	s.render(c, http.StatusOK, "admin_dashboard", lang.T("admin.dashboard_title"), page)
}

// htmlAdminReport is the monthly report, to print or save as PDF from the
// browser: ?month=YYYY-MM, the last month by default.
func (s *Server) htmlAdminReport(c *gin.Context) {
	st, err := s.db.Settings(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	today := forum.TodayIn(time.Now(), st.Location())
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	if m := c.Query("month"); m != "" {
		if first, err = time.Parse("2006-01", m); err != nil || first.After(today) {
			s.fail(c, forum.Errorf(forum.EINVALID, "admin.report_month_invalid", nil).OnField("month"))
			return
		}
	}
	last := first.AddDate(0, 1, -1)
	p := forum.Period{From: first, To: last}
	if last.After(today) {
		p.To = today
	}
	d, err := s.db.Dashboard(c.Request.Context(), time.Now(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	lang := s.lang(c)
	page := newDashboardPage(lang, d)
	page.Month = lang.T(reportMonthKeys[first.Month()-1], "Year", first.Year())
	page.Complete = !last.After(today)
	s.render(c, http.StatusOK, "admin_report", lang.T("admin.report_title", "Month", page.Month), page)
}

// reportMonthKeys name the months with their year.
var reportMonthKeys = [12]string{"admin.report_month_1", "admin.report_month_2", "admin.report_month_3", "admin.report_month_4",
	"admin.report_month_5", "admin.report_month_6", "admin.report_month_7", "admin.report_month_8", "admin.report_month_9",
	"admin.report_month_10", "admin.report_month_11", "admin.report_month_12"}

// newDashboardPage lays out the dashboard's figures for people.
func newDashboardPage(lang *Lang, d *forum.Dashboard) dashboardPage {
	cur, prev := d.Current, d.Previous
	// A long period has a bar a month, whose titles say so.
	monthly := d.Period.Len() > dashboardMonthlyAfter
	per := func(key string) string {
		if monthly {
			return lang.T(strings.TrimSuffix(key, "_per_day") + "_per_month")
		}
		return lang.T(key)
	}
	page := dashboardPage{
		Unit:          "admin.dashboard_day",
		D:             d,
		From:          d.Period.From.Format(time.DateOnly),
		To:            d.Period.To.Format(time.DateOnly),
		ReviewSeen:    formatDuration(lang, d.ReviewSeenMedian),
		ReviewClaim:   formatDuration(lang, d.ReviewClaimMedian),
		ReviewResolve: formatDuration(lang, d.ReviewResolveMedian),
		PeriodText: lang.T("admin.dashboard_period_text", "From", d.Period.From.Format(time.DateOnly), "To", d.Period.To.Format(time.DateOnly),
			"PrevFrom", d.Prior.From.Format(time.DateOnly), "PrevTo", d.Prior.To.Format(time.DateOnly), "Zone", d.Location.String()),
		Engagement: []figure{
			countFigure(lang, "admin.dashboard_posts", cur.Posts, prev.Posts),
			countFigure(lang, "admin.dashboard_threads", cur.Threads, prev.Threads),
			countFigure(lang, "admin.dashboard_signups", cur.SignUps, prev.SignUps),
		},
		Response: []figure{
			durationFigure(lang, "admin.dashboard_first_reply", cur.MeanFirstResponse(), prev.MeanFirstResponse()),
			durationFigure(lang, "admin.dashboard_staff_reply", cur.MeanStaffResponse(), prev.MeanStaffResponse()),
			shareFigure(lang, "admin.dashboard_unanswered", cur.UnansweredShare(), prev.UnansweredShare()),
			countFigure(lang, "admin.dashboard_answered", cur.Answered, prev.Answered),
		},
		Moderation: []figure{
			countFigure(lang, "admin.dashboard_reports", cur.Reports, prev.Reports),
			countFigure(lang, "admin.dashboard_held", cur.Held, prev.Held),
			countFigure(lang, "admin.dashboard_removed", cur.Removed, prev.Removed),
		},
		Charts: []barChart{
			drawBarChart("posts", per("admin.dashboard_posts_per_day"),
				pointsOf(d.Days, func(a forum.DayActivity) chartPoint { return chartPoint{a.Day, a.Posts} }), monthly, monthSum),
			drawBarChart("threads", per("admin.dashboard_threads_per_day"),
				pointsOf(d.Days, func(a forum.DayActivity) chartPoint { return chartPoint{a.Day, a.Threads} }), monthly, monthSum),
			drawBarChart("members", per("admin.dashboard_members_per_day"),
				pointsOf(d.Days, func(a forum.DayActivity) chartPoint { return chartPoint{a.Day, a.NewMembers} }), monthly, monthSum),
			drawBarChart("reports", per("admin.dashboard_reports_per_day"),
				pointsOf(d.Days, func(a forum.DayActivity) chartPoint { return chartPoint{a.Day, a.Reports} }), monthly, monthSum),
		},
	}
	tr, ptr := d.Traffic, d.PreviousTraffic
	page.Traffic = []figure{
		countFigure64(lang, "admin.dashboard_views_member", tr.Member, ptr.Member),
		countFigure64(lang, "admin.dashboard_views_anonymous", tr.Anonymous, ptr.Anonymous),
		countFigure64(lang, "admin.dashboard_views_crawler", tr.Crawler, ptr.Crawler),
		countFigure64(lang, "admin.dashboard_readers", tr.Readers, ptr.Readers),
		countFigure64(lang, "admin.dashboard_views_search", tr.Search, ptr.Search),
	}
	page.TrafficCharts = []barChart{
		drawBarChart("views", per("admin.dashboard_views_per_day"),
			pointsOf(d.TrafficDays, func(t forum.TrafficDay) chartPoint { return chartPoint{t.Day, int(t.Member + t.Anonymous)} }), monthly, monthSum),
		drawBarChart("readers", per("admin.dashboard_readers_per_day"),
			pointsOf(d.TrafficDays, func(t forum.TrafficDay) chartPoint { return chartPoint{t.Day, int(t.Readers)} }), monthly, monthMean),
		drawBarChart("crawlers", per("admin.dashboard_crawlers_per_day"),
			pointsOf(d.TrafficDays, func(t forum.TrafficDay) chartPoint { return chartPoint{t.Day, int(t.Crawler)} }), monthly, monthSum),
	}
	page.Reputation = []figure{
		shareFigure(lang, "admin.dashboard_held_share", cur.HeldShare(), prev.HeldShare()),
		shareFigure(lang, "admin.dashboard_removed_share", cur.RemovedShare(), prev.RemovedShare()),
	}
	for _, tm := range d.Terms {
		f := countFigure(lang, "admin.dashboard_mentions", tm.Posts, tm.Previous)
		f.Label = lang.T("admin.dashboard_mentions", "Term", tm.Term)
		page.Terms = append(page.Terms, f)
	}
	if len(d.Terms) > 0 {
		points := pointsOf(d.TermDays, func(td forum.TermDay) chartPoint { return chartPoint{td.Day, td.Posts} })
		page.TermCharts = []barChart{drawBarChart("mentions", per("admin.dashboard_mentions_per_day"), points, monthly, monthSum)}
	}
	sizes := pointsOf(d.QueueDays, func(q forum.QueueDay) chartPoint { return chartPoint{q.Day, q.Size} })
	ages := pointsOf(d.QueueDays, func(q forum.QueueDay) chartPoint { return chartPoint{q.Day, int(q.OldestSeconds)} })
	label := time.DateOnly
	if monthly {
		ages, label, page.Unit = byMonth(ages, monthMax), "2006-01", "admin.dashboard_month"
	}
	for _, a := range ages {
		age := time.Duration(a.Value) * time.Second
		page.Oldest = append(page.Oldest, queueAge{Day: a.Day.Format(label), Age: formatDuration(lang, &age)})
	}
	page.QueueCharts = []barChart{drawBarChart("queue", per("admin.dashboard_queue_per_day"), sizes, monthly, monthMax)}
	for _, r := range d.Rules {
		row := ruleRow{RuleFiring: r, Precision: "—"}
		if p := r.Precision(); p >= 0 {
			row.Precision = fmt.Sprintf("%.0f %%", p*100)
		}
		page.Rules = append(page.Rules, row)
	}
	if d.ComputedAt != nil {
		page.ComputedAt = d.ComputedAt.In(d.Location).Format("2006-01-02 15:04")
	}
	for _, n := range forum.DashboardPeriods {
		page.Periods = append(page.Periods, periodLink{Days: n, Current: d.Period.Days == n})
	}
	for _, ch := range d.Categories {
		row := categoryRow{Name: ch.Name, Slug: ch.Slug, Posts: ch.Posts, Threads: ch.Threads, Answered: ch.Answered,
			Unans: ch.Unanswered24h(), FirstResponse: formatDuration(lang, ch.MeanFirstResponse()), UnansweredPercent: "—"}
		if share := ch.UnansweredShare(); share >= 0 {
			row.UnansweredPercent = fmt.Sprintf("%.0f %%", share*100)
		}
		page.Categories = append(page.Categories, row)
	}
	for _, k := range []string{"held", "flagged", "reported", "appeal"} {
		page.QueueKinds = append(page.QueueKinds, queueKind{Kind: k, Count: d.Queue[k]})
	}
	return page
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
