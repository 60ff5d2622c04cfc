package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
)

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	forum.EINVALID:       http.StatusBadRequest,
	forum.ENOTFOUND:      http.StatusNotFound,
	forum.EUNAUTHORIZED:  http.StatusUnauthorized,
	forum.EFORBIDDEN:     http.StatusForbidden,
	forum.ECONFLICT:      http.StatusConflict,
	forum.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	forum.ERATELIMITED:   http.StatusTooManyRequests,
	forum.EREJECTED:      http.StatusUnprocessableEntity,
	forum.EUNAVAILABLE:   http.StatusServiceUnavailable,
	forum.EINTERNAL:      http.StatusInternalServerError,
	forum.EGUIDELINES:    http.StatusForbidden,
	forum.ETHREADREPLIED: http.StatusConflict,
}

// apiError is the body of every JSON error (shared/API.md).
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// NoticeURL is, for a suspended or banned member's log-in, the page
	// that says why, until when, and takes their appeal (the HTML log-in
	// goes there).
	NoticeURL string `json:"notice_url,omitempty"`
	// Rules are the guideline rules that refused the text (422 rejected).
	Rules []forum.RuleRef `json:"rules,omitempty"`
	// Version is the guidelines version to accept (guidelines_not_accepted).
	Version int `json:"version,omitempty"`
	// Fields are every field's error when a form had several (the first
	// is also code, message and field above).
	Fields []apiFieldError `json:"fields,omitempty"`
}

// apiFieldError is what is wrong with one field of a request.
type apiFieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiReason is a guideline rule that held, censored or refused a text,
// with what its author is told, in their language.
type apiReason struct {
	Rule    forum.RuleRef `json:"rule"`
	Action  string        `json:"action"`
	Message string        `json:"message"`
}

// verdictReasons are the reasons the author of a stored submission is told
// (why it is held, which words were masked); empty when it was published
// as written.
func (s *Server) verdictReasons(c *gin.Context, v *moderation.Verdict) []apiReason {
	out := []apiReason{}
	if v == nil {
		return out
	}
	for _, r := range v.Deciding() {
		out = append(out, apiReason{Rule: r.Rule, Action: r.Action, Message: s.lang(c).Msg(r.Key, r.Args)})
	}
	return out
}

// cancelled reports whether err is what work stops with when its context
// is cancelled: the context's error, or PostgreSQL's answer to the cancel
// of a statement (57014).
func cancelled(err error) bool {
	var pqErr *pq.Error
	return errors.Is(err, context.Canceled) || errors.As(err, &pqErr) && pqErr.Code == "57014"
}

// statusClientClosed is the status logged for a request whose client left
// before its answer (nginx's 499).
const statusClientClosed = 499

// clientLeft reports whether err is the work's stopping because the client
// left before the answer: nothing went wrong here, and nobody reads the
// answer. The error is whatever the work stopped with (a context error,
// the database's answer to the cancel of a statement): not an outage, and
// not logged as one (statusClientClosed).
func clientLeft(c *gin.Context, err error) bool {
	return errors.Is(c.Request.Context().Err(), context.Canceled) && cancelled(err)
}

// domainError turns any error into a domain error, recognising the
// transport's own failures (an oversized body).
func domainError(err error) *forum.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return forum.Errorf(forum.ETOOLARGE, "error.body_too_large", map[string]any{"Max": tooBig.Limit})
	}
	return forum.AsError(err)
}

// fail answers err: the JSON error body under /api/, the error page
// elsewhere. The client sees a safe message in its language; the log gets the
// cause of internal errors, once.
func (s *Server) fail(c *gin.Context, err error) {
	if clientLeft(c, err) {
		c.AbortWithStatus(statusClientClosed)
		return
	}
	fe, status := s.answerFor(c, err)
	if fe.Code == forum.EUNAUTHORIZED && !isAPI(c) {
		c.Redirect(http.StatusSeeOther, "/login?next="+c.Request.URL.RequestURI())
		c.Abort()
		return
	}
	msg := s.lang(c).Msg(fe.Key, fe.Args)
	if isAPI(c) {
		body := apiErrorBody{Code: fe.Code, Message: msg, Field: fe.Field, Rules: fe.Rules}
		if token, ok := fe.Args[forum.NoticeTokenArg].(string); ok {
			body.NoticeURL = noticeURL(token)
		}
		if fe.Code == forum.EGUIDELINES {
			body.Version, _ = fe.Args["Version"].(int)
		}
		if len(fe.Others) > 0 {
			body.Fields = append(body.Fields, apiFieldError{Field: fe.Field, Code: fe.Code, Message: msg})
			for _, o := range fe.Others {
				body.Fields = append(body.Fields, apiFieldError{Field: o.Field, Code: o.Code, Message: s.lang(c).Msg(o.Key, o.Args)})
			}
		}
		c.AbortWithStatusJSON(status, apiError{Error: body})
		return
	}
	s.render(c, status, "error", s.lang(c).T("error.title", "Status", status), errorPage{Status: status, Message: msg})
	c.Abort()
}

// answerFor is the domain error and HTTP status that answer err, for fail
// and for forms. A database that cannot serve now (down, restarting, out
// of connections, too slow) makes a 503: forum.DB.Unavailable logs an
// outage once, not once per request. Every 429 and 503 says when to come
// back (Retry-After). Other internal errors are logged with their cause.
func (s *Server) answerFor(c *gin.Context, err error) (*forum.Error, int) {
	fe := domainError(err)
	if fe.Code == forum.EINTERNAL {
		if u := s.db.Unavailable(err); u != nil {
			fe = u
		}
	}
	status := statusOf[fe.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		// A handler may have set a more precise delay already.
		if c.Writer.Header().Get("Retry-After") == "" {
			c.Header("Retry-After", strconv.Itoa(retryAfter(fe, status)))
		}
	}
	if status >= 500 && fe.Code != forum.EUNAVAILABLE {
		s.log.Error("request failed", "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path, "error", err)
	}
	return fe, status
}

// retryAfter is the Retry-After of a 429 or 503, in seconds: the minutes a
// rate limit names, else a minute for a limit and a few seconds for an
// unavailable dependency (the database restarting).
func retryAfter(fe *forum.Error, status int) int {
	if fe.RetryAfter > 0 {
		return int(math.Ceil(fe.RetryAfter.Seconds()))
	}
	switch m := fe.Args["Minutes"].(type) {
	case int:
		if m > 0 {
			return m * 60
		}
	case int64:
		if m > 0 {
			return int(m) * 60
		}
	}
	if status == http.StatusTooManyRequests {
		return 60
	}
	return unavailableRetryAfter
}

// unavailableRetryAfter is the Retry-After of a 503: long enough for a
// database restart, short enough that readers are not sent away for long.
const unavailableRetryAfter = 5

type errorPage struct {
	Status  int
	Message string
}

func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// notFoundHandler answers unknown routes.
func (s *Server) notFoundHandler(c *gin.Context) {
	s.fail(c, forum.Errorf(forum.ENOTFOUND, "error.not_found", nil))
}
