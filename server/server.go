package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/moderation"
	"github.com/palabre/palabre/static"
	"github.com/palabre/palabre/templates"
)

// Server is Palabre's HTTP server.
type Server struct {
	cfg      Config
	db       *forum.DB
	pipeline *moderation.Pipeline
	log      *slog.Logger
	catalog  *Catalog
	// threadStatic: a thread page's parts that depend on the language
	// alone, made once per language (html_thread.go).
	threadStatic map[*Lang]*threadStatic
	assets       *Assets
	pages        *Pages
	layout       *layoutAssets
	openAPI      []byte
	pageCache    *pageCache
	metrics      *metrics
	traffic      *trafficCounter
	engine       *gin.Engine
	http         *http.Server
	// streams ends when the server starts shutting down: long-lived
	// answers (the review queue's event stream) end at once instead of
	// holding the shutdown for its whole timeout.
	streams     context.Context
	stopStreams context.CancelFunc
	// live fans the review queue's changes out to the event streams,
	// heard through Main's listener (RegisterCaches).
	live *moderation.Live
}

// New builds the server: translations, static files and templates are loaded
// and checked here, so that a broken build fails at start-up.
func New(cfg Config, db *forum.DB, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, db: db, log: log, pipeline: moderation.NewPipeline(db), pageCache: newPageCache(), metrics: newMetrics(), traffic: newTrafficCounter(),
		live: moderation.NewLive(log)}
	s.streams, s.stopStreams = context.WithCancel(context.Background())
	db.SetHashGate(forum.NewHashGate(cfg.HashSlots, cfg.HashWait))
	s.metrics.registry.MustRegister(statsCollector{db})
	s.pipeline.ObserveVerdicts(s.metrics.countVerdict)
	var err error
	if s.catalog, err = LoadCatalog(templates.FS, "locales", cfg.Locale); err != nil {
		return nil, err
	}
	if s.assets, err = LoadAssets(static.FS); err != nil {
		return nil, err
	}
	if s.layout, err = newLayoutAssets(s.assets); err != nil {
		return nil, err
	}
	if s.threadStatic, err = newThreadStatics(s.catalog, s.layout); err != nil {
		return nil, err
	}
	if s.pages, err = LoadPages(templates.FS, s.templateFuncs()); err != nil {
		return nil, err
	}
	if s.openAPI, err = buildOpenAPI(); err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	s.engine = gin.New()
	s.engine.RedirectTrailingSlash = true
	s.engine.HandleMethodNotAllowed = true
	proxies := make([]string, len(cfg.TrustedProxies))
	for i, p := range cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	if err := s.engine.SetTrustedProxies(proxies); err != nil {
		return nil, fmt.Errorf("PALABRE_TRUSTED_PROXIES: %w", err)
	}
	s.routes()
	s.http = &http.Server{
		Handler: s.Handler(),
		// Every timeout is set: a slow client must not hold a connection.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Pipeline is the moderation pipeline the server submits texts to (its
// compiled rules listen for changes: main wires its NOTIFY handlers).
func (s *Server) Pipeline() *moderation.Pipeline { return s.pipeline }

// Handler is the whole HTTP handler: the Gin engine behind the cross-origin
// protection of cookie-authenticated writes (Sec-Fetch-Site and Origin are
// checked on every unsafe method; API clients with bearer tokens send
// neither and pass). A refused request still goes through the engine, to
// get the usual error answer (JSON under /api/, the error page elsewhere)
// with the security headers. HEAD is answered as GET without the body.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	// The unsubscribe link's key is its credential, not a cookie: mail
	// programs POST to it from anywhere (RFC 8058).
	cop.AddInsecureBypassPattern("POST /email/unsubscribe")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.engine.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), crossOriginRefused{}, true)))
	}))
	return headAsGet(cop.Handler(s.engine))
}

// crossOriginRefused marks a request http.CrossOriginProtection refused
// (refuseCrossOrigin answers it).
type crossOriginRefused struct{}

// headRequest marks a HEAD request served as a GET.
type headRequest struct{}

// headAsGet serves HEAD as GET on every route: net/http drops the body of
// an answer to HEAD (it still sees the original request's method), so the
// client gets the GET's status and headers.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			get := r.WithContext(context.WithValue(r.Context(), headRequest{}, true))
			get.Method = http.MethodGet
			r = get
		}
		next.ServeHTTP(w, r)
	})
}

// isHead reports whether the request came as HEAD (served as GET).
func isHead(c *gin.Context) bool { return c.Request.Context().Value(headRequest{}) != nil }

// refuseCrossOrigin answers a request the cross-origin protection refused,
// through the normal error path.
func (s *Server) refuseCrossOrigin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Context().Value(crossOriginRefused{}) != nil {
			s.fail(c, forum.Errorf(forum.EFORBIDDEN, "error.cross_origin", nil))
			return
		}
		c.Next()
	}
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// no new connections, in-flight requests finish within the shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Event streams end now: their clients reconnect (to another instance)
	// and the shutdown waits only for real requests.
	s.stopStreams()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(shutdownCtx)
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

func (s *Server) templateFuncs() template.FuncMap {
	return pageFuncs(s.assets.URL)
}

// lang returns the reader's language, chosen once per request.
func (s *Server) lang(c *gin.Context) *Lang {
	if l, ok := c.Get(ctxLang); ok {
		return l.(*Lang)
	}
	pref := ""
	if m := forum.MemberFrom(c.Request.Context()); m != nil {
		pref = m.Locale
	}
	if pref == "" {
		if ck, err := c.Cookie("lang"); err == nil && isLang(ck) {
			pref = ck
		}
	}
	l := s.catalog.Negotiate(pref, c.GetHeader("Accept-Language"), s.settings(c).Locale)
	c.Set(ctxLang, l)
	return l
}

// settings returns the community's settings (cached in forum, refreshed on
// every instance through NOTIFY); if they cannot be read, the defaults, so
// that a page can still say what went wrong.
func (s *Server) settings(c *gin.Context) *forum.Settings {
	st, err := s.db.Settings(c.Request.Context())
	if err != nil {
		s.log.Warn("reading settings", "request_id", c.GetString(ctxRequestID), "error", err)
		d := forum.DefaultSettings()
		return &d
	}
	return st
}

// siteName is the community's name shown in titles and feeds.
func (s *Server) siteName(c *gin.Context) string { return s.settings(c).SiteName }

// dict builds a map from name/value pairs, to pass several values to a
// partial template: {{template "field" dict "Form" .Data.Form "Name" "email"}}.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}
