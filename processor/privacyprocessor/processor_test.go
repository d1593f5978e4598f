package privacyprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

const (
	secretEmail = "jane.doe@example.com"
	secretKey   = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Ab-CdEfGh"
	secretCard  = "4111 1111 1111 1111"
)

// secretText holds one secret per built-in detector.
var secretText = "I am " + secretEmail + ", key " + secretKey + ", card " + secretCard + "."

// priced are the attributes tokencost and reasoningchain write, which
// neither mode may touch.
var priced = map[string]any{
	"gen_ai.request.model": "gpt-4o-mini", "gen_ai.provider.name": "openai",
	"gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 80,
	"agenttrace.tokens.input": 1200, "agenttrace.tokens.output": 80, "agenttrace.tokens.total": 1280,
	"agenttrace.cost.total_usd": 0.000228, "agenttrace.cost.status": "priced",
	"gen_ai.tool.name": "lookup_order", "gen_ai.tool.call.id": "call_1",
	"agenttrace.chain.step": 3, "http.url": "https://api.example.com/v1?owner=" + secretEmail,
}

// conventionSpans are one LLM span per convention, each carrying the
// secrets in its content attributes, plus a GenAI message event.
func conventionSpans(t *testing.T) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	messages := `[{"role":"user","parts":[{"type":"text","content":"` + secretText + `"}]}]`
	for _, content := range []map[string]any{
		{"agenttrace.prompt": secretText, "agenttrace.response": secretText,
			"gen_ai.tool.call.arguments": `{"email":"` + secretEmail + `"}`, "gen_ai.tool.call.result": secretText},
		{"gen_ai.input.messages": messages, "gen_ai.output.messages": messages, "gen_ai.system_instructions": secretText},
		{"input.value": secretText, "output.value": secretText, "tool.parameters": secretText,
			"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": secretText,
			"llm.output_messages.0.message.content": secretText},
		{"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": secretText, "gen_ai.completion.0.content": secretText,
			"traceloop.entity.input": secretText, "traceloop.entity.output": secretText,
			"llm.prompts": []any{secretText, secretText}},
	} {
		sp := ss.Spans().AppendEmpty()
		sp.SetName("chat gpt-4o-mini")
		sp.SetStartTimestamp(1_700_000_000_000_000_000)
		sp.SetEndTimestamp(1_700_000_001_000_000_000)
		require.NoError(t, sp.Attributes().FromRaw(priced))
		for k, v := range content {
			require.NoError(t, sp.Attributes().PutEmpty(k).FromRaw(v))
		}
		ev := sp.Events().AppendEmpty()
		ev.SetName("gen_ai.user.message")
		ev.Attributes().PutStr("content", secretText)
		ev.Attributes().PutStr("gen_ai.system", "openai")
		old := sp.Events().AppendEmpty()
		old.SetName("gen_ai.content.prompt")
		old.Attributes().PutStr("gen_ai.prompt", secretText)
		other := sp.Events().AppendEmpty()
		other.SetName("retry")
		other.Attributes().PutStr("reason", "rate limited for "+secretEmail)
	}
	return td
}

func run(t *testing.T, cfg *Config, td ptrace.Traces, tel ...component.TelemetrySettings) ptrace.Traces {
	t.Helper()
	set := processortest.NewNopSettings(componentType)
	if len(tel) > 0 {
		set.TelemetrySettings = tel[0]
	}
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeTraces(context.Background(), td))
	require.NoError(t, p.Shutdown(context.Background()))
	require.Len(t, sink.AllTraces(), 1)
	return sink.AllTraces()[0]
}

func eachSpan(td ptrace.Traces, f func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				f(sss.At(j).Spans().At(k))
			}
		}
	}
}

// assertKept checks the token, cost, model, tool and chain attributes.
func assertKept(t *testing.T, sp ptrace.Span) {
	t.Helper()
	for k, want := range priced {
		if k == "http.url" {
			continue
		}
		v, ok := sp.Attributes().Get(k)
		if assert.True(t, ok, k) {
			assert.EqualValues(t, want, v.AsRaw(), k)
		}
	}
	assert.EqualValues(t, 1_700_000_000_000_000_000, sp.StartTimestamp())
	assert.EqualValues(t, 1_700_000_001_000_000_000, sp.EndTimestamp())
}

