package server

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// pageNames are the pages the handlers render. Each must exist as NAME.html:
// a missing one stops the start, never a request. One line per page, grouped
// by area.
var pageNames = []string{
	// foundation (the home page is the templ component homeContent)
	"error",
	"guidelines",
	"admin_guidelines",
	// members
	"signup",
	"login",
	"login_email",
	"login_link",
	"password_forgot",
	"password_reset",
	"verify_email",
	"unsubscribe",
	"account_tokens",
	"account_sessions",
	"profile",
	"account",
	"account_delete",
	"suspended",
	// forum (a thread's page is the templ component threadContent)
	"notifications",
	"category",
	"latest",
	"thread_new",
	"post_edit",
	"post_revisions",
	"post_delete",
	"admin_categories",
	// messages
	"messages",
	"conversation",
	"message_new",
	"message_edit",
	"bookmarks",
	// moderation
	"report_form",
	"review_queue",
	"review_item",
	"modlog",
	"transparency",
	// admin
	"admin",
	"admin_dashboard",
	"admin_report",
	"admin_settings",
	"admin_rules",
	"admin_rule",
	"admin_rules_words",
	"admin_rules_test",
	"admin_members",
	"admin_member",
	"admin_webhooks",
	"admin_webhook",
}

// Pages holds one parsed template per page: the partials (_*.html) and the
// page's own file (its "content"), parsed once at start-up. The layout
// around the content is the templ component layout (layout.templ).
type Pages struct {
	pages map[string]*template.Template // page name
}

// page returns a page's template.
func (p *Pages) page(name string) *template.Template { return p.pages[name] }

// LoadPages parses the templates of fsys.
func LoadPages(fsys fs.FS, funcs template.FuncMap) (*Pages, error) {
	files, _ := fs.Glob(fsys, "*.html")
	base := template.New("").Funcs(funcs)
	parse := func(t *template.Template, f string) error {
		b, err := fs.ReadFile(fsys, f)
		if err == nil {
			_, err = t.New(f).Parse(string(b))
		}
		if err != nil {
			return fmt.Errorf("templates: %s: %w", f, err)
		}
		return nil
	}
	// The partials are shared by every page; each page defines "content".
	for _, f := range files {
		if strings.HasPrefix(f, "_") {
			if err := parse(base, f); err != nil {
				return nil, err
			}
		}
	}
	p := &Pages{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t := template.Must(base.Clone())
		if err := parse(t, f); err != nil {
			return nil, err
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("templates: %s defines no content", f)
		}
		p.pages[name] = t
	}
	for _, name := range pageNames {
		if p.pages[name] == nil {
			return nil, fmt.Errorf("templates: page %s.html is missing", name)
		}
	}
	return p, nil
}

// layoutAssets are the hashed addresses of the files the layout loads,
// and the thread page's script.
type layoutAssets struct {
	css, logo, script, reviewScript, threadScript, composeScript, uploadScript string
}

func newLayoutAssets(a *Assets) (*layoutAssets, error) {
	out := &layoutAssets{}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&out.css, "css/palabre.css"}, {&out.logo, "img/logo.svg"}, {&out.script, "js/palabre.js"}, {&out.reviewScript, "js/review.js"}, {&out.threadScript, "js/thread.js"},
		{&out.composeScript, "js/compose.js"}, {&out.uploadScript, "js/upload.js"}} {
		u, err := a.URL(f.name)
		if err != nil {
			return nil, fmt.Errorf("layout: %w", err)
		}
		*f.dst = u
	}
	return out, nil
}

// View is what every page template receives.
type View struct {
	*Lang            // T: translations in the reader's language
	Title     string // the page's own title, before the site name
	SiteName  string //
	Member    *forum.Member
	Path      string    // the request path, for navigation state
	RequestID string    //
	Now       time.Time //
	Data      any       // the page's own data
	Unread    int       // the member's unread notifications (header badge)
	// UnreadMessages is how many of the member's conversations hold an
	// unread message (the Messages badge).
	UnreadMessages int
	// ReviewPending is how many review items wait for the staff member
	// (the review queue's badge, which review.js then keeps up to date);
	// 0 for everyone else.
	ReviewPending int
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render answers a page: templates/PAGE.html's content in the layout.
func (s *Server) render(c *gin.Context, status int, page, title string, data any) {
	t := s.pages.page(page)
	if t == nil {
		s.internalError(c, fmt.Errorf("page %q is not declared in pageNames", page))
		return
	}
	s.respond(c, status, title, data, func(v *View) templ.Component { return templ.FromGoHTML(t.Lookup("content"), v) })
}

// respond writes content in the layout into a buffer first, so that an
// error becomes a clean 500 and never half a page, then answers it.
func (s *Server) respond(c *gin.Context, status int, title string, data any, content func(*View) templ.Component) {
	v := s.view(c, status, title, data)
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufferPool.Put(buf)
		}
	}()
	// Rendering reads no database: it must finish even when the request's
	// deadline has passed (the 503 page of a stalled database), and templ
	// stops at a context that is done.
	if err := layout(v, s.layout, content(v)).Render(context.WithoutCancel(c.Request.Context()), buf); err != nil {
		s.internalError(c, fmt.Errorf("rendering %s: %w", c.FullPath(), err))
		return
	}
	// A member's pages keep authenticate's private Cache-Control, and a
	// page that set its own (no-store for a notice reached by a secret
	// link) keeps it; the others may be stored and are checked again.
	if c.Writer.Header().Get("Cache-Control") == "" {
		c.Header("Cache-Control", "no-cache")
	}
	c.Header("Vary", "Accept-Encoding, Accept-Language, Cookie")
	s.pageCache.store(c, status, buf.Bytes())
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Server) view(c *gin.Context, status int, title string, data any) *View {
	return &View{
		Lang:      s.lang(c),
		Title:     title,
		SiteName:  s.siteName(c),
		Member:    forum.MemberFrom(c.Request.Context()),
		Path:      c.Request.URL.Path,
		RequestID: c.GetString(ctxRequestID),
		Now:       time.Now(),
		Data:      data,
		Unread:    s.unreadBadge(c),
		// Members only: an anonymous page, which the cache keeps, has none.
		UnreadMessages: s.unreadMessagesBadge(c),
		ReviewPending:  s.reviewBadge(c, status),
	}
}

// internalError logs err and answers a bare 500: used when even the error
// page cannot be rendered.
func (s *Server) internalError(c *gin.Context, err error) {
	s.log.Error("internal error", "request_id", c.GetString(ctxRequestID), "error", err)
	if !c.Writer.Written() {
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("500 internal server error\n"))
	}
	c.Abort()
}
