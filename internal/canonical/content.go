package canonical

import "strings"

// Content keys: the attributes that carry what a user or a model said —
// prompts, responses, tool input and output, retrieved documents — in every
// supported convention. Privacy processing (masking, dropping) applies to
// exactly these; token counts, cost, model, tool name and timings are never
// content.
const (
	// AttrContentDropped marks a span whose content attributes were removed
	// (privacy processor, mode drop).
	AttrContentDropped = "agenttrace.content.dropped"

	GenAISystemInstructions = "gen_ai.system_instructions"
	GenAIPromptText         = "gen_ai.prompt"     // deprecated single-string prompt, also the gen_ai.content.prompt event's attribute
	GenAICompletionText     = "gen_ai.completion" // deprecated single-string completion, also the gen_ai.content.completion event's attribute

	OIPrompts             = "llm.prompts" // completions API prompts (list), also OpenLLMetry's old llm.prompts.N.*
	OIPromptTemplate      = "llm.prompt_template.template"
	OIPromptTemplateVars  = "llm.prompt_template.variables"
	OIRetrievalDocuments  = "retrieval.documents."
	OIEmbeddings          = "embedding.embeddings."
	OIRerankerQuery       = "reranker.query"
	OIRerankerInputDocs   = "reranker.input_documents."
	OIRerankerOutputDocs  = "reranker.output_documents."
	OILLMPromptsPrefix    = OIPrompts + "."
	genAIEventPrefix      = "gen_ai."
	genAIEventContentAttr = "gen_ai.event.content"
)

// contentKeys are content attributes matched by their whole key.
var contentKeys = []string{
	AttrPrompt, AttrResponse,
	GenAIInputMessages, GenAIOutputMessages, GenAISystemInstructions,
	GenAIPromptText, GenAICompletionText,
	GenAIToolCallArguments, GenAIToolCallResult,
	OIInputValue, OIOutputValue, OIToolParameters,
	OIPrompts, OIPromptTemplate, OIPromptTemplateVars, OIRerankerQuery,
	TLEntityInput, TLEntityOutput,
}

// contentPrefixes are conventions that spread content over indexed keys
// (gen_ai.prompt.0.content, llm.input_messages.0.message.content,
// retrieval.documents.0.document.content).
var contentPrefixes = []string{
	GenAIPromptPrefix, GenAICompletionPrefix,
	OIInputMessages, OIOutputMessages, OILLMPromptsPrefix,
	OIRetrievalDocuments, OIEmbeddings, OIRerankerInputDocs, OIRerankerOutputDocs,
}

// ContentKeys returns the attribute keys that are content as a whole.
func ContentKeys() []string { return append([]string(nil), contentKeys...) }

// ContentKeyPrefixes returns the prefixes of indexed content keys; see
// IsContentKey for the parts of them that are not content.
func ContentKeyPrefixes() []string { return append([]string(nil), contentPrefixes...) }

// IsContentKey reports whether a span attribute carries content. Under an
// indexed prefix, the parts that only structure the conversation — a
// message's role, ids, finish reason — are not content, so tool-call
// linking and message order survive dropping.
func IsContentKey(k string) bool {
	// Dispatch on the first byte: most attribute keys (agenttrace.*, the
	// gen_ai.* counts) are decided by one switch, without prefix loops.
	if k == "" {
		return false
	}
	switch k {
	case AttrPrompt, AttrResponse,
		GenAIInputMessages, GenAIOutputMessages, GenAISystemInstructions,
		GenAIPromptText, GenAICompletionText,
		GenAIToolCallArguments, GenAIToolCallResult,
		OIInputValue, OIOutputValue, OIToolParameters,
		OIPrompts, OIPromptTemplate, OIPromptTemplateVars, OIRerankerQuery,
		TLEntityInput, TLEntityOutput:
		return true
	}
	var prefixed bool
	switch k[0] {
	case 'g':
		prefixed = strings.HasPrefix(k, GenAIPromptPrefix) || strings.HasPrefix(k, GenAICompletionPrefix)
	case 'l':
		prefixed = strings.HasPrefix(k, OIInputMessages) || strings.HasPrefix(k, OIOutputMessages) ||
			strings.HasPrefix(k, OILLMPromptsPrefix)
	case 'r':
		prefixed = strings.HasPrefix(k, OIRetrievalDocuments) || strings.HasPrefix(k, OIRerankerInputDocs) ||
			strings.HasPrefix(k, OIRerankerOutputDocs)
	case 'e':
		prefixed = strings.HasPrefix(k, OIEmbeddings)
	}
	return prefixed && !structuralSuffix(k)
}

// structuralSuffix reports whether an indexed key names a role, an id or a
// finish reason rather than text.
func structuralSuffix(k string) bool {
	last := k[strings.LastIndexByte(k, '.')+1:]
	switch last {
	case "role", "id", "tool_call_id", "finish_reason":
		return true
	}
	return false
}

// IsContentEventAttr reports whether attribute k of a span event named
// event carries content: any content key (the deprecated
// gen_ai.content.prompt / gen_ai.content.completion events carry
// gen_ai.prompt / gen_ai.completion; the inference-details event carries
// gen_ai.input.messages …), and the content, body, message and tool_calls
// attributes of the per-message GenAI events (gen_ai.user.message,
// gen_ai.system.message, gen_ai.assistant.message, gen_ai.tool.message,
// gen_ai.choice).
func IsContentEventAttr(event, k string) bool {
	if IsContentKey(k) {
		return true
	}
	if !strings.HasPrefix(event, genAIEventPrefix) {
		return false
	}
	switch k {
	case "content", "body", "message", "tool_calls", genAIEventContentAttr:
		return true
	}
	return false
}
