// Package canonical is the one place that knows span attribute conventions.
//
// It reads a span in any convention AgentTrace supports — its own native
// attributes, OpenTelemetry GenAI (current names and deprecated aliases),
// OpenInference and OpenLLMetry/Traceloop — into one canonical model (View),
// and it names the canonical attributes that AgentTrace's receiver and
// processors write. Canonical attributes use gen_ai.* where a standard name
// exists and agenttrace.* otherwise, so stock downstream exporters see
// normalized data too. Raw attributes are never removed.
package canonical

// Canonical attribute keys written by AgentTrace components.
const (
	AttrSpanType   = "agenttrace.span.type"   // one of the SpanType values
	AttrSpanStatus = "agenttrace.span.status" // running, ok, error, cancelled, timeout
	AttrSessionID  = "agenttrace.session.id"
	// AttrProject is a resource attribute: the project (tenant) the spans
	// belong to. When ingest keys are configured it is stamped from the
	// authenticated key and overwrites whatever the client sent.
	AttrProject        = "agenttrace.project"
	AttrTags           = "agenttrace.tags" // string slice
	AttrFramework      = "agenttrace.framework"
	AttrFrameworkVer   = "agenttrace.framework.version"
	AttrSDKVersion     = "agenttrace.sdk.version"
	AttrPrompt         = "agenttrace.prompt"   // prompt text (bounded)
	AttrResponse       = "agenttrace.response" // response text (bounded)
	AttrToolSuccess    = "agenttrace.tool.success"
	AttrFilePath       = "agenttrace.file.path"
	AttrFileOperation  = "agenttrace.file.operation"
	AttrFileBytes      = "agenttrace.file.bytes"
	AttrFileLines      = "agenttrace.file.lines"
	AttrThinking       = "agenttrace.request.thinking_enabled"
	AttrThinkingBudget = "agenttrace.request.thinking_budget_tokens"
	AttrStopReason     = "agenttrace.response.stop_reason"

	// AttrRecordKind marks synthetic records that are not agent steps, e.g.
	// the session start/end markers emitted by the native receiver.
	AttrRecordKind      = "agenttrace.record.kind"
	RecordKindSession   = "session"
	AttrSessionName     = "agenttrace.session.name"
	AttrSessionEvent    = "agenttrace.session.event" // start or end
	AttrSessionMetadata = "agenttrace.session.metadata."

	// Exclusive token buckets, written by the tokencost processor.
	AttrTokensInput        = "agenttrace.tokens.input" // uncached input
	AttrTokensCacheRead    = "agenttrace.tokens.cache_read"
	AttrTokensCacheWrite5m = "agenttrace.tokens.cache_write_5m"
	AttrTokensCacheWrite1h = "agenttrace.tokens.cache_write_1h"
	AttrTokensOutput       = "agenttrace.tokens.output" // text output, without reasoning
	AttrTokensReasoning    = "agenttrace.tokens.reasoning"
	AttrTokensTotal        = "agenttrace.tokens.total"
	AttrTokensEstimated    = "agenttrace.tokens.estimated" // bool: counts estimated from text

	// Cost, written by the tokencost processor (USD).
	AttrCostTotal        = "agenttrace.cost.total_usd"
	AttrCostInput        = "agenttrace.cost.input_usd"
	AttrCostCacheRead    = "agenttrace.cost.cache_read_usd"
	AttrCostCacheWrite   = "agenttrace.cost.cache_write_usd"
	AttrCostOutput       = "agenttrace.cost.output_usd"
	AttrCostReasoning    = "agenttrace.cost.reasoning_usd"
	AttrCostStatus       = "agenttrace.cost.status" // priced, unpriced, estimated
	AttrCostPricingEntry = "agenttrace.cost.pricing_entry"
	AttrCostPricingDate  = "agenttrace.cost.pricing_effective_date"
	AttrCostReported     = "agenttrace.cost.reported_usd"
	CostStatusPriced     = "priced"
	CostStatusUnpriced   = "unpriced"
	CostStatusEstimated  = "estimated"

	// Reasoning chain, written by the reasoningchain processor.
	AttrChainStep     = "agenttrace.chain.step"
	AttrChainDepth    = "agenttrace.chain.depth"
	AttrChainPrevStep = "agenttrace.chain.follows_span_id"
	AttrChainCausedBy = "agenttrace.chain.requested_by_span_id"
	AttrChainAnswers  = "agenttrace.chain.observation_of_span_id"
	AttrChainFlags    = "agenttrace.chain.flags" // string slice of Flag names

	// Trace summary, written by the reasoningchain processor on the root span
	// so stock exporters see it. Storage recomputes summaries from spans.
	AttrTraceSpanCount     = "agenttrace.trace.span_count"
	AttrTraceLLMCalls      = "agenttrace.trace.llm_calls"
	AttrTraceToolCalls     = "agenttrace.trace.tool_calls"
	AttrTraceErrorCount    = "agenttrace.trace.error_count"
	AttrTraceTokensInput   = "agenttrace.trace.tokens.input"  // all input, cached or not
	AttrTraceTokensOutput  = "agenttrace.trace.tokens.output" // all output, with reasoning
	AttrTraceTokensTotal   = "agenttrace.trace.tokens.total"
	AttrTraceCostUSD       = "agenttrace.trace.cost_usd"
	AttrTraceUnpricedSpans = "agenttrace.trace.unpriced_spans"
	AttrTraceChainLength   = "agenttrace.trace.chain_length"
	AttrTraceStatus        = "agenttrace.trace.status"
	AttrTraceDurationNanos = "agenttrace.trace.duration_ns"
	AttrTraceFlags         = "agenttrace.trace.flags" // string slice of Flag names
)

