package canonical

import "strings"

// SpanType is the kind of agent step (DESIGN §2).
type SpanType string

// The span types. The zero value is invalid; Read always sets one.
const (
	TypeTask            SpanType = "task"
	TypeAgent           SpanType = "agent"
	TypeLLMCall         SpanType = "llm_call"
	TypeToolExecution   SpanType = "tool_execution"
	TypeReasoning       SpanType = "reasoning"
	TypeRetrieval       SpanType = "retrieval"
	TypeEmbedding       SpanType = "embedding"
	TypeMemoryRetrieval SpanType = "memory_retrieval"
	TypeMemoryStore     SpanType = "memory_store"
	TypeFileRead        SpanType = "file_read"
	TypeFileWrite       SpanType = "file_write"
	TypeAPICall         SpanType = "api_call"
	TypeCodeExecution   SpanType = "code_execution"
	TypeVerification    SpanType = "verification"
	TypeGuardrail       SpanType = "guardrail"
	TypeCustom          SpanType = "custom"
)

// SpanTypes lists every span type in the order of the native enum.
var SpanTypes = []SpanType{
	TypeTask, TypeAgent, TypeLLMCall, TypeToolExecution, TypeReasoning, TypeRetrieval,
	TypeEmbedding, TypeMemoryRetrieval, TypeMemoryStore, TypeFileRead, TypeFileWrite,
	TypeAPICall, TypeCodeExecution, TypeVerification, TypeGuardrail, TypeCustom,
}

// ParseSpanType accepts a canonical name ("llm_call"), in any case, with or
// without the native enum prefix ("SPAN_TYPE_LLM_CALL").
func ParseSpanType(s string) (SpanType, bool) {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "SPAN_TYPE_"), "span_type_"))
	for _, t := range SpanTypes {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// Status is the outcome of a span.
type Status string

// The statuses. Running marks a span-start event (work in progress).
const (
	StatusRunning   Status = "running"
	StatusOK        Status = "ok"
	StatusError     Status = "error"
	StatusCancelled Status = "cancelled"
	StatusTimeout   Status = "timeout"
)

// Statuses lists every status.
var Statuses = []Status{StatusRunning, StatusOK, StatusError, StatusCancelled, StatusTimeout}

// ParseStatus accepts a canonical status name in any case, with or without
// the native enum prefix ("SPAN_STATUS_OK").
func ParseStatus(s string) (Status, bool) {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "SPAN_STATUS_"), "span_status_"))
	for _, st := range Statuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// IsFailure reports whether the status counts as an error in summaries.
func (s Status) IsFailure() bool {
	return s == StatusError || s == StatusTimeout
}

// Tokens holds exclusive token buckets: no token is counted in two buckets.
type Tokens struct {
	Input        int64 // uncached input
	CacheRead    int64
	CacheWrite5m int64
	CacheWrite1h int64
	Output       int64 // text output, without reasoning
	Reasoning    int64
	// Present is true when the span carried any token count.
	Present bool
	// Estimated is true when the counts were estimated from text.
	Estimated bool
}

// Total is the sum of all buckets.
func (t Tokens) Total() int64 {
	return t.Input + t.CacheRead + t.CacheWrite5m + t.CacheWrite1h + t.Output + t.Reasoning
}

// InputTotal is all input tokens, cached or not (the OTel input_tokens value).
func (t Tokens) InputTotal() int64 { return t.Input + t.CacheRead + t.CacheWrite5m + t.CacheWrite1h }

// OutputTotal is all output tokens including reasoning (the OTel output_tokens value).
func (t Tokens) OutputTotal() int64 { return t.Output + t.Reasoning }

// Cost is a computed cost in USD with its per-bucket breakdown.
type Cost struct {
	Total      float64
	Input      float64
	CacheRead  float64
	CacheWrite float64 // 5 minute and 1 hour writes together
	Output     float64
	Reasoning  float64
	// Status is CostStatusPriced, CostStatusUnpriced, CostStatusEstimated or
	// empty when the span has no tokens (no cost at all).
	Status string
	// PricingEntry and PricingDate name the catalog row that produced the cost.
	PricingEntry string
	PricingDate  string
}

// HasCost reports whether a computed cost is present.
func (c Cost) HasCost() bool {
	return c.Status == CostStatusPriced || c.Status == CostStatusEstimated
}

// Flag is an anomaly detected by the reasoningchain processor.
type Flag string

// The anomaly flags. Bit returns the flag's bit in the stored bit mask.
const (
	FlagLoop          Flag = "loop"
	FlagCostBudget    Flag = "cost_budget"
	FlagTokenBudget   Flag = "token_budget"
	FlagErrorCascade  Flag = "error_cascade"
	FlagContextGrowth Flag = "context_growth"
)

// Flags lists the anomaly flags in bit order.
var Flags = []Flag{FlagLoop, FlagCostBudget, FlagTokenBudget, FlagErrorCascade, FlagContextGrowth}

// Bit is the flag's bit in a stored flag mask (0 for an unknown flag).
func (f Flag) Bit() int64 {
	for i, g := range Flags {
		if g == f {
			return 1 << i
		}
	}
	return 0
}

// FlagMask folds flag names into a bit mask; unknown names are ignored.
func FlagMask(names []string) int64 {
	var m int64
	for _, n := range names {
		m |= Flag(n).Bit()
	}
	return m
}

// FlagNames expands a bit mask into flag names.
func FlagNames(mask int64) []string {
	var out []string
	for i, f := range Flags {
		if mask&(1<<i) != 0 {
			out = append(out, string(f))
		}
	}
	return out
}

// Span is the canonical view of one span. IDs are lowercase hex; times are
// Unix nanoseconds (End is 0 while the span runs).
type Span struct {
	TraceID       string
	SpanID        string
	ParentSpanID  string
	SessionID     string
	Name          string
	Type          SpanType
	Status        Status
	StatusMessage string
	ErrorCode     string
	StartUnixNano int64
	EndUnixNano   int64

	Model           string
	Provider        string
	Temperature     *float64
	MaxTokens       *int64
	TopP            *float64
	ThinkingEnabled *bool
	StopReason      string
	Prompt          string
	Response        string

	ToolName    string
	ToolCallID  string
	ToolInput   string
	ToolOutput  string
	ToolSuccess *bool

	FilePath      string
	FileOperation string
	FileBytes     int64
	FileLines     int64

	Tokens       Tokens
	Cost         Cost
	ReportedCost *float64

	Framework        string
	FrameworkVersion string
	SDKVersion       string
	Hostname         string
	ServiceName      string
	// Project is the resource's agenttrace.project, or DefaultProject.
	Project   string
	Tags      []string
	AgentName string
	UserID    string

	// Reasoning chain (set by the reasoningchain processor; ChainStep is -1
	// when absent).
	ChainStep        int64
	ChainDepth       int64
	ChainFollows     string
	ChainRequestedBy string
	ChainAnswers     string
	Flags            []string

	// SessionRecord is true for the synthetic session start/end markers.
	SessionRecord bool
	SessionName   string
	SessionEvent  string
}

// DurationNanos is End-Start, or 0 while running.
func (s *Span) DurationNanos() int64 {
	if s.EndUnixNano <= 0 || s.EndUnixNano < s.StartUnixNano {
		return 0
	}
	return s.EndUnixNano - s.StartUnixNano
}
