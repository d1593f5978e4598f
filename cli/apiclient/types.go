package apiclient

import "encoding/json"

// The JSON shapes of the API (apiserver/views.go). Only the fields the CLI
// and TUI show are decoded; `--output json` prints the raw answer, so no
// field is lost.

// Health is the answer of /health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Storage string `json:"storage"`
	Time    string `json:"time"`
}

// Tokens are a span's or group's exclusive token buckets.
type Tokens struct {
	Input        int64 `json:"input"`
	CacheRead    int64 `json:"cache_read"`
	CacheWrite5m int64 `json:"cache_write_5m"`
	CacheWrite1h int64 `json:"cache_write_1h"`
	Output       int64 `json:"output"`
	Reasoning    int64 `json:"reasoning"`
	Total        int64 `json:"total"`
	Estimated    bool  `json:"estimated"`
}

// SpanCost is a span's cost breakdown; nil amounts are unpriced.
type SpanCost struct {
	TotalUSD      *float64 `json:"total_usd"`
	InputUSD      *float64 `json:"input_usd"`
	CacheReadUSD  *float64 `json:"cache_read_usd"`
	CacheWriteUSD *float64 `json:"cache_write_usd"`
	OutputUSD     *float64 `json:"output_usd"`
	ReasoningUSD  *float64 `json:"reasoning_usd"`
	Status        string   `json:"status"`
	PricingEntry  string   `json:"pricing_entry"`
	PricingDate   string   `json:"pricing_date"`
	ReportedUSD   *float64 `json:"reported_usd"`
}

// Tool is a tool call's name and I/O.
type Tool struct {
	Name    string `json:"name"`
	CallID  string `json:"call_id"`
	Input   string `json:"input"`
	Output  string `json:"output"`
	Success *bool  `json:"success"`
}

// File is a file operation.
type File struct {
	Path      string `json:"path"`
	Operation string `json:"operation"`
	Bytes     int64  `json:"bytes"`
	Lines     int64  `json:"lines"`
}

// Chain is a span's place in the reasoning chain.
type Chain struct {
	Step          int64  `json:"step"`
	Depth         int64  `json:"depth"`
	Follows       string `json:"follows"`
	RequestedBy   string `json:"requested_by"`
	ObservationOf string `json:"observation_of"`
}

// Span is one span.
type Span struct {
	TraceID       string          `json:"trace_id"`
	SpanID        string          `json:"span_id"`
	ParentSpanID  string          `json:"parent_span_id"`
	SessionID     string          `json:"session_id"`
	Name          string          `json:"name"`
	Type          string          `json:"type"`
	Status        string          `json:"status"`
	StatusMessage string          `json:"status_message"`
	ErrorCode     string          `json:"error_code"`
	StartUnixNano int64           `json:"start_unix_nano"`
	EndUnixNano   int64           `json:"end_unix_nano"`
	DurationNanos int64           `json:"duration_ns"`
	Model         string          `json:"model"`
	Provider      string          `json:"provider"`
	StopReason    string          `json:"stop_reason"`
	Prompt        string          `json:"prompt"`
	Response      string          `json:"response"`
	Tool          *Tool           `json:"tool"`
	File          *File           `json:"file"`
	Tokens        *Tokens         `json:"tokens"`
	CostUSD       *float64        `json:"cost_usd"`
	Cost          SpanCost        `json:"cost"`
	Framework     string          `json:"framework"`
	AgentName     string          `json:"agent_name"`
	ServiceName   string          `json:"service_name"`
	Tags          []string        `json:"tags"`
	Chain         *Chain          `json:"chain"`
	Flags         []string        `json:"flags"`
	Attributes    json.RawMessage `json:"attributes"`
	Seq           int64           `json:"seq"`
	// Raw is the span's JSON as the live stream sent it (set by Follow).
	Raw json.RawMessage `json:"-"`
}

// TreeNode is a span with its children (GET /traces/{id}/spans).
type TreeNode struct {
	Span
	Children []*TreeNode `json:"children"`
}

// Tree is a trace's spans as a tree.
type Tree struct {
	TraceID   string      `json:"trace_id"`
	SpanCount int         `json:"span_count"`
	Roots     []*TreeNode `json:"roots"`
}

// Trace is a trace summary.
type Trace struct {
	TraceID       string   `json:"trace_id"`
	RootSpanID    string   `json:"root_span_id"`
	RootName      string   `json:"root_name"`
	SessionID     string   `json:"session_id"`
	AgentName     string   `json:"agent_name"`
	StartUnixNano int64    `json:"start_unix_nano"`
	EndUnixNano   int64    `json:"end_unix_nano"`
	DurationNanos int64    `json:"duration_ns"`
	Status        string   `json:"status"`
	SpanCount     int64    `json:"span_count"`
	LLMCalls      int64    `json:"llm_calls"`
	ToolCalls     int64    `json:"tool_calls"`
	ErrorCount    int64    `json:"error_count"`
	Tokens        Tokens   `json:"tokens"`
	CostUSD       *float64 `json:"cost_usd"`
	PricedSpans   int64    `json:"priced_spans"`
	UnpricedSpans int64    `json:"unpriced_spans"`
	ChainLength   int64    `json:"chain_length"`
	Flags         []string `json:"flags"`
}

