package canonical

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func spanWith(t *testing.T, attrs map[string]any) (ptrace.Span, pcommon.Resource) {
	t.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(ServiceName, "svc")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	sp.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	sp.SetName("op")
	sp.SetStartTimestamp(1_700_000_000_000_000_000)
	sp.SetEndTimestamp(1_700_000_001_000_000_000)
	require.NoError(t, sp.Attributes().FromRaw(attrs))
	return sp, rs.Resource()
}

// want lists the fields a convention's attribute set must produce.
type want struct {
	typ                           SpanType
	model, provider               string
	session, user, agent          string
	tool, toolCallID, toolIn, out string
	prompt, response              string
	tokens                        Tokens
	reported                      float64
}

// TestReadConventions reads real attribute sets, as instrumentations of each
// convention emit them, into the canonical view.
func TestReadConventions(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  want
	}{
		{
			name: "OTel GenAI current names (chat)",
			attrs: map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
				"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
				"gen_ai.usage.input_tokens": 1200, "gen_ai.usage.cache_read.input_tokens": 1000,
				"gen_ai.usage.output_tokens": 300, "gen_ai.conversation.id": "conv-1",
				"gen_ai.agent.name": "planner", "gen_ai.request.temperature": 0.2,
				"gen_ai.response.finish_reasons": []any{"stop"},
				"gen_ai.input.messages":          `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
				"gen_ai.output.messages":         `[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]`,
				"gen_ai.usage.cost":              0.0042,
			},
			want: want{typ: TypeLLMCall, model: "gpt-4o-2024-08-06", provider: "openai", session: "conv-1", agent: "planner",
				prompt:   `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
				response: `[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]`,
				tokens:   Tokens{Input: 200, CacheRead: 1000, Output: 300, Present: true}, reported: 0.0042},
		},
		{
			name: "OTel GenAI deprecated aliases (gen_ai.system, prompt_tokens, indexed prompts)",
			attrs: map[string]any{
				"gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-3-5-sonnet-20241022",
				"gen_ai.usage.prompt_tokens": 50, "gen_ai.usage.completion_tokens": 20,
				"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "What is 2+2?",
				"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "4",
			},
			want: want{typ: TypeLLMCall, model: "claude-3-5-sonnet-20241022", provider: "anthropic",
				prompt: "What is 2+2?", response: "4", tokens: Tokens{Input: 50, Output: 20, Present: true}},
		},
		{
			name: "OTel GenAI execute_tool",
			attrs: map[string]any{
				"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "web_search",
				"gen_ai.tool.call.id": "call_abc", "gen_ai.tool.call.arguments": `{"q":"otel"}`,
				"gen_ai.tool.call.result": `["a","b"]`,
			},
			want: want{typ: TypeToolExecution, tool: "web_search", toolCallID: "call_abc", toolIn: `{"q":"otel"}`, out: `["a","b"]`},
		},
		{
			name:  "OTel GenAI invoke_agent, embeddings, memory",
			attrs: map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "researcher"},
			want:  want{typ: TypeAgent, agent: "researcher"},
		},
		{
			name:  "OTel GenAI search_memory",
			attrs: map[string]any{"gen_ai.operation.name": "search_memory"},
			want:  want{typ: TypeMemoryRetrieval},
		},
		{
			name: "OpenInference LLM (openai client via arize instrumentation)",
			attrs: map[string]any{
				"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.system": "openai",
				"llm.model_name": "gpt-4o-mini-2024-07-18", "llm.token_count.prompt": 2000,
				"llm.token_count.prompt_details.cache_read": 1024, "llm.token_count.completion": 150,
				"llm.token_count.completion_details.reasoning": 0, "session.id": "s-9", "user.id": "u-1",
				"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "Summarize",
				"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "Done",
				"llm.cost.total": 0.00031,
			},
			want: want{typ: TypeLLMCall, model: "gpt-4o-mini-2024-07-18", provider: "openai", session: "s-9", user: "u-1",
				prompt: "Summarize", response: "Done", tokens: Tokens{Input: 976, CacheRead: 1024, Output: 150, Present: true},
				reported: 0.00031},
		},
		{
			name: "OpenInference TOOL, CHAIN, RETRIEVER, AGENT",
			attrs: map[string]any{
				"openinference.span.kind": "TOOL", "tool.name": "calculator", "tool.parameters": `{"x":1}`,
				"input.value": `{"x":1}`, "output.value": "2",
			},
			want: want{typ: TypeToolExecution, tool: "calculator", toolIn: `{"x":1}`, out: "2", prompt: `{"x":1}`, response: "2"},
		},
		{
			name:  "OpenInference RETRIEVER",
			attrs: map[string]any{"openinference.span.kind": "RETRIEVER", "input.value": "query"},
			want:  want{typ: TypeRetrieval, prompt: "query"},
		},
		{
			name:  "OpenInference AGENT",
			attrs: map[string]any{"openinference.span.kind": "AGENT", "agent.name": "supervisor"},
			want:  want{typ: TypeAgent, agent: "supervisor"},
		},
		{
			name: "OpenLLMetry LLM (traceloop openai instrumentation)",
			attrs: map[string]any{
				"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1",
				"gen_ai.response.model": "gpt-4.1-2025-04-14", "gen_ai.usage.prompt_tokens": 500,
				"gen_ai.usage.completion_tokens": 80, "gen_ai.usage.cache_read_input_tokens": 100,
				"llm.usage.total_tokens": 580, "traceloop.association.properties.session_id": "tl-sess",
				"traceloop.association.properties.user_id": "tl-user",
				"gen_ai.prompt.0.content":                  "plan the trip", "gen_ai.completion.0.content": "ok",
			},
			want: want{typ: TypeLLMCall, model: "gpt-4.1-2025-04-14", provider: "openai", session: "tl-sess", user: "tl-user",
				prompt: "plan the trip", response: "ok", tokens: Tokens{Input: 400, CacheRead: 100, Output: 80, Present: true}},
		},
		{
			name: "OpenLLMetry workflow and tool entities",
			attrs: map[string]any{
				"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather",
				"traceloop.entity.input": `{"city":"Oslo"}`, "traceloop.entity.output": `{"temp":3}`,
			},
			want: want{typ: TypeToolExecution, tool: "get_weather", toolIn: `{"city":"Oslo"}`, out: `{"temp":3}`,
				prompt: `{"city":"Oslo"}`, response: `{"temp":3}`},
		},
		{
			name:  "OpenLLMetry workflow",
			attrs: map[string]any{"traceloop.span.kind": "workflow", "traceloop.entity.name": "trip_planner"},
			want:  want{typ: TypeTask},
		},
		{
			name: "AgentTrace native attributes win over conventions",
			attrs: map[string]any{
				AttrSpanType: "reasoning", "gen_ai.operation.name": "chat", AttrSessionID: "native-s",
				"gen_ai.conversation.id": "other", AttrPrompt: "think", "gen_ai.input.messages": "[]",
			},
			want: want{typ: TypeReasoning, session: "native-s", prompt: "think"},
		},
		{
			name:  "no convention: model implies an LLM call",
			attrs: map[string]any{"gen_ai.request.model": "mistral-large-latest"},
			want:  want{typ: TypeLLMCall, model: "mistral-large-latest"},
		},
		{
			name:  "nothing known: custom",
			attrs: map[string]any{"http.method": "GET"},
			want:  want{typ: TypeCustom},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, res := spanWith(t, tc.attrs)
			var got Span
			Read(&got, sp, res)
			w := tc.want
			assert.Equal(t, w.typ, got.Type, "type")
			assert.Equal(t, w.model, got.Model, "model")
			assert.Equal(t, w.provider, got.Provider, "provider")
			assert.Equal(t, w.session, got.SessionID, "session")
			assert.Equal(t, w.user, got.UserID, "user")
			assert.Equal(t, w.agent, got.AgentName, "agent")
			assert.Equal(t, w.tool, got.ToolName, "tool")
			assert.Equal(t, w.toolCallID, got.ToolCallID, "tool call id")
			assert.Equal(t, w.toolIn, got.ToolInput, "tool input")
			assert.Equal(t, w.out, got.ToolOutput, "tool output")
			assert.Equal(t, w.prompt, got.Prompt, "prompt")
			assert.Equal(t, w.response, got.Response, "response")
			assert.Equal(t, w.tokens, got.Tokens, "tokens")
			if w.reported != 0 {
				require.NotNil(t, got.ReportedCost)
				assert.InDelta(t, w.reported, *got.ReportedCost, 1e-12)
			} else {
				assert.Nil(t, got.ReportedCost)
			}
			assert.Equal(t, "svc", got.ServiceName)
			assert.Equal(t, StatusOK, got.Status)
			assert.Equal(t, "0102030405060708090a0b0c0d0e0f10", got.TraceID)
		})
	}
}

