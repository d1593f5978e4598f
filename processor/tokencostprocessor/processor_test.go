package tokencostprocessor

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"

	c "github.com/agenttrace/agenttrace/internal/canonical"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the processor's output")

// Dollar tolerance of the golden comparisons. The catalog computes in exact
// integer pico-dollars, so the amounts below are in fact equal to the
// nearest float of the decimal literal.
const tolerance = 1e-12

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// want is the expected outcome of one span: exclusive buckets and dollars.
type want struct {
	tokens   *c.Tokens // nil: no token attributes at all
	status   string    // "" : no cost attributes
	entry    string
	date     string
	input    float64
	cacheRd  float64
	cacheWr  float64
	output   float64
	reason   float64
	total    float64
	reported *float64
}

func usd(f float64) *float64 { return &f }

// goldenCases are the spans the issue names, with hand-computed exact costs
// (rates in USD per million tokens; the arithmetic is in the comments).
var goldenCases = []struct {
	name  string
	start string
	attrs map[string]any
	want  want
}{
	{
		name: "openai_chat_cached_prompt", start: "2025-03-01",
		attrs: map[string]any{
			c.GenAIOperationName: "chat", c.GenAIProviderName: "openai",
			c.GenAIRequestModel: "gpt-4o", c.GenAIResponseModel: "gpt-4o-2024-08-06",
			c.GenAIInputTokens: 1500, c.GenAICacheReadTokens: 1024, c.GenAIOutputTokens: 300,
		},
		// 476 uncached x 2.50 + 1024 cached x 1.25 + 300 x 10.00
		want: want{
			tokens: &c.Tokens{Input: 476, CacheRead: 1024, Output: 300, Present: true},
			status: c.CostStatusPriced, entry: "openai/gpt-4o-2024-08-06", date: "2024-08-06",
			input: 0.00119, cacheRd: 0.00128, output: 0.003, total: 0.00547,
		},
	},
	{
		name: "o_series_reasoning_not_counted_twice", start: "2025-03-01",
		attrs: map[string]any{
			c.GenAISystem: "openai", c.GenAIResponseModel: "o3-mini-2025-01-31",
			c.GenAIInputTokens: 2000, c.GenAIOutputTokens: 1500, c.GenAIReasoningTokens: 1200,
		},
		// 2000 x 1.10 + (1500-1200) x 4.40 + 1200 x 4.40 = the bill for 1500 output tokens
		want: want{
			tokens: &c.Tokens{Input: 2000, Output: 300, Reasoning: 1200, Present: true},
			status: c.CostStatusPriced, entry: "openai/o3-mini", date: "2025-01-31",
			input: 0.0022, output: 0.00132, reason: 0.00528, total: 0.0088,
		},
	},
	{
		name: "anthropic_native_exclusive_buckets", start: "2025-10-10",
		attrs: map[string]any{
			c.GenAIProviderName: "anthropic", c.GenAIResponseModel: "claude-sonnet-4-5-20250929",
			c.AttrTokensInput: 100, c.AttrTokensCacheRead: 20000, c.AttrTokensCacheWrite5m: 3000,
			c.AttrTokensCacheWrite1h: 1000, c.AttrTokensOutput: 500,
		},
		// 100 x 3 + 20000 x 0.30 + (3000 x 3.75 + 1000 x 6) + 500 x 15
		want: want{
			tokens: &c.Tokens{Input: 100, CacheRead: 20000, CacheWrite5m: 3000, CacheWrite1h: 1000, Output: 500, Present: true},
			status: c.CostStatusPriced, entry: "anthropic/claude-sonnet-4-5", date: "2025-09-29",
			input: 0.0003, cacheRd: 0.006, cacheWr: 0.01725, output: 0.0075, total: 0.03105,
		},
	},
	{
		name: "anthropic_otel_inclusive_totals_same_cost", start: "2025-10-10",
		attrs: map[string]any{
			c.GenAIProviderName: "anthropic", c.GenAIResponseModel: "claude-sonnet-4-5-20250929",
			c.GenAIInputTokens: 24100, c.GenAICacheReadTokens: 20000, c.GenAICacheWriteTokens: 4000,
			c.AttrCacheWrite1h: 1000, c.GenAIOutputTokens: 500,
		},
		// the same usage as the native case, reported as OTel totals
		want: want{
			tokens: &c.Tokens{Input: 100, CacheRead: 20000, CacheWrite5m: 3000, CacheWrite1h: 1000, Output: 500, Present: true},
			status: c.CostStatusPriced, entry: "anthropic/claude-sonnet-4-5", date: "2025-09-29",
			input: 0.0003, cacheRd: 0.006, cacheWr: 0.01725, output: 0.0075, total: 0.03105,
		},
	},
	{
		name: "bedrock_id_raw_anthropic_usage", start: "2025-10-10",
		attrs: map[string]any{
			c.GenAISystem: "aws.bedrock", c.GenAIRequestModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
			c.GenAIInputTokens: 100, c.TLCacheReadTokens: 20000, c.GenAICacheWriteTokensAlt: 4000,
			c.GenAIOutputTokens: 500, c.GenAITotalTokens: 24600,
		},
		// raw usage (input excludes cache; the total shows it): 100 x 3 + 20000 x 0.30 + 4000 x 3.75 + 500 x 15
		want: want{
			tokens: &c.Tokens{Input: 100, CacheRead: 20000, CacheWrite5m: 4000, Output: 500, Present: true},
			status: c.CostStatusPriced, entry: "anthropic/claude-sonnet-4-5", date: "2025-09-29",
			input: 0.0003, cacheRd: 0.006, cacheWr: 0.015, output: 0.0075, total: 0.0288,
		},
	},
	{
		name: "bedrock_meta_llama", start: "2025-03-01",
		attrs: map[string]any{
			c.GenAISystem: "aws.bedrock", c.GenAIRequestModel: "meta.llama3-1-70b-instruct-v1:0",
			c.GenAIInputTokens: 3000, c.GenAIOutputTokens: 700,
		},
		// 3000 x 0.72 + 700 x 0.72
		want: want{
			tokens: &c.Tokens{Input: 3000, Output: 700, Present: true},
			status: c.CostStatusPriced, entry: "aws-bedrock/llama3-1-70b-instruct", date: "2024-07-23",
			input: 0.00216, output: 0.000504, total: 0.002664,
		},
	},
	{
		name: "vertex_claude_id", start: "2025-03-01",
		attrs: map[string]any{
			c.GenAIProviderName: "gcp.vertex_ai", c.GenAIRequestModel: "claude-3-5-haiku@20241022",
			c.GenAIInputTokens: 10000, c.GenAIOutputTokens: 1000,
		},
		// 10000 x 0.80 + 1000 x 4
		want: want{
			tokens: &c.Tokens{Input: 10000, Output: 1000, Present: true},
			status: c.CostStatusPriced, entry: "anthropic/claude-3-5-haiku", date: "2024-11-04",
			input: 0.008, output: 0.004, total: 0.012,
		},
	},
	{
		name: "gemini_long_context_tier", start: "2025-08-01",
		attrs: map[string]any{
			c.GenAIOperationName: "generate_content", c.GenAIProviderName: "gcp.gemini",
			c.GenAIRequestModel: "gemini-2.5-pro",
			c.GenAIInputTokens:  250000, c.GenAICacheReadTokens: 50000,
			c.GenAIOutputTokens: 4000, c.GenAIReasoningTokens: 3000,
		},
		// prompt 250k > 200k: 200000 x 2.50 + 50000 x 0.625 + 1000 x 15 + 3000 x 15 (thinking at the tier's output rate)
		want: want{
			tokens: &c.Tokens{Input: 200000, CacheRead: 50000, Output: 1000, Reasoning: 3000, Present: true},
			status: c.CostStatusPriced, entry: "google/gemini-2.5-pro", date: "2025-04-04",
			input: 0.5, cacheRd: 0.03125, output: 0.015, reason: 0.045, total: 0.59125,
		},
	},
	{
		name: "gemini_below_tier", start: "2025-08-01",
		attrs: map[string]any{
			c.GenAIProviderName: "gcp.vertex_ai", c.GenAIRequestModel: "gemini-2.5-pro",
			c.GenAIInputTokens: 200000, c.GenAIOutputTokens: 1000,
		},
		// exactly 200k is not above the threshold: 200000 x 1.25 + 1000 x 10
		want: want{
			tokens: &c.Tokens{Input: 200000, Output: 1000, Present: true},
			status: c.CostStatusPriced, entry: "google/gemini-2.5-pro", date: "2025-04-04",
			input: 0.25, output: 0.01, total: 0.26,
		},
	},
	{
		name: "unknown_model_unpriced", start: "2025-08-01",
		attrs: map[string]any{
			c.GenAIProviderName: "acme", c.GenAIRequestModel: "acme-llm-7b",
			c.GenAIInputTokens: 100, c.GenAIOutputTokens: 50,
		},
		want: want{
			tokens: &c.Tokens{Input: 100, Output: 50, Present: true},
			status: c.CostStatusUnpriced,
		},
	},
	{
		name: "openinference_llm", start: "2025-05-01",
		attrs: map[string]any{
			c.OISpanKind: "LLM", c.OIProvider: "openai", c.OIModelName: "gpt-4o-mini-2024-07-18",
			c.OIPromptTokens: 3000, c.OICacheReadTokens: 2048, c.OICompletionTokens: 500, c.OITotalTokens: 3500,
		},
		// 952 x 0.15 + 2048 x 0.075 + 500 x 0.60
		want: want{
			tokens: &c.Tokens{Input: 952, CacheRead: 2048, Output: 500, Present: true},
			status: c.CostStatusPriced, entry: "openai/gpt-4o-mini", date: "2024-07-18",
			input: 0.0001428, cacheRd: 0.0001536, output: 0.0003, total: 0.0005964,
		},
	},
	{
		name: "openllmetry_anthropic", start: "2025-05-01",
		attrs: map[string]any{
			c.TLRequestType: "chat", c.GenAISystem: "Anthropic",
			c.GenAIRequestModel: "claude-3-7-sonnet-latest", c.GenAIResponseModel: "claude-3-7-sonnet-20250219",
			c.GenAIPromptTokens: 5000, c.TLCacheReadTokens: 3000, c.TLCacheWriteTokens: 1000,
			c.GenAICompletionTokens: 800, c.TLTotalTokens: 5800,
		},
		// 1000 x 3 + 3000 x 0.30 + 1000 x 3.75 + 800 x 15
		want: want{
			tokens: &c.Tokens{Input: 1000, CacheRead: 3000, CacheWrite5m: 1000, Output: 800, Present: true},
			status: c.CostStatusPriced, entry: "anthropic/claude-3-7-sonnet", date: "2025-02-24",
			input: 0.003, cacheRd: 0.0009, cacheWr: 0.00375, output: 0.012, total: 0.01965,
		},
	},
	{
		name: "reported_cost_differs_both_kept", start: "2025-06-01",
		attrs: map[string]any{
			c.GenAIProviderName: "openai", c.GenAIResponseModel: "gpt-4.1-2025-04-14",
			c.GenAIInputTokens: 10000, c.GenAIOutputTokens: 2000, c.GenAICost: 0.05,
		},
		// 10000 x 2 + 2000 x 8; the provider's 0.05 is kept beside it
		want: want{
			tokens: &c.Tokens{Input: 10000, Output: 2000, Present: true},
			status: c.CostStatusPriced, entry: "openai/gpt-4.1", date: "2025-04-14",
			input: 0.02, output: 0.016, total: 0.036, reported: usd(0.05),
		},
	},
	{
		name: "deepseek_price_in_force_at_span_start", start: "2025-03-01",
		attrs: map[string]any{
			c.GenAISystem: "deepseek", c.GenAIResponseModel: "deepseek-reasoner",
			c.GenAIInputTokens: 1000, c.GenAICacheReadTokens: 600, c.GenAIOutputTokens: 2000, c.GenAIReasoningTokens: 1500,
		},
		// the R1 launch prices: 400 x 0.55 + 600 x 0.14 + 500 x 2.19 + 1500 x 2.19
		want: want{
			tokens: &c.Tokens{Input: 400, CacheRead: 600, Output: 500, Reasoning: 1500, Present: true},
			status: c.CostStatusPriced, entry: "deepseek/deepseek-reasoner", date: "2025-01-20",
			input: 0.00022, cacheRd: 0.000084, output: 0.001095, reason: 0.003285, total: 0.004684,
		},
	},
	{
		name: "tool_span_without_tokens", start: "2025-06-01",
		attrs: map[string]any{
			c.GenAIOperationName: "execute_tool", c.GenAIToolName: "search",
		},
		want: want{},
	},
	{
		name: "reported_cost_without_tokens_kept", start: "2025-06-01",
		attrs: map[string]any{
			c.OISpanKind: "LLM", c.OIModelName: "gpt-4o", c.OICostTotal: 0.0123,
		},
		want: want{reported: usd(0.0123)},
	},
}

