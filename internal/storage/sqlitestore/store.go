// Package sqlitestore is the embedded storage backend: one SQLite file in WAL
// mode (pure Go, no cgo), so the collector writes while a separate API or CLI
// process reads the same file.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/migrations"
)

var _ storage.Store = (*Store)(nil)

// Store is the SQLite backend. Writes go through one connection (SQLite has
// one writer at a time); reads use a small pool of their own.
type Store struct {
	path  string
	write *sql.DB
	read  *sql.DB

	// Span inserts prepared once on the writer connection (write.go).
	stmtMu     sync.Mutex
	insertFull *sql.Stmt
	insertOne  *sql.Stmt

	ckpt *checkpointer

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if missing) the database file at path, applies the
// embedded migrations and returns the store.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(OFF)" +
		"&_pragma=temp_store(MEMORY)&_txlock=immediate"
	// The writer never checkpoints in its commit (a fifth of its time with
	// the default auto-checkpoint): the checkpointer does, on its own
	// connection, while the writer inserts the next batch. Its page cache
	// stays at SQLite's default 2 MiB: 8 MiB, which holds a whole batch,
	// was not measurably faster end to end but added ~16 MB of peak RSS.
	w, err := sql.Open("sqlite", dsn+"&_pragma=wal_autocheckpoint(0)"+
		fmt.Sprintf("&_pragma=journal_size_limit(%d)", walLimitBytes))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s := &Store{path: path, write: w, read: r}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	c, err := sql.Open("sqlite", dsn)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.ckpt = startCheckpointer(c)
	return s, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes both connection pools. It is safe to call twice.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		var ckptErr error
		if s.ckpt != nil {
			ckptErr = s.ckpt.close()
		}
		s.stmtMu.Lock()
		var errs []error
		for _, st := range []*sql.Stmt{s.insertFull, s.insertOne} {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		s.insertFull, s.insertOne = nil, nil
		s.stmtMu.Unlock()
		s.closeErr = errors.Join(append(errs, ckptErr, s.read.Close(), s.write.Close())...)
	})
	return s.closeErr
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations.SQLite()
	if err != nil {
		return fmt.Errorf("sqlite: load migrations: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations in %s: %w", s.path, err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration unless it was applied already. The check runs in
// the same (immediate, write-locked) transaction, so two processes opening
// a new file at once apply it once.
func (s *Store) apply(ctx context.Context, m migrations.Migration) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: read schema_migrations: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("sqlite: apply migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit migration %s: %w", m.Name, err)
	}
	return nil
}

// SchemaVersion returns the highest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// likePattern escapes a user's search text for LIKE ... ESCAPE '\'.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}