func TestMaskEveryConvention(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	out := run(t, createDefaultConfig().(*Config), conventionSpans(t), tel.NewTelemetrySettings())
	eachSpan(out, func(sp ptrace.Span) {
		assertKept(t, sp)
		sp.Attributes().Range(func(k string, v pcommon.Value) bool {
			s := v.AsString()
			if canonical.IsContentKey(k) {
				for _, secret := range []string{secretEmail, secretKey, secretCard} {
					assert.NotContains(t, s, secret, k)
				}
			}
			return true
		})
		if v, ok := sp.Attributes().Get("agenttrace.prompt"); ok {
			assert.Equal(t, "I am [REDACTED:email], key [REDACTED:api_key], card [REDACTED:card].", v.Str())
		}
		if v, ok := sp.Attributes().Get("gen_ai.input.messages"); ok {
			assert.Equal(t, `[{"role":"user","parts":[{"type":"text","content":"I am [REDACTED:email], key [REDACTED:api_key], card [REDACTED:card]."}]}]`, v.Str())
		}
		// Not content: left alone unless scan_all_attributes is on.
		url, _ := sp.Attributes().Get("http.url")
		assert.Contains(t, url.Str(), secretEmail)
		_, dropped := sp.Attributes().Get(canonical.AttrContentDropped)
		assert.False(t, dropped)
		evs := sp.Events()
		assert.Equal(t, "I am [REDACTED:email], key [REDACTED:api_key], card [REDACTED:card].", eventAttr(evs.At(0), "content"))
		assert.Equal(t, "openai", eventAttr(evs.At(0), "gen_ai.system"))
		assert.Equal(t, "I am [REDACTED:email], key [REDACTED:api_key], card [REDACTED:card].", eventAttr(evs.At(1), "gen_ai.prompt"))
		assert.Contains(t, eventAttr(evs.At(2), "reason"), secretEmail)
	})

	// 4 spans: 2 events each + span content (4, 3, 5, 6 values: the
	// tool arguments hold an email only; llm.prompts holds two values).
	m, err := tel.GetMetric("otelcol_processor_privacy_redactions")
	require.NoError(t, err)
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		d, _ := dp.Attributes.Value("detector")
		got[d.AsString()] = dp.Value
	}
	values := 4*2 + 4 + 3 + 5 + 6
	assert.Equal(t, map[string]int64{"email": int64(values), "api_key": int64(values - 1), "card": int64(values - 1)}, got)
}