func newTestProcessor(t testing.TB, cfg *Config) (processor.Traces, *consumertest.TracesSink) {
	t.Helper()
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(componentType), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return p, sink
}

func traceWith(start string, attrs map[string]any) ptrace.Traces {
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	span.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	span.SetName("span")
	ts := day(start).Add(12 * time.Hour)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(ts))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(ts.Add(time.Second)))
	if err := span.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return td
}

func onlySpan(td ptrace.Traces) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
}

// TestGolden runs each case through the processor and checks the exact
// dollar amounts and buckets, then compares every agenttrace.tokens.* and
// agenttrace.cost.* attribute with testdata/golden/<case>.json (-update
// rewrites those files).
func TestGolden(t *testing.T) {
	p, sink := newTestProcessor(t, createDefaultConfig().(*Config))
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			sink.Reset()
			if err := p.ConsumeTraces(context.Background(), traceWith(tc.start, tc.attrs)); err != nil {
				t.Fatal(err)
			}
			attrs := onlySpan(sink.AllTraces()[0]).Attributes()
			checkWant(t, attrs, tc.want)
			checkGolden(t, tc.name, attrs)
			// Raw attributes are kept.
			for k := range tc.attrs {
				if _, ok := attrs.Get(k); !ok {
					t.Errorf("raw attribute %s removed", k)
				}
			}
		})
	}
}

