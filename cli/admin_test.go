package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
)

func TestConfigShow(t *testing.T) {
	r := run(t, nil, "config", "--data-dir", "/var/lib/agenttrace")
	require.Equal(t, 0, r.code, r.stderr)
	var conf map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(r.stdout), &conf))
	receivers := conf["receivers"].(map[string]any)
	assert.Contains(t, receivers, "agenttrace")
	assert.Contains(t, receivers, "otlp")
	sqlite := conf["exporters"].(map[string]any)["sqlite"].(map[string]any)
	assert.Equal(t, "/var/lib/agenttrace/agenttrace.db", sqlite["path"], "--data-dir moves the store")

	// --set overrides, --defaults fills in, -o json prints JSON.
	r = run(t, nil, "config", "--defaults", "-o", "json", "--set", "receivers::agenttrace::http::endpoint=127.0.0.1:9999")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &conf))
	agent := conf["receivers"].(map[string]any)["agenttrace"].(map[string]any)
	assert.Equal(t, "127.0.0.1:9999", agent["http"].(map[string]any)["endpoint"])
	assert.Contains(t, agent, "max_content_bytes", "defaults filled in")

	r = run(t, nil, "config", "--set", "no-equals-sign")
	assert.Equal(t, ExitUsage, r.code)
}

func TestConfigValidate(t *testing.T) {
	r := run(t, nil, "config", "validate", filepath.Join("testdata", "collector.yaml"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "testdata/collector.yaml is valid.\n  pipeline traces: agenttrace → tokencost → sqlite\n", r.stdout)

	r = run(t, nil, "config", "validate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "the embedded configuration is valid.")

	r = run(t, nil, "config", "validate", filepath.Join("testdata", "invalid.yaml"))
	assert.Equal(t, ExitError, r.code)
	assert.Contains(t, r.stderr, "testdata/invalid.yaml is not valid")
	assert.Contains(t, r.stderr, "nosuchexporter")

	r = run(t, nil, "config", "validate", "missing.yaml")
	assert.Equal(t, ExitUsage, r.code)
}

func TestMigrateSQLite(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "m.db")
	r := run(t, nil, "migrate", "--storage", dsn)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "to schema version 3:\n  applied 0001_init.sql\n  applied 0002_projects.sql\n  applied 0003_content_refs.sql\n")

	var rep migrationReport
	decode(t, run(t, nil, "migrate", "--storage", dsn, "-o", "json"), &rep)
	assert.Equal(t, 3, rep.Version)
	assert.Empty(t, rep.Applied, "a second run applies nothing")

	r = run(t, nil, "migrate", "--storage", dsn)
	assert.Contains(t, r.stdout, "is up to date at schema version 3")

	r = run(t, nil, "migrate", "--list", "--storage", dsn)
	assert.Equal(t, "Migrations for sqlite:\n  0001_init.sql\n  0002_projects.sql\n  0003_content_refs.sql\n", r.stdout)

	r = run(t, nil, "migrate", "--storage", "mysql://x")
	assert.Equal(t, ExitUsage, r.code)
	r = run(t, nil, "migrate", "--storage", dsn, "--timescaledb", "on")
	assert.Equal(t, ExitUsage, r.code)
}

// TestMigratePostgres runs against the real server when one answers.
func TestMigratePostgres(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	var rep migrationReport
	decode(t, run(t, nil, "migrate", "--storage", dsn, "--schema", schema, "--timescaledb", "auto", "-o", "json"), &rep)
	assert.NotEmpty(t, rep.Applied)
	assert.Equal(t, len(rep.Available), len(rep.Applied))
	assert.Positive(t, rep.Version)

	r := run(t, nil, "migrate", "--storage", dsn, "--schema", schema)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "is up to date")
}

// TestAPICommand runs `agenttrace api` over a seeded SQLite file, reads it
// with the CLI, and stops it.
func TestAPICommand(t *testing.T) {
	seeded := newTestAPI(t) // seeds the file; its own server is not used
	var out, errOut syncBuffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		LookupEnv: func(string) (string, bool) { return "", false }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"api", "--storage", "sqlite://" + seeded.Store.Path(), "--listen", "127.0.0.1:0"}, env)
	}()
	var url string
	require.Eventually(t, func() bool {
		_, rest, ok := strings.Cut(out.String(), "dashboard on ")
		url, _, _ = strings.Cut(rest, " ")
		return ok && url != ""
	}, 10*time.Second, 20*time.Millisecond, "the banner names the address: %s %s", out.String(), errOut.String())
	assert.Contains(t, out.String(), "(store sqlite://"+seeded.Store.Path()+", no API keys)")

	r := run(t, &testAPI{URL: url}, "traces", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var traces []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &traces))
	assert.Len(t, traces, 3)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(15 * time.Second):
		t.Fatal("api did not stop")
	}

	r = run(t, nil, "api", "--storage", "sqlite://x.db", "--listen", "0.0.0.0:0")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, "api keys are required")
	r = run(t, nil, "api", "--storage", "redis://x")
	assert.Equal(t, ExitUsage, r.code)
}

func TestRedactDSN(t *testing.T) {
	assert.Equal(t, "postgres://u:***@db:5432/x", redactDSN("postgres://u:secret@db:5432/x"))
	assert.Equal(t, "postgres://u@db/x", redactDSN("postgres://u@db/x"))
	assert.Equal(t, "sqlite://./a.db", redactDSN("sqlite://./a.db"))
}
