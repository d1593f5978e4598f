package apiserver

import (
	"encoding/json"
	"math"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// The JSON shapes of the API. Type names end in View; the OpenAPI document
// names their schemas without the suffix, and `doc` tags describe fields.

type tokensView struct {
	Input        int64 `json:"input" doc:"uncached input tokens"`
	CacheRead    int64 `json:"cache_read"`
	CacheWrite5m int64 `json:"cache_write_5m"`
	CacheWrite1h int64 `json:"cache_write_1h"`
	Output       int64 `json:"output" doc:"text output tokens, without reasoning"`
	Reasoning    int64 `json:"reasoning"`
	Total        int64 `json:"total"`
	Estimated    bool  `json:"estimated,omitempty" doc:"counts were estimated from text"`
}

func viewTokens(t canonical.Tokens) tokensView {
	return tokensView{
		Input: t.Input, CacheRead: t.CacheRead, CacheWrite5m: t.CacheWrite5m, CacheWrite1h: t.CacheWrite1h,
		Output: t.Output, Reasoning: t.Reasoning, Total: t.Total(), Estimated: t.Estimated,
	}
}

type spanCostView struct {
	TotalUSD      *float64 `json:"total_usd" doc:"null when the model is unpriced or the span has no tokens"`
	InputUSD      *float64 `json:"input_usd"`
	CacheReadUSD  *float64 `json:"cache_read_usd"`
	CacheWriteUSD *float64 `json:"cache_write_usd"`
	OutputUSD     *float64 `json:"output_usd"`
	ReasoningUSD  *float64 `json:"reasoning_usd"`
	Status        string   `json:"status" doc:"priced, estimated, unpriced, or empty when the span has no tokens"`
	PricingEntry  string   `json:"pricing_entry,omitempty" doc:"pricing catalog row that produced the cost"`
	PricingDate   string   `json:"pricing_date,omitempty"`
	ReportedUSD   *float64 `json:"reported_usd" doc:"cost reported by the provider or instrumentation"`
}

type requestView struct {
	Temperature     *float64 `json:"temperature"`
	MaxTokens       *int64   `json:"max_tokens"`
	TopP            *float64 `json:"top_p"`
	ThinkingEnabled *bool    `json:"thinking_enabled"`
}

type toolView struct {
	Name    string `json:"name"`
	CallID  string `json:"call_id,omitempty"`
	Input   string `json:"input,omitempty"`
	Output  string `json:"output,omitempty"`
	Success *bool  `json:"success"`
}

type fileView struct {
	Path      string `json:"path"`
	Operation string `json:"operation,omitempty"`
	Bytes     int64  `json:"bytes"`
	Lines     int64  `json:"lines"`
}

type chainView struct {
	Step          int64  `json:"step"`
	Depth         int64  `json:"depth"`
	Follows       string `json:"follows,omitempty" doc:"span id of the previous step"`
	RequestedBy   string `json:"requested_by,omitempty" doc:"span id of the step that requested this one (thought → action)"`
	ObservationOf string `json:"observation_of,omitempty" doc:"span id of the action this step observes (action → observation)"`
}

// spanView is a span with everything the API knows about it.
type spanView struct {
	Project       string  `json:"project" doc:"the project (tenant) the span belongs to"`
	TraceID       string  `json:"trace_id"`
	SpanID        string  `json:"span_id"`
	ParentSpanID  string  `json:"parent_span_id,omitempty"`
	SessionID     string  `json:"session_id,omitempty"`
	Name          string  `json:"name"`
	Type          string  `json:"type"`
	Status        string  `json:"status"`
	StatusMessage string  `json:"status_message,omitempty"`
	ErrorCode     string  `json:"error_code,omitempty"`
	StartUnixNano int64   `json:"start_unix_nano"`
	EndUnixNano   int64   `json:"end_unix_nano" doc:"0 while running"`
	StartTime     string  `json:"start_time" doc:"RFC 3339"`
	EndTime       *string `json:"end_time" doc:"RFC 3339, null while running"`
	DurationNanos int64   `json:"duration_ns" doc:"0 while running"`

	Model      string       `json:"model,omitempty"`
	Provider   string       `json:"provider,omitempty"`
	Request    *requestView `json:"request"`
	StopReason string       `json:"stop_reason,omitempty"`
	Prompt     string       `json:"prompt,omitempty"`
	Response   string       `json:"response,omitempty"`
	Tool       *toolView    `json:"tool"`
	File       *fileView    `json:"file"`

	Tokens  *tokensView  `json:"tokens" doc:"null when the span carried no token counts"`
	CostUSD *float64     `json:"cost_usd" doc:"total cost; null when unpriced or without tokens, never 0 for an unpriced model"`
	Cost    spanCostView `json:"cost"`

	Framework        string   `json:"framework,omitempty"`
	FrameworkVersion string   `json:"framework_version,omitempty"`
	SDKVersion       string   `json:"sdk_version,omitempty"`
	Hostname         string   `json:"hostname,omitempty"`
	ServiceName      string   `json:"service_name,omitempty"`
	Tags             []string `json:"tags"`
	AgentName        string   `json:"agent_name,omitempty"`
	UserID           string   `json:"user_id,omitempty"`

	Chain *chainView `json:"chain" doc:"reasoning-chain position; null when the chain was not computed"`
	Flags []string   `json:"flags" doc:"anomaly flags"`

	Attributes json.RawMessage `json:"attributes" doc:"raw span attributes (JSON object)"`
	Resource   json.RawMessage `json:"resource" doc:"resource attributes (JSON object)"`
	Events     json.RawMessage `json:"events" doc:"span events (JSON array)"`
	ScopeName  string          `json:"scope_name,omitempty"`
	Seq        int64           `json:"seq" doc:"the store's insertion sequence; pass as after_seq to follow new spans"`
}

func viewSpan(s *storage.Span) spanView {
	v := spanView{
		Project: storage.NormProject(s.Project), TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, SessionID: s.SessionID,
		Name: s.Name, Type: string(s.Type), Status: string(s.Status), StatusMessage: s.StatusMessage,
		ErrorCode: s.ErrorCode, StartUnixNano: s.StartUnixNano, EndUnixNano: s.EndUnixNano,
		StartTime: rfc3339(s.StartUnixNano), EndTime: rfc3339Ptr(s.EndUnixNano), DurationNanos: s.DurationNanos(),
		Model: s.Model, Provider: s.Provider, StopReason: s.StopReason, Prompt: s.Prompt, Response: s.Response,
		Framework: s.Framework, FrameworkVersion: s.FrameworkVersion, SDKVersion: s.SDKVersion,
		Hostname: s.Hostname, ServiceName: s.ServiceName, Tags: nonNil(s.Tags), AgentName: s.AgentName,
		UserID: s.UserID, Flags: nonNil(s.Flags),
		Attributes: rawJSON(s.Attributes, "{}"), Resource: rawJSON(s.Resource, "{}"), Events: rawJSON(s.Events, "[]"),
		ScopeName: s.ScopeName, Seq: s.Seq,
	}
	if s.Temperature != nil || s.MaxTokens != nil || s.TopP != nil || s.ThinkingEnabled != nil {
		v.Request = &requestView{Temperature: s.Temperature, MaxTokens: s.MaxTokens, TopP: s.TopP, ThinkingEnabled: s.ThinkingEnabled}
	}
	if s.ToolName != "" || s.ToolCallID != "" {
		v.Tool = &toolView{Name: s.ToolName, CallID: s.ToolCallID, Input: s.ToolInput, Output: s.ToolOutput, Success: s.ToolSuccess}
	}
	if s.FilePath != "" {
		v.File = &fileView{Path: s.FilePath, Operation: s.FileOperation, Bytes: s.FileBytes, Lines: s.FileLines}
	}
	if s.Tokens.Present {
		t := viewTokens(s.Tokens)
		v.Tokens = &t
	}
	v.CostUSD = spanCost(&s.Span)
	v.Cost = spanCostView{Status: s.Cost.Status, PricingEntry: s.Cost.PricingEntry, PricingDate: s.Cost.PricingDate,
		ReportedUSD: s.ReportedCost}
	if s.Cost.HasCost() {
		v.Cost.TotalUSD = num(s.Cost.Total)
		v.Cost.InputUSD = num(s.Cost.Input)
		v.Cost.CacheReadUSD = num(s.Cost.CacheRead)
		v.Cost.CacheWriteUSD = num(s.Cost.CacheWrite)
		v.Cost.OutputUSD = num(s.Cost.Output)
		v.Cost.ReasoningUSD = num(s.Cost.Reasoning)
	}
	if s.ChainStep >= 0 {
		v.Chain = &chainView{Step: s.ChainStep, Depth: s.ChainDepth, Follows: s.ChainFollows,
			RequestedBy: s.ChainRequestedBy, ObservationOf: s.ChainAnswers}
	}
	return v
}

// spanCost is a span's total cost, nil unless it was priced or estimated.
func spanCost(s *canonical.Span) *float64 {
	if !s.Cost.HasCost() {
		return nil
	}
	return num(s.Cost.Total)
}

// aggregateCost is the cost of a group of spans: nil when nothing in the
// group was priced but something was unpriced, so an unpriced model never
// shows as $0. A group without any token-bearing span costs 0.
func aggregateCost(cost float64, anyPriced bool, unpriced int64) *float64 {
	if !anyPriced && unpriced > 0 {
		return nil
	}
	return num(cost)
}

// traceView is a trace summary.
type traceView struct {
	Project       string     `json:"project" doc:"the project (tenant) the trace belongs to"`
	TraceID       string     `json:"trace_id"`
	RootSpanID    string     `json:"root_span_id,omitempty"`
	RootName      string     `json:"root_name"`
	SessionID     string     `json:"session_id,omitempty"`
	AgentName     string     `json:"agent_name,omitempty"`
	StartUnixNano int64      `json:"start_unix_nano"`
	EndUnixNano   int64      `json:"end_unix_nano"`
	StartTime     string     `json:"start_time"`
	EndTime       *string    `json:"end_time"`
	DurationNanos int64      `json:"duration_ns"`
	Status        string     `json:"status"`
	SpanCount     int64      `json:"span_count"`
	LLMCalls      int64      `json:"llm_calls"`
	ToolCalls     int64      `json:"tool_calls"`
	ErrorCount    int64      `json:"error_count"`
	Tokens        tokensView `json:"tokens"`
	CostUSD       *float64   `json:"cost_usd" doc:"null when no span was priced but some were unpriced"`
	PricedSpans   int64      `json:"priced_spans"`
	UnpricedSpans int64      `json:"unpriced_spans"`
	ChainLength   int64      `json:"chain_length"`
	Flags         []string   `json:"flags"`
}

func viewTrace(t *storage.TraceSummary) traceView {
	return traceView{
		Project: storage.NormProject(t.Project), TraceID: t.TraceID, RootSpanID: t.RootSpanID, RootName: t.RootName, SessionID: t.SessionID,
		AgentName: t.AgentName, StartUnixNano: t.StartUnixNano, EndUnixNano: t.EndUnixNano,
		StartTime: rfc3339(t.StartUnixNano), EndTime: rfc3339Ptr(t.EndUnixNano), DurationNanos: t.DurationNanos,
		Status: string(t.Status), SpanCount: t.SpanCount, LLMCalls: t.LLMCalls, ToolCalls: t.ToolCalls,
		ErrorCount: t.ErrorCount, Tokens: viewTokens(t.Tokens),
		CostUSD:     aggregateCost(t.CostUSD, t.PricedSpans > 0, t.UnpricedSpans),
		PricedSpans: t.PricedSpans, UnpricedSpans: t.UnpricedSpans, ChainLength: t.ChainLength, Flags: nonNil(t.Flags),
	}
}

// sessionView is a session with its totals.
type sessionView struct {
	Project       string            `json:"project" doc:"the project (tenant) the session belongs to"`
	SessionID     string            `json:"session_id"`
	Name          string            `json:"name,omitempty"`
	Framework     string            `json:"framework,omitempty"`
	AgentName     string            `json:"agent_name,omitempty"`
	UserID        string            `json:"user_id,omitempty"`
	Tags          []string          `json:"tags"`
	Metadata      map[string]string `json:"metadata"`
	StartUnixNano int64             `json:"start_unix_nano"`
	EndUnixNano   int64             `json:"end_unix_nano" doc:"0 while active"`
	StartTime     string            `json:"start_time"`
	EndTime       *string           `json:"end_time" doc:"null while active"`
	Active        bool              `json:"active"`
	Status        string            `json:"status"`
	SpanCount     int64             `json:"span_count"`
	TraceCount    int64             `json:"trace_count"`
	LLMCalls      int64             `json:"llm_calls"`
	ToolCalls     int64             `json:"tool_calls"`
	ErrorCount    int64             `json:"error_count"`
	Tokens        tokensView        `json:"tokens"`
	CostUSD       *float64          `json:"cost_usd" doc:"null when no span was priced but some were unpriced"`
	PricedSpans   int64             `json:"priced_spans"`
	UnpricedSpans int64             `json:"unpriced_spans"`
	Flags         []string          `json:"flags"`
}

func viewSession(s *storage.Session) sessionView {
	md := s.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return sessionView{
		Project:   storage.NormProject(s.Project),
		SessionID: s.ID, Name: s.Name, Framework: s.Framework, AgentName: s.AgentName, UserID: s.UserID,
		Tags: nonNil(s.Tags), Metadata: md, StartUnixNano: s.StartUnixNano, EndUnixNano: s.EndUnixNano,
		StartTime: rfc3339(s.StartUnixNano), EndTime: rfc3339Ptr(s.EndUnixNano), Active: s.EndUnixNano == 0,
		Status: string(s.Status), SpanCount: s.SpanCount, TraceCount: s.TraceCount, LLMCalls: s.LLMCalls,
		ToolCalls: s.ToolCalls, ErrorCount: s.ErrorCount, Tokens: viewTokens(s.Tokens),
		CostUSD:     aggregateCost(s.CostUSD, s.PricedSpans > 0, s.UnpricedSpans),
		PricedSpans: s.PricedSpans, UnpricedSpans: s.UnpricedSpans, Flags: nonNil(s.Flags),
	}
}

// Pages. One named type per item type keeps the OpenAPI schemas precise.

type tracePageView struct {
	Items      []traceView `json:"items"`
	NextCursor *string     `json:"next_cursor" doc:"cursor of the next page; null on the last page"`
}

type spanPageView struct {
	Items      []spanView `json:"items"`
	NextCursor *string    `json:"next_cursor" doc:"cursor of the next page; null on the last page"`
}

type sessionPageView struct {
	Items      []sessionView `json:"items"`
	NextCursor *string       `json:"next_cursor" doc:"cursor of the next page; null on the last page"`
}

func viewTracePage(p storage.Page[storage.TraceSummary]) tracePageView {
	out := tracePageView{Items: make([]traceView, len(p.Items)), NextCursor: cursor(p.NextCursor)}
	for i := range p.Items {
		out.Items[i] = viewTrace(&p.Items[i])
	}
	return out
}

func viewSpanPage(p storage.Page[storage.Span]) spanPageView {
	out := spanPageView{Items: make([]spanView, len(p.Items)), NextCursor: cursor(p.NextCursor)}
	for i := range p.Items {
		out.Items[i] = viewSpan(&p.Items[i])
	}
	return out
}

func viewSessionPage(p storage.Page[storage.Session]) sessionPageView {
	out := sessionPageView{Items: make([]sessionView, len(p.Items)), NextCursor: cursor(p.NextCursor)}
	for i := range p.Items {
		out.Items[i] = viewSession(&p.Items[i])
	}
	return out
}

func cursor(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}

// rfc3339 formats Unix nanoseconds in UTC ("" for 0).
func rfc3339(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func rfc3339Ptr(ns int64) *string {
	if ns == 0 {
		return nil
	}
	s := rfc3339(ns)
	return &s
}

// num returns a JSON-safe number pointer: NaN and infinities (which JSON
// cannot carry) become null.
func num(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// rawJSON passes stored JSON through; anything that is not valid JSON is
// sent as a JSON string so one bad row cannot break a response.
func rawJSON(s, empty string) json.RawMessage {
	if s == "" {
		return json.RawMessage(empty)
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}
