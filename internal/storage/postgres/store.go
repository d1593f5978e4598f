// Package postgres is the production storage backend: PostgreSQL through a
// pgx pool, with TimescaleDB used when the extension is present (spans
// hypertable, continuous aggregates, compression and retention policies)
// and plain PostgreSQL otherwise (BRIN time index, rollup tables maintained
// by the writer).
//
// Writes COPY spans straight into the spans table while holding a
// transaction-scoped advisory lock per trace; spans that already exist are
// first deleted (returning what they contributed), so trace, session and
// rollup totals are upserted with exact differences. The per-trace locks
// make this correct with several collectors writing the same traces.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/migrations"
)

var _ storage.Store = (*Store)(nil)

// TimescaleMode selects whether the TimescaleDB extension is used.
type TimescaleMode string

// Timescale modes.
const (
	// TimescaleAuto uses TimescaleDB when the extension is installed in the
	// database or can be created; otherwise plain PostgreSQL.
	TimescaleAuto TimescaleMode = "auto"
	// TimescaleOn requires TimescaleDB: Open fails without it.
	TimescaleOn TimescaleMode = "on"
	// TimescaleOff never uses TimescaleDB.
	TimescaleOff TimescaleMode = "off"
)

// Config configures a Store.
type Config struct {
	// DSN is a libpq connection string or URL.
	DSN string
	// Schema, when set, is created if missing and put first on the
	// search_path of every connection.
	Schema string
	// MaxConns bounds the pool (0: pgx's default).
	MaxConns int32
	// Timescale selects TimescaleDB use ("" means auto).
	Timescale TimescaleMode
	// Retention drops raw spans older than this (0 keeps them). With
	// TimescaleDB it is a retention policy; on plain PostgreSQL the store's
	// owner calls EnforceRetention periodically.
	Retention time.Duration
	// CompressAfter compresses span chunks older than this (TimescaleDB
	// only; 0 disables compression).
	CompressAfter time.Duration
	// SkipMigrations leaves the schema alone (for read-only users).
	SkipMigrations bool
}

// Store is the PostgreSQL backend.
type Store struct {
	pool      *pgxpool.Pool
	cfg       Config
	timescale bool

	sanitized atomic.Int64
	closeOnce sync.Once
}

// Open connects, detects TimescaleDB, applies the embedded migrations and
// the configured policies. ctx bounds the whole start-up.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize() + ", public"
	}
	pcfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pcfg.ConnConfig.RuntimeParams["application_name"] = "agenttrace"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: create pool: %w", err)
	}
	s := &Store{pool: pool, cfg: cfg}
	if err := s.start(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) start(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	if s.cfg.Schema != "" && !s.cfg.SkipMigrations {
		if _, err := s.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.cfg.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: create schema %s: %w", s.cfg.Schema, err)
		}
	}
	ts, err := s.detectTimescale(ctx)
	if err != nil {
		return err
	}
	s.timescale = ts
	if s.cfg.SkipMigrations {
		return nil
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	return s.applyPolicies(ctx)
}

// detectTimescale decides whether to use TimescaleDB. An earlier migration
// run decides for good: switching modes under existing data is not done.
func (s *Store) detectTimescale(ctx context.Context) (bool, error) {
	mode := s.cfg.Timescale
	if mode == "" {
		mode = TimescaleAuto
	}
	if applied, ok, err := s.appliedVariant(ctx); err != nil {
		return false, err
	} else if ok {
		if mode == TimescaleOn && !applied {
			return false, errors.New("postgres: timescale is on but the schema was created for plain PostgreSQL")
		}
		return applied, nil
	}
	if mode == TimescaleOff {
		return false, nil
	}
	var installed, available bool
	err := s.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'),
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')`).Scan(&installed, &available)
	if err != nil {
		return false, fmt.Errorf("postgres: detect timescaledb: %w", err)
	}
	if !installed && available {
		// Creating it needs privileges and shared_preload_libraries; when
		// that fails we run on plain PostgreSQL.
		if _, err := s.pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS timescaledb"); err == nil {
			installed = true
		}
	}
	if mode == TimescaleOn && !installed {
		return false, errors.New("postgres: timescale is on but the timescaledb extension is not available")
	}
	return installed, nil
}