// Session is a session with its totals.
type Session struct {
	SessionID     string            `json:"session_id"`
	Name          string            `json:"name"`
	Framework     string            `json:"framework"`
	AgentName     string            `json:"agent_name"`
	UserID        string            `json:"user_id"`
	Tags          []string          `json:"tags"`
	Metadata      map[string]string `json:"metadata"`
	StartUnixNano int64             `json:"start_unix_nano"`
	EndUnixNano   int64             `json:"end_unix_nano"`
	Active        bool              `json:"active"`
	Status        string            `json:"status"`
	SpanCount     int64             `json:"span_count"`
	TraceCount    int64             `json:"trace_count"`
	LLMCalls      int64             `json:"llm_calls"`
	ToolCalls     int64             `json:"tool_calls"`
	ErrorCount    int64             `json:"error_count"`
	Tokens        Tokens            `json:"tokens"`
	CostUSD       *float64          `json:"cost_usd"`
	PricedSpans   int64             `json:"priced_spans"`
	UnpricedSpans int64             `json:"unpriced_spans"`
	Flags         []string          `json:"flags"`
}

// ChainStep is one step of a reasoning chain.
type ChainStep struct {
	Step          int64    `json:"step"`
	Depth         int64    `json:"depth"`
	SpanID        string   `json:"span_id"`
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	DurationNanos int64    `json:"duration_ns"`
	Model         string   `json:"model"`
	ToolName      string   `json:"tool_name"`
	TokensTotal   int64    `json:"tokens_total"`
	CostUSD       *float64 `json:"cost_usd"`
	Follows       string   `json:"follows"`
	RequestedBy   string   `json:"requested_by"`
	ObservationOf string   `json:"observation_of"`
	Flags         []string `json:"flags"`
}

// ChainResponse is a trace's reasoning chain.
type ChainResponse struct {
	TraceID     string      `json:"trace_id"`
	Status      string      `json:"status"`
	ChainLength int64       `json:"chain_length"`
	Flags       []string    `json:"flags"`
	Source      string      `json:"source"`
	Steps       []ChainStep `json:"steps"`
}

// Window is a metrics time range.
type Window struct {
	FromUnixNano int64  `json:"from_unix_nano"`
	ToUnixNano   int64  `json:"to_unix_nano"`
	From         string `json:"from"`
	To           string `json:"to"`
}

// Summary is the totals of a time range.
type Summary struct {
	Spans         int64    `json:"spans"`
	Traces        int64    `json:"traces"`
	Sessions      int64    `json:"sessions"`
	LLMCalls      int64    `json:"llm_calls"`
	ToolCalls     int64    `json:"tool_calls"`
	Errors        int64    `json:"errors"`
	ErrorRate     *float64 `json:"error_rate"`
	Tokens        Tokens   `json:"tokens"`
	CostUSD       *float64 `json:"cost_usd"`
	UnpricedSpans int64    `json:"unpriced_spans"`
	LatencyP50Ms  *float64 `json:"latency_p50_ms"`
	LatencyP95Ms  *float64 `json:"latency_p95_ms"`
}

// Change is a value's change against the previous period.
type Change struct {
	Delta   *float64 `json:"delta"`
	Percent *float64 `json:"percent"`
}

// SummaryResponse is GET /metrics/summary.
type SummaryResponse struct {
	Window         Window            `json:"window"`
	PreviousWindow Window            `json:"previous_window"`
	Current        Summary           `json:"current"`
	Previous       Summary           `json:"previous"`
	Change         map[string]Change `json:"change"`
}

// CostRow is one group of a cost breakdown.
type CostRow struct {
	Key            string   `json:"key"`
	BucketUnixNano *int64   `json:"bucket_unix_nano"`
	Spans          int64    `json:"spans"`
	Tokens         Tokens   `json:"tokens"`
	CostUSD        *float64 `json:"cost_usd"`
	UnpricedSpans  int64    `json:"unpriced_spans"`
}

// Costs is GET /metrics/costs.
type Costs struct {
	Window  Window    `json:"window"`
	GroupBy string    `json:"group_by"`
	Rows    []CostRow `json:"rows"`
}

// PerfRow is the latency of one group.
type PerfRow struct {
	Key       string   `json:"key"`
	Count     int64    `json:"count"`
	Errors    int64    `json:"errors"`
	P50Ms     *float64 `json:"p50_ms"`
	P95Ms     *float64 `json:"p95_ms"`
	P99Ms     *float64 `json:"p99_ms"`
	AvgMs     *float64 `json:"avg_ms"`
	PerSecond *float64 `json:"per_second"`
}

// Performance is GET /metrics/performance.
type Performance struct {
	Window  Window    `json:"window"`
	GroupBy string    `json:"group_by"`
	Rows    []PerfRow `json:"rows"`
}

// Deleted is the answer of a delete.
type Deleted struct {
	Deleted   bool   `json:"deleted"`
	SessionID string `json:"session_id"`
}

// liveMessage is one WebSocket message of /api/v1/live.
type liveMessage struct {
	Type    string            `json:"type"`
	Spans   []json.RawMessage `json:"spans"`
	LastSeq int64             `json:"last_seq"`
}
