package canonical

import (
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// ToolCallIDs returns the tool-call ids an LLM span's output asked for
// (requested) and the ids whose results its input carried (answered), in
// every convention that records them: gen_ai.output/input.messages JSON
// (GenAI parts, OpenAI tool_calls / role "tool", Anthropic tool_use /
// tool_result, OpenAI Responses function_call / function_call_output),
// OpenInference's indexed llm.output/input_messages keys and raw
// input.value / output.value JSON, and OpenLLMetry's indexed
// gen_ai.completion / gen_ai.prompt keys. Ids are deduplicated; their order
// carries no meaning. It parses JSON, so callers use it only when a trace
// has tool calls to link.
func ToolCallIDs(attrs pcommon.Map) (requested, answered []string) {
	attrs.Range(func(k string, v pcommon.Value) bool {
		switch k {
		case GenAIOutputMessages, OIOutputValue, AttrResponse:
			requested = walkToolJSON(requested, v.AsString(), false)
		case GenAIInputMessages, OIInputValue, AttrPrompt:
			answered = walkToolJSON(answered, v.AsString(), true)
		default:
			switch {
			case strings.HasPrefix(k, OIOutputMessages) && strings.HasSuffix(k, OIToolCallIDSuffix),
				strings.HasPrefix(k, GenAICompletionPrefix) && strings.Contains(k, TLToolCallsInfix) && strings.HasSuffix(k, ".id"):
				requested = appendID(requested, v.AsString())
			case strings.HasPrefix(k, OIInputMessages) && strings.HasSuffix(k, OIToolResultIDSuffix),
				strings.HasPrefix(k, GenAIPromptPrefix) && strings.HasSuffix(k, TLToolResultIDSuffix):
				answered = appendID(answered, v.AsString())
			}
		}
		return true
	})
	return requested, answered
}

// walkToolJSON collects tool-call ids from a JSON document; text that is not
// JSON (plain prompts, truncated content) yields nothing.
func walkToolJSON(dst []string, s string, results bool) []string {
	s = strings.TrimSpace(s)
	if s == "" || (s[0] != '{' && s[0] != '[') {
		return dst
	}
	var doc any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return dst
	}
	return walkTool(dst, doc, results)
}

func walkTool(dst []string, node any, results bool) []string {
	switch n := node.(type) {
	case []any:
		for _, e := range n {
			dst = walkTool(dst, e, results)
		}
	case map[string]any:
		typ, _ := n["type"].(string)
		if results {
			switch typ {
			case "tool_call_response":
				dst = appendID(dst, str(n["id"]))
			case "tool_result":
				dst = appendID(dst, str(n["tool_use_id"]))
			case "function_call_output":
				dst = appendID(dst, str(n["call_id"]))
			}
			dst = appendID(dst, str(n["tool_call_id"]))
		} else {
			switch typ {
			case "tool_call", "tool_use", "function_call":
				dst = appendID(dst, first(str(n["call_id"]), str(n["id"])))
			}
			if calls, ok := n["tool_calls"].([]any); ok {
				for _, c := range calls {
					if m, ok := c.(map[string]any); ok {
						dst = appendID(dst, str(m["id"]))
					}
				}
			}
		}
		for _, v := range n {
			switch v.(type) {
			case []any, map[string]any:
				dst = walkTool(dst, v, results)
			}
		}
	}
	return dst
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func appendID(dst []string, id string) []string {
	if id == "" {
		return dst
	}
	for _, d := range dst {
		if d == id {
			return dst
		}
	}
	return append(dst, id)
}
