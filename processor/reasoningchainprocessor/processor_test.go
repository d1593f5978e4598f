package reasoningchainprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

const (
	callA    = `{"role":"assistant","parts":[{"type":"tool_call","id":"call_a","name":"get_weather","arguments":{"city":"Paris"}}]}`
	resultA  = `{"role":"tool","parts":[{"type":"tool_call_response","id":"call_a","response":"18C"}]}`
	callB    = `{"role":"assistant","parts":[{"type":"tool_call","id":"call_b","name":"search","arguments":{"q":"Paris events"}}]}`
	resultB  = `{"role":"tool","parts":[{"type":"tool_call_response","id":"call_b","response":"a concert"}]}`
	question = `{"role":"user","parts":[{"type":"text","content":"What should I do in Paris today?"}]}`
	answer   = `[{"role":"assistant","parts":[{"type":"text","content":"It is 18C: go to the concert."}]}]`
)

// reactTrace is a ReAct loop: think, call a tool, observe, call another
// tool, observe, answer. withIDs adds tool-call ids and message content as
// the OTel GenAI instrumentations record them.
func reactTrace(withIDs bool) []sp {
	spans := []sp{
		{id: 1, name: "agent run", start: 0, end: 1000, attrs: merge(agentAttrs("travel"), map[string]any{"gen_ai.conversation.id": "sess-react"})},
		{id: 2, parent: 1, name: "llm 1", start: 10, end: 100, attrs: merge(llmAttrs(1000, 50), priced(0.01))},
		{id: 3, parent: 1, name: "get_weather", start: 110, end: 150, attrs: toolAttrs("get_weather", `{"city":"Paris"}`)},
		{id: 4, parent: 1, name: "llm 2", start: 160, end: 260, attrs: merge(llmAttrs(1300, 60), priced(0.012))},
		{id: 5, parent: 1, name: "search", start: 270, end: 300, attrs: toolAttrs("search", `{"q":"Paris events"}`)},
		{id: 6, parent: 1, name: "llm 3", start: 310, end: 400, attrs: merge(llmAttrs(1700, 120), priced(0.015))},
	}
	if withIDs {
		spans[1].attrs["gen_ai.input.messages"] = "[" + question + "]"
		spans[1].attrs["gen_ai.output.messages"] = "[" + callA + "]"
		spans[2].attrs["gen_ai.tool.call.id"] = "call_a"
		spans[3].attrs["gen_ai.input.messages"] = "[" + question + "," + callA + "," + resultA + "]"
		spans[3].attrs["gen_ai.output.messages"] = "[" + callB + "]"
		spans[4].attrs["gen_ai.tool.call.id"] = "call_b"
		spans[5].attrs["gen_ai.input.messages"] = "[" + question + "," + callA + "," + resultA + "," + callB + "," + resultB + "]"
		spans[5].attrs["gen_ai.output.messages"] = answer
	}
	return spans
}

var reactChain = map[string]chain{
	"agent run":   {Step: -1, Depth: 0},
	"llm 1":       {Step: 0, Depth: 1},
	"get_weather": {Step: 1, Depth: 1, Follows: "llm 1", RequestedBy: "llm 1"},
	"llm 2":       {Step: 2, Depth: 1, Follows: "get_weather", Answers: "get_weather"},
	"search":      {Step: 3, Depth: 1, Follows: "llm 2", RequestedBy: "llm 2"},
	"llm 3":       {Step: 4, Depth: 1, Follows: "search", Answers: "search"},
}