func checkWant(t *testing.T, attrs pcommon.Map, w want) {
	t.Helper()
	var s c.Span
	span := ptrace.NewSpan()
	attrs.CopyTo(span.Attributes())
	c.Read(&s, span, pcommon.NewResource())

	if w.tokens == nil {
		if _, ok := attrs.Get(c.AttrTokensTotal); ok {
			t.Errorf("token attributes written for a span without tokens")
		}
	} else {
		if s.Tokens != *w.tokens {
			t.Errorf("tokens = %+v, want %+v", s.Tokens, *w.tokens)
		}
		if v, _ := attrs.Get(c.AttrTokensTotal); v.Int() != w.tokens.Total() {
			t.Errorf("tokens.total = %d, want %d", v.Int(), w.tokens.Total())
		}
	}

	status := ""
	if v, ok := attrs.Get(c.AttrCostStatus); ok {
		status = v.AsString()
	}
	if status != w.status {
		t.Errorf("cost.status = %q, want %q", status, w.status)
	}
	if w.status != c.CostStatusPriced && w.status != c.CostStatusEstimated {
		for _, k := range []string{c.AttrCostTotal, c.AttrCostInput, c.AttrCostOutput, c.AttrCostPricingEntry} {
			if v, ok := attrs.Get(k); ok {
				t.Errorf("%s = %v written for a %q span (never $0)", k, v.AsRaw(), w.status)
			}
		}
	} else {
		for k, want := range map[string]float64{
			c.AttrCostTotal: w.total, c.AttrCostInput: w.input, c.AttrCostCacheRead: w.cacheRd,
			c.AttrCostCacheWrite: w.cacheWr, c.AttrCostOutput: w.output, c.AttrCostReasoning: w.reason,
		} {
			v, ok := attrs.Get(k)
			if !ok {
				t.Errorf("%s missing, want %v", k, want)
			} else if math.Abs(v.Double()-want) > tolerance {
				t.Errorf("%s = %v, want %v", k, v.AsRaw(), want)
			}
		}
		if sum := w.input + w.cacheRd + w.cacheWr + w.output + w.reason; math.Abs(sum-w.total) > tolerance {
			t.Errorf("test case: buckets add up to %v, total is %v", sum, w.total)
		}
		if s.Cost.PricingEntry != w.entry || s.Cost.PricingDate != w.date {
			t.Errorf("pricing entry = %s@%s, want %s@%s", s.Cost.PricingEntry, s.Cost.PricingDate, w.entry, w.date)
		}
	}

	rep, ok := attrs.Get(c.AttrCostReported)
	switch {
	case w.reported == nil && ok:
		t.Errorf("reported_usd = %v, want none", rep.AsRaw())
	case w.reported != nil && !ok:
		t.Errorf("reported_usd missing, want %v", *w.reported)
	case w.reported != nil && rep.Double() != *w.reported:
		t.Errorf("reported_usd = %v, want %v", rep.AsRaw(), *w.reported)
	}
}

