package reasoningchainprocessor

import (
	"context"
	"encoding/binary"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// t0 is the start of every test trace; span times are offsets in ms.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func traceID(n int) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[8:], uint64(n))
	id[0] = 0xa7
	return id
}

func spanID(trace, n int) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint32(id[:4], uint32(trace))
	binary.BigEndian.PutUint32(id[4:], uint32(n))
	return id
}

// sp describes one test span. Parent 0 is the root; a negative end makes a
// running span (span-start event).
type sp struct {
	id, parent int
	name       string
	start, end int64 // ms after t0
	attrs      map[string]any
	failed     bool
}

// batch builds one ptrace.Traces holding the given spans of trace tr, under
// one resource with the given service name.
func batch(tr int, service string, spans ...sp) ptrace.Traces {
	td := ptrace.NewTraces()
	addSpans(td, tr, service, spans...)
	return td
}

func addSpans(td ptrace.Traces, tr int, service string, spans ...sp) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("agent-sdk")
	appendSpans(ss, tr, spans...)
}

func appendSpans(ss ptrace.ScopeSpans, tr int, spans ...sp) {
	for _, s := range spans {
		span := ss.Spans().AppendEmpty()
		span.SetTraceID(traceID(tr))
		span.SetSpanID(spanID(tr, s.id))
		if s.parent != 0 {
			span.SetParentSpanID(spanID(tr, s.parent))
		}
		span.SetName(s.name)
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(s.start) * time.Millisecond)))
		if s.end >= 0 {
			span.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(s.end) * time.Millisecond)))
		}
		if s.failed {
			span.Status().SetCode(ptrace.StatusCodeError)
			span.Status().SetMessage("failed")
		}
		if err := span.Attributes().FromRaw(s.attrs); err != nil {
			panic(err)
		}
	}
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func agentAttrs(name string) map[string]any {
	return map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
}

func llmAttrs(in, out int64) map[string]any {
	return map[string]any{
		"gen_ai.operation.name":      "chat",
		"gen_ai.provider.name":       "openai",
		"gen_ai.request.model":       "gpt-4o-mini",
		"gen_ai.usage.input_tokens":  in,
		"gen_ai.usage.output_tokens": out,
	}
}

func toolAttrs(name, args string) map[string]any {
	return map[string]any{
		"gen_ai.operation.name":      "execute_tool",
		"gen_ai.tool.name":           name,
		"gen_ai.tool.call.arguments": args,
	}
}

// priced is the cost the tokencost processor would have written.
func priced(usd float64) map[string]any {
	return map[string]any{canonical.AttrCostTotal: usd, canonical.AttrCostStatus: canonical.CostStatusPriced}
}

// chain is what the processor wrote on one span, with span ids replaced by
// span names for readable expectations.
type chain struct {
	Step        int64 // -1: none
	Depth       int64
	Follows     string
	RequestedBy string
	Answers     string // names, comma-separated
	Flags       string // comma-separated
}

// chains reads the chain annotations of every span of trace tr received by
// the sink, by span name. Ids of spans not in the sink are named from known.
func chains(t *testing.T, sink *consumertest.TracesSink, tr int, known ...map[string]string) map[string]chain {
	t.Helper()
	names := map[string]string{}
	for _, k := range known {
		for id, n := range k {
			names[id] = n
		}
	}
	var spans []ptrace.Span
	forSpans(sink, tr, func(s ptrace.Span) {
		names[s.SpanID().String()] = s.Name()
		spans = append(spans, s)
	})
	name := func(ids string) string {
		if ids == "" {
			return ""
		}
		var out []string
		for _, id := range strings.Split(ids, ",") {
			n, ok := names[id]
			if !ok {
				n = "?" + id
			}
			out = append(out, n)
		}
		return strings.Join(out, ",")
	}
	got := map[string]chain{}
	for _, s := range spans {
		a := s.Attributes()
		c := chain{Step: -1, Depth: -1}
		if v, ok := a.Get(canonical.AttrChainStep); ok {
			c.Step = v.Int()
		}
		if v, ok := a.Get(canonical.AttrChainDepth); ok {
			c.Depth = v.Int()
		}
		if v, ok := a.Get(canonical.AttrChainPrevStep); ok {
			c.Follows = name(v.Str())
		}
		if v, ok := a.Get(canonical.AttrChainCausedBy); ok {
			c.RequestedBy = name(v.Str())
		}
		if v, ok := a.Get(canonical.AttrChainAnswers); ok {
			c.Answers = name(v.Str())
		}
		if v, ok := a.Get(canonical.AttrChainFlags); ok {
			var fs []string
			for i := 0; i < v.Slice().Len(); i++ {
				fs = append(fs, v.Slice().At(i).Str())
			}
			c.Flags = strings.Join(fs, ",")
		}
		_, dup := got[s.Name()]
		require.False(t, dup, "span name %q twice", s.Name())
		got[s.Name()] = c
	}
	return got
}

func forSpans(sink *consumertest.TracesSink, tr int, f func(ptrace.Span)) {
	for _, td := range sink.AllTraces() {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					if s := spans.At(k); s.TraceID() == traceID(tr) {
						f(s)
					}
				}
			}
		}
	}
}

// spanNamed returns the received span of trace tr with that name.
func spanNamed(t *testing.T, sink *consumertest.TracesSink, tr int, name string) ptrace.Span {
	t.Helper()
	var found []ptrace.Span
	forSpans(sink, tr, func(s ptrace.Span) {
		if s.Name() == name {
			found = append(found, s)
		}
	})
	require.Len(t, found, 1, "span %q", name)
	return found[0]
}

// summary reads the agenttrace.trace.* attributes of a span.
func summary(s ptrace.Span) map[string]any {
	out := map[string]any{}
	for k, v := range s.Attributes().AsRaw() {
		if strings.HasPrefix(k, "agenttrace.trace.") {
			out[k] = v
		}
	}
	return out
}

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.CompletionWindow = time.Hour // tests flush with Shutdown unless they say otherwise
	cfg.MaxHold = time.Hour
	return cfg
}

// startProcessor creates and starts a processor writing to a new sink; it
// is shut down at the end of the test.
func startProcessor(t *testing.T, cfg *Config, tel ...component.TelemetrySettings) (*chainProcessor, *consumertest.TracesSink) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	sink := new(consumertest.TracesSink)
	set := processortest.NewNopSettings(componentType)
	if len(tel) > 0 {
		set.TelemetrySettings = tel[0]
	}
	p, err := newProcessor(set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p, sink
}

func consume(t *testing.T, p *chainProcessor, tds ...ptrace.Traces) {
	t.Helper()
	for _, td := range tds {
		require.NoError(t, p.ConsumeTraces(context.Background(), td))
	}
}

func flush(t *testing.T, p *chainProcessor) {
	t.Helper()
	require.NoError(t, p.Shutdown(context.Background()))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// spanNames maps the span ids of trace tr received by the sink to names.
func spanNames(sink *consumertest.TracesSink, tr int) map[string]string {
	names := map[string]string{}
	forSpans(sink, tr, func(s ptrace.Span) { names[s.SpanID().String()] = s.Name() })
	return names
}
