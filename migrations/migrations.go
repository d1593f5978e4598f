// Package migrations embeds AgentTrace's versioned SQL migrations, one
// folder per database. Files are named NNNN_description.sql and applied in
// order; each backend records the versions it applied.
//
// PostgreSQL migrations may come in two variants of one version:
// NNNN_name.timescaledb.sql applies when the TimescaleDB extension is
// present, NNNN_name.plain.sql when it is not; files without a variant
// apply to both.
package migrations

import (
	"embed"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql
var sqliteFS embed.FS

//go:embed postgres/*.sql
var postgresFS embed.FS

// Migration is one versioned SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// SQLite returns the SQLite migrations in version order.
func SQLite() ([]Migration, error) { return load(sqliteFS, "sqlite") }

// Postgres returns the PostgreSQL migrations in version order, choosing the
// TimescaleDB or the plain variant of versions that have both.
func Postgres(timescaleDB bool) ([]Migration, error) {
	all, err := load(postgresFS, "postgres")
	if err != nil {
		return nil, err
	}
	skip := ".timescaledb.sql"
	if timescaleDB {
		skip = ".plain.sql"
	}
	out := all[:0]
	for _, m := range all {
		if !strings.HasSuffix(m.Name, skip) {
			out = append(out, m)
		}
	}
	return out, nil
}

func load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, &fs.PathError{Op: "migration", Path: name, Err: fs.ErrInvalid}
		}
		b, err := fs.ReadFile(fsys, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