func checkReactSummary(t *testing.T, root ptrace.Span) {
	t.Helper()
	got := summary(root)
	assert.InDelta(t, 0.037, got[canonical.AttrTraceCostUSD], 1e-12)
	delete(got, canonical.AttrTraceCostUSD)
	assert.Equal(t, map[string]any{
		canonical.AttrTraceSpanCount:     int64(6),
		canonical.AttrTraceLLMCalls:      int64(3),
		canonical.AttrTraceToolCalls:     int64(2),
		canonical.AttrTraceErrorCount:    int64(0),
		canonical.AttrTraceTokensInput:   int64(4000),
		canonical.AttrTraceTokensOutput:  int64(230),
		canonical.AttrTraceTokensTotal:   int64(4230),
		canonical.AttrTraceUnpricedSpans: int64(0),
		canonical.AttrTraceChainLength:   int64(5),
		canonical.AttrTraceStatus:        "ok",
		canonical.AttrTraceDurationNanos: int64(time.Second),
		canonical.AttrTraceFlags:         []any{},
	}, got)
}

func TestReActLoop(t *testing.T) {
	for _, withIDs := range []bool{true, false} {
		t.Run(fmt.Sprintf("tool_call_ids=%v", withIDs), func(t *testing.T) {
			p, sink := startProcessor(t, testConfig())
			consume(t, p, batch(1, "travel-agent", reactTrace(withIDs)...))
			assert.Zero(t, sink.SpanCount(), "finished spans are buffered until the trace completes")
			flush(t, p)
			assert.Equal(t, reactChain, chains(t, sink, 1))
			checkReactSummary(t, spanNamed(t, sink, 1, "agent run"))
		})
	}
}

// Two tool calls requested in one LLM output run in parallel; the next LLM
// call consumes both results, the ids tell which request each answers.
func TestParallelToolCalls(t *testing.T) {
	out := `[{"role":"assistant","parts":[` +
		`{"type":"tool_call","id":"call_x","name":"lookup","arguments":{"k":"x"}},` +
		`{"type":"tool_call","id":"call_y","name":"lookup","arguments":{"k":"y"}}]}]`
	in := `[{"role":"tool","parts":[{"type":"tool_call_response","id":"call_x","response":"1"},` +
		`{"type":"tool_call_response","id":"call_y","response":"2"}]}]`
	p, sink := startProcessor(t, testConfig())
	consume(t, p, batch(2, "svc",
		sp{id: 1, name: "root", start: 0, end: 500, attrs: map[string]any{"gen_ai.operation.name": "invoke_workflow"}},
		sp{id: 2, parent: 1, name: "plan", start: 10, end: 50, attrs: merge(llmAttrs(100, 10), map[string]any{"gen_ai.output.messages": out})},
		sp{id: 3, parent: 1, name: "lookup y", start: 60, end: 90, attrs: merge(toolAttrs("lookup", `{"k":"y"}`), map[string]any{"gen_ai.tool.call.id": "call_y"})},
		sp{id: 4, parent: 1, name: "lookup x", start: 60, end: 120, attrs: merge(toolAttrs("lookup", `{"k":"x"}`), map[string]any{"gen_ai.tool.call.id": "call_x"})},
		sp{id: 5, parent: 1, name: "answer", start: 130, end: 200, attrs: merge(llmAttrs(150, 20), map[string]any{"gen_ai.input.messages": in})},
	))
	flush(t, p)
	assert.Equal(t, map[string]chain{
		"root":     {Step: -1, Depth: 0},
		"plan":     {Step: 0, Depth: 1},
		"lookup y": {Step: 1, Depth: 1, Follows: "plan", RequestedBy: "plan"},
		"lookup x": {Step: 2, Depth: 1, Follows: "lookup y", RequestedBy: "plan"},
		"answer":   {Step: 3, Depth: 1, Follows: "lookup x", Answers: "lookup y,lookup x"},
	}, chains(t, sink, 2))
}