func checkGolden(t *testing.T, name string, attrs pcommon.Map) {
	t.Helper()
	got := map[string]any{}
	attrs.Range(func(k string, v pcommon.Value) bool {
		if strings.HasPrefix(k, "agenttrace.tokens.") || strings.HasPrefix(k, "agenttrace.cost.") {
			got[k] = v.AsRaw()
		}
		return true
	})
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantData, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(wantData) != string(data) {
		t.Errorf("%s differs from the processor's output:\n%s\nwant:\n%s", path, data, wantData)
	}
}

// TestReprocessIsStable runs a span through twice (e.g. two collector
// tiers): the second pass reads the buckets the first wrote and writes the
// same values.
func TestReprocessIsStable(t *testing.T) {
	p, sink := newTestProcessor(t, createDefaultConfig().(*Config))
	tc := goldenCases[0]
	if err := p.ConsumeTraces(context.Background(), traceWith(tc.start, tc.attrs)); err != nil {
		t.Fatal(err)
	}
	first := onlySpan(sink.AllTraces()[0]).Attributes().AsRaw()
	td := sink.AllTraces()[0]
	sink.Reset()
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	second := onlySpan(sink.AllTraces()[0]).Attributes().AsRaw()
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(second)
	if string(a) != string(b) {
		t.Fatalf("second pass changed the span:\n%s\n%s", a, b)
	}
}

