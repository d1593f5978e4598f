package storagetest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/storage"
)

// contentCase is one span of testContentStoredOnce: its attributes, the
// content attributes FromTraces leaves out of the attribute JSON (their text
// is in a canonical column) and those it must keep.
type contentCase struct {
	name    string
	attrs   map[string]any
	omitted []string
	kept    []string
}

func contentCases() []contentCase {
	prompt := strings.Repeat("Summarize the quarterly report <b>for</b> the board & \"the team\". ", 32) // 2 KB
	answer := "Revenue grew 12%.\nCosts fell — 日本 🚀"
	msgs := func(role, text string) string {
		b, _ := json.Marshal([]any{map[string]any{"role": role, "parts": []any{map[string]any{"type": "text", "content": text}}}})
		return string(b)
	}
	return []contentCase{
		{"otel-genai-chat", map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
			"gen_ai.system_instructions": `[{"type":"text","content":"be brief"}]`,
			"gen_ai.input.messages":      msgs("user", prompt), "gen_ai.output.messages": msgs("assistant", answer),
			"gen_ai.usage.input_tokens": int64(512), "gen_ai.usage.output_tokens": int64(20),
		}, []string{"gen_ai.input.messages", "gen_ai.output.messages"}, []string{"gen_ai.system_instructions"}},
		{"otel-genai-tool", map[string]any{
			"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", "gen_ai.tool.call.id": "call_1",
			"gen_ai.tool.call.arguments": `{"q":"weather in Paris"}`, "gen_ai.tool.call.result": "sunny, 21°C",
		}, []string{"gen_ai.tool.call.arguments", "gen_ai.tool.call.result"}, nil},
		{"openinference-llm", map[string]any{
			"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "llm.provider": "openai",
			"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": prompt,
			"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": answer,
			"input.value": `{"messages":[{"role":"user"}]}`, "input.mime_type": "application/json", "output.value": `{"choices":[]}`,
		}, []string{"llm.input_messages.0.message.content", "llm.output_messages.0.message.content"},
			[]string{"input.value", "output.value", "llm.input_messages.0.message.role"}},
		{"openinference-chain", map[string]any{
			"openinference.span.kind": "CHAIN", "input.value": prompt, "output.value": answer,
		}, []string{"input.value", "output.value"}, nil},
		{"openinference-tool", map[string]any{
			"openinference.span.kind": "TOOL", "tool.name": "calculator", "tool.parameters": `{"expr":"2+2"}`,
			"input.value": `{"expr":"2+2"}`, "output.value": "4",
		}, []string{"tool.parameters", "input.value", "output.value"}, nil},
		{"openllmetry-llm", map[string]any{
			"llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-sonnet-4",
			"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": prompt,
			"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": answer,
			"gen_ai.completion.0.finish_reason": "stop",
		}, []string{"gen_ai.prompt.0.content", "gen_ai.completion.0.content"},
			[]string{"gen_ai.prompt.0.role", "gen_ai.completion.0.finish_reason"}},
		{"openllmetry-workflow", map[string]any{
			"traceloop.span.kind": "workflow", "traceloop.entity.name": "plan",
			"traceloop.entity.input": `{"inputs":{"goal":"ship"}}`, "traceloop.entity.output": `{"outputs":"done"}`,
		}, []string{"traceloop.entity.input", "traceloop.entity.output"}, nil},
		{"near-miss", map[string]any{
			"agenttrace.prompt": prompt, "gen_ai.prompt.0.content": prompt + " ", // one space more than the column
			"gen_ai.completion.0.content": "first", "gen_ai.completion.1.content": "second", // the column joins them
		}, []string{"agenttrace.prompt"},
			[]string{"gen_ai.prompt.0.content", "gen_ai.completion.0.content", "gen_ai.completion.1.content"}},
		{"not-a-string", map[string]any{
			"openinference.span.kind": "CHAIN", "input.value": int64(42), "output.value": true, // columns "42", "true"
			"llm.prompts": []any{"one prompt"}, "gen_ai.prompt.0.content": map[string]any{"text": "x"},
		}, nil, []string{"input.value", "output.value", "llm.prompts", "gen_ai.prompt.0.content"}},
	}
}