// A planner agent hands off to a researcher agent; each agent's tool calls
// link to its own LLM calls, and the planner's later call consumes the
// handoff result, not the researcher's calls in between.
func TestMultiAgentHandoff(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	consume(t, p, batch(3, "crew",
		sp{id: 1, name: "workflow", start: 0, end: 700, attrs: map[string]any{"gen_ai.operation.name": "invoke_workflow", "session.id": "sess-crew"}},
		sp{id: 2, parent: 1, name: "planner", start: 5, end: 400, attrs: agentAttrs("planner")},
		sp{id: 3, parent: 2, name: "planner llm 1", start: 20, end: 60, attrs: llmAttrs(500, 40)},
		sp{id: 4, parent: 2, name: "transfer_to_researcher", start: 70, end: 80, attrs: toolAttrs("transfer_to_researcher", `{}`)},
		sp{id: 5, parent: 1, name: "researcher", start: 90, end: 600, attrs: agentAttrs("researcher")},
		sp{id: 6, parent: 5, name: "researcher llm 1", start: 100, end: 150, attrs: llmAttrs(700, 30)},
		sp{id: 7, parent: 5, name: "web_search", start: 160, end: 200, attrs: toolAttrs("web_search", `{"q":"agents"}`)},
		sp{id: 8, parent: 5, name: "researcher llm 2", start: 210, end: 260, attrs: llmAttrs(900, 80)},
		sp{id: 9, parent: 2, name: "planner llm 2", start: 300, end: 350, attrs: llmAttrs(800, 60)},
	))
	flush(t, p)
	assert.Equal(t, map[string]chain{
		"workflow":               {Step: -1, Depth: 0},
		"planner":                {Step: -1, Depth: 1},
		"researcher":             {Step: -1, Depth: 1},
		"planner llm 1":          {Step: 0, Depth: 2},
		"transfer_to_researcher": {Step: 1, Depth: 2, Follows: "planner llm 1", RequestedBy: "planner llm 1"},
		"researcher llm 1":       {Step: 2, Depth: 2, Follows: "transfer_to_researcher"},
		"web_search":             {Step: 3, Depth: 2, Follows: "researcher llm 1", RequestedBy: "researcher llm 1"},
		"researcher llm 2":       {Step: 4, Depth: 2, Follows: "web_search", Answers: "web_search"},
		"planner llm 2":          {Step: 5, Depth: 2, Follows: "researcher llm 2", Answers: "transfer_to_researcher"},
	}, chains(t, sink, 3))
	got := summary(spanNamed(t, sink, 3, "workflow"))
	assert.Equal(t, int64(9), got[canonical.AttrTraceSpanCount])
	assert.Equal(t, int64(4), got[canonical.AttrTraceLLMCalls])
	assert.Equal(t, int64(2), got[canonical.AttrTraceToolCalls])
	assert.Equal(t, int64(6), got[canonical.AttrTraceChainLength])
	assert.Equal(t, int64(2900+210), got[canonical.AttrTraceTokensTotal])
}

// The trace arrives in two batches from two services, the later steps (and
// the root) first; the second batch lands within the completion window, so
// the chain is the same as if it had come whole.
func TestTraceSplitAcrossBatchesOutOfOrder(t *testing.T) {
	cfg := testConfig()
	cfg.CompletionWindow = 400 * time.Millisecond
	p, sink := startProcessor(t, cfg)
	spans := reactTrace(true)
	consume(t, p, batch(4, "svc-b", spans[5], spans[4], spans[0]))
	consume(t, p, batch(4, "svc-a", spans[3], spans[1], spans[2]))
	assert.Zero(t, sink.SpanCount())
	require.Eventually(t, func() bool { return sink.SpanCount() == 6 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, reactChain, chains(t, sink, 4))
	checkReactSummary(t, spanNamed(t, sink, 4, "agent run"))
	// Resources stay with their spans.
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			svc, _ := rs.Resource().Attributes().Get("service.name")
			for j := 0; j < rs.ScopeSpans().At(0).Spans().Len(); j++ {
				name := rs.ScopeSpans().At(0).Spans().At(j).Name()
				want := "svc-a"
				if name == "llm 3" || name == "search" || name == "agent run" {
					want = "svc-b"
				}
				assert.Equal(t, want, svc.Str(), name)
			}
		}
	}
	p.mu.Lock()
	assert.Zero(t, p.buffered)
	p.mu.Unlock()
}