// TestStaleCostRemoved: a span priced upstream whose model this collector
// cannot price loses the stale amounts and is flagged unpriced.
func TestStaleCostRemoved(t *testing.T) {
	p, sink := newTestProcessor(t, createDefaultConfig().(*Config))
	td := traceWith("2025-06-01", map[string]any{
		c.GenAIRequestModel: "acme-llm-7b", c.GenAIInputTokens: 10, c.GenAIOutputTokens: 10,
		c.AttrCostStatus: c.CostStatusPriced, c.AttrCostTotal: 1.5, c.AttrCostInput: 1.0, c.AttrCostPricingEntry: "x/y",
	})
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	checkWant(t, onlySpan(sink.AllTraces()[0]).Attributes(), want{
		tokens: &c.Tokens{Input: 10, Output: 10, Present: true}, status: c.CostStatusUnpriced,
	})
}

func TestEstimateTokens(t *testing.T) {
	attrs := map[string]any{
		c.GenAIOperationName: "chat", c.GenAIResponseModel: "gpt-4.1", c.GenAIProviderName: "openai",
		c.AttrPrompt:   strings.Repeat("abcd", 250) + "x", // 1001 bytes -> 251 tokens
		c.AttrResponse: strings.Repeat("abcd", 100),       // 400 bytes -> 100 tokens
	}
	// Off by default: no tokens, no cost.
	p, sink := newTestProcessor(t, createDefaultConfig().(*Config))
	if err := p.ConsumeTraces(context.Background(), traceWith("2025-06-01", attrs)); err != nil {
		t.Fatal(err)
	}
	checkWant(t, onlySpan(sink.AllTraces()[0]).Attributes(), want{})

	cfg := createDefaultConfig().(*Config)
	cfg.EstimateTokens = true
	p, sink = newTestProcessor(t, cfg)
	if err := p.ConsumeTraces(context.Background(), traceWith("2025-06-01", attrs)); err != nil {
		t.Fatal(err)
	}
	out := onlySpan(sink.AllTraces()[0]).Attributes()
	// 251 x 2 + 100 x 8, flagged estimated
	checkWant(t, out, want{
		tokens: &c.Tokens{Input: 251, Output: 100, Present: true, Estimated: true},
		status: c.CostStatusEstimated, entry: "openai/gpt-4.1", date: "2025-04-14",
		input: 0.000502, output: 0.0008, total: 0.001302,
	})
	if v, ok := out.Get(c.AttrTokensEstimated); !ok || !v.Bool() {
		t.Error("tokens not flagged estimated")
	}
}

