package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres"
	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
	"github.com/agenttrace/agenttrace/migrations"
)

func span(trace, id, parent string, typ canonical.SpanType, start time.Time, dur time.Duration, st canonical.Status) storage.Span {
	var s storage.Span
	s.TraceID, s.SpanID, s.ParentSpanID = trace, id, parent
	s.Name, s.Type, s.Status = "s-"+id, typ, st
	s.StartUnixNano = start.UnixNano()
	if st != canonical.StatusRunning {
		s.EndUnixNano = start.Add(dur).UnixNano()
	}
	s.ChainStep, s.ChainDepth = -1, -1
	s.Attributes, s.Resource, s.Events = "{}", "{}", "[]"
	return s
}

const tr1 = "0af7651916cd43dd8448eb211c80319c"

func TestMigrationsIdempotent(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		s, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Schema: schema})
		require.NoError(t, err, "open %d", i)
		assert.False(t, s.TimescaleDB(), "no TimescaleDB on this server")
		var names []string
		rows, err := s.Pool().Query(ctx, "SELECT name FROM schema_migrations ORDER BY version")
		require.NoError(t, err)
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			names = append(names, n)
		}
		require.NoError(t, rows.Err())
		assert.Equal(t, []string{"0001_init.sql", "0002_rollups.plain.sql", "0003_projects.plain.sql", "0004_content_refs.sql", "0005_lz4_content.sql"}, names)
		// This server has lz4 (Debian's PostgreSQL 15): the big text columns use it.
		var lz4, compression string
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT coalesce((SELECT 'yes' FROM pg_settings
			WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)), 'no')`).Scan(&lz4))
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT attcompression::text FROM pg_attribute
			WHERE attrelid = 'spans'::regclass AND attname = 'prompt'`).Scan(&compression))
		if lz4 == "yes" {
			assert.Equal(t, "l", compression, "prompt is lz4-compressed")
		}
		require.NoError(t, s.Close())
	}
	// Requiring TimescaleDB on a plain schema fails loudly.
	_, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Schema: schema, Timescale: postgres.TimescaleOn})
	assert.Error(t, err)
}

func TestTimescaleOnWithoutExtensionFails(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	_, err := postgres.Open(context.Background(), postgres.Config{DSN: dsn, Schema: schema, Timescale: postgres.TimescaleOn})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timescale")
}

// The plain-PostgreSQL rollup must equal the raw aggregate after inserts,
// replacements and deletes.
func TestRollupMatchesSpans(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	base := time.Date(2025, 5, 1, 10, 59, 0, 0, time.UTC)
	var b storage.Batch
	b.Sessions = []storage.SessionEvent{{SessionID: "rs", Start: true, Name: "r", TimeUnixNano: base.UnixNano()}}
	for i := 0; i < 40; i++ {
		sp := span(tr1, spanHex(i), "", canonical.TypeLLMCall, base.Add(time.Duration(i)*5*time.Second), time.Second, canonical.StatusRunning)
		sp.SessionID, sp.Model, sp.AgentName = "rs", []string{"a", "b"}[i%2], "ag"
		b.Spans = append(b.Spans, sp)
	}
	require.NoError(t, s.Write(ctx, b))
	// Final versions of half of them, with tokens and cost; some fail.
	var fin storage.Batch
	for i := 0; i < 40; i += 2 {
		sp := b.Spans[i]
		sp.Status, sp.EndUnixNano = canonical.StatusOK, sp.StartUnixNano+int64(time.Second)
		if i%4 == 0 {
			sp.Status = canonical.StatusError
		}
		sp.Tokens = canonical.Tokens{Input: 10, Output: int64(i), Present: true}
		sp.Cost = canonical.Cost{Total: 0.001, Status: canonical.CostStatusPriced}
		fin.Spans = append(fin.Spans, sp)
	}
	require.NoError(t, s.Write(ctx, fin))
	require.NoError(t, s.Write(ctx, fin))
	checkRollup(t, s)
	require.NoError(t, s.DeleteSession(ctx, storage.AllProjects(), "rs"))
	checkRollup(t, s)
}

