// Package live is AgentTrace's live data in Redis: the span stream (pub/sub
// channel plus a capped stream for replay), per-minute counters and the set
// of active sessions. Publisher writes them (used by the redis exporter) and
// Reader reads them (for the API server, CLI and TUI). Both sides share the
// key layout defined here.
//
// Key layout, with the configured prefix (default "agenttrace:"):
//
//	{p}spans                  pub/sub channel, one compact JSON span per message
//	{p}stream                 stream capped with MAXLEN ~; field "span" holds the JSON
//	{p}m:{YYYYMMDDhhmm}       hash: spans, tokens, errors, cost_usd (one minute, UTC)
//	{p}m:{YYYYMMDDhhmm}:model hash: "spans:<model>", "tokens:<model>", ...
//	{p}m:{YYYYMMDDhhmm}:agent hash: "spans:<agent>", ...
//	{p}sessions:active        sorted set: session id -> last activity (Unix ms)
//
// Counters count finished spans (a running span is counted when its final
// version arrives) in the minute the collector published them, and expire.
package live

import (
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// DefaultPrefix is the key prefix used unless configured otherwise.
const DefaultPrefix = "agenttrace:"

// Keys names the Redis keys under one prefix.
type Keys struct{ Prefix string }

// Channel is the pub/sub channel of live spans.
func (k Keys) Channel() string { return k.Prefix + "spans" }

// Stream is the capped stream of recent spans.
func (k Keys) Stream() string { return k.Prefix + "stream" }

// ActiveSessions is the sorted set of active sessions.
func (k Keys) ActiveSessions() string { return k.Prefix + "sessions:active" }

// minuteFormat names a minute bucket (UTC).
const minuteFormat = "200601021504"

// Minute is the total counters hash of the minute holding t.
func (k Keys) Minute(t time.Time) string { return k.Prefix + "m:" + t.UTC().Format(minuteFormat) }

// MinuteByModel is the per-model counters hash of the minute holding t.
func (k Keys) MinuteByModel(t time.Time) string { return k.Minute(t) + ":model" }

// MinuteByAgent is the per-agent counters hash of the minute holding t.
func (k Keys) MinuteByAgent(t time.Time) string { return k.Minute(t) + ":agent" }

// StreamField is the field of a stream entry that holds the span JSON.
const StreamField = "span"

// Counter hash fields.
const (
	FieldSpans   = "spans"
	FieldTokens  = "tokens"
	FieldErrors  = "errors"
	FieldCostUSD = "cost_usd"
)

// Tokens are a span's token buckets.
type Tokens struct {
	Input        int64 `json:"input,omitempty"`
	CacheRead    int64 `json:"cache_read,omitempty"`
	CacheWrite5m int64 `json:"cache_write_5m,omitempty"`
	CacheWrite1h int64 `json:"cache_write_1h,omitempty"`
	Output       int64 `json:"output,omitempty"`
	Reasoning    int64 `json:"reasoning,omitempty"`
	Total        int64 `json:"total"`
}

// Span is the compact JSON form of a span on the live stream.
type Span struct {
	// Project is the span's project (canonical.Span.Project); readers
	// filter the shared stream by it. Empty in spans published before
	// projects existed, which belong to the default project.
	Project       string   `json:"project,omitempty"`
	TraceID       string   `json:"trace_id"`
	SpanID        string   `json:"span_id"`
	ParentSpanID  string   `json:"parent_span_id,omitempty"`
	SessionID     string   `json:"session_id,omitempty"`
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	StatusMessage string   `json:"status_message,omitempty"`
	StartUnixNano int64    `json:"start_unix_nano"`
	EndUnixNano   int64    `json:"end_unix_nano,omitempty"`
	DurationMs    float64  `json:"duration_ms,omitempty"`
	Model         string   `json:"model,omitempty"`
	Provider      string   `json:"provider,omitempty"`
	AgentName     string   `json:"agent_name,omitempty"`
	ToolName      string   `json:"tool_name,omitempty"`
	Tokens        *Tokens  `json:"tokens,omitempty"`
	CostUSD       *float64 `json:"cost_usd,omitempty"` // absent when unpriced or no tokens
	CostStatus    string   `json:"cost_status,omitempty"`
	ChainStep     *int64   `json:"chain_step,omitempty"`
	Flags         []string `json:"flags,omitempty"`
}

// SpanOf converts the canonical view into the live form.
func SpanOf(c *canonical.Span) Span {
	s := Span{
		Project: c.Project,
		TraceID: c.TraceID, SpanID: c.SpanID, ParentSpanID: c.ParentSpanID, SessionID: c.SessionID,
		Name: c.Name, Type: string(c.Type), Status: string(c.Status), StatusMessage: c.StatusMessage,
		StartUnixNano: c.StartUnixNano, EndUnixNano: c.EndUnixNano, DurationMs: float64(c.DurationNanos()) / 1e6,
		Model: c.Model, Provider: c.Provider, AgentName: c.AgentName, ToolName: c.ToolName,
		CostStatus: c.Cost.Status, Flags: c.Flags,
	}
	if c.Tokens.Present || c.Tokens.Total() > 0 {
		s.Tokens = &Tokens{Input: c.Tokens.Input, CacheRead: c.Tokens.CacheRead, CacheWrite5m: c.Tokens.CacheWrite5m,
			CacheWrite1h: c.Tokens.CacheWrite1h, Output: c.Tokens.Output, Reasoning: c.Tokens.Reasoning, Total: c.Tokens.Total()}
	}
	if c.Cost.HasCost() {
		v := c.Cost.Total
		s.CostUSD = &v
	}
	if c.ChainStep >= 0 {
		v := c.ChainStep
		s.ChainStep = &v
	}
	return s
}

// Finished reports whether the span has its final status.
func (s *Span) Finished() bool { return s.Status != string(canonical.StatusRunning) }

// Failed reports whether the span counts as an error.
func (s *Span) Failed() bool { return canonical.Status(s.Status).IsFailure() }

// SessionMark is a session becoming active (start) or inactive (end).
type SessionMark struct {
	SessionID string
	End       bool
}

// Counters are the totals of one minute (or of one model or agent in it).
type Counters struct {
	Spans   int64   `json:"spans"`
	Tokens  int64   `json:"tokens"`
	Errors  int64   `json:"errors"`
	CostUSD float64 `json:"cost_usd"`
}

// MinuteCounters are one minute's counters, in total and by model and agent.
type MinuteCounters struct {
	Minute time.Time `json:"minute"`
	Counters
	ByModel map[string]Counters `json:"by_model,omitempty"`
	ByAgent map[string]Counters `json:"by_agent,omitempty"`
}