// The root's span-start event passes at once; its final version never comes
// in time, so the children are emitted after max_hold. Then a late tool
// call and the root's final version arrive and continue the chain.
func TestRootNeverEnds(t *testing.T) {
	cfg := testConfig()
	cfg.CompletionWindow = 50 * time.Millisecond
	cfg.MaxHold = 200 * time.Millisecond
	p, sink := startProcessor(t, cfg)
	rootAttrs := merge(agentAttrs("coder"), map[string]any{"session.id": "sess-long"})
	consume(t, p, batch(5, "svc", sp{id: 1, name: "agent run", start: 0, end: -1, attrs: rootAttrs}))
	require.Equal(t, 1, sink.SpanCount(), "running spans pass through at once")
	running := spanNamed(t, sink, 5, "agent run")
	assert.Equal(t, rootAttrs, running.Attributes().AsRaw(), "running spans pass through unchanged")

	consume(t, p, batch(5, "svc",
		sp{id: 2, parent: 1, name: "llm 1", start: 10, end: 100, attrs: llmAttrs(1000, 50)},
		sp{id: 3, parent: 1, name: "read_file", start: 110, end: 120, attrs: toolAttrs("read_file", `{"path":"a.go"}`)},
		sp{id: 4, parent: 1, name: "llm 2", start: 130, end: 200, attrs: llmAttrs(1400, 50)},
	))
	require.Eventually(t, func() bool { return sink.SpanCount() == 4 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]chain{
		"agent run": {Step: -1, Depth: -1}, // the running version, unchanged
		"llm 1":     {Step: 0, Depth: 1},
		"read_file": {Step: 1, Depth: 1, Follows: "llm 1", RequestedBy: "llm 1"},
		"llm 2":     {Step: 2, Depth: 1, Follows: "read_file", Answers: "read_file"},
	}, chains(t, sink, 5))

	// Late spans are annotated at once, relative to what was emitted.
	emitted := spanNames(sink, 5)
	sink.Reset()
	consume(t, p, batch(5, "svc",
		sp{id: 5, parent: 1, name: "write_file", start: 210, end: 230, attrs: toolAttrs("write_file", `{"path":"a.go"}`)},
		sp{id: 1, name: "agent run", start: 0, end: 5000, attrs: rootAttrs},
	))
	require.Equal(t, 2, sink.SpanCount(), "late spans pass at once")
	assert.Equal(t, map[string]chain{
		"agent run":  {Step: -1, Depth: 0},
		"write_file": {Step: 3, Depth: 1, Follows: "llm 2", RequestedBy: "llm 2"},
	}, chains(t, sink, 5, emitted))
	got := summary(spanNamed(t, sink, 5, "agent run"))
	assert.Equal(t, int64(5), got[canonical.AttrTraceSpanCount])
	assert.Equal(t, int64(4), got[canonical.AttrTraceChainLength])
	assert.Equal(t, int64(2), got[canonical.AttrTraceToolCalls])
	assert.Equal(t, int64(5*time.Second), got[canonical.AttrTraceDurationNanos])
	assert.Equal(t, "ok", got[canonical.AttrTraceStatus])
}

// A looping agent calls the same tool with the same arguments five times:
// every one of those calls and the root are flagged, nothing else is.
func TestLoopingAgentFlagged(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	spans := []sp{{id: 1, name: "agent run", start: 0, end: 2000, attrs: agentAttrs("looper")}}
	for i := 0; i < 5; i++ {
		spans = append(spans,
			sp{id: 10 + 2*i, parent: 1, name: fmt.Sprintf("llm %d", i), start: int64(100 * i), end: int64(100*i + 40), attrs: llmAttrs(1000, 20)},
			sp{id: 11 + 2*i, parent: 1, name: fmt.Sprintf("search %d", i), start: int64(100*i + 50), end: int64(100*i + 90), attrs: toolAttrs("search", `{"q": "same thing"}`)},
		)
	}
	// The same tool with other arguments is not part of the loop.
	spans = append(spans, sp{id: 30, parent: 1, name: "search other", start: 600, end: 650, attrs: toolAttrs("search", `{"q": "other"}`)})
	consume(t, p, batch(6, "svc", spans...))
	flush(t, p)
	got := chains(t, sink, 6)
	for _, name := range sortedKeys(got) {
		want := ""
		if name == "agent run" || (len(name) == 8 && name[:7] == "search ") {
			want = "loop"
		}
		assert.Equal(t, want, got[name].Flags, name)
	}
	assert.Equal(t, []any{"loop"}, summary(spanNamed(t, sink, 6, "agent run"))[canonical.AttrTraceFlags])
}

