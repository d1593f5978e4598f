package agenttracereceiver

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// badRequestError is a session request the client must fix.
type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

// maxSessionIDLen bounds client-chosen session ids.
const maxSessionIDLen = 256

// startSession emits a session-start marker into the pipeline (storage
// exporters turn it into a sessions row) and starts tracking the session.
func (r *agentTraceReceiver) startSession(ctx context.Context, transport string, req *atv1.StartSessionRequest) (*atv1.StartSessionResponse, error) {
	id := sanitize(req.GetSessionId())
	if id == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	if len(id) > maxSessionIDLen {
		return nil, &badRequestError{fmt.Sprintf("session_id: longer than %d bytes", maxSessionIDLen)}
	}
	start := req.GetStartTimeUnixNano()
	if start == 0 {
		start = time.Now().UnixNano()
	}
	if start < earliestStart {
		return nil, &badRequestError{fmt.Sprintf("start_time_unix_nano: %d is not a plausible time in Unix nanoseconds", start)}
	}
	td, sp := sessionMarker(id, "start")
	sp.SetStartTimestamp(pcommon.Timestamp(start))
	sp.SetEndTimestamp(pcommon.Timestamp(start))
	attrs := sp.Attributes()
	putStr(attrs, canonical.AttrSessionName, req.GetName())
	putStr(attrs, canonical.AttrFramework, req.GetFramework())
	putStr(attrs, canonical.GenAIAgentName, req.GetAgentName())
	putStr(attrs, canonical.UserID, req.GetUserId())
	if len(req.GetTags()) > 0 {
		sl := attrs.PutEmptySlice(canonical.AttrTags)
		for _, t := range req.GetTags() {
			sl.AppendEmpty().SetStr(sanitize(t))
		}
	}
	for k, v := range req.GetMetadata() {
		attrs.PutStr(canonical.AttrSessionMetadata+sanitize(k), sanitize(v))
	}
	if err := r.consumeMarker(ctx, transport, td); err != nil {
		return nil, err
	}
	r.sessions.start(id, sanitize(req.GetName()), start)
	return &atv1.StartSessionResponse{SessionId: id}, nil
}

// endSession emits a session-end marker and answers with the totals the
// receiver saw for the session. The stored session (API) is authoritative:
// it also includes spans that reached other collectors, and costs.
func (r *agentTraceReceiver) endSession(ctx context.Context, transport string, req *atv1.EndSessionRequest) (*atv1.EndSessionResponse, error) {
	id := sanitize(req.GetSessionId())
	if id == "" {
		return nil, &badRequestError{"session_id: required"}
	}
	end := req.GetEndTimeUnixNano()
	if end == 0 {
		end = time.Now().UnixNano()
	}
	st := spanStatus(req.GetStatus(), end)
	td, sp := sessionMarker(id, "end")
	sp.SetStartTimestamp(pcommon.Timestamp(end))
	sp.SetEndTimestamp(pcommon.Timestamp(end))
	sp.Attributes().PutStr(canonical.AttrSpanStatus, string(st))
	if err := r.consumeMarker(ctx, transport, td); err != nil {
		return nil, err
	}
	return &atv1.EndSessionResponse{Summary: r.sessions.end(id, end)}, nil
}

// sessionMarker builds a synthetic span carrying a session event. Its trace
// id is derived from the session id so markers of one session group
// together for stock exporters; AgentTrace's own exporters store it in the
// sessions table instead of as a span.
func sessionMarker(id, event string) (ptrace.Traces, ptrace.Span) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(canonical.ServiceName, "agenttrace-session")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	sp := ss.Spans().AppendEmpty()
	sum := sha256.Sum256([]byte("agenttrace.session:" + id))
	var tid pcommon.TraceID
	copy(tid[:], sum[:16])
	var sid pcommon.SpanID
	_, _ = rand.Read(sid[:])
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetName("session." + event)
	attrs := sp.Attributes()
	attrs.PutStr(canonical.AttrRecordKind, canonical.RecordKindSession)
	attrs.PutStr(canonical.AttrSessionEvent, event)
	attrs.PutStr(canonical.AttrSessionID, id)
	return td, sp
}

// consumeMarker sends a session marker down the pipeline. Like spans, it is
// stamped with the project of the request's ingest key and counts as one
// span against the key's rate limit.
func (r *agentTraceReceiver) consumeMarker(ctx context.Context, transport string, td ptrace.Traces) error {
	ctx, id, err := agenttraceauthextension.Charge(ctx, 1)
	if err != nil {
		r.countRejected(ctx, transport, reasonRateLimited, 1)
		return err
	}
	if id != nil {
		stampProject(td, id.Project)
	}
	obs := r.obs[transport]
	octx := obs.StartTracesOp(ctx)
	err = r.next.ConsumeTraces(octx, td)
	obs.EndTracesOp(octx, "session", 1, err)
	return err
}

