package agenttrace

import (
	"sync"
	"sync/atomic"
	"time"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// Session is an agent run; spans started in its context carry its id.
// Start one with Client.StartSession.
type Session struct {
	ID        string
	Name      string
	Framework string
	AgentName string
	UserID    string
	Tags      []string
	Metadata  map[string]string
	Start     time.Time

	ended atomic.Bool

	// Local totals, the summary when the collector cannot answer.
	mu        sync.Mutex
	spans     int64
	traces    int64
	llmCalls  int64
	toolCalls int64
	errors    int64
	tokens    TokenUsage
	cost      *float64
}

// SessionOption configures a session.
type SessionOption func(*Session)

// WithSessionIDValue sets the session id (default: a random UUID).
func WithSessionIDValue(id string) SessionOption { return func(s *Session) { s.ID = id } }

// WithFramework sets the agent framework (e.g. "langgraph").
func WithFramework(name string) SessionOption { return func(s *Session) { s.Framework = name } }

// WithSessionAgent sets the agent name and user id of the session.
func WithSessionAgent(agentName, userID string) SessionOption {
	return func(s *Session) { s.AgentName, s.UserID = agentName, userID }
}

// WithTags sets the session's tags.
func WithTags(tags ...string) SessionOption {
	return func(s *Session) { s.Tags = append(s.Tags, tags...) }
}

// WithMetadata sets free session metadata.
func WithMetadata(md map[string]string) SessionOption { return func(s *Session) { s.Metadata = md } }

func (s *Session) record(typ SpanType, st Status, u TokenUsage, root bool, cost *float64) {
	s.mu.Lock()
	s.spans++
	if root {
		s.traces++
	}
	switch typ {
	case TypeLLMCall:
		s.llmCalls++
	case TypeToolExecution:
		s.toolCalls++
	}
	if st == StatusError || st == StatusTimeout {
		s.errors++
	}
	s.tokens = s.tokens.add(u)
	if cost != nil {
		c := *cost
		if s.cost != nil {
			c += *s.cost
		}
		s.cost = &c
	}
	s.mu.Unlock()
}

// LocalSummary returns the SDK's own totals for the session (Source "sdk";
// no computed cost: only the collector prices spans).
func (s *Session) LocalSummary() SessionSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	return SessionSummary{
		SessionID: s.ID, Name: s.Name, StartUnixNano: s.Start.UnixNano(), EndUnixNano: now.UnixNano(),
		DurationMs: now.Sub(s.Start).Milliseconds(), SpanCount: s.spans, TraceCount: s.traces,
		LLMCalls: s.llmCalls, ToolCalls: s.toolCalls, ErrorCount: s.errors, Tokens: s.tokens,
		TotalTokens: s.tokens.Total(), CostUSD: s.cost, Source: "sdk",
	}
}

func (s *Session) startRequest() *atv1.StartSessionRequest {
	return &atv1.StartSessionRequest{SessionId: s.ID, Name: s.Name, Framework: s.Framework, Tags: s.Tags,
		StartTimeUnixNano: s.Start.UnixNano(), AgentName: s.AgentName, UserId: s.UserID, Metadata: s.Metadata}
}