// appliedVariant reports which variant of migration 2 (if any) was applied.
func (s *Store) appliedVariant(ctx context.Context) (timescale, ok bool, err error) {
	var name string
	err = s.pool.QueryRow(ctx, `SELECT name FROM schema_migrations WHERE version = 2`).Scan(&name)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // no schema_migrations yet
		return false, false, nil
	case errors.Is(err, pgx.ErrNoRows):
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	return strings.HasSuffix(name, ".timescaledb.sql"), true, nil
}

// migrationLock is the advisory lock key that serializes migrations of
// collectors starting at the same time.
const migrationLock = 0x4147545201 // "AGTR" 01

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations.Postgres(s.timescale)
	if err != nil {
		return fmt.Errorf("postgres: load migrations: %w", err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // released with the session anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// applyPolicies installs the TimescaleDB refresh, compression and retention
// policies from the configuration (replacing earlier ones).
func (s *Store) applyPolicies(ctx context.Context) error {
	if !s.timescale {
		return nil
	}
	stmts := []string{
		`SELECT add_continuous_aggregate_policy('span_metrics_hourly', start_offset => INTERVAL '3 days',
			end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes', if_not_exists => true)`,
		`SELECT add_continuous_aggregate_policy('daily_costs', start_offset => INTERVAL '7 days',
			end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour', if_not_exists => true)`,
		`SELECT remove_compression_policy('spans', if_exists => true)`,
		`SELECT remove_retention_policy('spans', if_exists => true)`,
	}
	if d := s.cfg.CompressAfter; d > 0 {
		stmts = append(stmts, fmt.Sprintf(`SELECT add_compression_policy('spans', INTERVAL '%d seconds')`, int64(d/time.Second)))
	}
	if d := s.cfg.Retention; d > 0 {
		stmts = append(stmts, fmt.Sprintf(`SELECT add_retention_policy('spans', INTERVAL '%d seconds')`, int64(d/time.Second)))
	}
	for _, q := range stmts {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: timescaledb policy: %w", err)
		}
	}
	return nil
}

// EnforceRetention deletes raw spans older than Config.Retention on plain
// PostgreSQL (TimescaleDB drops whole chunks through its policy instead).
// Trace and session summaries and the hourly rollups are kept. It deletes
// in bounded chunks and returns the number of spans deleted.
func (s *Store) EnforceRetention(ctx context.Context, now time.Time) (int64, error) {
	if s.timescale || s.cfg.Retention <= 0 {
		return 0, nil
	}
	cutoff := now.Add(-s.cfg.Retention)
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM spans WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM spans WHERE start_time < $1 LIMIT 10000))`, cutoff)
		if err != nil {
			return total, fmt.Errorf("postgres: retention: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() == 0 {
			return total, nil
		}
	}
}

// TimescaleDB reports whether the store runs on TimescaleDB.
func (s *Store) TimescaleDB() bool { return s.timescale }

// Pool is the underlying connection pool (for health checks and tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Sanitized returns how many text values were repaired (invalid UTF-8, NUL
// bytes) since the store was opened.
func (s *Store) Sanitized() int64 { return s.sanitized.Load() }

// Close closes the pool. It is safe to call twice.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { s.pool.Close() })
	return nil
}

// IsPermanent reports whether err is caused by the data written (so
// retrying the same batch cannot succeed), as opposed to the database being
// unreachable, restarting or overloaded.
func IsPermanent(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", // data exception: bad encoding, out of range, invalid JSON
		"23", // integrity constraint violation
		"42": // syntax error or access rule violation
		return true
	}
	return false
}

// isRetryableTx reports errors after which the whole transaction can simply
// be run again: serialization failures and deadlocks.
func isRetryableTx(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
