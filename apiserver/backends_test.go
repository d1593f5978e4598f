package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/open"
	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// database/sql and pgx pools end their goroutines asynchronously after Close.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

// backend opens a fresh, empty store of one real backend.
type backend struct {
	name string
	open func(t testing.TB) storage.Store
}

var backends = []backend{{"sqlite", openSQLite}, {"postgres", openPostgres}}

func openSQLite(t testing.TB) storage.Store {
	t.Helper()
	return openDSN(t, "sqlite://"+filepath.Join(t.TempDir(), "agenttrace.db"))
}

func openDSN(t testing.TB, dsn string) storage.Store {
	t.Helper()
	st, err := open.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

var pgDatabases atomic.Int64

// openPostgres creates a database of its own for the test on the real
// PostgreSQL server and drops it afterwards. An unreachable server skips
// the test, except under CI=true, where it fails (postgrestest.DSN).
func openPostgres(t testing.TB) storage.Store {
	t.Helper()
	admin := postgrestest.DSN(t)
	name := fmt.Sprintf("agenttrace_apitest_%d_%d", os.Getpid(), pgDatabases.Add(1))
	pgExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	pgExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { pgExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("test DSN is not a URL: %v", err)
	}
	u.Path = "/" + name
	return openDSN(t, u.String())
}

func pgExec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// testServer is a server over a store, behind httptest.
type testServer struct {
	t   testing.TB
	srv *Server
	ts  *httptest.Server
}

func newTestServer(t testing.TB, store Store, cfg Config, opts ...Option) *testServer {
	t.Helper()
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.LivePollInterval == 0 {
		cfg.LivePollInterval = 20 * time.Millisecond
	}
	opts = append([]Option{withClock(func() time.Time { return testNow })}, opts...)
	srv, err := New(cfg, store, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return &testServer{t: t, srv: srv, ts: ts}
}

// seededServer opens the backend, seeds it and serves it.
func seededServer(t *testing.T, b backend) *testServer {
	t.Helper()
	st := b.open(t)
	seed(t, st)
	return newTestServer(t, st, DefaultConfig())
}

// do sends a request; headers are "Name: value" strings.
func (s *testServer) do(method, path string, headers ...string) (int, http.Header, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, nil)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		if k == "Host" {
			req.Host = v // the client ignores a Host header
		}
		req.Header.Set(k, v)
	}
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, body
}

// getJSON GETs path, requires status want and decodes the body into v.
func (s *testServer) getJSON(path string, want int, v any, headers ...string) {
	s.t.Helper()
	code, _, body := s.do(http.MethodGet, path, headers...)
	if code != want {
		s.t.Fatalf("GET %s: status %d, want %d: %s", path, code, want, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			s.t.Fatalf("GET %s: decode: %v: %s", path, err, body)
		}
	}
}
