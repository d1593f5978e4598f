// Package postgrestest gives tests a fresh PostgreSQL schema on the real
// server. Outside CI an unreachable server skips the test; with CI=true it
// fails it, so a broken CI database is never mistaken for a green run.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agenttrace/agenttrace/internal/testenv"
)

// DefaultDSN is the local test server (trust auth).
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DSN returns the test server's DSN (env AGENTTRACE_TEST_POSTGRES_DSN or
// DefaultDSN) after checking that it answers.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("AGENTTRACE_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = DefaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL unreachable at %s: %v", dsn, err)
	}
	return dsn
}

// Schema returns the DSN and the name of a new, empty schema that is
// dropped (with everything in it) when the test ends.
func Schema(t testing.TB) (dsn, schema string) {
	t.Helper()
	dsn = DSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "agenttrace_test_" + hex.EncodeToString(b[:])
	exec(t, dsn, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, dsn, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	return dsn, schema
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("postgrestest: connect: %v", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Errorf("postgrestest: %s: %v", sql, err)
	}
}
