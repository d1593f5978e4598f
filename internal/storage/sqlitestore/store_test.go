package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/storagetest"
	"github.com/agenttrace/agenttrace/internal/testenv"
	"github.com/agenttrace/agenttrace/migrations"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "agenttrace.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func span(trace, id, parent string, st canonical.Status, start, end int64) storage.Span {
	var s storage.Span
	s.TraceID, s.SpanID, s.ParentSpanID = trace, id, parent
	s.Name, s.Type, s.Status = "step-"+id, canonical.TypeLLMCall, st
	s.StartUnixNano, s.EndUnixNano = start, end
	s.SessionID = "sess-1"
	s.Model = "gpt-4o"
	s.Tokens = canonical.Tokens{Input: 100, Output: 10, Present: true}
	s.Cost = canonical.Cost{Total: 0.5, Status: canonical.CostStatusPriced}
	s.ChainStep, s.ChainDepth = -1, -1
	return s
}

// A running span replaced by its final version, written twice, counts once.
func TestReplaceRunningIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	const tr = "0123456789abcdef0123456789abcdef"
	run := span(tr, "00000000000000a1", "", canonical.StatusRunning, 1000, 0)
	run.Tokens, run.Cost = canonical.Tokens{}, canonical.Cost{}
	require.NoError(t, s.Write(ctx, storage.Batch{Spans: []storage.Span{run}}))
	got, err := s.GetTrace(ctx, storage.AllProjects(), tr)
	require.NoError(t, err)
	require.Equal(t, canonical.StatusRunning, got.Status)

	final := span(tr, "00000000000000a1", "", canonical.StatusOK, 1000, 5000)
	for i := 0; i < 2; i++ {
		require.NoError(t, s.Write(ctx, storage.Batch{Spans: []storage.Span{final}}))
	}
	// A late start event must not replace the finished span.
	require.NoError(t, s.Write(ctx, storage.Batch{Spans: []storage.Span{run}}))
	got, err = s.GetTrace(ctx, storage.AllProjects(), tr)
	require.NoError(t, err)
	require.Equal(t, canonical.StatusOK, got.Status)
	require.EqualValues(t, 1, got.SpanCount)
	require.EqualValues(t, 110, got.Tokens.Total())
	require.InDelta(t, 0.5, got.CostUSD, 1e-12)
	require.EqualValues(t, 4000, got.DurationNanos)

	sess, err := s.GetSession(ctx, storage.AllProjects(), "sess-1")
	require.NoError(t, err)
	require.EqualValues(t, 1, sess.SpanCount)
	require.EqualValues(t, 1, sess.TraceCount)
	require.InDelta(t, 0.5, sess.CostUSD, 1e-12)

	spans, err := s.TraceSpans(ctx, storage.AllProjects(), tr)
	require.NoError(t, err)
	require.Len(t, spans, 1)
	require.Equal(t, canonical.StatusOK, spans[0].Status)
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "conformance.db"))
		require.NoError(t, err)
		return s
	})
}

// BenchmarkWrite measures the embedded store's write path: batches of 2,000
// spans (7-span traces, 2 KB prompts), as the exporter's queue delivers them.
func BenchmarkWrite(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	defer s.Close()
	prompt := strings.Repeat("You are a helpful research agent. ", 60)
	const batchSize = 2000
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		batch := storage.Batch{Spans: make([]storage.Span, batchSize)}
		for i := range batch.Spans {
			tr := fmt.Sprintf("%032x", (n+i)/7+1)
			sp := span(tr, fmt.Sprintf("%016x", (n+i)%7+1), "", canonical.StatusOK, int64(n+i)*1000+1, int64(n+i)*1000+900)
			if (n+i)%7 != 0 {
				sp.ParentSpanID = fmt.Sprintf("%016x", 1)
			}
			sp.Prompt = prompt
			sp.Attributes = `{"gen_ai.request.model":"gpt-4o","agenttrace.span.type":"llm_call"}`
			batch.Spans[i] = sp
		}
		n += batchSize
		require.NoError(b, s.Write(context.Background(), batch))
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "spans/s")
}

// A file written by schema version 1 (no projects) upgrades in place: its
// rows move to the default project, keep their seq, and a new project can
// then reuse their ids without touching them.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	ms, err := migrations.SQLite()
	require.NoError(t, err)
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, ms[0].SQL)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
		INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 'x');
		INSERT INTO spans (seq, trace_id, span_id, session_id, name, type, status, start_ns, end_ns, cost_usd, cost_status)
		  VALUES (41, 't1', 's1', 'sess', 'old', 'llm_call', 'ok', 100, 200, 0.25, 'priced');
		INSERT INTO traces (trace_id, root_span_id, root_name, root_status, session_id, start_ns, end_ns, span_count, cost_usd, priced_spans)
		  VALUES ('t1', 's1', 'old', 'ok', 'sess', 100, 200, 1, 0.25, 1);
		INSERT INTO sessions (session_id, name, start_ns, status, span_count, trace_count) VALUES ('sess', 'old session', 100, 'running', 1, 1);`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, v)
	def := storage.ProjectScope(canonical.DefaultProject)
	sp, err := s.GetSpan(ctx, def, "t1", "s1")
	require.NoError(t, err)
	require.Equal(t, int64(41), sp.Seq)
	require.Equal(t, canonical.DefaultProject, sp.Project)
	tr, err := s.GetTrace(ctx, def, "t1")
	require.NoError(t, err)
	require.Equal(t, "old", tr.RootName)
	sess, err := s.GetSession(ctx, def, "sess")
	require.NoError(t, err)
	require.Equal(t, "old session", sess.Name)

	other := span("t1", "s1", "", canonical.StatusOK, 100, 300)
	other.Project, other.Name = "other", "new"
	require.NoError(t, s.Write(ctx, storage.Batch{Spans: []storage.Span{other}}))
	sp, err = s.GetSpan(ctx, def, "t1", "s1")
	require.NoError(t, err)
	require.Equal(t, "old", sp.Name, "another project's span with the same ids left the old row alone")
	got, err := s.GetSpan(ctx, storage.ProjectScope("other"), "t1", "s1")
	require.NoError(t, err)
	require.Greater(t, got.Seq, int64(41), "seq keeps increasing across the rebuild")
}

// The writer never checkpoints in its commit (the checkpointer does, beside
// it), yet a writer that never pauses must not grow the write-ahead log
// without bound: passive checkpoints alone never let the log start over.
// 40 back-to-back 2,000-span transactions append ~200 MB to the log; it
// has to stay near walResetFrames pages plus one transaction.
func TestWALBoundedUnderContinuousWrites(t *testing.T) {
	testenv.SkipIfShort(t, "writes ~200 MB")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	prompt := strings.Repeat("You are a helpful research agent. ", 75)
	var maxWAL int64
	n := 0
	for range 40 {
		batch := storage.Batch{Spans: make([]storage.Span, 2000)}
		for i := range batch.Spans {
			sp := span(fmt.Sprintf("%032x", n/7+1), fmt.Sprintf("%016x", n%7+1), "", canonical.StatusOK, int64(n)*1000+1, int64(n)*1000+900)
			sp.Prompt = prompt
			batch.Spans[i] = sp
			n++
		}
		require.NoError(t, s.Write(ctx, batch))
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
	}
	t.Logf("largest write-ahead log: %.1f MB for %d spans", float64(maxWAL)/1e6, n)
	require.Less(t, maxWAL, int64(48<<20), "the log started over: checkpoints caught up")
	got, err := s.QuerySpans(ctx, storage.ProjectScope(canonical.DefaultProject), storage.SpanQuery{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, got.Items)
}
