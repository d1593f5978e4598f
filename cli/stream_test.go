package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSpansStream writes spans into the store while `spans stream` runs
// and expects the running span, then its final version, then nothing that
// the filter excludes.
func TestSpansStream(t *testing.T) {
	api := newTestAPI(t)
	for i, output := range []string{"table", "json"} {
		t.Run(output, func(t *testing.T) {
			trace := 9 + i
			var out, errOut syncBuffer
			env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
				LookupEnv: func(string) (string, bool) { return "", false }}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan int, 1)
			// Resume after what is stored now, so the spans written below
			// arrive however long the connection takes.
			var stored []struct {
				Seq int64 `json:"seq"`
			}
			decode(t, run(t, api, "spans", "query", "--limit", "1000", "-o", "json"), &stored)
			var last int64
			for _, s := range stored {
				last = max(last, s.Seq)
			}
			go func() {
				done <- Main(ctx, []string{"--api", api.URL, "-o", output, "spans", "stream", "--session", "live",
					"--count", "2", "--after-seq", strconv.FormatInt(last, 10)}, env)
			}()
			start := time.Now()
			running := span(trace, 0x90, 0, canonical.TypeLLMCall, "streamed call", start, 0, canonical.StatusRunning)
			running = in(running, "live", "streamer")
			other := in(span(trace, 0x91, 0, canonical.TypeTask, "other session", start, time.Second, canonical.StatusOK), "elsewhere", "x")
			write := func(s storage.Span) {
				require.NoError(t, api.Store.Write(context.Background(), storage.Batch{Spans: []storage.Span{s}}))
			}
			write(other)
			write(running)
			// The store replaces a running span by its final version, so
			// the final one is written once the running one was streamed.
			require.Eventually(t, func() bool { return strings.Contains(out.String(), "streamed call") },
				10*time.Second, 10*time.Millisecond)
			final := llm(running, "gpt-4o", "openai", canonical.Tokens{Input: 10, Output: 5}, priced(0.001))
			final.Status, final.EndUnixNano = canonical.StatusOK, start.Add(1500*time.Millisecond).UnixNano()
			write(final)
			select {
			case code := <-done:
				require.Equal(t, 0, code, errOut.String())
			case <-ctx.Done():
				t.Fatalf("stream did not stop after --count 2: %s", out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			require.Len(t, lines, 2, out.String())
			if output == "json" {
				var first, second map[string]any
				require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
				require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
				assert.Equal(t, "running", first["status"])
				assert.Equal(t, "ok", second["status"])
				assert.InDelta(t, 0.001, second["cost_usd"], 1e-9)
				return
			}
			assert.Contains(t, lines[0], "… running")
			assert.Contains(t, lines[1], "✓ ok")
			assert.Contains(t, lines[1], "1.50s")
			assert.Contains(t, lines[1], "$0.0010")
			assert.NotContains(t, out.String(), "other session")
		})
	}
}

func TestExport(t *testing.T) {
	api := newTestAPI(t)
	dir := t.TempDir()

	file := filepath.Join(dir, "spans.ndjson")
	r := run(t, api, "export", "--format", "ndjson", "--file", file)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "Exported 11 spans")
	lines := readLines(t, file)
	require.Len(t, lines, 11)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &s))
	assert.NotEmpty(t, s["span_id"])

	r = run(t, api, "export", "traces", "--format", "json", "--status", "error", "--file", filepath.Join(dir, "traces.json"))
	require.Equal(t, 0, r.code, r.stderr)
	var traces []map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "traces.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &traces))
	require.Len(t, traces, 2, "the failed and the timed-out trace")
	assert.Equal(t, trFix, traces[0]["trace_id"])
	assert.Equal(t, trSummarize, traces[1]["trace_id"])

	r = run(t, api, "export", "spans", "--format", "csv", "--trace", trResearch, "--file", filepath.Join(dir, "spans.csv"))
	require.Equal(t, 0, r.code, r.stderr)
	f, err := os.Open(filepath.Join(dir, "spans.csv"))
	require.NoError(t, err)
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	assert.Len(t, records, 6, "a header and 5 spans")

	r = run(t, api, "export", "--format", "parquet", "--file", filepath.Join(dir, "spans.parquet"))
	require.Equal(t, 0, r.code, r.stderr)
	b, err = os.ReadFile(filepath.Join(dir, "spans.parquet"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("PAR1")) && bytes.HasSuffix(b, []byte("PAR1")), "a Parquet file")

	// The progress bar, forced on a non-terminal, ends at 100 %.
	r = run(t, api, "export", "--progress", "--file", filepath.Join(dir, "progress.ndjson"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "100%  11/11 rows")

	// An existing file is kept unless --yes.
	r = run(t, api, "export", "--file", file)
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, "exists; pass --yes")
	r = run(t, api, "export", "--file", file, "--limit", "2", "--yes")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, readLines(t, file), 2)

	// Standard output.
	r = run(t, api, "export", "traces", "--file", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 3)

	r = run(t, api, "export", "traces", "--type", "llm_call", "--file", "-")
	assert.Equal(t, ExitUsage, r.code)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	require.NoError(t, sc.Err())
	return out
}