// A trace over its cost budget: the span whose cost crosses the budget and
// the root are flagged.
func TestTraceOverCostBudget(t *testing.T) {
	cfg := testConfig()
	cfg.Budget.TraceCostUSD = 0.10
	p, sink := startProcessor(t, cfg)
	spans := []sp{{id: 1, name: "agent run", start: 0, end: 1000, attrs: agentAttrs("spender")}}
	for i := 0; i < 4; i++ {
		spans = append(spans, sp{id: 2 + i, parent: 1, name: fmt.Sprintf("llm %d", i), start: int64(100 * i), end: int64(100*i + 90),
			attrs: merge(llmAttrs(1000, 100), priced(0.04))})
	}
	consume(t, p, batch(7, "svc", spans...))
	flush(t, p)
	got := chains(t, sink, 7)
	assert.Equal(t, "cost_budget", got["agent run"].Flags)
	assert.Equal(t, "", got["llm 0"].Flags)
	assert.Equal(t, "", got["llm 1"].Flags)
	assert.Equal(t, "cost_budget", got["llm 2"].Flags, "0.12 > 0.10: crosses here")
	assert.Equal(t, "", got["llm 3"].Flags)
	sum := summary(spanNamed(t, sink, 7, "agent run"))
	assert.InDelta(t, 0.16, sum[canonical.AttrTraceCostUSD], 1e-12)
	assert.Equal(t, []any{"cost_budget"}, sum[canonical.AttrTraceFlags])
}

// Session budgets add up across traces: the span that takes the session
// over its budget is flagged, and so is the first spending span of each
// later trace of that session.
func TestSessionBudgets(t *testing.T) {
	cfg := testConfig()
	cfg.Budget = BudgetConfig{SessionCostUSD: 0.15, SessionTokens: 5000}
	p, sink := startProcessor(t, cfg)
	for tr := 10; tr < 13; tr++ {
		consume(t, p, batch(tr, "svc",
			sp{id: 1, name: "turn", start: 0, end: 1000, attrs: merge(agentAttrs("chat"), map[string]any{"session.id": "sess-budget"})},
			sp{id: 2, parent: 1, name: "llm a", start: 10, end: 100, attrs: merge(llmAttrs(1000, 100), priced(0.04))},
			sp{id: 3, parent: 1, name: "llm b", start: 110, end: 200, attrs: merge(llmAttrs(1000, 100), priced(0.04))},
		))
	}
	// Another session is not affected.
	consume(t, p, batch(13, "svc",
		sp{id: 1, name: "turn", start: 0, end: 1000, attrs: merge(agentAttrs("chat"), map[string]any{"session.id": "sess-other"})},
		sp{id: 2, parent: 1, name: "llm a", start: 10, end: 100, attrs: merge(llmAttrs(1000, 100), priced(0.04))},
	))
	flush(t, p)
	// Flushed in deadline order (all equal: arrival order). Session spend:
	// trace 10: 0.04, 0.08 (2200 tokens); trace 11: 0.12, 0.16 > 0.15 at llm b
	// (4400 tokens); trace 12: llm a is over both budgets (6600 tokens).
	flags := func(tr int) map[string]string {
		out := map[string]string{}
		for name, c := range chains(t, sink, tr) {
			out[name] = c.Flags
		}
		return out
	}
	assert.Equal(t, map[string]string{"turn": "", "llm a": "", "llm b": ""}, flags(10))
	assert.Equal(t, map[string]string{"turn": "cost_budget", "llm a": "", "llm b": "cost_budget"}, flags(11))
	assert.Equal(t, map[string]string{"turn": "cost_budget,token_budget", "llm a": "cost_budget,token_budget", "llm b": ""}, flags(12))
	assert.Equal(t, map[string]string{"turn": "", "llm a": ""}, flags(13))
}

