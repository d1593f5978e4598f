package cli

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/internal/storage/open"
	"github.com/agenttrace/agenttrace/internal/storage/postgres"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
	"github.com/agenttrace/agenttrace/migrations"
)

// migrationReport is what `migrate` did.
type migrationReport struct {
	Backend   string   `json:"backend"`
	Target    string   `json:"target"`
	Timescale *bool    `json:"timescaledb,omitempty"`
	Version   int      `json:"schema_version"`
	Applied   []string `json:"applied"`
	Available []string `json:"available"`
}

func (a *app) migrateCommand() *cobra.Command {
	var (
		dsn, schema, timescale string
		list                   bool
		timeout                time.Duration
	)
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations (SQLite, PostgreSQL or TimescaleDB)",
		Long: `Create or upgrade the AgentTrace schema. Migrations are versioned, embedded in
the binary and idempotent: running migrate again applies only what is new.
On PostgreSQL the TimescaleDB variant (hypertable, continuous aggregates,
compression) is used when the extension is available (--timescaledb auto),
the plain variant (BRIN indexes, rollup tables) otherwise.`,
		Example: `  agenttrace migrate --storage sqlite://./data/agenttrace.db
  agenttrace migrate --storage postgres://agenttrace@localhost:5432/agenttrace --timescaledb on
  agenttrace migrate --list --storage postgres://localhost/agenttrace`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			backend, target, err := open.Parse(dsn)
			if err != nil {
				return usageError("--storage: %v", err)
			}
			mode := postgres.TimescaleMode(strings.ToLower(timescale))
			if mode != postgres.TimescaleAuto && mode != postgres.TimescaleOn && mode != postgres.TimescaleOff {
				return usageError("--timescaledb %q: want auto, on or off", timescale)
			}
			if backend == open.SQLite && (schema != "" || cmd.Flags().Changed("timescaledb")) {
				return usageError("--schema and --timescaledb apply to PostgreSQL only")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			var rep migrationReport
			if list {
				rep, err = listMigrations(backend, target, mode)
			} else if backend == open.SQLite {
				rep, err = migrateSQLite(ctx, target)
			} else {
				rep, err = migratePostgres(ctx, postgres.Config{DSN: target, Schema: schema, Timescale: mode})
			}
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(rep)
			}
			w := a.env.Stdout
			if list {
				fmt.Fprintf(w, "Migrations for %s:\n", rep.Backend)
				for _, m := range rep.Available {
					fmt.Fprintf(w, "  %s\n", m)
				}
				return nil
			}
			where := rep.Target
			if rep.Timescale != nil {
				where += map[bool]string{true: " (TimescaleDB)", false: " (plain PostgreSQL)"}[*rep.Timescale]
			}
			if len(rep.Applied) == 0 {
				_, err := fmt.Fprintf(w, "%s is up to date at schema version %d.\n", where, rep.Version)
				return err
			}
			fmt.Fprintf(w, "Migrated %s to schema version %d:\n", where, rep.Version)
			for _, m := range rep.Applied {
				fmt.Fprintf(w, "  applied %s\n", m)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dsn, "storage", open.DefaultDSN, "store: sqlite://PATH or postgres://…")
	f.StringVar(&schema, "schema", "", "PostgreSQL schema to create and use (default: the search_path)")
	f.StringVar(&timescale, "timescaledb", "auto", "PostgreSQL: use TimescaleDB: auto, on (required) or off")
	f.BoolVar(&list, "list", false, "list the embedded migrations without touching the database")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

func migrationNames(ms []migrations.Migration) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func listMigrations(backend, target string, mode postgres.TimescaleMode) (migrationReport, error) {
	rep := migrationReport{Backend: backend, Target: redactDSN(target), Applied: []string{}}
	var ms []migrations.Migration
	var err error
	if backend == open.SQLite {
		ms, err = migrations.SQLite()
	} else {
		ts := mode == postgres.TimescaleOn
		rep.Timescale = &ts
		ms, err = migrations.Postgres(ts)
	}
	if err != nil {
		return rep, err
	}
	rep.Available = migrationNames(ms)
	return rep, nil
}

// migrateSQLite opens the file (which applies the migrations) and reports
// the versions that were new.
func migrateSQLite(ctx context.Context, path string) (migrationReport, error) {
	rep := migrationReport{Backend: open.SQLite, Target: path, Applied: []string{}}
	before := sqliteVersion(ctx, path)
	store, err := sqlitestore.Open(ctx, path)
	if err != nil {
		return rep, err
	}
	defer store.Close()
	if rep.Version, err = store.SchemaVersion(ctx); err != nil {
		return rep, fmt.Errorf("read the schema version: %w", err)
	}
	ms, err := migrations.SQLite()
	if err != nil {
		return rep, err
	}
	rep.Available = migrationNames(ms)
	for _, m := range ms {
		if m.Version > before && m.Version <= rep.Version {
			rep.Applied = append(rep.Applied, m.Name)
		}
	}
	return rep, nil
}

// sqliteVersion reads the schema version of an existing file (0 when the
// file or the table does not exist).
func sqliteVersion(ctx context.Context, path string) int {
	if !fileExists(path) {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return 0
	}
	defer db.Close()
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0
	}
	return int(v.Int64)
}

func migratePostgres(ctx context.Context, cfg postgres.Config) (migrationReport, error) {
	rep := migrationReport{Backend: open.Postgres, Target: redactDSN(cfg.DSN), Applied: []string{}}
	before := postgresVersions(ctx, cfg)
	store, err := postgres.Open(ctx, cfg)
	if err != nil {
		return rep, err
	}
	defer store.Close()
	ts := store.TimescaleDB()
	rep.Timescale = &ts
	ms, err := migrations.Postgres(ts)
	if err != nil {
		return rep, err
	}
	rep.Available = migrationNames(ms)
	rows, err := store.Pool().Query(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return rep, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			v    int
			name string
		)
		if err := rows.Scan(&v, &name); err != nil {
			return rep, err
		}
		rep.Version = max(rep.Version, v)
		if !before[v] {
			rep.Applied = append(rep.Applied, name)
		}
	}
	return rep, rows.Err()
}

// postgresVersions reads the applied versions before migrating (none when
// the schema is new).
func postgresVersions(ctx context.Context, cfg postgres.Config) map[int]bool {
	out := map[int]bool{}
	conn, err := pgx.Connect(ctx, cfg.DSN)
	if err != nil {
		return out
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if cfg.Schema != "" {
		if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{cfg.Schema}.Sanitize()); err != nil {
			return out
		}
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if rows.Scan(&v) == nil {
			out[v] = true
		}
	}
	return out
}
