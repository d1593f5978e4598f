package timescaledbexporter

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres"
	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

func traceIDOf(n uint64) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[8:], n)
	id[0] = 0xab
	return id
}

func spanIDOf(n uint64) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], n)
	return id
}

// genTraces makes nTraces traces of spansPer spans (a root agent span and
// LLM calls) in session "sess-<trace%4>", numbered from first.
func genTraces(first, nTraces, spansPer int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "loadgen")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("test")
	for tr := first; tr < first+nTraces; tr++ {
		for i := 0; i < spansPer; i++ {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(traceIDOf(uint64(tr)))
			sp.SetSpanID(spanIDOf(uint64(tr)*1000 + uint64(i) + 1))
			start := t0.Add(time.Duration(tr)*time.Millisecond + time.Duration(i)*time.Microsecond)
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(50 * time.Millisecond)))
			a := sp.Attributes()
			a.PutStr(canonical.AttrSessionID, "sess-"+string(rune('a'+tr%4)))
			if i == 0 {
				sp.SetName("agent run")
				a.PutStr(canonical.AttrSpanType, string(canonical.TypeAgent))
				continue
			}
			sp.SetParentSpanID(spanIDOf(uint64(tr)*1000 + 1))
			sp.SetName("chat")
			a.PutStr(canonical.AttrSpanType, string(canonical.TypeLLMCall))
			a.PutStr(canonical.GenAIRequestModel, "gpt-4o")
			a.PutStr(canonical.AttrPrompt, "hello")
			canonical.PutTokens(a, canonical.Tokens{Input: 10, Output: 5})
			canonical.PutCost(a, canonical.Cost{Total: 0.001, Status: canonical.CostStatusPriced})
		}
	}
	return td
}

func testConfig(t *testing.T) *Config {
	dsn, schema := postgrestest.Schema(t)
	cfg := createDefaultConfig().(*Config)
	cfg.DSN = configopaque.String(dsn)
	cfg.Schema = schema
	return cfg
}

func openStore(t *testing.T, cfg *Config) *postgres.Store {
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: string(cfg.DSN), Schema: cfg.Schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestFactoryDoesNoIO(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DSN = "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NotNil(t, exp)
	// Start with the database down succeeds; pushes fail retryably.
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.Shutdown(context.Background()))

	// Our shutdown is nil-safe and idempotent (exporterhelper's own
	// Shutdown must be called once).
	var nilExp *tsExporter
	require.NoError(t, nilExp.shutdown(context.Background()))
	e, err := newExporter(cfg, exportertest.NewNopSettings(Type))
	require.NoError(t, err)
	require.NoError(t, e.shutdown(context.Background()))
	require.NoError(t, e.shutdown(context.Background()))
}

func TestDownDatabaseIsRetryable(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DSN = "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"
	e, err := newExporter(cfg, exportertest.NewNopSettings(Type))
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	err = e.push(context.Background(), genTraces(1, 1, 2))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "a down database must be retried: %v", err)
	require.NoError(t, e.shutdown(context.Background()))
}

func TestExportStoresSpans(t *testing.T) {
	cfg := testConfig(t)
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	td := genTraces(1, 20, 5)
	require.NoError(t, exp.ConsumeTraces(context.Background(), td))
	require.NoError(t, exp.ConsumeTraces(context.Background(), td), "a replayed batch is idempotent")
	require.NoError(t, exp.Shutdown(context.Background()))

	s := openStore(t, cfg)
	sum, err := s.Summary(context.Background(), storage.AllProjects(), storage.TimeRange{})
	require.NoError(t, err)
	assert.Equal(t, int64(100), sum.Spans)
	assert.Equal(t, int64(20), sum.Traces)
	assert.Equal(t, int64(80), sum.LLMCalls)
	assert.InDelta(t, 0.08, sum.CostUSD, 1e-9)
	tr, err := s.GetTrace(context.Background(), storage.AllProjects(), traceIDOf(3).String())
	require.NoError(t, err)
	assert.Equal(t, int64(5), tr.SpanCount)
	assert.Equal(t, canonical.StatusOK, tr.Status)
}

