package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// logFilter reads the log's filters from the query string: actor, action,
// target_type, target_id, from and to (dates, YYYY-MM-DD, to included),
// before (keyset cursor).
func logFilter(c *gin.Context) (moderation.LogFilter, error) {
	f := moderation.LogFilter{Actor: c.Query("actor"), Action: c.Query("action"), TargetType: c.Query("target_type")}
	ints := map[string]*int64{"target_id": &f.TargetID, "before": &f.Before}
	for name, dst := range ints {
		if v := c.Query(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return f, forum.Errorf(forum.EINVALID, "modlog.filter_invalid", nil).OnField(name)
			}
			*dst = n
		}
	}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := c.Query(name); v != "" {
			d, err := time.Parse("2006-01-02", v)
			if err != nil {
				return f, forum.Errorf(forum.EINVALID, "modlog.filter_invalid", nil).OnField(name)
			}
			if name == "to" {
				d = d.Add(24 * time.Hour)
			}
			*dst = &d
		}
	}
	return f, nil
}

// apiModLog reads the moderation log, newest first; next is the before=
// of the following page.
func (s *Server) apiModLog(c *gin.Context) {
	f, err := logFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.pipeline.ModLog(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	lang := s.lang(c)
	for i := range page.Lines {
		page.Lines[i].Text = lang.say(page.Lines[i].Sentence(false))
	}
	out := gin.H{"entries": page.Lines}
	if page.Next != 0 {
		out["next"] = page.Next
	}
	c.JSON(http.StatusOK, out)
}
