package apiserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/apikey"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// Store is what the server needs from a storage backend; storage.Store
// satisfies it.
type Store interface {
	storage.Reader
	storage.Deleter
}

// Pinger is implemented by backends that can check their connection; the
// health endpoints use it when present.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server is the API server. Create it with New, then either mount Handler
// in an existing http.Server or call Serve.
type Server struct {
	cfg       Config
	store     Store
	live      LiveSource
	logger    *zap.Logger
	dashboard fs.FS
	version   string
	now       func() time.Time

	routes     []route
	openAPIDoc []byte
	engine     *gin.Engine
	auth       keyring
	origins    originPolicy

	// liveCtx ends the WebSocket streams on Shutdown (http.Server.Shutdown
	// does not wait for, or close, hijacked connections).
	liveCtx    context.Context
	stopLive   context.CancelFunc
	liveStream sync.WaitGroup

	mu      sync.Mutex
	httpSrv *http.Server
}

// Option customizes a Server.
type Option func(*Server)

// WithLogger sets the logger (the collector's zap logger when hosted).
func WithLogger(l *zap.Logger) Option { return func(s *Server) { s.logger = l } }

// WithLiveSource replaces the default live source (polling the store), for
// example with a Redis stream.
func WithLiveSource(src LiveSource) Option { return func(s *Server) { s.live = src } }

// WithDashboard serves the built dashboard from fsys at /; without it (or
// when fsys has no index.html) a placeholder page is served.
func WithDashboard(fsys fs.FS) Option { return func(s *Server) { s.dashboard = fsys } }

// WithVersion sets the version reported by the health endpoints.
func WithVersion(v string) Option { return func(s *Server) { s.version = v } }

// withClock replaces time.Now, for tests of relative times.
func withClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New validates cfg and builds a server over store.
func New(cfg Config, store Store, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("apiserver: nil store")
	}
	s := &Server{cfg: cfg, store: store, logger: zap.NewNop(), version: "dev", now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.cfg.QueryTimeout == 0 {
		s.cfg.QueryTimeout = DefaultConfig().QueryTimeout
	}
	if s.live == nil {
		s.live = &StorePoller{Reader: store, Interval: cfg.LivePollInterval}
	}
	auth, err := newKeyring(cfg.allKeys())
	if err != nil {
		return nil, fmt.Errorf("apiserver: keys: %w", err)
	}
	s.auth = auth
	s.origins = newOriginPolicy(cfg.AllowedOrigins)
	s.liveCtx, s.stopLive = context.WithCancel(context.Background())
	s.routes = s.routeTable()
	s.openAPIDoc = s.openAPIDocument()
	s.engine = s.buildEngine()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Serve answers requests on ln until Shutdown; it returns nil after a
// Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(s.logger),
		// No WriteTimeout: exports and the live stream are long responses;
		// non-streaming queries are bounded by QueryTimeout instead.
	}
	s.mu.Lock()
	if s.httpSrv != nil {
		s.mu.Unlock()
		return errors.New("apiserver: Serve called twice")
	}
	s.httpSrv = srv
	s.mu.Unlock()
	if s.cfg.TLS != nil {
		tc := s.cfg.TLS.Clone()
		if len(tc.NextProtos) == 0 {
			// HTTP/1.1 only: the live route is a WebSocket upgrade.
			tc.NextProtos = []string{"http/1.1"}
		}
		ln = tls.NewListener(ln, tc)
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown ends the live streams, then stops accepting requests and waits
// for the running ones until ctx ends. It is safe to call more than once
// and without Serve.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopLive()
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	var err error
	if srv != nil {
		if err = srv.Shutdown(ctx); err != nil {
			err = errors.Join(err, srv.Close())
		}
	}
	done := make(chan struct{})
	go func() { s.liveStream.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("live streams still closing: %w", ctx.Err()))
	}
	return err
}

func (s *Server) buildEngine() *gin.Engine {
	if gin.Mode() == gin.DebugMode && os.Getenv(gin.EnvGinMode) == "" {
		// gin's debug mode prints every route to stdout.
		gin.SetMode(gin.ReleaseMode)
	}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.Use(s.recovery, s.checkHost, s.cors)
	for i := range s.routes {
		r := &s.routes[i]
		e.Handle(r.method, r.path, s.serveRoute(r))
	}
	e.NoRoute(s.noRoute)
	e.NoMethod(func(c *gin.Context) {
		abortJSON(c, http.StatusMethodNotAllowed, codeMethodNotAllowed, "method "+c.Request.Method+" not allowed on "+c.Request.URL.Path)
	})
	return e
}

// serveRoute wraps a route's handler: authorization, then parameter
// validation, then (for non-streaming routes) the query timeout.
func (s *Server) serveRoute(r *route) gin.HandlerFunc {
	return func(c *gin.Context) {
		var id *apikey.Identity
		if !r.public {
			var ok bool
			if id, ok = s.authorize(c, r.admin); !ok {
				return
			}
		}
		a, err := parseArgs(c, r, s.now())
		if err != nil {
			s.fail(c, err)
			return
		}
		var ok bool
		if a.scope, ok = scopeOf(id, a.text("project")); !ok {
			abortJSON(c, http.StatusForbidden, codeForbidden, "this API key cannot see project "+a.text("project"))
			return
		}
		if !r.stream && s.cfg.QueryTimeout > 0 {
			ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.QueryTimeout)
			defer cancel()
			c.Request = c.Request.WithContext(ctx)
		}
		r.handle(c, a)
	}
}

// recovery turns a panic into a logged 500 instead of a dropped connection,
// except http.ErrAbortHandler, which aborts a streamed response on purpose.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel value, compared as net/http does
				panic(v)
			}
			s.logger.Error("API handler panicked", zap.Any("panic", v), zap.String("path", c.Request.URL.Path), zap.Stack("stack"))
			if !c.Writer.Written() {
				abortJSON(c, http.StatusInternalServerError, codeInternal, "internal error; see the server log")
			} else {
				panic(http.ErrAbortHandler)
			}
		}
	}()
	c.Next()
}
