package server

import (
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

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
	// Guidelines, when posting was refused until the member accepts them:
	// the form shows them with a box to tick, and keeps what was typed.
	Guidelines *forum.GuidelineVersion
	// AcceptLabel is the label of the box, in the reader's language.
	AcceptLabel string
}

// GuidelinesHTML is the guidelines' text, sanitized when published.
func (f *Form) GuidelinesHTML() template.HTML {
	if f == nil || f.Guidelines == nil {
		return ""
	}
	return template.HTML(f.Guidelines.BodyHTML)
}

// acceptGuidelinesField is the box of a posting form that accepts the
// guidelines version it names before the text is posted.
const acceptGuidelinesField = "accept_guidelines"

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
	if clientLeft(c, err) {
		return statusClientClosed // the page goes to nobody
	}
	fe, status := s.answerFor(c, err)
	if status >= 500 && fe.Code != forum.EUNAVAILABLE {
		fe = forum.AsError(forum.Errorf(forum.EINTERNAL, "error.internal", nil))
		status = 500
	}
	msg := s.lang(c).Msg(fe.Key, fe.Args)
	if fe.Code == forum.EGUIDELINES {
		if g, err := s.db.CurrentGuidelines(c.Request.Context()); err == nil {
			f.Guidelines, f.AcceptLabel = g, s.lang(c).T("guidelines.accept_and_post")
		}
	}
	if fe.Field != "" {
		if _, known := f.Values[fe.Field]; known {
			f.Errors[fe.Field] = msg
			for _, o := range fe.Others {
				if _, known := f.Values[o.Field]; known {
					f.Errors[o.Field] = s.lang(c).Msg(o.Key, o.Args)
				}
			}
			return status
		}
	}
	f.Error = msg
	return status
}

// refuseInvalidForms answers 400 to a form posted to a page (not the JSON
// API, whose decoder refuses the same, bindJSON) when a field's name or
// value holds invalid UTF-8 or a NUL character, before any handler reads
// it: PostgreSQL cannot store them as typed, and handlers had met them each
// its own way (a 500, a U+FFFD stored, a field silently emptied). A body
// that cannot be read as a form is refused the same way.
func (s *Server) refuseInvalidForms() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions || isAPI(c) {
			c.Next()
			return
		}
		var err error
		ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ctype {
		case "application/x-www-form-urlencoded":
			err = r.ParseForm()
		case "multipart/form-data":
			err = r.ParseMultipartForm(s.engine.MaxMultipartMemory)
		default:
			c.Next()
			return
		}
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			s.fail(c, err)
			return
		}
		if err != nil {
			s.fail(c, forum.Errorf(forum.EINVALID, "error.form_unreadable", nil))
			return
		}
		fields := []url.Values{r.PostForm}
		if r.MultipartForm != nil {
			fields = append(fields, r.MultipartForm.Value)
			for name, files := range r.MultipartForm.File {
				names := []string{}
				for _, fh := range files {
					names = append(names, fh.Filename)
				}
				fields = append(fields, url.Values{name: names})
			}
		}
		for _, values := range fields {
			for name, vs := range values {
				if !validFormText(name) {
					s.fail(c, forum.Errorf(forum.EINVALID, "error.form_invalid_text", nil))
					return
				}
				for _, v := range vs {
					if !validFormText(v) {
						s.fail(c, forum.Errorf(forum.EINVALID, "error.form_invalid_text", nil).OnField(name))
						return
					}
				}
			}
		}
		c.Next()
	}
}

// validFormText reports whether s is text PostgreSQL stores as typed:
// valid UTF-8 without NUL.
func validFormText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