// OpenTelemetry GenAI semantic-convention keys (current names first, then
// deprecated aliases still emitted by instrumentations in the wild).
const (
	GenAIOperationName      = "gen_ai.operation.name"
	GenAIProviderName       = "gen_ai.provider.name"
	GenAISystem             = "gen_ai.system"
	GenAIRequestModel       = "gen_ai.request.model"
	GenAIResponseModel      = "gen_ai.response.model"
	GenAIRequestTemperature = "gen_ai.request.temperature"
	GenAIRequestMaxTokens   = "gen_ai.request.max_tokens"
	GenAIRequestTopP        = "gen_ai.request.top_p"
	GenAIFinishReasons      = "gen_ai.response.finish_reasons"
	GenAIInputTokens        = "gen_ai.usage.input_tokens"
	GenAIOutputTokens       = "gen_ai.usage.output_tokens"
	GenAIPromptTokens       = "gen_ai.usage.prompt_tokens"     // deprecated alias, also OpenLLMetry
	GenAICompletionTokens   = "gen_ai.usage.completion_tokens" // deprecated alias, also OpenLLMetry
	GenAICacheReadTokens    = "gen_ai.usage.cache_read.input_tokens"
	GenAICacheWriteTokens   = "gen_ai.usage.cache_creation.input_tokens"
	GenAIReasoningTokens    = "gen_ai.usage.reasoning.output_tokens"
	GenAICost               = "gen_ai.usage.cost"
	GenAIConversationID     = "gen_ai.conversation.id"
	GenAIAgentName          = "gen_ai.agent.name"
	GenAIToolName           = "gen_ai.tool.name"
	GenAIToolCallID         = "gen_ai.tool.call.id"
	GenAIDataSourceID       = "gen_ai.data_source.id" // retrieval: the store queried
	GenAIToolCallArguments  = "gen_ai.tool.call.arguments"
	GenAIToolCallResult     = "gen_ai.tool.call.result"
	GenAIInputMessages      = "gen_ai.input.messages"
	GenAIOutputMessages     = "gen_ai.output.messages"
	GenAIPromptPrefix       = "gen_ai.prompt."     // deprecated indexed content, also OpenLLMetry
	GenAICompletionPrefix   = "gen_ai.completion." // deprecated indexed content, also OpenLLMetry
	ErrorType               = "error.type"
	UserID                  = "user.id"
	HostName                = "host.name"
	ServiceName             = "service.name"
	TelemetrySDKVersion     = "telemetry.sdk.version"

	// AttrCacheWrite1h is AgentTrace's extension for the 1-hour cache-write
	// bucket (the GenAI conventions have one cache-creation count only).
	AttrCacheWrite1h = "agenttrace.usage.cache_creation_1h.input_tokens"
)

