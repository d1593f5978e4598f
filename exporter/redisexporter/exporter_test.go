package redisexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/live"
	"github.com/agenttrace/agenttrace/internal/live/livetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// genTraces makes n LLM spans of model gpt-4o, agent "bot", session "s1"
// (10 input tokens, $0.001 each), plus a session start marker.
func genTraces(first, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	start := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{1, byte(i >> 8), byte(i)})
		sp.SetSpanID(pcommon.SpanID{1, byte(i >> 16), byte(i >> 8), byte(i)})
		sp.SetName("chat")
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
		a := sp.Attributes()
		a.PutStr(canonical.AttrSpanType, string(canonical.TypeLLMCall))
		a.PutStr(canonical.GenAIRequestModel, "gpt-4o")
		a.PutStr(canonical.GenAIAgentName, "bot")
		a.PutStr(canonical.AttrSessionID, "s1")
		canonical.PutTokens(a, canonical.Tokens{Input: 10})
		canonical.PutCost(a, canonical.Cost{Total: 0.001, Status: canonical.CostStatusPriced})
	}
	m := ss.Spans().AppendEmpty()
	m.SetTraceID(pcommon.TraceID{9})
	m.SetSpanID(pcommon.SpanID{9})
	m.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	m.Attributes().PutStr(canonical.AttrRecordKind, canonical.RecordKindSession)
	m.Attributes().PutStr(canonical.AttrSessionEvent, "start")
	m.Attributes().PutStr(canonical.AttrSessionID, "s-marker")
	return td
}

func exporterSettings() exporter.Settings { return exportertest.NewNopSettings(Type) }

func newTestExporter(t *testing.T, endpoint, prefix string) *redisExporter {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint, cfg.KeyPrefix = endpoint, prefix
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.Timeout = 500 * time.Millisecond
	e, err := newExporter(cfg, exportertest.NewNopSettings(Type))
	require.NoError(t, err)
	return e
}

func TestPublishes(t *testing.T) {
	addr := livetest.Addr(t)
	prefix := livetest.Prefix(t, addr)
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(Type),
		&Config{Endpoint: addr, KeyPrefix: prefix, StreamMaxLen: 1000, CounterTTL: time.Hour, SessionTTL: time.Hour,
			BufferSpans: 1000, MaxBatch: 100, FlushInterval: 10 * time.Millisecond, Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	rdb, _ := livetest.Client(t)
	r := live.NewReader(rdb, prefix)
	sub, err := r.Subscribe(context.Background())
	require.NoError(t, err)
	defer sub.Close()

	require.NoError(t, exp.ConsumeTraces(context.Background(), genTraces(0, 250)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	first, err := sub.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, "gpt-4o", first.Model)
	require.NoError(t, exp.Shutdown(context.Background()))

	entries, err := r.After(context.Background(), "", 1000)
	require.NoError(t, err)
	assert.Len(t, entries, 250)
	mcs, err := r.Counters(context.Background(), time.Now().Add(-time.Minute), time.Now().Add(time.Minute))
	require.NoError(t, err)
	var spans, tokens int64
	var cost float64
	for _, mc := range mcs {
		spans, tokens, cost = spans+mc.Spans, tokens+mc.Tokens, cost+mc.CostUSD
		assert.Equal(t, mc.Spans, mc.ByModel["gpt-4o"].Spans)
		assert.Equal(t, mc.Spans, mc.ByAgent["bot"].Spans)
	}
	assert.Equal(t, int64(250), spans)
	assert.Equal(t, int64(2500), tokens)
	assert.InDelta(t, 0.25, cost, 1e-9)
	act, err := r.ActiveSessions(context.Background(), time.Now(), time.Minute)
	require.NoError(t, err)
	var ids []string
	for _, a := range act {
		ids = append(ids, a.ID)
	}
	assert.ElementsMatch(t, []string{"s1", "s-marker"}, ids)
}

// With Redis unreachable, pushes return nil at once and spans are counted
// as dropped; nothing blocks.
func TestRedisDownNeverBlocks(t *testing.T) {
	e := newTestExporter(t, "127.0.0.1:1", "x:")
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	begin := time.Now()
	for i := 0; i < 200; i++ {
		require.NoError(t, e.push(context.Background(), genTraces(i*10, 10)))
	}
	assert.Less(t, time.Since(begin), time.Second, "push must not wait for Redis")
	require.NoError(t, e.shutdown(context.Background()))
	pub, dropped := e.Stats()
	assert.Zero(t, pub)
	assert.Equal(t, int64(200*10), dropped)
	require.NoError(t, e.shutdown(context.Background()), "idempotent")
	var nilExp *redisExporter
	require.NoError(t, nilExp.shutdown(context.Background()))
}

func TestBufferFullDrops(t *testing.T) {
	e := newTestExporter(t, "127.0.0.1:1", "x:")
	e.cfg.BufferSpans = 50
	e.cfg.FlushInterval = time.Hour // nothing leaves the buffer
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, e.push(context.Background(), genTraces(0, 30))) // 31 spans with the marker
	require.NoError(t, e.push(context.Background(), genTraces(0, 30))) // over the bound: dropped
	_, dropped := e.Stats()
	assert.Equal(t, int64(31), dropped)
	require.NoError(t, e.shutdown(context.Background()))
}
