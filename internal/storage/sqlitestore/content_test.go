package sqlitestore

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/storagetest"
)

// BenchmarkWriteFromTraces measures the exporter's path with realistic LLM
// spans: FromTraces then Write, batches of ~2,000 spans (7-span agent
// traces, 2 KB prompts in gen_ai.prompt.0.content). BenchmarkWrite's spans
// do not repeat their prompt in the attributes; these do, as instrumented
// applications send them. It reports the stored attribute JSON and the
// database file (with its WAL) per span.
func BenchmarkWriteFromTraces(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(ctx, path)
	require.NoError(b, err)
	defer s.Close()
	const traces = 2000/7 + 1
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		batch := storage.FromTraces(storagetest.LLMTraces(n, traces, 2048))
		n += traces
		require.NoError(b, s.Write(ctx, batch))
	}
	b.StopTimer()
	spans := float64(n * 7)
	b.ReportMetric(spans/b.Elapsed().Seconds(), "spans/s")
	// Measured through a connection of its own (not the store's).
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(b, err)
	defer db.Close()
	var attrBytes, rows float64
	require.NoError(b, db.QueryRowContext(ctx, `SELECT coalesce(sum(length(CAST(attributes AS BLOB))), 0), count(*) FROM spans`).Scan(&attrBytes, &rows))
	require.Equal(b, spans, rows)
	b.ReportMetric(attrBytes/rows, "attrB/span")
	var size int64
	for _, f := range []string{path, path + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			size += st.Size()
		}
	}
	b.ReportMetric(float64(size)/rows, "fileB/span")
	// The database alone, with the WAL checkpointed into it.
	_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	require.NoError(b, err)
	var pages, pageSize float64
	require.NoError(b, db.QueryRowContext(ctx, `SELECT page_count * 1.0, page_size * 1.0 FROM pragma_page_count, pragma_page_size`).Scan(&pages, &pageSize))
	b.ReportMetric(pages*pageSize/rows, "dbB/span")
}

// An LLM call's 2 KB prompt and its completion are stored once, in their
// columns: the attributes column holds the rest, and reads give back all
// of it.
func TestContentStoredOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "once.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	b := storage.FromTraces(storagetest.LLMTraces(0, 1, 2048))
	require.NoError(t, s.Write(ctx, b))
	llm := b.Spans[1] // spans 2, 3, 5 and 7 of a trace are LLM calls
	require.Len(t, llm.Prompt, 2048)

	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	var stored int
	var refs string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT length(CAST(attributes AS BLOB)), content_refs FROM spans WHERE trace_id = ? AND span_id = ?`,
		llm.TraceID, llm.SpanID).Scan(&stored, &refs))
	assert.Equal(t, "gen_ai.prompt.0.content=prompt@11;gen_ai.completion.0.content=response@13", refs)
	got, err := s.GetSpan(ctx, storage.AllProjects(), llm.TraceID, llm.SpanID)
	require.NoError(t, err)
	t.Logf("attributes: %d bytes stored, %d bytes read", stored, len(got.Attributes))
	assert.Less(t, stored, 1024, "the stored attributes leave the prompt out")
	assert.Greater(t, len(got.Attributes)-stored, 2048, "reads put the prompt and the completion back")
	assert.Contains(t, got.Attributes, `"gen_ai.prompt.0.content":"You are a helpful research agent.`)
}