func TestTraceTokenBudget(t *testing.T) {
	cfg := testConfig()
	cfg.Budget = BudgetConfig{TraceTokens: 2500}
	p, sink := startProcessor(t, cfg)
	consume(t, p, batch(14, "svc",
		sp{id: 1, name: "root", start: 0, end: 1000, attrs: agentAttrs("a")},
		sp{id: 2, parent: 1, name: "llm a", start: 10, end: 100, attrs: llmAttrs(1000, 100)},
		sp{id: 3, parent: 1, name: "llm b", start: 110, end: 200, attrs: llmAttrs(1200, 100)},
		sp{id: 4, parent: 1, name: "llm c", start: 210, end: 300, attrs: llmAttrs(1300, 100)},
	))
	flush(t, p)
	got := chains(t, sink, 14)
	assert.Equal(t, "token_budget", got["root"].Flags)
	assert.Equal(t, "", got["llm a"].Flags)
	assert.Equal(t, "", got["llm b"].Flags)
	assert.Equal(t, "token_budget", got["llm c"].Flags)
}

// A failing tool retried three times (twice failing again) is an error
// cascade; one failure with one retry is not.
func TestErrorCascade(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	consume(t, p, batch(15, "svc",
		sp{id: 1, name: "root", start: 0, end: 2000, attrs: agentAttrs("a")},
		sp{id: 2, parent: 1, name: "fetch 1", start: 10, end: 20, failed: true, attrs: toolAttrs("fetch", `{"url":"u"}`)},
		sp{id: 3, parent: 1, name: "llm 1", start: 30, end: 40, attrs: llmAttrs(100, 10)},
		sp{id: 4, parent: 1, name: "fetch 2", start: 50, end: 60, failed: true, attrs: toolAttrs("fetch", `{"url":"u"}`)},
		sp{id: 5, parent: 1, name: "fetch 3", start: 70, end: 80, failed: true, attrs: toolAttrs("fetch", `{"url":"u2"}`)},
		sp{id: 6, parent: 1, name: "fetch 4", start: 90, end: 100, attrs: toolAttrs("fetch", `{"url":"u3"}`)},
		sp{id: 7, parent: 1, name: "fetch 5", start: 110, end: 120, attrs: toolAttrs("fetch", `{"url":"u4"}`)},
		sp{id: 8, parent: 1, name: "grep 1", start: 130, end: 140, failed: true, attrs: toolAttrs("grep", `{}`)},
		sp{id: 9, parent: 1, name: "grep 2", start: 150, end: 160, attrs: toolAttrs("grep", `{"x":1}`)},
	))
	flush(t, p)
	got := chains(t, sink, 15)
	want := map[string]string{
		"root": "error_cascade", "fetch 1": "error_cascade", "fetch 2": "error_cascade", "fetch 3": "error_cascade",
		"fetch 4": "error_cascade", "fetch 5": "", "llm 1": "", "grep 1": "", "grep 2": "",
	}
	for name, w := range want {
		assert.Equal(t, w, got[name].Flags, name)
	}
	assert.Equal(t, "error", summary(spanNamed(t, sink, 15, "root"))[canonical.AttrTraceStatus])
	assert.Equal(t, int64(4), summary(spanNamed(t, sink, 15, "root"))[canonical.AttrTraceErrorCount])
}

