package server

import (
	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// Form carries what a person typed in an HTML form, and what was wrong with
// it, back to the page: a refused form always comes back filled, with each
// error next to its field.
type Form struct {
	Values map[string]string
	Errors map[string]string // field name → message
	Error  string            // a message about the whole form
}

// readForm reads the named fields of a posted form.
func readForm(c *gin.Context, fields ...string) *Form {
	f := &Form{Values: make(map[string]string, len(fields)), Errors: map[string]string{}}
	for _, name := range fields {
		f.Values[name] = c.PostForm(name)
	}
	return f
}

// Get returns the value typed in a field ("" for a nil form).
func (f *Form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

// Err returns the message for a field, "" when it is fine.
func (f *Form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// HasErrors reports whether anything is wrong with the form.
func (f *Form) HasErrors() bool { return f != nil && (f.Error != "" || len(f.Errors) > 0) }

// setError puts a domain error on its field (or on the whole form) in the
// reader's language and returns the HTTP status the page should answer
// with. Internal errors are logged and shown as a general message.
func (s *Server) setError(c *gin.Context, f *Form, err error) int {
	fe := domainError(err)
	status := statusOf[fe.Code]
	if status == 0 || status >= 500 && fe.Code != forum.EUNAVAILABLE {
		s.log.Error("form failed", "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path, "error", err)
		fe = forum.AsError(forum.Errorf(forum.EINTERNAL, "error.internal", nil))
		status = 500
	}
	setRetryAfter(c, fe)
	msg := s.lang(c).Msg(fe.Key, fe.Args)
	if fe.Field != "" {
		if _, known := f.Values[fe.Field]; known {
			f.Errors[fe.Field] = msg
			return status
		}
	}
	f.Error = msg
	return status
}
