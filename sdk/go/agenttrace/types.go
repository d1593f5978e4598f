package agenttrace

import (
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// Version is the SDK version sent with every batch.
const Version = "0.1.0"

// SpanType is the kind of step an agent performed (the native enum).
type SpanType = atv1.SpanType

// Span types.
const (
	TypeTask            = atv1.SpanType_SPAN_TYPE_TASK
	TypeAgent           = atv1.SpanType_SPAN_TYPE_AGENT
	TypeLLMCall         = atv1.SpanType_SPAN_TYPE_LLM_CALL
	TypeToolExecution   = atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION
	TypeReasoning       = atv1.SpanType_SPAN_TYPE_REASONING
	TypeRetrieval       = atv1.SpanType_SPAN_TYPE_RETRIEVAL
	TypeEmbedding       = atv1.SpanType_SPAN_TYPE_EMBEDDING
	TypeMemoryRetrieval = atv1.SpanType_SPAN_TYPE_MEMORY_RETRIEVAL
	TypeMemoryStore     = atv1.SpanType_SPAN_TYPE_MEMORY_STORE
	TypeFileRead        = atv1.SpanType_SPAN_TYPE_FILE_READ
	TypeFileWrite       = atv1.SpanType_SPAN_TYPE_FILE_WRITE
	TypeAPICall         = atv1.SpanType_SPAN_TYPE_API_CALL
	TypeCodeExecution   = atv1.SpanType_SPAN_TYPE_CODE_EXECUTION
	TypeVerification    = atv1.SpanType_SPAN_TYPE_VERIFICATION
	TypeGuardrail       = atv1.SpanType_SPAN_TYPE_GUARDRAIL
	TypeCustom          = atv1.SpanType_SPAN_TYPE_CUSTOM
)

// Status is the outcome of a step (the native enum).
type Status = atv1.SpanStatus

// Statuses. StatusRunning marks a span-start event; the SDK sends it itself.
const (
	StatusRunning   = atv1.SpanStatus_SPAN_STATUS_RUNNING
	StatusOK        = atv1.SpanStatus_SPAN_STATUS_OK
	StatusError     = atv1.SpanStatus_SPAN_STATUS_ERROR
	StatusCancelled = atv1.SpanStatus_SPAN_STATUS_CANCELLED
	StatusTimeout   = atv1.SpanStatus_SPAN_STATUS_TIMEOUT
)

// TokenUsage holds EXCLUSIVE token buckets, the native protocol's rule:
// Input excludes cache reads and writes, Output excludes reasoning tokens.
// Use OpenAIUsage or AnthropicUsage to convert a provider's counts.
type TokenUsage struct {
	Input        int64 // uncached input
	Output       int64 // text output, without reasoning
	CacheRead    int64 // input read from the prompt cache
	CacheWrite   int64 // input written to the cache (5 minute TTL)
	CacheWrite1h int64 // input written to the cache (1 hour TTL)
	Reasoning    int64 // reasoning / thinking output
}

// Total is the sum of every bucket.
func (u TokenUsage) Total() int64 {
	return u.Input + u.Output + u.CacheRead + u.CacheWrite + u.CacheWrite1h + u.Reasoning
}

func (u TokenUsage) add(o TokenUsage) TokenUsage {
	return TokenUsage{u.Input + o.Input, u.Output + o.Output, u.CacheRead + o.CacheRead,
		u.CacheWrite + o.CacheWrite, u.CacheWrite1h + o.CacheWrite1h, u.Reasoning + o.Reasoning}
}

func (u TokenUsage) isZero() bool { return u == TokenUsage{} }

// OpenAIUsage converts OpenAI-style usage, whose prompt tokens include the
// cached ones and whose completion tokens include reasoning, into exclusive
// buckets. Nested counts larger than their total are clamped.
func OpenAIUsage(promptTokens, completionTokens, cachedTokens, reasoningTokens int64) TokenUsage {
	cachedTokens = min(max(cachedTokens, 0), max(promptTokens, 0))
	reasoningTokens = min(max(reasoningTokens, 0), max(completionTokens, 0))
	return TokenUsage{
		Input:     max(promptTokens, 0) - cachedTokens,
		CacheRead: cachedTokens,
		Output:    max(completionTokens, 0) - reasoningTokens,
		Reasoning: reasoningTokens,
	}
}

// AnthropicUsage converts Anthropic usage: input_tokens already excludes
// cache reads and writes, so the buckets map one to one.
func AnthropicUsage(inputTokens, outputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens int64) TokenUsage {
	return TokenUsage{Input: inputTokens, Output: outputTokens, CacheRead: cacheReadTokens,
		CacheWrite: cacheWrite5mTokens, CacheWrite1h: cacheWrite1hTokens}
}

func (u TokenUsage) proto() *atv1.TokenUsage {
	return &atv1.TokenUsage{InputTokens: u.Input, OutputTokens: u.Output, CacheReadTokens: u.CacheRead,
		CacheWriteTokens: u.CacheWrite, CacheWrite_1HTokens: u.CacheWrite1h, ReasoningTokens: u.Reasoning}
}

func usageFromProto(p *atv1.TokenUsage) TokenUsage {
	return TokenUsage{Input: p.GetInputTokens(), Output: p.GetOutputTokens(), CacheRead: p.GetCacheReadTokens(),
		CacheWrite: p.GetCacheWriteTokens(), CacheWrite1h: p.GetCacheWrite_1HTokens(), Reasoning: p.GetReasoningTokens()}
}

// attrKind is the type held by an Attr.
type attrKind uint8

const (
	kindString attrKind = iota
	kindInt
	kindFloat
	kindBool
)

// Attr is a free span attribute. Build one with String, Int, Float or Bool;
// they do not allocate.
type Attr struct {
	Key  string
	kind attrKind
	str  string
	num  int64
	f    float64
}

// String returns a string attribute.
func String(key, value string) Attr { return Attr{Key: key, kind: kindString, str: value} }

// Int returns an integer attribute.
func Int(key string, value int64) Attr { return Attr{Key: key, kind: kindInt, num: value} }

// Float returns a floating-point attribute.
func Float(key string, value float64) Attr { return Attr{Key: key, kind: kindFloat, f: value} }

// Bool returns a boolean attribute.
func Bool(key string, value bool) Attr {
	a := Attr{Key: key, kind: kindBool}
	if value {
		a.num = 1
	}
	return a
}

// Value returns the attribute's value as a Go value (string, int64,
// float64 or bool).
func (a Attr) Value() any {
	switch a.kind {
	case kindInt:
		return a.num
	case kindFloat:
		return a.f
	case kindBool:
		return a.num == 1
	}
	return a.str
}

// SessionSummary totals a session: the collector's answer to EndSession, or
// the SDK's own totals when the collector could not answer (Source "sdk").
type SessionSummary struct {
	SessionID     string
	Name          string
	StartUnixNano int64
	EndUnixNano   int64
	DurationMs    int64
	SpanCount     int64
	TraceCount    int64
	LLMCalls      int64
	ToolCalls     int64
	ErrorCount    int64
	Tokens        TokenUsage
	TotalTokens   int64
	// CostUSD is nil when no span of the session could be priced.
	CostUSD       *float64
	UnpricedSpans int64
	// Source is "collector" or "sdk".
	Source string
}

func summaryFromProto(p *atv1.SessionSummary) SessionSummary {
	s := SessionSummary{
		SessionID: p.GetSessionId(), Name: p.GetName(), StartUnixNano: p.GetStartTimeUnixNano(),
		EndUnixNano: p.GetEndTimeUnixNano(), DurationMs: p.GetDurationMs(), SpanCount: p.GetSpanCount(),
		TraceCount: p.GetTraceCount(), LLMCalls: p.GetLlmCalls(), ToolCalls: p.GetToolCalls(),
		ErrorCount: p.GetErrorCount(), Tokens: usageFromProto(p.GetTokens()), TotalTokens: p.GetTotalTokens(),
		UnpricedSpans: p.GetUnpricedSpans(), Source: "collector",
	}
	if p.CostUsd != nil {
		c := p.GetCostUsd()
		s.CostUSD = &c
	}
	return s
}

// Stats counts span records (a span's start event and its final record
// count separately) since the client was created.
type Stats struct {
	Sent    int64 // delivered (acknowledged; for UDP: written to the socket)
	Dropped int64 // not queued: the queue was full, or the client shut down
	Failed  int64 // queued but not delivered: the collector was away or refused them
	Queued  int64 // waiting in the queue now
}

// Lost is Dropped + Failed.
func (s Stats) Lost() int64 { return s.Dropped + s.Failed }