func TestContextGrowth(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	inputs := []int64{900, 1000, 1500, 2500, 3500, 4000, 800, 900, 1000, 1100, 1200}
	spans := []sp{{id: 1, name: "root", start: 0, end: 5000, attrs: agentAttrs("a")}}
	for i, in := range inputs {
		spans = append(spans, sp{id: 2 + i, parent: 1, name: fmt.Sprintf("llm %02d", i), start: int64(100 * i), end: int64(100*i + 50), attrs: llmAttrs(in, 10)})
	}
	consume(t, p, batch(16, "svc", spans...))
	flush(t, p)
	got := chains(t, sink, 16)
	// 1000→4000 over five growing calls is 4× (flagged); 900→3500 over the
	// first five is 3.9× as well; 800→1200 grows only 1.5×.
	want := map[string]string{"root": "context_growth"}
	for i := range inputs {
		name := fmt.Sprintf("llm %02d", i)
		want[name] = ""
		if i <= 5 {
			want[name] = "context_growth"
		}
	}
	for name, w := range want {
		assert.Equal(t, w, got[name].Flags, name)
	}
}

// Flags already on a span (e.g. from an upstream collector) are kept.
func TestExistingFlagsMerged(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	consume(t, p, batch(17, "svc",
		sp{id: 1, name: "root", start: 0, end: 100, attrs: merge(llmAttrs(10, 10), map[string]any{canonical.AttrChainFlags: []any{"loop"}})},
	))
	flush(t, p)
	assert.Equal(t, map[string]chain{"root": {Step: 0, Depth: 0, Flags: "loop"}}, chains(t, sink, 17))
	assert.Equal(t, []any{"loop"}, summary(spanNamed(t, sink, 17, "root"))[canonical.AttrTraceFlags])
}

// Session records and spans without a trace id are forwarded at once, unchanged.
func TestPassThroughAtOnce(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	td := batch(18, "svc",
		sp{id: 1, name: "session start", start: 0, end: 0, attrs: map[string]any{canonical.AttrRecordKind: canonical.RecordKindSession, "session.id": "s"}},
		sp{id: 2, name: "llm running", start: 0, end: -1, attrs: merge(llmAttrs(1, 1), map[string]any{canonical.AttrSpanStatus: "running"})},
		sp{id: 3, name: "buffered", start: 0, end: 10, attrs: llmAttrs(1, 1)},
	)
	noTrace := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
	noTrace.SetName("no trace")
	want := ptrace.NewTraces()
	td.CopyTo(want)
	want.ResourceSpans().At(0).ScopeSpans().At(0).Spans().RemoveIf(func(s ptrace.Span) bool { return s.Name() == "buffered" })
	consume(t, p, td)
	require.Len(t, sink.AllTraces(), 1)
	assert.Equal(t, want, sink.AllTraces()[0])
	flush(t, p)
	assert.Equal(t, 4, sink.SpanCount())
}

// A flood of traces whose root never ends: buffered spans and traces stay
// within the limits, the overflow passes through unchanged and is counted,
// and nothing is lost.
func TestMemoryBoundedUnderFlood(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := testConfig()
	cfg.MaxTraces = 50
	cfg.MaxSpansPerTrace = 8
	cfg.MaxBufferedSpans = 300
	p, sink := startProcessor(t, cfg, tel.NewTelemetrySettings())

	const traces, perTrace = 2000, 10
	sent := 0
	for tr := 0; tr < traces; tr++ {
		spans := []sp{{id: 1, name: "root", start: 0, end: -1}} // running: passes
		for i := 2; i <= perTrace; i++ {
			spans = append(spans, sp{id: i, parent: 1, name: fmt.Sprintf("step %d", i), start: int64(i), end: int64(i + 1), attrs: llmAttrs(10, 10)})
		}
		consume(t, p, batch(1000+tr, "svc", spans...))
		sent += len(spans)
		bufSpans, bufTraces := p.bufferedCounts()
		require.LessOrEqual(t, bufSpans, int64(cfg.MaxBufferedSpans))
		require.LessOrEqual(t, bufTraces, int64(cfg.MaxTraces))
		require.Equal(t, sent, sink.SpanCount()+int(bufSpans), "every span is forwarded or buffered")
	}
	bufSpans, bufTraces := p.bufferedCounts()
	assert.Equal(t, int64(300), bufSpans)
	assert.Equal(t, int64(38), bufTraces, "37 full traces of 8 and one of 4")

	wantOverflow := int64(traces*(perTrace-1)) - 300
	m, err := tel.GetMetric("otelcol_processor_reasoningchain_overflow_spans")
	require.NoError(t, err)
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	assert.Equal(t, wantOverflow, total)
	gauge, err := tel.GetMetric("otelcol_processor_reasoningchain_buffered_spans")
	require.NoError(t, err)
	metricdatatest.AssertEqual(t, metricdata.Metrics{
		Name: "otelcol_processor_reasoningchain_buffered_spans", Description: "Spans currently buffered.", Unit: "{spans}",
		Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 300}}},
	}, gauge, metricdatatest.IgnoreTimestamp())

	flush(t, p)
	assert.Equal(t, sent, sink.SpanCount(), "shutdown flushes everything buffered")
}

