package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// modlogPage is a page of the moderation log with its filters.
type modlogPage struct {
	Lines  []moderation.LogLine
	Query  url.Values // the filters, for the form and the links
	Next   string     // URL of the next page
	CSV    string     // URL of the CSV export of the same filters
	Public bool       // the transparency page is open
	// TargetTypes are the kinds of target the filter offers.
	TargetTypes []string
}

// htmlModLog shows the moderation log (staff).
func (s *Server) htmlModLog(c *gin.Context) {
	f, err := logFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	page, err := s.pipeline.ModLog(ctx, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	lang := s.lang(c)
	for i := range page.Lines {
		page.Lines[i].Text = lang.say(page.Lines[i].Sentence(false))
	}
	q := c.Request.URL.Query()
	q.Del("before")
	v := modlogPage{Lines: page.Lines, Query: q, CSV: "/mod/log.csv?" + q.Encode(),
		TargetTypes: []string{"post", "thread", "member", "review_item", "rule", "settings", "category"}}
	if page.Next != 0 {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("before", strconv.FormatInt(page.Next, 10))
		v.Next = "/mod/log?" + nq.Encode()
	}
	if settings, err := s.db.Settings(ctx); err == nil {
		v.Public = settings.PublicModLog
	}
	s.render(c, http.StatusOK, "modlog", s.lang(c).T("modlog.title"), v)
}

// htmlModLogCSV downloads the log lines the filters select.
func (s *Server) htmlModLogCSV(c *gin.Context) {
	f, err := logFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := forum.RequireStaff(c.Request.Context()); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="palabre-modlog-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := s.pipeline.ExportModLog(c.Request.Context(), f, c.Writer); err != nil {
		s.log.Error("exporting the moderation log", "request_id", c.GetString(ctxRequestID), "error", err)
	}
}

// transparencyPage is the public log.
type transparencyPage struct {
	Lines []moderation.PublicLogLine
	Next  int64
}

// htmlTransparency is the public moderation log, when the setting
// public_mod_log opens it: what was done, never by whom.
func (s *Server) htmlTransparency(c *gin.Context) {
	var before int64
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(c, forum.Errorf(forum.EINVALID, "modlog.filter_invalid", nil))
			return
		}
		before = n
	}
	lines, next, err := s.pipeline.PublicModLog(c.Request.Context(), before)
	if err != nil {
		s.fail(c, err)
		return
	}
	lang := s.lang(c)
	for i := range lines {
		lines[i].Text = lang.say(lines[i].Sentence)
	}
	s.render(c, http.StatusOK, "transparency", s.lang(c).T("transparency.title"), transparencyPage{Lines: lines, Next: next})
}

// say is a moderation log line in words, in the reader's language.
func (l *Lang) say(s moderation.Sentence) string {
	return l.Msg(s.Key, l.sayArgs(s.Args))
}

// sayArgs renders the phrases, lists and dates among a sentence's arguments.
func (l *Lang) sayArgs(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case moderation.Term:
			out[k] = l.Msg(v.Key, l.sayArgs(v.Args))
		case []moderation.Term:
			said := make([]string, 0, len(v))
			for _, t := range v {
				if l.Has(t.Key) { // a setting without a label stays unsaid
					said = append(said, l.Msg(t.Key, l.sayArgs(t.Args)))
				}
			}
			out[k] = strings.Join(said, ", ")
		case time.Time:
			out[k] = l.DateTime(v)
		default:
			out[k] = v
		}
	}
	return out
}