func checkRollup(t *testing.T, s *postgres.Store) {
	t.Helper()
	const agg = `SELECT coalesce(sum(spans),0)::bigint, coalesce(sum(errors),0)::bigint, coalesce(sum(finished),0)::bigint,
		coalesce(sum(duration_sum_ns),0)::bigint, coalesce(sum(tokens_output),0)::bigint, coalesce(sum(cost_usd),0)::float8 FROM span_metrics_hourly`
	const raw = `SELECT count(*), count(*) FILTER (WHERE status IN ('error','timeout')), count(duration_ns),
		coalesce(sum(duration_ns),0)::bigint, coalesce(sum(tokens_output),0)::bigint,
		coalesce(sum(cost_usd) FILTER (WHERE cost_status IN ('priced','estimated')),0)::float8 FROM spans`
	var a, r [5]int64
	var ac, rc float64
	ctx := context.Background()
	require.NoError(t, s.Pool().QueryRow(ctx, agg).Scan(&a[0], &a[1], &a[2], &a[3], &a[4], &ac))
	require.NoError(t, s.Pool().QueryRow(ctx, raw).Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &rc))
	assert.Equal(t, r, a, "rollup sums (spans, errors, finished, duration, output tokens)")
	assert.InDelta(t, rc, ac, 1e-9)
}

func spanHex(i int) string { return fmt.Sprintf("%016x", i+1) }

func TestSanitizesText(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	sp := span(tr1, "00000000000000a1", "", canonical.TypeToolExecution, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), time.Second, canonical.StatusOK)
	sp.SessionID = "sess\x00ion"
	sp.Name = "bad\xffname"
	sp.ToolOutput = "nul\x00byte"
	sp.Tags = []string{"ok", "t\x00ag"}
	sp.Attributes = `{"k":"v\u0000w","bad":"` + "\xfe" + `"}`
	batch := storage.Batch{Spans: []storage.Span{sp},
		Sessions: []storage.SessionEvent{{SessionID: "sess\x00ion", Start: true, Name: "n\x00", Metadata: map[string]string{"k\x00": "v"}}}}
	require.NoError(t, s.Write(ctx, batch))
	assert.Equal(t, "bad\xffname", batch.Spans[0].Name, "caller's batch untouched")
	assert.Equal(t, "t\x00ag", batch.Spans[0].Tags[1])
	assert.Equal(t, "n\x00", batch.Sessions[0].Name)
	got, err := s.GetSpan(ctx, storage.AllProjects(), tr1, "00000000000000a1")
	require.NoError(t, err)
	assert.Equal(t, "bad\uFFFDname", got.Name)
	assert.Equal(t, "nul\uFFFDbyte", got.ToolOutput)
	assert.Equal(t, "sess\uFFFDion", got.SessionID)
	assert.Equal(t, []string{"ok", "t\uFFFDag"}, got.Tags)
	assert.JSONEq(t, `{"k":"v\ufffdw","bad":"\ufffd"}`, got.Attributes)
	sess, err := s.GetSession(ctx, storage.AllProjects(), "sess\uFFFDion")
	require.NoError(t, err)
	assert.Equal(t, "n\uFFFD", sess.Name)
	assert.Equal(t, map[string]string{"k\uFFFD": "v"}, sess.Metadata)
	assert.Equal(t, int64(8), s.Sanitized())
}

func TestBadDataIsPermanent(t *testing.T) {
	s := open(t)
	sp := span(tr1, "00000000000000a1", "", canonical.TypeCustom, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), time.Second, canonical.StatusOK)
	sp.Attributes = `{"truncated":`
	err := s.Write(context.Background(), storage.Batch{Spans: []storage.Span{sp}})
	require.Error(t, err)
	assert.True(t, postgres.IsPermanent(err), "invalid JSON is a data error: %v", err)
	// Nothing of the failed batch was stored.
	_, err = s.GetTrace(context.Background(), storage.AllProjects(), tr1)
	assert.ErrorIs(t, err, storage.ErrNotFound)
}

func TestClosedPoolIsNotPermanent(t *testing.T) {
	s := open(t)
	require.NoError(t, s.Close())
	sp := span(tr1, "00000000000000a1", "", canonical.TypeCustom, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), time.Second, canonical.StatusOK)
	err := s.Write(context.Background(), storage.Batch{Spans: []storage.Span{sp}})
	require.Error(t, err)
	assert.False(t, postgres.IsPermanent(err))
}

