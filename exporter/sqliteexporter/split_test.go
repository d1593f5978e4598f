package sqliteexporter

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

// bigBatch is n LLM spans of one trace across two resources, each with a
// 1 KB prompt: about n KB of protobuf.
func bigBatch(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	prompt := strings.Repeat("plan the next step; ", 50)
	var tid pcommon.TraceID
	tid[0] = 0xab
	for r := 0; r < 2; r++ {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "agent")
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("test")
		for i := r * n / 2; i < (r+1)*n/2; i++ {
			sp := ss.Spans().AppendEmpty()
			var sid pcommon.SpanID
			binary.BigEndian.PutUint64(sid[:], uint64(i+1))
			sp.SetTraceID(tid)
			sp.SetSpanID(sid)
			sp.SetName("llm call")
			sp.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + i))
			sp.SetEndTimestamp(pcommon.Timestamp(1_700_000_000_000_100_000 + i))
			sp.Attributes().PutStr("gen_ai.request.model", "gpt-4o-mini")
			sp.Attributes().PutStr("agenttrace.prompt", prompt)
		}
	}
	return td
}

// A request larger than the whole byte-sized queue used to be refused
// every time ("element size too large"), so its client retried forever;
// it is split and stored.
func TestRequestLargerThanQueueIsStored(t *testing.T) {
	ctx := context.Background()
	cfg := createDefaultConfig().(*Config)
	cfg.Path = filepath.Join(t.TempDir(), "agenttrace.db")
	q := cfg.QueueConfig.Get()
	q.QueueSize = 256 << 10 // 256 KiB
	q.Batch.Get().MinSize = 16 << 10
	q.Batch.Get().MaxSize = 64 << 10

	td := bigBatch(2000)
	require.Greater(t, marshaler.TracesSize(td), int(q.QueueSize), "the request must exceed the queue")
	before := marshaler.TracesSize(td)

	exp, err := NewFactory().CreateTraces(ctx, exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeTraces(ctx, td))
	require.NoError(t, exp.Shutdown(ctx))
	assert.Equal(t, before, marshaler.TracesSize(td), "the caller's (shared) data is not modified")

	st, err := sqlitestore.Open(ctx, cfg.Path)
	require.NoError(t, err)
	defer st.Close()
	spans, err := st.TraceSpans(ctx, storage.AllProjects(), "ab000000000000000000000000000000")
	require.NoError(t, err)
	assert.Len(t, spans, 2000)
}

func TestSplitParts(t *testing.T) {
	td := bigBatch(100)
	s := splitter{sizer: exporterhelper.RequestSizerTypeBytes, max: marshaler.TracesSize(td) / 5}
	parts := s.split(td)
	require.GreaterOrEqual(t, len(parts), 5)
	total := 0
	for _, p := range parts {
		assert.LessOrEqual(t, marshaler.TracesSize(p), s.max+200, "a part is about max (plus its resource and scope)")
		total += p.SpanCount()
		assert.Equal(t, "agent", func() string {
			v, _ := p.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
			return v.Str()
		}())
	}
	assert.Equal(t, 100, total)

	items := splitter{sizer: exporterhelper.RequestSizerTypeItems, max: 30}
	var counts []int
	for _, p := range items.split(td) {
		counts = append(counts, p.SpanCount())
	}
	assert.Equal(t, []int{30, 30, 30, 10}, counts)
}
