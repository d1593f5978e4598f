package reasoningchainprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// The same ReAct loop as recorded by OpenInference and by OpenLLMetry
// instrumentations gives the same chain: spans are classified through the
// canonical view.
func TestReActLoopOtherConventions(t *testing.T) {
	oiLLM := func(in, out int64, extra map[string]any) map[string]any {
		return merge(map[string]any{
			"openinference.span.kind":    "LLM",
			"llm.model_name":             "gpt-4o-mini",
			"llm.provider":               "openai",
			"llm.token_count.prompt":     in,
			"llm.token_count.completion": out,
		}, extra)
	}
	oiTool := func(name, args, id string) map[string]any {
		return map[string]any{"openinference.span.kind": "TOOL", "tool.name": name, "tool.parameters": args, "tool.id": id}
	}
	tlLLM := func(in, out int64, extra map[string]any) map[string]any {
		return merge(map[string]any{
			"llm.request.type":                            "chat",
			"gen_ai.system":                               "openai",
			"gen_ai.request.model":                        "gpt-4o-mini",
			"gen_ai.usage.prompt_tokens":                  in,
			"gen_ai.usage.completion_tokens":              out,
			"traceloop.association.properties.session_id": "tl-session",
		}, extra)
	}
	tlTool := func(name, args string) map[string]any {
		return map[string]any{"traceloop.span.kind": "tool", "traceloop.entity.name": name, "traceloop.entity.input": args}
	}
	conventions := map[string][]sp{
		"openinference": {
			{id: 1, name: "agent run", start: 0, end: 1000, attrs: map[string]any{"openinference.span.kind": "AGENT", "agent.name": "travel"}},
			{id: 2, parent: 1, name: "llm 1", start: 10, end: 100, attrs: oiLLM(1000, 50, map[string]any{
				"llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_a"})},
			{id: 3, parent: 1, name: "get_weather", start: 110, end: 150, attrs: oiTool("get_weather", `{"city":"Paris"}`, "call_a")},
			{id: 4, parent: 1, name: "llm 2", start: 160, end: 260, attrs: oiLLM(1300, 60, map[string]any{
				"llm.input_messages.2.message.tool_call_id":               "call_a",
				"llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_b"})},
			{id: 5, parent: 1, name: "search", start: 270, end: 300, attrs: oiTool("search", `{"q":"Paris events"}`, "call_b")},
			{id: 6, parent: 1, name: "llm 3", start: 310, end: 400, attrs: oiLLM(1700, 120, map[string]any{
				"llm.input_messages.2.message.tool_call_id": "call_a",
				"llm.input_messages.4.message.tool_call_id": "call_b"})},
		},
		"openllmetry": {
			{id: 1, name: "agent run", start: 0, end: 1000, attrs: map[string]any{"traceloop.span.kind": "agent", "traceloop.entity.name": "travel"}},
			{id: 2, parent: 1, name: "llm 1", start: 10, end: 100, attrs: tlLLM(1000, 50, map[string]any{"gen_ai.completion.0.tool_calls.0.id": "call_a"})},
			{id: 3, parent: 1, name: "get_weather", start: 110, end: 150, attrs: tlTool("get_weather", `{"city":"Paris"}`)},
			{id: 4, parent: 1, name: "llm 2", start: 160, end: 260, attrs: tlLLM(1300, 60, map[string]any{"gen_ai.prompt.2.tool_call_id": "call_a"})},
			{id: 5, parent: 1, name: "search", start: 270, end: 300, attrs: tlTool("search", `{"q":"Paris events"}`)},
			{id: 6, parent: 1, name: "llm 3", start: 310, end: 400, attrs: tlLLM(1700, 120, nil)},
		},
	}
	for i, name := range sortedKeys(conventions) {
		t.Run(name, func(t *testing.T) {
			p, sink := startProcessor(t, testConfig())
			consume(t, p, batch(40+i, "svc", conventions[name]...))
			flush(t, p)
			assert.Equal(t, reactChain, chains(t, sink, 40+i))
			got := summary(spanNamed(t, sink, 40+i, "agent run"))
			assert.Equal(t, int64(3), got[canonical.AttrTraceLLMCalls])
			assert.Equal(t, int64(2), got[canonical.AttrTraceToolCalls])
			assert.Equal(t, int64(4230), got[canonical.AttrTraceTokensTotal])
		})
	}
}

// A late tool call that completes a loop is flagged itself; the calls of
// the loop already emitted cannot be changed any more.
func TestLateSpanCompletesLoop(t *testing.T) {
	p, sink := startProcessor(t, testConfig())
	consume(t, p, batch(50, "svc",
		sp{id: 1, name: "root", start: 0, end: 1000, attrs: agentAttrs("a")},
		sp{id: 2, parent: 1, name: "ls 1", start: 10, end: 20, attrs: toolAttrs("ls", `{"dir":"."}`)},
		sp{id: 3, parent: 1, name: "ls 2", start: 30, end: 40, attrs: toolAttrs("ls", `{"dir":"."}`)},
	))
	p.mu.Lock()
	p.flushAllLocked(t)
	p.mu.Unlock()
	emitted := spanNames(sink, 50)
	sink.Reset()
	consume(t, p, batch(50, "svc", sp{id: 4, parent: 1, name: "ls 3", start: 50, end: 60, attrs: toolAttrs("ls", `{"dir":"."}`)}))
	assert.Equal(t, map[string]chain{
		"ls 3": {Step: 2, Depth: 1, Follows: "ls 2", Flags: "loop"},
	}, chains(t, sink, 50, emitted))
}

// flushAllLocked emits every buffered trace now, as the ticker would once
// their deadlines passed.
func (p *chainProcessor) flushAllLocked(t *testing.T) {
	t.Helper()
	out, _ := p.collect(func(*traceBuffer) bool { return true }, reasonComplete)
	if err := p.next.ConsumeTraces(context.Background(), out); err != nil {
		t.Fatal(err)
	}
}