func TestRetentionPlain(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Schema: schema, Retention: 24 * time.Hour})
	require.NoError(t, err)
	defer s.Close()
	now := time.Date(2025, 5, 10, 0, 0, 0, 0, time.UTC)
	old := span(tr1, "00000000000000a1", "", canonical.TypeCustom, now.Add(-48*time.Hour), time.Second, canonical.StatusOK)
	fresh := span(tr1, "00000000000000a2", "00000000000000a1", canonical.TypeCustom, now.Add(-time.Hour), time.Second, canonical.StatusOK)
	require.NoError(t, s.Write(ctx, storage.Batch{Spans: []storage.Span{old, fresh}}))
	n, err := s.EnforceRetention(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	spans, err := s.TraceSpans(ctx, storage.AllProjects(), tr1)
	require.NoError(t, err)
	require.Len(t, spans, 1)
	assert.Equal(t, "00000000000000a2", spans[0].SpanID)
	tr, err := s.GetTrace(ctx, storage.AllProjects(), tr1)
	require.NoError(t, err)
	assert.Equal(t, int64(2), tr.SpanCount, "summaries outlive raw-span retention")
}

// A schema at version 2 (no projects) with data upgrades in place: rows
// move to the default project, the rollup keeps its totals under it, and
// another project can then reuse the ids without touching them.
func TestUpgradeFromVersion2(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	ctx := context.Background()
	ms, err := migrations.Postgres(false)
	require.NoError(t, err)
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.RuntimeParams["search_path"] = schema
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	for _, m := range ms[:2] {
		_, err = conn.Exec(ctx, m.SQL)
		require.NoError(t, err, m.Name)
		_, err = conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
		require.NoError(t, err)
	}
	_, err = conn.Exec(ctx, `
		INSERT INTO spans (trace_id, span_id, start_time, session_id, name, type, status, start_ns, end_ns, model, cost_usd, cost_status)
		  VALUES ('t1', 's1', to_timestamp(1741165200), 'sess', 'old', 'llm_call', 'ok', 1741165200000000000, 1741165201000000000, 'm', 0.25, 'priced');
		INSERT INTO traces (trace_id, root_span_id, root_name, root_status, session_id, start_ns, end_ns, span_count, cost_usd, priced_spans)
		  VALUES ('t1', 's1', 'old', 'ok', 'sess', 1741165200000000000, 1741165201000000000, 1, 0.25, 1);
		INSERT INTO sessions (session_id, name, start_ns, span_count) VALUES ('sess', 'old session', 1741165200000000000, 1);
		INSERT INTO span_metrics_hourly (bucket, type, model, provider, agent_name, spans, cost_usd, priced_spans)
		  VALUES (to_timestamp(1741165200), 'llm_call', 'm', '', '', 1, 0.25, 1);`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	s, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Schema: schema})
	require.NoError(t, err)
	defer s.Close()
	def := storage.ProjectScope(canonical.DefaultProject)
	sp, err := s.GetSpan(ctx, def, "t1", "s1")
	require.NoError(t, err)
	assert.Equal(t, canonical.DefaultProject, sp.Project)
	tr, err := s.GetTrace(ctx, def, "t1")
	require.NoError(t, err)
	assert.Equal(t, "old", tr.RootName)
	sess, err := s.GetSession(ctx, def, "sess")
	require.NoError(t, err)
	assert.Equal(t, "old session", sess.Name)
	rows, err := s.CostBreakdown(ctx, def, storage.TimeRange{}, storage.GroupModel)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.InDelta(t, 0.25, rows[0].CostUSD, 1e-9, "the rollup's old rows are the default project's")

	other := span("t1", "s1", "", canonical.TypeLLMCall, time.Unix(1741165200, 0), time.Second, canonical.StatusOK)
	other.Project, other.Name = "other", "new"
	require.NoError(t, s.Write(ctx, storage.Batch{Spans: []storage.Span{other}}))
	sp, err = s.GetSpan(ctx, def, "t1", "s1")
	require.NoError(t, err)
	assert.Equal(t, "old", sp.Name)
	rows, err = s.CostBreakdown(ctx, storage.ProjectScope("other"), storage.TimeRange{}, storage.GroupModel)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, int64(1), rows[0].Spans)
}