func TestReadStatus(t *testing.T) {
	sp, res := spanWith(t, map[string]any{})
	var got Span
	sp.Status().SetCode(ptrace.StatusCodeError)
	Read(&got, sp, res)
	assert.Equal(t, StatusError, got.Status)

	sp, res = spanWith(t, map[string]any{})
	sp.SetEndTimestamp(0)
	Read(&got, sp, res)
	assert.Equal(t, StatusRunning, got.Status)
	assert.Zero(t, got.DurationNanos())

	sp, res = spanWith(t, map[string]any{AttrSpanStatus: "timeout"})
	Read(&got, sp, res)
	assert.Equal(t, StatusTimeout, got.Status)
	assert.True(t, got.Status.IsFailure())
}

func TestParseIDs(t *testing.T) {
	id, err := ParseTraceID("123e4567-e89b-12d3-a456-426614174000")
	require.NoError(t, err)
	assert.Equal(t, "123e4567e89b12d3a456426614174000", id.String())
	for _, bad := range []string{"", "xyz", "00000000000000000000000000000000", "123e4567e89b12d3a45642661417400g"} {
		_, err := ParseTraceID(bad)
		assert.Error(t, err, bad)
	}
	_, err = ParseSpanID("0000000000000000")
	assert.Error(t, err)
	_, err = ParseSpanID("00000000000000a1")
	assert.NoError(t, err)
}

func BenchmarkRead(b *testing.B) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	_ = sp.Attributes().FromRaw(map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300, "gen_ai.conversation.id": "c",
		"gen_ai.input.messages": "[]", "http.url": "x", "server.address": "api.openai.com",
	})
	var s Span
	b.ReportAllocs()
	for b.Loop() {
		Read(&s, sp, rs.Resource())
	}
}
