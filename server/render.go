package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
)

// pageNames are the pages the handlers render. Each must exist as NAME.html:
// a missing one stops the start, never a request. One line per page, grouped
// by area.
var pageNames = []string{
	// foundation (the home page is written in Go: html_home.go)
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
	"account_tokens",
	"account_sessions",
	"profile",
	"account",
	"account_delete",
	"suspended",
	// forum
	"notifications",
	"search",
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

// Pages holds one parsed template per language and page: the partials
// (_*.html) and the page's own file (its "content"), parsed once at
// start-up; the layout around them is written in Go (html_layout.go).
type Pages struct {
	pages map[string]map[string]*template.Template // language code → page name
}

// page returns a page's template in a language (the first one parsed when
// the language is unknown, as Catalog.Lang falls back).
func (p *Pages) page(lang, name string) *template.Template {
	if byName := p.pages[lang]; byName != nil {
		return byName[name]
	}
	for _, byName := range p.pages {
		return byName[name]
	}
	return nil
}

// constantLabel is a translation that takes no argument, written
// {{.T "key"}}, {{$.T "key"}} or {{.View.T "key"}}: LoadPages writes its
// text into each language's templates, since html/template's reflective
// call and escaper for every label cost a third of a page.
var constantLabel = regexp.MustCompile(`\{\{\s*(?:\$|\$\.View|\.View)?\.T\s+"([a-z0-9_.]+)"\s*\}\}`)

// LoadPages parses the templates of fsys for each language of catalog.
func LoadPages(fsys fs.FS, funcs template.FuncMap, catalog *Catalog) (*Pages, error) {
	return loadPages(fsys, funcs, catalog, true)
}

// loadPages is LoadPages; without labelsAsText, every label is translated
// when the page runs (the test that both write the same pages).
func loadPages(fsys fs.FS, funcs template.FuncMap, catalog *Catalog, labelsAsText bool) (*Pages, error) {
	sources := map[string]string{}
	files, _ := fs.Glob(fsys, "*.html")
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		sources[f] = string(b)
	}
	p := &Pages{pages: map[string]map[string]*template.Template{}}
	for _, tag := range supportedLanguages {
		lang := catalog.Lang(tag.String())
		if !labelsAsText {
			lang = nil
		}
		byName, err := parsePages(files, sources, funcs, lang)
		if err != nil {
			return nil, err
		}
		p.pages[tag.String()] = byName
	}
	return p, nil
}

func parsePages(files []string, sources map[string]string, funcs template.FuncMap, lang *Lang) (map[string]*template.Template, error) {
	source := func(f string) string {
		if lang == nil {
			return sources[f]
		}
		return constantLabel.ReplaceAllStringFunc(sources[f], func(action string) string {
			text, ok := lang.constant(constantLabel.FindStringSubmatch(action)[1])
			if !ok || strings.Contains(text, "{{") || strings.Contains(text, "}}") {
				return action // translated when the page runs, as before
			}
			// Escaped for text and quoted attributes, the only places a
			// label appears (a test compares both ways of writing a page).
			return template.HTMLEscapeString(text)
		})
	}
	// The layout around each page is written in Go (html_layout.go); each
	// page defines "content", with the partials (_*.html) beside it.
	base := template.New("").Funcs(funcs)
	for _, f := range files {
		if strings.HasPrefix(f, "_") {
			if _, err := base.New(f).Parse(source(f)); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", f, err)
			}
		}
	}
	byName := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).New(f).Parse(source(f))
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", f, err)
		}
		byName[name] = t
	}
	for _, name := range pageNames {
		if byName[name] == nil {
			return nil, fmt.Errorf("templates: page %s.html is missing", name)
		}
	}
	return byName, nil
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
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 and never half a page.
func (s *Server) render(c *gin.Context, status int, page, title string, data any) {
	s.respond(c, status, title, data, func(buf *bytes.Buffer, v *View) error {
		t := s.pages.page(v.Lang.Code, page)
		if t == nil {
			return fmt.Errorf("page %q is not declared in pageNames", page)
		}
		if err := t.ExecuteTemplate(buf, "content", v); err != nil {
			return fmt.Errorf("rendering %s: %w", page, err)
		}
		return nil
	})
}

// renderWritten is render for a page written in Go (a thread): write puts
// its content straight into the page's buffer.
func (s *Server) renderWritten(c *gin.Context, status int, title string, data any, write func(*bytes.Buffer, *View)) {
	s.respond(c, status, title, data, func(buf *bytes.Buffer, v *View) error {
		write(buf, v)
		return nil
	})
}

// respond writes the layout around a page's content and answers it.
func (s *Server) respond(c *gin.Context, status int, title string, data any, content func(*bytes.Buffer, *View) error) {
	v := s.view(c, title, data)
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufferPool.Put(buf)
		}
	}()
	s.layout.layoutHead(buf, v)
	if err := content(buf, v); err != nil {
		s.internalError(c, err)
		return
	}
	s.layout.layoutTail(buf, v)
	c.Header("Cache-Control", "no-cache")
	c.Header("Vary", "Accept-Encoding, Accept-Language, Cookie")
	s.pageCache.store(c, status, buf.Bytes())
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Server) view(c *gin.Context, title string, data any) *View {
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