// OpenInference keys.
const (
	OISpanKind          = "openinference.span.kind"
	OIProvider          = "llm.provider"
	OISystem            = "llm.system"
	OIModelName         = "llm.model_name"
	OIResponseModelName = "llm.response.model_name"
	OIPromptTokens      = "llm.token_count.prompt"
	OICompletionTokens  = "llm.token_count.completion"
	OICacheReadTokens   = "llm.token_count.prompt_details.cache_read"
	OICacheWriteTokens  = "llm.token_count.prompt_details.cache_write"
	OIReasoningTokens   = "llm.token_count.completion_details.reasoning"
	OICostTotal         = "llm.cost.total"
	OISessionID         = "session.id"
	OIUserID            = "user.id"
	OIAgentName         = "agent.name"
	OIToolName          = "tool.name"
	OIToolID            = "tool.id"
	OIToolParameters    = "tool.parameters"
	OIInputValue        = "input.value"
	OIOutputValue       = "output.value"
	OIInputMessages     = "llm.input_messages."
	OIOutputMessages    = "llm.output_messages."
	OIInvocationParams  = "llm.invocation_parameters"
	// Indexed tool-call keys: llm.output_messages.N.message.tool_calls.M.tool_call.id
	// (ids the LLM asked for) and llm.input_messages.N.message.tool_call_id
	// (ids whose results the LLM was given).
	OIToolCallIDSuffix   = ".tool_call.id"
	OIToolResultIDSuffix = ".message.tool_call_id"
)

// OpenLLMetry / Traceloop keys.
const (
	TLSpanKind         = "traceloop.span.kind"
	TLRequestType      = "llm.request.type"
	TLEntityName       = "traceloop.entity.name"
	TLEntityInput      = "traceloop.entity.input"
	TLEntityOutput     = "traceloop.entity.output"
	TLAssociationProps = "traceloop.association.properties."
	TLCacheReadTokens  = "gen_ai.usage.cache_read_input_tokens"
	TLCacheWriteTokens = "gen_ai.usage.cache_creation_input_tokens"
	TLReasoningTokens  = "llm.usage.reasoning_tokens"
	TLReasoningTokens2 = "gen_ai.usage.reasoning_tokens"
	TLTotalTokens      = "llm.usage.total_tokens"
	// Indexed tool-call keys: gen_ai.completion.N.tool_calls.M.id and
	// gen_ai.prompt.N.tool_call_id.
	TLToolCallsInfix     = ".tool_calls."
	TLToolResultIDSuffix = ".tool_call_id"
)

// Token-count keys read only to decide which buckets a convention's counts
// include (see tokens in view.go): total counts, and a cache-write alias.
const (
	// GenAITotalTokens is not in the GenAI conventions but is widely emitted
	// (Strands Agents, LiteLLM, OpenLLMetry's llm.usage.total_tokens twin).
	GenAITotalTokens = "gen_ai.usage.total_tokens"
	// GenAICacheWriteTokensAlt is the cache-write alias Strands Agents emits
	// beside gen_ai.usage.cache_read_input_tokens.
	GenAICacheWriteTokensAlt = "gen_ai.usage.cache_write_input_tokens"
	OITotalTokens            = "llm.token_count.total"
)

// DefaultProject is the project of spans that name none (local mode, or
// ingest without keys).
const DefaultProject = "default"

// MaxProjectLen bounds a project name.
const MaxProjectLen = 64

// ValidProject reports whether name is a usable project name: 1–64 bytes of
// [a-z0-9], '-', '_' or '.', starting with a letter or digit. Project names
// appear in keys' configuration, API filters and storage partitions, so they
// are kept to a plain alphabet.
func ValidProject(name string) bool {
	if name == "" || len(name) > MaxProjectLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}
