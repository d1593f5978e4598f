// Package open opens a storage backend from a DSN, so commands and
// components that take a --storage flag or a storage setting share one
// parser: sqlite://PATH for the embedded SQLite file, postgres:// or
// postgresql:// URLs for PostgreSQL/TimescaleDB.
package open

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

// Backend names returned by Parse.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DefaultDSN is the local-mode store.
const DefaultDSN = "sqlite://./data/agenttrace.db"

// Parse splits a DSN into its backend and the backend's own address (the
// SQLite file path, or the PostgreSQL connection URL). It does no I/O, so
// configs can validate a DSN. Errors never repeat a PostgreSQL DSN, which
// may hold a password.
func Parse(dsn string) (backend, target string, err error) {
	switch {
	case dsn == "":
		return "", "", errors.New("empty storage DSN; want sqlite://PATH or postgres://…")
	case strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return "", "", fmt.Errorf("storage DSN %q has no file path; want sqlite://./data/agenttrace.db or sqlite:///abs/path.db", dsn)
		}
		if strings.ContainsAny(path, "?#") {
			return "", "", fmt.Errorf("storage DSN %q: the SQLite path may not contain ? or #", dsn)
		}
		return SQLite, path, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	}
	scheme, _, found := strings.Cut(dsn, "://")
	if !found || len(scheme) > 20 {
		scheme = "(none)"
	}
	return "", "", fmt.Errorf("storage DSN scheme %s is not supported; want sqlite://PATH or postgres://…", scheme)
}

// Open opens the backend named by dsn and applies its migrations. The
// caller closes the store.
func Open(ctx context.Context, dsn string) (storage.Store, error) {
	backend, target, err := Parse(dsn)
	if err != nil {
		return nil, err
	}
	// Return a nil interface on error, never a typed nil pointer.
	if backend == SQLite {
		st, err := sqlitestore.Open(ctx, target)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st, err := postgres.Open(ctx, postgres.Config{DSN: target})
	if err != nil {
		return nil, err
	}
	return st, nil
}
