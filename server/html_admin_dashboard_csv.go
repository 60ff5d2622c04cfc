package server

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// dashboardSeries are the dashboard's series, each downloadable as
// /admin/dashboard/NAME.csv with the page's period: a header row, then one
// row a day or an item.
var dashboardSeries = []string{"days", "categories", "traffic", "threads", "category-views", "referrers",
	"unanswered", "rules", "reports", "queue", "moderators", "terms", "contributors"}

func dashboardCSV(d *forum.Dashboard, series string) ([][]string, bool) {
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	i := strconv.Itoa
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	secs := func(p *time.Duration) string {
		if p == nil {
			return ""
		}
		return i64(int64(*p / time.Second))
	}
	var rows [][]string
	switch series {
	case "days":
		rows = append(rows, []string{"day", "posts", "threads", "new_members", "reports", "held", "removed"})
		for _, a := range d.Days {
			rows = append(rows, []string{day(a.Day), i(a.Posts), i(a.Threads), i(a.NewMembers), i(a.Reports), i(a.Held), i(a.Removed)})
		}
	case "categories":
		rows = append(rows, []string{"category_id", "category", "posts", "threads", "answered", "first_response_mean_seconds",
			"staff_response_mean_seconds", "unanswered_24h", "settled_threads"})
		for _, c := range d.Categories {
			rows = append(rows, []string{i64(c.ID), c.Name, i(c.Posts), i(c.Threads), i(c.Answered), secs(c.MeanFirstResponse()),
				secs(c.MeanStaffResponse()), i(c.Unanswered24h()), i(c.SettledAnswerable)})
		}
	case "traffic":
		rows = append(rows, []string{"day", "member_views", "anonymous_views", "crawler_views", "search_views", "unique_readers"})
		for _, t := range d.TrafficDays {
			rows = append(rows, []string{day(t.Day), i64(t.Member), i64(t.Anonymous), i64(t.Crawler), i64(t.Search), i64(t.Readers)})
		}
	case "threads", "category-views":
		list := d.TopThreads
		if series == "category-views" {
			list = d.TopCategories
		}
		rows = append(rows, []string{"id", "title", "slug", "views"})
		for _, v := range list {
			rows = append(rows, []string{i64(v.ID), v.Title, v.Slug, i64(v.Views)})
		}
	case "referrers":
		rows = append(rows, []string{"domain", "views"})
		for _, r := range d.Referrers {
			rows = append(rows, []string{r.Domain, i64(r.Views)})
		}
	case "unanswered":
		rows = append(rows, []string{"thread_id", "title", "category", "created_at"})
		for _, u := range d.Unanswered {
			rows = append(rows, []string{i64(u.ID), u.Title, u.Category, u.CreatedAt.UTC().Format(time.RFC3339)})
		}
	case "rules":
		rows = append(rows, []string{"rule_id", "rule", "fired", "upheld", "overturned", "precision"})
		for _, r := range d.Rules {
			p := ""
			if v := r.Precision(); v >= 0 {
				p = strconv.FormatFloat(v, 'f', 3, 64)
			}
			rows = append(rows, []string{i64(r.RuleID), r.Name, i(r.Fired), i(r.Upheld), i(r.Overturned), p})
		}
	case "reports":
		rows = append(rows, []string{"reason", "reports", "agreed", "dismissed"})
		for _, r := range d.ReportOutcomes {
			rows = append(rows, []string{r.Reason, i(r.Total), i(r.Agreed), i(r.Dismissed)})
		}
	case "queue":
		rows = append(rows, []string{"day", "queue_size_max", "oldest_item_seconds_max"})
		for _, q := range d.QueueDays {
			rows = append(rows, []string{day(q.Day), i(q.Size), i64(q.OldestSeconds)})
		}
	case "moderators":
		rows = append(rows, []string{"member_id", "username", "actions", "reviews_resolved"})
		for _, m := range d.Moderators {
			rows = append(rows, []string{i64(m.ID), m.Username, i(m.Actions), i(m.Reviews)})
		}
	case "terms":
		rows = append(rows, []string{"term", "posts", "previous_period_posts"})
		for _, t := range d.Terms {
			rows = append(rows, []string{t.Term, i(t.Posts), i(t.Previous)})
		}
	case "contributors":
		rows = append(rows, []string{"member_id", "username", "posts", "threads", "likes_received"})
		for _, c := range d.TopContributors {
			rows = append(rows, []string{i64(c.ID), c.Username, i(c.Posts), i(c.Threads), i(c.LikesReceived)})
		}
	default:
		return nil, false
	}
	return rows, true
}

// htmlAdminDashboardFile answers /admin/dashboard/NAME.csv (a series of the
// period) and /admin/dashboard/report (the printable monthly report).
func (s *Server) htmlAdminDashboardFile(c *gin.Context) {
	// The staff only, before anything else: the role is checked again below
	// HTTP by the dashboard itself.
	if err := forum.RequireStaff(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	file := c.Param("file")
	if file == "report" {
		s.htmlAdminReport(c)
		return
	}
	series, ok := strings.CutSuffix(file, ".csv")
	if !ok {
		s.notFoundHandler(c)
		return
	}
	if _, known := dashboardCSV(&forum.Dashboard{}, series); !known {
		s.notFoundHandler(c)
		return
	}
	d, err := s.loadDashboard(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, _ := dashboardCSV(d, series)
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="palabre-`+series+"-"+d.Period.From.Format("20060102")+"-"+d.Period.To.Format("20060102")+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	for _, row := range rows {
		for j := range row {
			row[j] = csvSafe(row[j])
		}
		_ = w.Write(row) // a client gone away: nothing to do
	}
	w.Flush()
}

// csvSafe defuses formulas: a spreadsheet must not run what a member typed
// (a thread's title, a username).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