// benchBatch builds a batch of LLM spans in mixed conventions (the golden
// cases that have tokens and a price).
func benchBatch(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	priced := []int{0, 1, 4, 7, 10, 11, 13}
	for i := 0; i < n; i++ {
		tc := goldenCases[priced[i%len(priced)]]
		onlySpan(traceWith(tc.start, tc.attrs)).CopyTo(spans.AppendEmpty())
	}
	return td
}

// BenchmarkProcessSpan measures the processor per span: each iteration
// prices a fresh copy of a 100-span batch (the copy is made with the timer
// and allocation count stopped), reported as ns/span and allocs/span.
func BenchmarkProcessSpan(b *testing.B) {
	proc := newProcessor(createDefaultConfig().(*Config), zap.NewNop())
	if err := proc.start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	runBatches(b, func(td ptrace.Traces) {
		if _, err := proc.processTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkCanonicalReadOnly is the peer: the canonical view alone (what any
// processor reading these spans pays), to show what pricing adds.
func BenchmarkCanonicalReadOnly(b *testing.B) {
	var s c.Span
	runBatches(b, func(td ptrace.Traces) {
		rs := td.ResourceSpans().At(0)
		spans := rs.ScopeSpans().At(0).Spans()
		for k := 0; k < spans.Len(); k++ {
			c.Read(&s, spans.At(k), rs.Resource())
		}
	})
}

func runBatches(b *testing.B, fn func(ptrace.Traces)) {
	const batch = 100
	fresh := benchBatch(batch)
	work := ptrace.NewTraces()
	var ms runtime.MemStats
	var mallocs uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		work = ptrace.NewTraces()
		fresh.CopyTo(work)
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		b.StartTimer()
		fn(work)
		b.StopTimer()
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - before
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/span")
	b.ReportMetric(float64(mallocs)/float64(b.N*batch), "allocs/span")
}
