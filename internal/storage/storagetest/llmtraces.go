package storagetest

import (
	"encoding/binary"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// LLMTraces builds realistic agent traces for benchmarks: each trace is an
// agent span, four LLM calls and two tool calls (7 spans). An LLM call
// carries its prompt (promptBytes long) and its completion in OpenLLMetry
// style indexed attributes (gen_ai.prompt.0.content,
// gen_ai.completion.0.content) beside the usual model, token and session
// attributes; a tool call carries its arguments and result. Trace ids
// start at first+1, so consecutive calls with first advanced by traces
// produce distinct traces.
func LLMTraces(first, traces, promptBytes int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr(canonical.ServiceName, "research-agent")
	res.PutStr(canonical.HostName, "worker-7")
	res.PutStr(canonical.TelemetrySDKVersion, "1.30.0")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai")
	prompt := strings.Repeat("You are a helpful research agent. ", promptBytes/34+1)[:promptBytes]
	completion := strings.Repeat("The answer, with sources, is as follows. ", 12)
	start := int64(1_741_075_200_000_000_000)
	for t := range traces {
		var tid [16]byte
		binary.BigEndian.PutUint64(tid[8:], uint64(first+t+1))
		base := start + int64(first+t)*1_000_000_000
		for i := range 7 {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(tid)
			sp.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, byte(i + 1)})
			if i > 0 {
				sp.SetParentSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 1})
			}
			sp.SetStartTimestamp(pcommon.Timestamp(base + int64(i)*1_000_000))
			sp.SetEndTimestamp(pcommon.Timestamp(base + int64(i)*1_000_000 + 900_000))
			a := sp.Attributes()
			a.PutStr(canonical.AttrSessionID, "session-42")
			switch {
			case i == 0:
				sp.SetName("invoke_agent researcher")
				a.PutStr(canonical.AttrSpanType, string(canonical.TypeAgent))
				a.PutStr(canonical.GenAIAgentName, "researcher")
			case i == 3 || i == 5:
				sp.SetName("execute_tool web_search")
				a.PutStr(canonical.AttrSpanType, string(canonical.TypeToolExecution))
				a.PutStr(canonical.GenAIToolName, "web_search")
				a.PutStr(canonical.GenAIToolCallID, "call_8f2a61c0")
				a.PutStr(canonical.GenAIToolCallArguments, `{"query":"recent results on retrieval augmented generation","max_results":5}`)
				a.PutStr(canonical.GenAIToolCallResult, strings.Repeat(`{"title":"A result","url":"https://example.com/a"},`, 8))
			default:
				sp.SetName("chat gpt-4o")
				a.PutStr(canonical.AttrSpanType, string(canonical.TypeLLMCall))
				a.PutStr(canonical.GenAIOperationName, "chat")
				a.PutStr(canonical.GenAISystem, "openai")
				a.PutStr(canonical.GenAIRequestModel, "gpt-4o")
				a.PutStr(canonical.GenAIResponseModel, "gpt-4o-2024-08-06")
				a.PutDouble(canonical.GenAIRequestTemperature, 0.2)
				a.PutInt(canonical.GenAIRequestMaxTokens, 1024)
				a.PutInt(canonical.GenAIInputTokens, int64(promptBytes/4))
				a.PutInt(canonical.GenAIOutputTokens, int64(len(completion)/4))
				a.PutStr(canonical.GenAIPromptPrefix+"0.role", "user")
				a.PutStr(canonical.GenAIPromptPrefix+"0.content", prompt)
				a.PutStr(canonical.GenAICompletionPrefix+"0.role", "assistant")
				a.PutStr(canonical.GenAICompletionPrefix+"0.content", completion)
				a.PutStr(canonical.GenAICompletionPrefix+"0.finish_reason", "stop")
			}
		}
	}
	return td
}
