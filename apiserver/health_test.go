package apiserver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agenttrace/agenttrace/internal/storage"
)

type brokenStore struct{ Store }

func (brokenStore) ListSessions(context.Context, storage.Scope, storage.SessionQuery) (storage.Page[storage.Session], error) {
	return storage.Page[storage.Session]{}, errors.New("database is on fire at 10.0.0.5")
}

func TestHealth(t *testing.T) {
	s := newTestServer(t, openSQLite(t), DefaultConfig(), WithVersion("1.2.3"))
	code, _, body := s.do("GET", "/health")
	if code != 200 || !strings.Contains(string(body), `"version":"1.2.3"`) || !strings.Contains(string(body), `"storage":"ok"`) {
		t.Errorf("%d %s", code, body)
	}
	s = newTestServer(t, brokenStore{openSQLite(t)}, DefaultConfig())
	code, _, body = s.do("GET", "/api/v1/health")
	if code != 503 || strings.Contains(string(body), "10.0.0.5") {
		t.Errorf("broken storage: %d %s", code, body)
	}
}