// testContentStoredOnce writes spans through storage.FromTraces whose
// content attributes repeat their canonical columns in every supported
// convention, and checks that every read path returns exactly the
// attributes that were sent (the ones stored only in their column are put
// back), with near misses and non-string values kept as they were.
func testContentStoredOnce(t *testing.T, s storage.Store) {
	cases := contentCases()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "content")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := at(tue, 9, 0, 0, 0)
	want := map[string]string{} // span id -> attributes as sent
	for i, tc := range cases {
		sp := spans.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID{0xc0, 0x17})
		sp.SetSpanID(pcommon.SpanID{0xc0, byte(i + 1)})
		sp.SetName(tc.name)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(ms(i))))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(ms(i + 1))))
		require.NoError(t, sp.Attributes().FromRaw(tc.attrs))
		raw, err := json.Marshal(sp.Attributes().AsRaw())
		require.NoError(t, err)
		want[spanIDOf(sp)] = string(raw)
	}
	b := storage.FromTraces(td)
	require.Len(t, b.Spans, len(cases))
	sent := map[string]storage.Span{}
	for i, tc := range cases {
		sp := b.Spans[i]
		sent[sp.SpanID] = sp
		var stored map[string]any
		require.NoErrorf(t, json.Unmarshal([]byte(sp.Attributes), &stored), "%s: attributes JSON", tc.name)
		for _, k := range tc.omitted {
			assert.NotContainsf(t, stored, k, "%s: %s is in its column, not in the JSON", tc.name, k)
			assert.Containsf(t, sp.ContentRefs, k+"=", "%s: ContentRefs names %s", tc.name, k)
		}
		for _, k := range tc.kept {
			assert.Containsf(t, stored, k, "%s: %s stays in the JSON", tc.name, k)
		}
		if len(tc.omitted) == 0 {
			assert.Emptyf(t, sp.ContentRefs, "%s: ContentRefs", tc.name)
		}
	}
	write(t, s, b)

	check := func(how string, got storage.Span) {
		t.Helper()
		w := sent[got.SpanID]
		what := how + " " + got.Name
		assertJSONEqual(t, want[got.SpanID], got.Attributes, what+" Attributes")
		assert.Emptyf(t, got.ContentRefs, "%s: ContentRefs after a read", what)
		assert.Equalf(t, [4]string{w.Prompt, w.Response, w.ToolInput, w.ToolOutput},
			[4]string{got.Prompt, got.Response, got.ToolInput, got.ToolOutput}, "%s: content columns", what)
	}
	for id := range want {
		got, err := s.GetSpan(t.Context(), storage.AllProjects(), b.Spans[0].TraceID, id)
		require.NoError(t, err, "GetSpan")
		check("GetSpan", got)
	}
	all, err := s.TraceSpans(t.Context(), storage.AllProjects(), b.Spans[0].TraceID)
	require.NoError(t, err, "TraceSpans")
	require.Len(t, all, len(cases))
	for _, got := range all {
		check("TraceSpans", got)
	}
	for _, got := range querySpans(t, s, storage.SpanQuery{TraceID: b.Spans[0].TraceID}) {
		check("QuerySpans", got)
	}
	for _, got := range querySpans(t, s, storage.SpanQuery{AfterSeq: 0, Limit: 100}) {
		check("QuerySpans by seq", got)
	}

	// Text search still finds what the columns hold.
	got := listTraces(t, s, storage.TraceQuery{Text: "quarterly report"})
	assert.Equal(t, []string{b.Spans[0].TraceID}, got, "text search in prompts")
	got = listTraces(t, s, storage.TraceQuery{Text: "sunny, 21"})
	assert.Equal(t, []string{b.Spans[0].TraceID}, got, "text search in tool output")
}

func spanIDOf(sp ptrace.Span) string {
	id := sp.SpanID()
	const hex = "0123456789abcdef"
	out := make([]byte, 16)
	for i, c := range id {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&0xf]
	}
	return string(out)
}
