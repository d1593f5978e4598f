package reasoningchainprocessor

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// benchBatch is 100 ReAct traces of 10 spans each (root agent, 5 LLM calls,
// 4 tool calls; GenAI attributes with tool-call ids and priced costs) in one
// 1000-span batch under one resource, interleaved as an SDK exporting
// finished spans of concurrent agent runs would send them.
func benchBatch() ptrace.Traces {
	const traces = 100
	perTrace := make([][]sp, traces)
	for tr := range perTrace {
		for i := 0; i < 5; i++ {
			perTrace[tr] = append(perTrace[tr], sp{id: 2 + 2*i, parent: 1, name: "chat gpt-4o-mini", start: int64(100 * i), end: int64(100*i + 40),
				attrs: merge(llmAttrs(int64(1000+100*i), 50), priced(0.001))})
			if i < 4 {
				perTrace[tr] = append(perTrace[tr], sp{id: 3 + 2*i, parent: 1, name: "execute_tool search", start: int64(100*i + 50), end: int64(100*i + 90),
					attrs: merge(toolAttrs("search", fmt.Sprintf(`{"q":"step %d"}`, i)), map[string]any{"gen_ai.tool.call.id": fmt.Sprintf("call_%d", i)})})
			}
		}
		perTrace[tr] = append(perTrace[tr], sp{id: 1, name: "agent run", start: 0, end: 1000,
			attrs: merge(agentAttrs("bench"), map[string]any{"session.id": fmt.Sprintf("session-%d", tr%10)})})
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench-agent")
	rs.Resource().Attributes().PutStr("host.name", "bench-host")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("agent-sdk")
	for i := range perTrace[0] {
		for tr := range perTrace {
			appendSpans(ss, tr+1, perTrace[tr][i])
		}
	}
	return td
}

// renumber gives every trace of td a fresh id so each iteration's traces are
// new to the processor (not late spans of an emitted trace).
func renumber(td ptrace.Traces, iter int) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		spans := rss.At(i).ScopeSpans().At(0).Spans()
		for k := 0; k < spans.Len(); k++ {
			s := spans.At(k)
			id := s.TraceID()
			binary.BigEndian.PutUint32(id[4:8], uint32(iter))
			s.SetTraceID(id)
		}
	}
}

// benchLoop runs each on a fresh copy of the batch per iteration; the copy
// is excluded from time and allocations.
func benchLoop(b *testing.B, each func(ptrace.Traces)) {
	tmpl := benchBatch()
	n := tmpl.SpanCount()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		td := ptrace.NewTraces()
		tmpl.CopyTo(td)
		renumber(td, i)
		b.StartTimer()
		each(td)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
}

// BenchmarkCanonicalReadOnly is the peer: reading every span's canonical
// view, which any processor classifying these spans pays.
func BenchmarkCanonicalReadOnly(b *testing.B) {
	var v canonical.Span
	benchLoop(b, func(td ptrace.Traces) {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			rs := rss.At(i)
			spans := rs.ScopeSpans().At(0).Spans()
			for k := 0; k < spans.Len(); k++ {
				canonical.Read(&v, spans.At(k), rs.Resource())
			}
		}
	})
}

// BenchmarkReasoningChain is the whole processor: buffering, completing,
// analysing, annotating and forwarding every trace.
func BenchmarkReasoningChain(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = p.Shutdown(context.Background()) }()
	later := time.Now().Add(24 * time.Hour)
	benchLoop(b, func(td ptrace.Traces) {
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
		p.flushExpired(later) // every trace is complete: emit now, as the ticker would
	})
}