// sessionTotals is what the receiver saw of one session.
type sessionTotals struct {
	id, name   string
	start, end int64
	summary    atv1.SessionSummary
	tokens     canonical.Tokens
	traces     map[string]struct{}
	cost       float64
	priced     bool
	elem       *list.Element
}

// maxTracesPerSession bounds the per-session set used to count traces.
const maxTracesPerSession = 100_000

// sessionTracker keeps totals of recently active sessions, bounded by an
// LRU, so EndSession can answer without a storage round trip.
type sessionTracker struct {
	mu   sync.Mutex
	max  int
	byID map[string]*sessionTotals
	lru  *list.List
}

func newSessionTracker(max int) *sessionTracker {
	return &sessionTracker{max: max, byID: map[string]*sessionTotals{}, lru: list.New()}
}

func (t *sessionTracker) get(id string) *sessionTotals {
	s := t.byID[id]
	if s != nil {
		t.lru.MoveToFront(s.elem)
		return s
	}
	// A new session keeps its own copy of the id: the caller's may share
	// memory with other text of its request.
	id = strings.Clone(id)
	s = &sessionTotals{id: id, traces: map[string]struct{}{}}
	s.elem = t.lru.PushFront(s)
	t.byID[id] = s
	for t.lru.Len() > t.max {
		old := t.lru.Remove(t.lru.Back()).(*sessionTotals)
		delete(t.byID, old.id)
	}
	return s
}

func (t *sessionTracker) start(id, name string, start int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(id)
	if name != "" {
		s.name = name
	}
	if s.start == 0 || start < s.start {
		s.start = start
	}
}

// sessionSpan is what the tracker counts of a valid, finished span with a
// session id (converter.add collects them).
type sessionSpan struct {
	sessionID         string
	traceID           []byte // aliases the request: copied when first seen
	typ, status       int32
	start             int64
	usage             usageFields
	hasUsage, hasCost bool
	cost              float64
}

// observe adds the valid, finished spans of a batch to their sessions.
// Running spans (start events) are not counted: their final version is.
func (t *sessionTracker) observe(spans []sessionSpan) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range spans {
		sp := &spans[i]
		s := t.get(sanitize(sp.sessionID))
		sum := &s.summary
		sum.SpanCount++
		if _, seen := s.traces[string(sp.traceID)]; !seen && len(s.traces) < maxTracesPerSession {
			s.traces[string(sp.traceID)] = struct{}{}
		}
		switch atv1.SpanType(sp.typ) {
		case atv1.SpanType_SPAN_TYPE_LLM_CALL:
			sum.LlmCalls++
		case atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION:
			sum.ToolCalls++
		}
		if st := atv1.SpanStatus(sp.status); st == atv1.SpanStatus_SPAN_STATUS_ERROR || st == atv1.SpanStatus_SPAN_STATUS_TIMEOUT {
			sum.ErrorCount++
		}
		if sp.hasUsage {
			u := sp.usage.tokens()
			s.tokens.Input += u.Input
			s.tokens.Output += u.Output
			s.tokens.CacheRead += u.CacheRead
			s.tokens.CacheWrite5m += u.CacheWrite5m
			s.tokens.CacheWrite1h += u.CacheWrite1h
			s.tokens.Reasoning += u.Reasoning
		}
		if sp.hasCost {
			s.cost += sp.cost
			s.priced = true
		}
		if st := sp.start; s.start == 0 || st < s.start {
			s.start = st
		}
	}
}

func (t *sessionTracker) end(id string, end int64) *atv1.SessionSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(id)
	out := &atv1.SessionSummary{
		SessionId: id, Name: s.name, StartTimeUnixNano: s.start, EndTimeUnixNano: end,
		SpanCount: s.summary.SpanCount, TraceCount: int64(len(s.traces)), LlmCalls: s.summary.LlmCalls,
		ToolCalls: s.summary.ToolCalls, ErrorCount: s.summary.ErrorCount,
		Tokens: &atv1.TokenUsage{
			InputTokens: s.tokens.Input, OutputTokens: s.tokens.Output, CacheReadTokens: s.tokens.CacheRead,
			CacheWriteTokens: s.tokens.CacheWrite5m, CacheWrite_1HTokens: s.tokens.CacheWrite1h,
			ReasoningTokens: s.tokens.Reasoning,
		},
		TotalTokens: s.tokens.Total(),
	}
	if s.start > 0 && end > s.start {
		out.DurationMs = (end - s.start) / int64(time.Millisecond)
	}
	if s.priced {
		out.CostUsd = &s.cost
	}
	// The session is over: forget it.
	t.lru.Remove(s.elem)
	delete(t.byID, id)
	return out
}
