package open

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		dsn, backend, target, err string
	}{
		{DefaultDSN, SQLite, "./data/agenttrace.db", ""},
		{"sqlite:///var/lib/agenttrace.db", SQLite, "/var/lib/agenttrace.db", ""},
		{"postgres://u:secret@db:5432/at?sslmode=disable", Postgres, "postgres://u:secret@db:5432/at?sslmode=disable", ""},
		{"postgresql://db/at", Postgres, "postgresql://db/at", ""},
		{"", "", "", "empty"},
		{"sqlite://", "", "", "no file path"},
		{"sqlite://a.db?mode=ro", "", "", "may not contain"},
		{"mysql://u:secret@db/x", "", "", "scheme mysql"},
		{"./data/agenttrace.db", "", "", "scheme (none)"},
	} {
		b, target, err := Parse(c.dsn)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("Parse(%q) error = %v, want %q (and no password)", c.dsn, err, c.err)
			}
			continue
		}
		if err != nil || b != c.backend || target != c.target {
			t.Errorf("Parse(%q) = %s, %s, %v", c.dsn, b, target, err)
		}
	}
}

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "at.db")
	st, err := Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if s, ok := st.(*sqlitestore.Store); !ok || s.Path() != path {
		t.Errorf("store %T", st)
	}
}

func TestOpenErrorIsNilStore(t *testing.T) {
	st, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "f.db", "x", "\x00"))
	if err == nil || st != nil {
		t.Errorf("Open of a bad path = %v, %v; want a nil store and an error", st, err)
	}
}

// TestOpenPostgres opens a fresh schema, chosen by a search_path in the
// DSN: connection parameters pass through to the backend.
func TestOpenPostgres(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	st, err := Open(context.Background(), dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ListSessions(context.Background(), storage.AllProjects(), storageQuery()); err != nil {
		t.Errorf("query: %v", err)
	}
}

func storageQuery() storage.SessionQuery { return storage.SessionQuery{Limit: 1} }
