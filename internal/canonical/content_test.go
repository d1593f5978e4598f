package canonical

import "testing"

// TestContentKeys pins which attributes are content in every convention the
// view reads, and which neighbours (tokens, cost, model, tool name, ids,
// roles) are not.
func TestContentKeys(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		// Native.
		{"agenttrace.prompt", true},
		{"agenttrace.response", true},
		{"agenttrace.prompt.truncated", false},
		{"agenttrace.prompt.original_bytes", false},
		{"agenttrace.tokens.input", false},
		{"agenttrace.cost.total_usd", false},
		{"agenttrace.span.type", false},
		// OTel GenAI, current.
		{"gen_ai.input.messages", true},
		{"gen_ai.output.messages", true},
		{"gen_ai.system_instructions", true},
		{"gen_ai.tool.call.arguments", true},
		{"gen_ai.tool.call.result", true},
		{"gen_ai.tool.name", false},
		{"gen_ai.tool.call.id", false},
		{"gen_ai.request.model", false},
		{"gen_ai.usage.input_tokens", false},
		{"gen_ai.usage.prompt_tokens", false},
		{"gen_ai.usage.completion_tokens", false},
		{"gen_ai.usage.cost", false},
		// OTel GenAI deprecated and OpenLLMetry indexed content.
		{"gen_ai.prompt", true},
		{"gen_ai.completion", true},
		{"gen_ai.prompt.0.content", true},
		{"gen_ai.prompt.3.content", true},
		{"gen_ai.completion.0.content", true},
		{"gen_ai.completion.0.tool_calls.0.arguments", true},
		{"gen_ai.prompt.0.role", false},
		{"gen_ai.completion.0.finish_reason", false},
		{"gen_ai.completion.0.tool_calls.0.id", false},
		{"gen_ai.prompt.2.tool_call_id", false},
		{"traceloop.entity.input", true},
		{"traceloop.entity.output", true},
		{"traceloop.entity.name", false},
		{"traceloop.association.properties.session_id", false},
		{"llm.prompts.0.content", true},
		// OpenInference.
		{"input.value", true},
		{"output.value", true},
		{"input.mime_type", false},
		{"tool.parameters", true},
		{"tool.name", false},
		{"llm.input_messages.0.message.content", true},
		{"llm.input_messages.0.message.contents.0.message_content.text", true},
		{"llm.output_messages.0.message.content", true},
		{"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", true},
		{"llm.output_messages.0.message.tool_calls.0.tool_call.id", false},
		{"llm.input_messages.1.message.role", false},
		{"llm.input_messages.2.message.tool_call_id", false},
		{"llm.prompts", true},
		{"llm.prompt_template.template", true},
		{"llm.prompt_template.variables", true},
		{"retrieval.documents.0.document.content", true},
		{"embedding.embeddings.0.embedding.text", true},
		{"reranker.query", true},
		{"reranker.input_documents.0.document.content", true},
		{"llm.model_name", false},
		{"llm.token_count.prompt", false},
		{"llm.invocation_parameters", false},
		{"session.id", false},
		{"user.id", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsContentKey(tt.key); got != tt.want {
			t.Errorf("IsContentKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
	for _, k := range ContentKeys() {
		if !IsContentKey(k) {
			t.Errorf("ContentKeys lists %q but IsContentKey says no", k)
		}
	}
	for _, p := range ContentKeyPrefixes() {
		if !IsContentKey(p + "0.content") {
			t.Errorf("prefix %q: %q is not content", p, p+"0.content")
		}
	}
}

func TestContentEventAttrs(t *testing.T) {
	tests := []struct {
		event, key string
		want       bool
	}{
		{"gen_ai.content.prompt", "gen_ai.prompt", true},
		{"gen_ai.content.completion", "gen_ai.completion", true},
		{"gen_ai.user.message", "content", true},
		{"gen_ai.system.message", "content", true},
		{"gen_ai.assistant.message", "tool_calls", true},
		{"gen_ai.tool.message", "content", true},
		{"gen_ai.choice", "message", true},
		{"gen_ai.choice", "body", true},
		{"gen_ai.user.message", "gen_ai.event.content", true},
		{"gen_ai.client.inference.operation.details", "gen_ai.input.messages", true},
		{"gen_ai.choice", "index", false},
		{"gen_ai.choice", "finish_reason", false},
		{"gen_ai.user.message", "gen_ai.system", false},
		{"exception", "content", false},
		{"exception", "exception.message", false},
		{"retry", "body", false},
	}
	for _, tt := range tests {
		if got := IsContentEventAttr(tt.event, tt.key); got != tt.want {
			t.Errorf("IsContentEventAttr(%q, %q) = %v, want %v", tt.event, tt.key, got, tt.want)
		}
	}
}