func TestBadTextAndTimesAreRepaired(t *testing.T) {
	cfg := testConfig(t)
	set := exportertest.NewNopSettings(Type)
	reader := sdkmetric.NewManualReader()
	set.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	e, err := newExporter(cfg, set)
	require.NoError(t, err)
	e.now = func() time.Time { return t0.Add(time.Hour) }
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	defer e.shutdown(context.Background()) //nolint:errcheck

	td := genTraces(1, 1, 4)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	spans.At(1).SetName("bad\xffname\x00")
	spans.At(1).Attributes().PutStr("note", "nul\x00inside")
	spans.At(2).SetStartTimestamp(0) // start unusable, end fine: start := end
	spans.At(3).SetStartTimestamp(0)
	spans.At(3).SetEndTimestamp(pcommon.NewTimestampFromTime(t0.AddDate(300, 0, 0))) // nothing usable: rejected
	require.NoError(t, e.push(context.Background(), td))

	s := openStore(t, cfg)
	all, err := s.TraceSpans(context.Background(), storage.AllProjects(), traceIDOf(1).String())
	require.NoError(t, err)
	require.Len(t, all, 3)
	byID := map[string]storage.Span{}
	for _, sp := range all {
		byID[sp.SpanID] = sp
	}
	bad := byID[spanIDOf(1002).String()]
	assert.Equal(t, "bad\uFFFDname\uFFFD", bad.Name)
	assert.Contains(t, bad.Attributes, "nul\uFFFDinside")
	clamped := byID[spanIDOf(1003).String()]
	assert.Equal(t, clamped.EndUnixNano, clamped.StartUnixNano)
	assert.Greater(t, clamped.StartUnixNano, int64(0))

	// Every repair and rejection is counted with its reason.
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				reason, _ := dp.Attributes.Value("reason")
				got[m.Name+"/"+reason.AsString()] += dp.Value
			}
		}
	}
	assert.Equal(t, map[string]int64{
		"agenttrace.timescaledb.rejected_spans/timestamp_out_of_range": 1,
		"agenttrace.timescaledb.repaired_values/timestamp_clamped":     1,
		"agenttrace.timescaledb.repaired_values/text_sanitized":        2, // name and attributes
	}, got)
}

// A span the database rejects on its own must not hold back the rest of
// its batch, and must not be retried.
func TestPoisonSpanIsIsolated(t *testing.T) {
	cfg := testConfig(t)
	e, err := newExporter(cfg, exportertest.NewNopSettings(Type))
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	defer e.shutdown(context.Background()) //nolint:errcheck
	s, err := e.connect(context.Background())
	require.NoError(t, err)

	b := storage.FromTraces(genTraces(1, 10, 3))
	b.Spans[7].Attributes = `{"not json` // what no conversion should produce
	stored, err := e.write(context.Background(), s, b)
	require.NoError(t, err)
	assert.Equal(t, 29, stored)
	sum, err := s.Summary(context.Background(), storage.AllProjects(), storage.TimeRange{})
	require.NoError(t, err)
	assert.Equal(t, int64(29), sum.Spans)

	// A batch of nothing but poison stores nothing and asks for no retry.
	stored, err = e.write(context.Background(), s, storage.Batch{Spans: b.Spans[7:8]})
	require.NoError(t, err)
	assert.Zero(t, stored)
}

func TestClampTimes(t *testing.T) {
	now := t0
	mk := func(start, end int64) storage.Span {
		var s storage.Span
		s.StartUnixNano, s.EndUnixNano = start, end
		return s
	}
	ok := t0.Add(-time.Minute).UnixNano()
	future := t0.Add(2 * time.Hour).UnixNano()
	b := storage.Batch{Spans: []storage.Span{
		mk(ok, ok+10), mk(0, ok), mk(future, ok), mk(ok, future), mk(ok, ok-5), mk(0, 0), mk(future, future), mk(ok, 0),
	}, Sessions: []storage.SessionEvent{{SessionID: "s", TimeUnixNano: 0}}}
	clamped, rejected := clampTimes(&b, now, time.Hour)
	assert.Equal(t, 5, clamped)
	assert.Equal(t, 2, rejected)
	require.Len(t, b.Spans, 6)
	assert.Equal(t, [2]int64{ok, ok + 10}, [2]int64{b.Spans[0].StartUnixNano, b.Spans[0].EndUnixNano})
	assert.Equal(t, [2]int64{ok, ok}, [2]int64{b.Spans[1].StartUnixNano, b.Spans[1].EndUnixNano})
	assert.Equal(t, [2]int64{ok, ok}, [2]int64{b.Spans[2].StartUnixNano, b.Spans[2].EndUnixNano})
	assert.Equal(t, [2]int64{ok, ok}, [2]int64{b.Spans[3].StartUnixNano, b.Spans[3].EndUnixNano})
	assert.Equal(t, [2]int64{ok, ok}, [2]int64{b.Spans[4].StartUnixNano, b.Spans[4].EndUnixNano})
	assert.Equal(t, [2]int64{ok, 0}, [2]int64{b.Spans[5].StartUnixNano, b.Spans[5].EndUnixNano}, "running spans keep end 0")
	assert.Equal(t, now.UnixNano(), b.Sessions[0].TimeUnixNano)
}