// Overflow spans are forwarded exactly as they came.
func TestOverflowUnchanged(t *testing.T) {
	cfg := testConfig()
	cfg.MaxTraces = 1
	p, sink := startProcessor(t, cfg)
	consume(t, p, batch(19, "svc", sp{id: 2, parent: 1, name: "buffered", start: 0, end: 10, attrs: llmAttrs(1, 1)}))
	td := batch(20, "svc", sp{id: 2, parent: 1, name: "overflow", start: 0, end: 10, attrs: llmAttrs(1, 1)})
	want := ptrace.NewTraces()
	td.CopyTo(want)
	consume(t, p, td)
	require.Len(t, sink.AllTraces(), 1)
	assert.Equal(t, want, sink.AllTraces()[0])
}

func TestShutdownWithoutStart(t *testing.T) {
	p, err := newProcessor(processortest.NewNopSettings(componentType), testConfig(), nil)
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
	require.NoError(t, p.Shutdown(context.Background()))
	var nilP *chainProcessor
	require.NoError(t, nilP.Shutdown(context.Background()))
}

// A span sent twice (an SDK retry) is one step; both copies are forwarded,
// annotated alike.
func TestDuplicateSpan(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	spans := reactTrace(false)
	consume(t, p, batch(21, "svc", spans...), batch(21, "svc", spans[2]))
	flush(t, p)
	var copies []map[string]any
	forSpans(sink, 21, func(s ptrace.Span) {
		if s.Name() == "get_weather" {
			copies = append(copies, s.Attributes().AsRaw())
		}
	})
	require.Len(t, copies, 2)
	assert.Equal(t, copies[0], copies[1])
	assert.Equal(t, int64(1), copies[0][canonical.AttrChainStep])
	assert.Equal(t, int64(5), summary(spanNamed(t, sink, 21, "agent run"))[canonical.AttrTraceChainLength])
	assert.Equal(t, int64(6), summary(spanNamed(t, sink, 21, "agent run"))[canonical.AttrTraceSpanCount])
}

// What is still buffered at shutdown leaves in chunks too: one request of
// the whole buffer could exceed a byte-sized exporter queue and be refused.
func TestShutdownFlushInChunks(t *testing.T) {
	cfg := testConfig()
	cfg.CompletionWindow = time.Hour
	sink := new(consumertest.TracesSink)
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, sink)
	require.NoError(t, err)
	const traces = 400
	for tr := 1; tr <= traces; tr++ {
		consume(t, p, batch(tr, "travel-agent", reactTrace(true)...))
	}
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	assert.Zero(t, sink.SpanCount(), "nothing expires within the hour")
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, traces*len(reactTrace(true)), sink.SpanCount())
	require.Greater(t, len(sink.AllTraces()), 1)
	for _, td := range sink.AllTraces() {
		assert.Less(t, td.SpanCount(), emitChunkSpans+len(reactTrace(true)))
	}
}
