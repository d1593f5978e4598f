// Command rawcopy is the PostgreSQL peer of the benchmark: it reads the
// spans AgentTrace's timescaledb exporter stored, and writes the same rows
// into an identical, empty table (same columns and indexes) with a plain
// pgx CopyFrom loop — no conversion, no summaries, no transaction logic.
// Only the COPY calls are timed. It prints shell KEY=value lines.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL DSN")
	from := flag.String("from-schema", "public", "schema holding the stored spans")
	batch := flag.Int("batch", 2000, "rows per CopyFrom (the exporter's sending_queue batch)")
	out := flag.String("out", "", "write KEY=value results here too")
	flag.Parse()
	if err := run(*dsn, *from, *batch, *out); err != nil {
		log.Fatal("rawcopy: ", err)
	}
}

func run(dsn, from string, batch int, out string) error {
	ctx := context.Background()
	src, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer src.Close(ctx)
	dst, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer dst.Close(ctx)

	target := fmt.Sprintf("rawcopy_%d", time.Now().UnixNano())
	fromTable := pgx.Identifier{from, "spans"}.Sanitize()
	toTable := pgx.Identifier{target, "spans"}
	if _, err := dst.Exec(ctx, "CREATE SCHEMA "+target+"; CREATE TABLE "+toTable.Sanitize()+
		" (LIKE "+fromTable+" INCLUDING ALL)"); err != nil {
		return fmt.Errorf("create the copy table: %w", err)
	}
	defer dst.Exec(context.Background(), "DROP SCHEMA "+target+" CASCADE") //nolint:errcheck

	// Column list in table order; jsonb read as text (the exporter also
	// hands PostgreSQL JSON text).
	rows, err := src.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'spans' ORDER BY ordinal_position`, from)
	if err != nil {
		return err
	}
	var cols, sel []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return err
		}
		cols = append(cols, name)
		if typ == "jsonb" {
			sel = append(sel, pgx.Identifier{name}.Sanitize()+"::text")
		} else {
			sel = append(sel, pgx.Identifier{name}.Sanitize())
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(cols) == 0 {
		return fmt.Errorf("no table %s", fromTable)
	}

	data, err := src.Query(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+fromTable+" ORDER BY seq")
	if err != nil {
		return err
	}
	defer data.Close()
	var (
		buf    [][]any
		copied int64
		spent  time.Duration
	)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		t0 := time.Now()
		n, err := dst.CopyFrom(ctx, toTable, cols, pgx.CopyFromRows(buf))
		spent += time.Since(t0)
		copied += n
		buf = buf[:0]
		return err
	}
	for data.Next() {
		v, err := data.Values()
		if err != nil {
			return err
		}
		for i, x := range v {
			if arr, ok := x.([]any); ok { // text[] decodes as []any
				s := make([]string, len(arr))
				for j, e := range arr {
					s[j], _ = e.(string)
				}
				v[i] = s
			}
		}
		buf = append(buf, v)
		if len(buf) == batch {
			if err := flush(); err != nil {
				return fmt.Errorf("copy: %w", err)
			}
		}
	}
	if err := data.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	rate := 0.0
	if spent > 0 {
		rate = float64(copied) / spent.Seconds()
	}
	res := fmt.Sprintf("RAW_ROWS=%d\nRAW_SECONDS=%.3f\nRAW_SPANS_PER_S=%.0f\n", copied, spent.Seconds(), rate)
	fmt.Printf("rawcopy: %d rows in %d-row CopyFrom batches: %.3f s of COPY, %.0f rows/s\n", copied, batch, spent.Seconds(), rate)
	if out != "" {
		return os.WriteFile(out, []byte(res), 0o644)
	}
	return nil
}