func eventAttr(ev ptrace.SpanEvent, k string) string {
	v, ok := ev.Attributes().Get(k)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

func TestScanAllAttributes(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ScanAllAttributes = true
	out := run(t, cfg, conventionSpans(t))
	eachSpan(out, func(sp ptrace.Span) {
		assertKept(t, sp)
		url, _ := sp.Attributes().Get("http.url")
		assert.Equal(t, "https://api.example.com/v1?owner=[REDACTED:email]", url.Str())
		assert.Equal(t, "rate limited for [REDACTED:email]", eventAttr(sp.Events().At(2), "reason"))
	})
}

// TestDropWithScanAll: drop mode removes content and, with
// scan_all_attributes, masks what is left.
func TestDropWithScanAll(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Mode = ModeDrop
	cfg.ScanAllAttributes = true
	out := run(t, cfg, conventionSpans(t))
	eachSpan(out, func(sp ptrace.Span) {
		assertKept(t, sp)
		_, ok := sp.Attributes().Get("gen_ai.input.messages")
		assert.False(t, ok)
		url, _ := sp.Attributes().Get("http.url")
		assert.Equal(t, "https://api.example.com/v1?owner=[REDACTED:email]", url.Str())
		assert.Equal(t, "rate limited for [REDACTED:email]", eventAttr(sp.Events().At(2), "reason"))
	})
}

func TestDropKeepsTokensAndCost(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := createDefaultConfig().(*Config)
	cfg.Mode = ModeDrop
	out := run(t, cfg, conventionSpans(t), tel.NewTelemetrySettings())
	eachSpan(out, func(sp ptrace.Span) {
		assertKept(t, sp)
		sp.Attributes().Range(func(k string, v pcommon.Value) bool {
			assert.False(t, canonical.IsContentKey(k), "content attribute %s kept", k)
			return true
		})
		dropped, ok := sp.Attributes().Get(canonical.AttrContentDropped)
		assert.True(t, ok && dropped.Bool())
		evs := sp.Events()
		assert.Equal(t, "<absent>", eventAttr(evs.At(0), "content"))
		assert.Equal(t, "openai", eventAttr(evs.At(0), "gen_ai.system"))
		assert.Equal(t, "<absent>", eventAttr(evs.At(1), "gen_ai.prompt"))
		assert.Equal(t, "gen_ai.content.prompt", evs.At(1).Name(), "events stay, as timing markers")
		assert.Contains(t, eventAttr(evs.At(2), "reason"), secretEmail, "not content, and scan_all_attributes is off")
	})
	// Roles survive: the conversation's shape is not content.
	eachSpan(out, func(sp ptrace.Span) {
		for _, k := range []string{"llm.input_messages.0.message.role", "gen_ai.prompt.0.role"} {
			if v, ok := sp.Attributes().Get(k); ok {
				assert.Equal(t, "user", v.Str())
			}
		}
	})
	m, err := tel.GetMetric("otelcol_processor_privacy_dropped_attributes")
	require.NoError(t, err)
	// span content: 4 + 3 + 5 + 5, events: 2 per span.
	assert.EqualValues(t, 4+3+5+5+4*2, m.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
}

// TestCanonicalViewAfterDrop: what storage reads through the canonical view
// has no prompt, response or tool I/O, and the same tokens and cost.
func TestCanonicalViewAfterDrop(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Mode = ModeDrop
	in := conventionSpans(t)
	var before []canonical.Span
	eachSpan(in, func(sp ptrace.Span) {
		var s canonical.Span
		canonical.Read(&s, sp, pcommon.NewResource())
		before = append(before, s)
	})
	out := run(t, cfg, in)
	i := 0
	eachSpan(out, func(sp ptrace.Span) {
		var s canonical.Span
		canonical.Read(&s, sp, pcommon.NewResource())
		assert.Empty(t, s.Prompt)
		assert.Empty(t, s.Response)
		assert.Empty(t, s.ToolInput)
		assert.Empty(t, s.ToolOutput)
		assert.Equal(t, before[i].Tokens, s.Tokens)
		assert.Equal(t, before[i].Cost, s.Cost)
		assert.Equal(t, before[i].Model, s.Model)
		assert.Equal(t, before[i].ToolName, s.ToolName)
		assert.NotEmpty(t, before[i].Prompt)
		i++
	})
}

func TestDeeplyNestedValue(t *testing.T) {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	v := sp.Attributes().PutEmpty("gen_ai.input.messages")
	for i := 0; i < 100; i++ {
		v = v.SetEmptyMap().PutEmpty("m")
	}
	v.SetStr(secretText)
	out := run(t, createDefaultConfig().(*Config), td)
	eachSpan(out, func(sp ptrace.Span) {
		raw, _ := sp.Attributes().Get("gen_ai.input.messages")
		assert.NotContains(t, raw.AsString(), secretEmail)
		assert.Contains(t, raw.AsString(), tooDeep)
	})
}

var _ processor.Factory = NewFactory()

// TestConcurrentBatches: one processor serves concurrent pipelines (pooled
// scratch memory); run with -race.
func TestConcurrentBatches(t *testing.T) {
	set := processortest.NewNopSettings(componentType)
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), set, createDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	const workers, batches = 4, 25
	inputs := make([][]ptrace.Traces, workers) // built here: require must not run in goroutines
	for w := range inputs {
		for i := 0; i < batches; i++ {
			inputs[w] = append(inputs[w], conventionSpans(t))
		}
	}
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(tds []ptrace.Traces) {
			var err error
			for i := 0; i < len(tds) && err == nil; i++ {
				err = p.ConsumeTraces(context.Background(), tds[i])
			}
			errs <- err
		}(inputs[w])
	}
	for w := 0; w < workers; w++ {
		require.NoError(t, <-errs)
	}
	require.NoError(t, p.Shutdown(context.Background()))
	require.Len(t, sink.AllTraces(), workers*batches)
	for _, td := range sink.AllTraces() {
		eachSpan(td, func(sp ptrace.Span) {
			v, ok := sp.Attributes().Get("gen_ai.system_instructions")
			if ok {
				assert.Equal(t, "I am [REDACTED:email], key [REDACTED:api_key], card [REDACTED:card].", v.Str())
			}
		})
	}
}
