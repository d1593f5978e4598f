package canonical

import (
	"sort"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestToolCallIDs(t *testing.T) {
	tests := []struct {
		name                string
		attrs               map[string]any
		requested, answered []string
	}{
		{name: "none", attrs: map[string]any{GenAIOutputMessages: "plain text, not JSON", GenAIInputMessages: "[truncated"}},
		{
			name: "otel genai parts",
			attrs: map[string]any{
				GenAIOutputMessages: `[{"role":"assistant","parts":[{"type":"text","content":"let me check"},{"type":"tool_call","id":"c1","name":"f"},{"type":"tool_call","id":"c2","name":"g"}]}]`,
				GenAIInputMessages: `[{"role":"assistant","parts":[{"type":"tool_call","id":"c0","name":"f"}]},` +
					`{"role":"tool","parts":[{"type":"tool_call_response","id":"c0","response":"ok"}]}]`,
			},
			requested: []string{"c1", "c2"}, answered: []string{"c0"},
		},
		{
			name: "openai and anthropic raw json",
			attrs: map[string]any{
				OIOutputValue: `{"choices":[{"message":{"role":"assistant","tool_calls":[{"id":"call_9","type":"function","function":{"name":"f"}}]}}],` +
					`"content":[{"type":"tool_use","id":"toolu_1","name":"g","input":{}}]}`,
				OIInputValue: `{"messages":[{"role":"tool","tool_call_id":"call_8","content":"x"},` +
					`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_0","content":"y"}]},` +
					`{"type":"function_call_output","call_id":"fc_7","output":"z"}]}`,
			},
			requested: []string{"call_9", "toolu_1"}, answered: []string{"call_8", "fc_7", "toolu_0"},
		},
		{
			name: "openinference indexed",
			attrs: map[string]any{
				"llm.output_messages.0.message.tool_calls.0.tool_call.id":            "oi_1",
				"llm.output_messages.0.message.tool_calls.1.tool_call.id":            "oi_2",
				"llm.output_messages.0.message.tool_calls.1.tool_call.function.name": "f",
				"llm.input_messages.2.message.tool_call_id":                          "oi_0",
			},
			requested: []string{"oi_1", "oi_2"}, answered: []string{"oi_0"},
		},
		{
			name: "openllmetry indexed",
			attrs: map[string]any{
				"gen_ai.completion.0.tool_calls.0.id":   "tl_1",
				"gen_ai.completion.0.tool_calls.0.name": "f",
				"gen_ai.prompt.3.tool_call_id":          "tl_0",
				"gen_ai.prompt.3.content":               "result",
			},
			requested: []string{"tl_1"}, answered: []string{"tl_0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			if err := m.FromRaw(tt.attrs); err != nil {
				t.Fatal(err)
			}
			req, ans := ToolCallIDs(m)
			sort.Strings(req)
			sort.Strings(ans)
			if !equal(req, tt.requested) || !equal(ans, tt.answered) {
				t.Fatalf("got requested %q answered %q, want %q %q", req, ans, tt.requested, tt.answered)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
