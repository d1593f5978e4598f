// Package storagetest is the one conformance suite every storage backend
// passes. A backend's test calls Run with a constructor that returns a fresh,
// empty store for each subtest:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Store { return openFreshStore(t) })
//	}
//
// The suite checks only the semantics documented in package storage. All
// timestamps are fixed, so results never depend on the wall clock.
package storagetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// Run runs the conformance suite. newStore must return a new, empty store
// each time it is called; the suite closes it (twice, to check Close is
// idempotent) when the subtest ends.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	open := func(t *testing.T) storage.Store {
		t.Helper()
		s := newStore(t)
		require.NotNil(t, s)
		t.Cleanup(func() {
			assert.NoError(t, s.Close(), "Close")
			assert.NoError(t, s.Close(), "second Close")
		})
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"RoundTripEveryField", testRoundTrip},
		{"ContentStoredOnce", testContentStoredOnce},
		{"EmptyBatch", testEmptyBatch},
		{"NotFound", testNotFound},
		{"InvalidQuery", testInvalidQuery},
		{"Idempotent", testIdempotent},
		{"RunningThenFinal", testRunningThenFinal},
		{"FinalVersionReplaces", testFinalVersionReplaces},
		{"TraceSplitOverBatches", testTraceSplit},
		{"TraceStatusPrecedence", testTraceStatusPrecedence},
		{"SessionEventOrder", testSessionEventOrder},
		{"ConcurrentWriters", testConcurrentWriters},
		{"SeededTraceSummaries", testSeededTraces},
		{"SeededSessions", testSeededSessions},
		{"ListTracesFilters", testListTracesFilters},
		{"QuerySpansFilters", testQuerySpansFilters},
		{"FollowBySeq", testFollowBySeq},
		{"Pagination", testPagination},
		{"DeleteSession", testDeleteSession},
		{"Summary", testSummary},
		{"CostBreakdown", testCostBreakdown},
		{"Performance", testPerformance},
		{"Errors", testErrors},
		{"EmptyAnalytics", testEmptyAnalytics},
		{"ProjectIsolation", testProjectIsolation},
		{"ProjectDelete", testProjectDelete},
		{"ProjectPagination", testProjectPagination},
		{"ScopeRequired", testScopeRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func write(t *testing.T, s storage.Store, batches ...storage.Batch) {
	t.Helper()
	for i, b := range batches {
		require.NoErrorf(t, s.Write(t.Context(), b), "Write batch %d", i)
	}
}

func writeSeed(t *testing.T, s storage.Store) { write(t, s, seed()...) }

func getTrace(t *testing.T, s storage.Store, id int) storage.TraceSummary {
	t.Helper()
	tr, err := s.GetTrace(t.Context(), storage.AllProjects(), traceID(id))
	require.NoError(t, err, "GetTrace")
	return tr
}

func getSession(t *testing.T, s storage.Store, id string) storage.Session {
	t.Helper()
	ss, err := s.GetSession(t.Context(), storage.AllProjects(), id)
	require.NoError(t, err, "GetSession")
	return ss
}

func listTraces(t *testing.T, s storage.Store, q storage.TraceQuery) []string {
	t.Helper()
	p, err := s.ListTraces(t.Context(), storage.AllProjects(), q)
	require.NoErrorf(t, err, "ListTraces %+v", q)
	return traceIDs(p.Items)
}

func querySpans(t *testing.T, s storage.Store, q storage.SpanQuery) []storage.Span {
	t.Helper()
	p, err := s.QuerySpans(t.Context(), storage.AllProjects(), q)
	require.NoErrorf(t, err, "QuerySpans %+v", q)
	return p.Items
}

func ptr[T any](v T) *T { return &v }

func fullSpan() storage.Span {
	s := newSpan(0x11, 0x12, 0x13, canonical.TypeLLMCall, "chat \"gpt\" — résumé 世界 🚀", at(tue, 8, 0, 0, 123), 1234567*time.Nanosecond, canonical.StatusError)
	s.StartUnixNano += 456 // nanosecond precision must survive
	s.SessionID = "sess-full"
	s.StatusMessage = "boom: it's \"broken\"\nsecond line"
	s.ErrorCode = "E42"
	s.Model = "gpt-4o-mini-2024-07-18"
	s.Provider = "openai"
	s.Temperature = ptr(0.7)
	s.MaxTokens = ptr(int64(4096))
	s.TopP = ptr(0.95)
	s.ThinkingEnabled = ptr(false)
	s.StopReason = "length"
	s.Prompt = "Say 'hi' \\ back\n\ttabbed \u00e9 \U0001F600"
	s.Response = `{"role":"assistant","content":"hi"}`
	s.ToolName = "search"
	s.ToolCallID = "call_abc123"
	s.ToolInput = `{"q":"weather"}`
	s.ToolOutput = "sunny"
	s.ToolSuccess = ptr(false)
	s.FilePath = "/tmp/x y/z.txt"
	s.FileOperation = "write"
	s.FileBytes = 1 << 40
	s.FileLines = 12345
	s.Tokens = canonical.Tokens{Input: 1, CacheRead: 2, CacheWrite5m: 3, CacheWrite1h: 4, Output: 5, Reasoning: 6, Present: true, Estimated: true}
	s.Cost = canonical.Cost{Total: 0.1234567890123, Input: 0.01, CacheRead: 0.002, CacheWrite: 0.0003, Output: 0.04, Reasoning: 0.00005,
		Status: canonical.CostStatusEstimated, PricingEntry: "openai/gpt-4o-mini", PricingDate: "2024-07-18"}
	s.ReportedCost = ptr(0.125)
	s.Framework = "langgraph"
	s.FrameworkVersion = "0.2.1"
	s.SDKVersion = "1.2.3"
	s.Hostname = "host-1"
	s.ServiceName = "svc"
	s.Tags = []string{"b", "a", "with space"}
	s.AgentName = "agent-π"
	s.UserID = "user@example.com"
	s.ChainStep = 7
	s.ChainDepth = 2
	s.ChainFollows = spanID(0x21)
	s.ChainRequestedBy = spanID(0x22)
	s.ChainAnswers = spanID(0x23)
	s.Flags = []string{string(canonical.FlagLoop), string(canonical.FlagContextGrowth)}
	s.Attributes = `{"gen_ai.request.model":"gpt-4o-mini","n":3,"f":1.5,"b":true,"list":["x",1],"nested":{"k":"v"},"unicode":"日本"}`
	s.Resource = `{"service.name":"svc","host.name":"host-1"}`
	s.Events = `[{"name":"exception","time_unix_nano":1741075200000000000,"attributes":{"exception.message":"boom"}},{"name":"mark","time_unix_nano":1741075200000000001}]`
	s.ScopeName = "github.com/agenttrace/sdk"
	return s
}

// testRoundTrip writes spans covering every field (set and unset) and reads
// them back through every span read path.
func testRoundTrip(t *testing.T, s storage.Store) {
	full := fullSpan()
	// A span with every optional field unset: nil pointers, no chain, no
	// tokens or cost, running.
	bare := newSpan(0x11, 0x14, 0, canonical.TypeCustom, "bare", at(tue, 8, 0, 0, 0), 0, canonical.StatusRunning)
	bare.SessionID = full.SessionID
	// Pointers set to non-zero values that differ from full's.
	other := newSpan(0x11, 0x15, 0x12, canonical.TypeToolExecution, "tool", at(tue, 8, 0, 1, 0), ms(5), canonical.StatusOK)
	other.Temperature = ptr(0.0)
	other.MaxTokens = ptr(int64(0))
	other.TopP = ptr(1.0)
	other.ThinkingEnabled = ptr(true)
	other.ToolSuccess = ptr(true)
	other.ReportedCost = ptr(0.0)
	other.Cost = unpriced()
	other.ChainStep, other.ChainDepth = 0, 0
	other.SessionID = full.SessionID
	write(t, s, storage.Batch{Spans: []storage.Span{full, bare, other}})

	for _, want := range []storage.Span{full, bare, other} {
		got, err := s.GetSpan(t.Context(), storage.AllProjects(), want.TraceID, want.SpanID)
		require.NoError(t, err, "GetSpan")
		assertSpanEqual(t, want, got)
	}

	all, err := s.TraceSpans(t.Context(), storage.AllProjects(), full.TraceID)
	require.NoError(t, err, "TraceSpans")
	require.Len(t, all, 3)
	assert.Equal(t, []string{bare.SpanID, full.SpanID, other.SpanID}, spanKeys(all), "TraceSpans orders by start time")
	for i, want := range []storage.Span{bare, full, other} {
		assertSpanEqual(t, want, all[i])
	}

	q := querySpans(t, s, storage.SpanQuery{TraceID: full.TraceID})
	require.Len(t, q, 3)
	assert.Equal(t, []string{other.SpanID, full.SpanID, bare.SpanID}, spanKeys(q), "QuerySpans newest first")
	assertSpanEqual(t, full, q[1])
	seqs := map[int64]bool{}
	for _, sp := range q {
		assert.False(t, seqs[sp.Seq], "Seq values are distinct")
		seqs[sp.Seq] = true
	}

	// The session event fields round-trip through GetSession.
	ev := storage.SessionEvent{SessionID: "sess-full", Start: true, Name: "Full — session", Framework: "langgraph",
		AgentName: "agent-π", UserID: "user@example.com", Tags: []string{"z", "a"},
		Metadata: map[string]string{"k": "v", "emoji": "🚀"}, TimeUnixNano: at(tue, 7, 59, 0, 0).UnixNano() + 1}
	end := storage.SessionEvent{SessionID: "sess-full", Start: false, TimeUnixNano: at(tue, 9, 0, 0, 0).UnixNano() + 3, Status: canonical.StatusCancelled}
	write(t, s, storage.Batch{Sessions: []storage.SessionEvent{ev, end}})
	sess := getSession(t, s, "sess-full")
	assert.Equal(t, ev.Name, sess.Name)
	assert.Equal(t, ev.Framework, sess.Framework)
	assert.Equal(t, ev.AgentName, sess.AgentName)
	assert.Equal(t, ev.UserID, sess.UserID)
	assert.Equal(t, ev.Tags, sess.Tags)
	assert.Equal(t, ev.Metadata, sess.Metadata)
	assert.Equal(t, ev.TimeUnixNano, sess.StartUnixNano)
	assert.Equal(t, end.TimeUnixNano, sess.EndUnixNano)
	assert.Equal(t, canonical.StatusCancelled, sess.Status)
}

func testEmptyBatch(t *testing.T, s storage.Store) {
	require.NoError(t, s.Write(t.Context(), storage.Batch{}))
	p, err := s.ListTraces(t.Context(), storage.AllProjects(), storage.TraceQuery{})
	require.NoError(t, err)
	assert.Empty(t, p.Items)
	assert.Empty(t, p.NextCursor)
}

func testNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	write(t, s, storage.Batch{Spans: []storage.Span{newSpan(1, 1, 0, canonical.TypeAgent, "root", at(tue, 1, 0, 0, 0), time.Second, canonical.StatusOK)}})
	_, err := s.GetTrace(ctx, storage.AllProjects(), traceID(2))
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetTrace")
	_, err = s.TraceSpans(ctx, storage.AllProjects(), traceID(2))
	assert.ErrorIs(t, err, storage.ErrNotFound, "TraceSpans")
	_, err = s.GetSpan(ctx, storage.AllProjects(), traceID(2), spanID(1))
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSpan unknown trace")
	_, err = s.GetSpan(ctx, storage.AllProjects(), traceID(1), spanID(2))
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSpan unknown span")
	_, err = s.GetSession(ctx, storage.AllProjects(), "nope")
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSession")
	assert.ErrorIs(t, s.DeleteSession(ctx, storage.AllProjects(), "nope"), storage.ErrNotFound, "DeleteSession")
	// The known ones are found.
	_, err = s.GetTrace(ctx, storage.AllProjects(), traceID(1))
	assert.NoError(t, err)
	_, err = s.GetSpan(ctx, storage.AllProjects(), traceID(1), spanID(1))
	assert.NoError(t, err)
}

func testInvalidQuery(t *testing.T, s storage.Store) {
	ctx := t.Context()
	writeSeed(t, s)
	const garbage = "%%not-a-cursor%%"
	for _, lim := range []int{-1, storage.MaxLimit + 1} {
		_, err := s.ListTraces(ctx, storage.AllProjects(), storage.TraceQuery{Limit: lim})
		assert.ErrorIsf(t, err, storage.ErrInvalidQuery, "ListTraces limit %d", lim)
		_, err = s.QuerySpans(ctx, storage.AllProjects(), storage.SpanQuery{Limit: lim})
		assert.ErrorIsf(t, err, storage.ErrInvalidQuery, "QuerySpans limit %d", lim)
		_, err = s.ListSessions(ctx, storage.AllProjects(), storage.SessionQuery{Limit: lim})
		assert.ErrorIsf(t, err, storage.ErrInvalidQuery, "ListSessions limit %d", lim)
		_, err = s.Errors(ctx, storage.AllProjects(), weekRange, lim)
		assert.ErrorIsf(t, err, storage.ErrInvalidQuery, "Errors limit %d", lim)
	}
	_, err := s.ListTraces(ctx, storage.AllProjects(), storage.TraceQuery{Cursor: garbage})
	assert.ErrorIs(t, err, storage.ErrInvalidQuery, "ListTraces bad cursor")
	_, err = s.QuerySpans(ctx, storage.AllProjects(), storage.SpanQuery{Cursor: garbage})
	assert.ErrorIs(t, err, storage.ErrInvalidQuery, "QuerySpans bad cursor")
	_, err = s.ListSessions(ctx, storage.AllProjects(), storage.SessionQuery{Cursor: garbage})
	assert.ErrorIs(t, err, storage.ErrInvalidQuery, "ListSessions bad cursor")
	for _, g := range []string{"", "minute", "month", "session", "HOUR "} {
		_, err = s.CostBreakdown(ctx, storage.AllProjects(), weekRange, g)
		assert.ErrorIsf(t, err, storage.ErrInvalidQuery, "CostBreakdown groupBy %q", g)
	}
	for _, g := range []string{"", storage.GroupHour, storage.GroupAgent, storage.GroupProvider, "latency"} {
		_, err = s.Performance(ctx, storage.AllProjects(), weekRange, g)
		assert.ErrorIsf(t, err, storage.ErrInvalidQuery, "Performance groupBy %q", g)
	}
	// The edges of the valid range are accepted.
	_, err = s.ListTraces(ctx, storage.AllProjects(), storage.TraceQuery{Limit: storage.MaxLimit})
	assert.NoError(t, err)
	_, err = s.ListTraces(ctx, storage.AllProjects(), storage.TraceQuery{Limit: 1})
	assert.NoError(t, err)
	_, err = s.QuerySpans(ctx, storage.AllProjects(), storage.SpanQuery{Limit: storage.MaxLimit})
	assert.NoError(t, err)
	_, err = s.Errors(ctx, storage.AllProjects(), weekRange, storage.MaxLimit)
	assert.NoError(t, err)
}

// smallTrace is a root, an LLM call and a failing tool call in session "x".
func smallTrace(trace int) (root, llm, tool storage.Span) {
	base := at(tue, 14, 0, 0, 0).Add(time.Duration(trace) * time.Minute)
	root = withChain(withSession(newSpan(trace, trace*16+0, 0, canonical.TypeAgent, "root", base, 5*time.Second, canonical.StatusOK), "x", "ax"), 0)
	llm = withChain(withLLM(withSession(newSpan(trace, trace*16+1, trace*16, canonical.TypeLLMCall, "llm", base.Add(time.Second), ms(500), canonical.StatusOK), "x", "ax"),
		"gpt-4o", "openai", canonical.Tokens{Input: 100, Output: 50}, priced(0.01)), 1, string(canonical.FlagLoop))
	tool = withChain(withError(withSession(newSpan(trace, trace*16+2, trace*16, canonical.TypeToolExecution, "tool", base.Add(2*time.Second), ms(100), canonical.StatusError), "x", "ax"),
		"bad", "E1"), 2)
	return root, llm, tool
}

func smallTraceSummary(trace int) storage.TraceSummary {
	root, _, _ := smallTrace(trace)
	return storage.TraceSummary{
		TraceID: traceID(trace), RootSpanID: root.SpanID, RootName: "root", SessionID: "x", AgentName: "ax",
		StartUnixNano: root.StartUnixNano, EndUnixNano: root.EndUnixNano, DurationNanos: int64(5 * time.Second),
		Status: canonical.StatusError, SpanCount: 3, LLMCalls: 1, ToolCalls: 1, ErrorCount: 1,
		Tokens: canonical.Tokens{Input: 100, Output: 50}, CostUSD: 0.01, PricedSpans: 1, ChainLength: 3,
		Flags: []string{string(canonical.FlagLoop)},
	}
}

var xStart = storage.SessionEvent{SessionID: "x", Start: true, Name: "x session", AgentName: "ax", TimeUnixNano: at(tue, 13, 0, 0, 0).UnixNano()}

func xSession(traces int) storage.Session {
	return storage.Session{
		ID: "x", Name: "x session", AgentName: "ax", StartUnixNano: xStart.TimeUnixNano,
		SpanCount: 3 * int64(traces), TraceCount: int64(traces), LLMCalls: int64(traces), ToolCalls: int64(traces), ErrorCount: int64(traces),
		Tokens: canonical.Tokens{Input: 100 * int64(traces), Output: 50 * int64(traces)}, CostUSD: 0.01 * float64(traces),
		PricedSpans: int64(traces), Flags: []string{string(canonical.FlagLoop)},
	}
}

// assertActiveSession compares an active session, whose Status is not
// specified by the interface.
func assertActiveSession(t *testing.T, want, got storage.Session) {
	t.Helper()
	assert.Zero(t, got.EndUnixNano, "active session has no end")
	want.Status = got.Status
	assertSession(t, want, got)
}

func testIdempotent(t *testing.T, s storage.Store) {
	root, llm, tool := smallTrace(1)
	b := storage.Batch{Sessions: []storage.SessionEvent{xStart}, Spans: []storage.Span{root, llm, tool}}
	write(t, s, b, b)
	// A duplicate inside one batch counts once too.
	write(t, s, storage.Batch{Spans: []storage.Span{llm, llm, tool}})
	assertTrace(t, smallTraceSummary(1), getTrace(t, s, 1))
	assertActiveSession(t, xSession(1), getSession(t, s, "x"))
	all, err := s.TraceSpans(t.Context(), storage.AllProjects(), traceID(1))
	require.NoError(t, err)
	assert.Len(t, all, 3, "each span stored once")
	assert.Len(t, querySpans(t, s, storage.SpanQuery{SessionID: "x"}), 3)
	sum, err := s.Summary(t.Context(), storage.AllProjects(), storage.TimeRange{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum.Spans)
	assert.Equal(t, int64(1), sum.Traces)
	assertNear(t, 0.01, sum.CostUSD, "Summary CostUSD")
}

func testRunningThenFinal(t *testing.T, s storage.Store) {
	base := at(tue, 15, 0, 0, 0)
	rootRun := withSession(newSpan(5, 0x50, 0, canonical.TypeAgent, "root", base, 0, canonical.StatusRunning), "r", "ar")
	llmRun := withLLM(withSession(newSpan(5, 0x51, 0x50, canonical.TypeLLMCall, "llm", base.Add(time.Second), 0, canonical.StatusRunning), "r", "ar"),
		"gpt-4o", "openai", canonical.Tokens{}, canonical.Cost{})
	write(t, s, storage.Batch{Spans: []storage.Span{rootRun, llmRun},
		Sessions: []storage.SessionEvent{{SessionID: "r", Start: true, Name: "r", TimeUnixNano: base.UnixNano()}}})

	tr := getTrace(t, s, 5)
	assertTrace(t, storage.TraceSummary{TraceID: traceID(5), RootSpanID: spanID(0x50), RootName: "root", SessionID: "r", AgentName: "ar",
		StartUnixNano: base.UnixNano(), Status: canonical.StatusRunning, SpanCount: 2, LLMCalls: 1}, tr)
	ss := getSession(t, s, "r")
	assert.Equal(t, int64(2), ss.SpanCount)
	assert.Equal(t, int64(1), ss.TraceCount)

	// The LLM call finishes with usage and cost.
	llmDone := withLLM(withSession(newSpan(5, 0x51, 0x50, canonical.TypeLLMCall, "llm", base.Add(time.Second), ms(700), canonical.StatusOK), "r", "ar"),
		"gpt-4o", "openai", canonical.Tokens{Input: 100, Output: 40}, priced(0.02))
	write(t, s, storage.Batch{Spans: []storage.Span{llmDone}})
	tr = getTrace(t, s, 5)
	assert.Equal(t, canonical.StatusRunning, tr.Status, "root still running")
	assert.Equal(t, int64(2), tr.SpanCount)
	assert.Equal(t, int64(1), tr.LLMCalls)
	assertTokens(t, canonical.Tokens{Input: 100, Output: 40}, tr.Tokens, "trace")
	assertNear(t, 0.02, tr.CostUSD, "trace CostUSD")
	assert.Equal(t, int64(1), tr.PricedSpans)
	got, err := s.GetSpan(t.Context(), storage.AllProjects(), traceID(5), spanID(0x51))
	require.NoError(t, err)
	assertSpanEqual(t, llmDone, got)

	// The root finishes.
	rootDone := withSession(newSpan(5, 0x50, 0, canonical.TypeAgent, "root", base, 3*time.Second, canonical.StatusOK), "r", "ar")
	write(t, s, storage.Batch{Spans: []storage.Span{rootDone}})
	want := storage.TraceSummary{TraceID: traceID(5), RootSpanID: spanID(0x50), RootName: "root", SessionID: "r", AgentName: "ar",
		StartUnixNano: base.UnixNano(), EndUnixNano: base.Add(3 * time.Second).UnixNano(), DurationNanos: int64(3 * time.Second),
		Status: canonical.StatusOK, SpanCount: 2, LLMCalls: 1, Tokens: canonical.Tokens{Input: 100, Output: 40}, CostUSD: 0.02, PricedSpans: 1}
	assertTrace(t, want, getTrace(t, s, 5))

	// A late tool call starts, then fails: the error is counted once.
	toolRun := withSession(newSpan(5, 0x52, 0x50, canonical.TypeToolExecution, "tool", base.Add(2*time.Second), 0, canonical.StatusRunning), "r", "ar")
	write(t, s, storage.Batch{Spans: []storage.Span{toolRun}})
	tr = getTrace(t, s, 5)
	assert.Equal(t, int64(3), tr.SpanCount)
	assert.Equal(t, int64(1), tr.ToolCalls)
	assert.Equal(t, int64(0), tr.ErrorCount)
	assert.Equal(t, canonical.StatusOK, tr.Status, "root finished, nothing failed")

	toolDone := withError(withSession(newSpan(5, 0x52, 0x50, canonical.TypeToolExecution, "tool", base.Add(2*time.Second), ms(300), canonical.StatusError), "r", "ar"), "bad", "E")
	write(t, s, storage.Batch{Spans: []storage.Span{toolDone}})
	want.SpanCount, want.ToolCalls, want.ErrorCount, want.Status = 3, 1, 1, canonical.StatusError
	assertTrace(t, want, getTrace(t, s, 5))
	ss = getSession(t, s, "r")
	assert.Equal(t, int64(3), ss.SpanCount)
	assert.Equal(t, int64(1), ss.TraceCount)
	assert.Equal(t, int64(1), ss.LLMCalls)
	assert.Equal(t, int64(1), ss.ToolCalls)
	assert.Equal(t, int64(1), ss.ErrorCount)
	assertTokens(t, canonical.Tokens{Input: 100, Output: 40}, ss.Tokens, "session")
	assertNear(t, 0.02, ss.CostUSD, "session CostUSD")

	sum, err := s.Summary(t.Context(), storage.AllProjects(), storage.TimeRange{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum.Spans)
	assert.Equal(t, int64(1), sum.Errors)
	assert.Equal(t, int64(1), sum.LLMCalls)
}

func testFinalVersionReplaces(t *testing.T, s storage.Store) {
	base := at(tue, 16, 0, 0, 0)
	root := withSession(newSpan(6, 0x60, 0, canonical.TypeAgent, "root", base, 2*time.Second, canonical.StatusOK), "f", "af")
	v1 := withLLM(withSession(newSpan(6, 0x61, 0x60, canonical.TypeLLMCall, "llm", base.Add(time.Second), ms(100), canonical.StatusOK), "f", "af"),
		"new-model", "acme", canonical.Tokens{Input: 100, Output: 10}, unpriced())
	write(t, s, storage.Batch{Spans: []storage.Span{root, v1},
		Sessions: []storage.SessionEvent{{SessionID: "f", Start: true, Name: "f", TimeUnixNano: base.UnixNano()}}})
	tr := getTrace(t, s, 6)
	assert.Equal(t, int64(0), tr.PricedSpans)
	assert.Equal(t, int64(1), tr.UnpricedSpans, "unpriced span counted as unpriced")
	assertNear(t, 0, tr.CostUSD, "unpriced CostUSD")

	// A later final version (e.g. re-processed with a price) replaces it.
	v2 := withLLM(withSession(newSpan(6, 0x61, 0x60, canonical.TypeLLMCall, "llm", base.Add(time.Second), ms(100), canonical.StatusOK), "f", "af"),
		"new-model", "acme", canonical.Tokens{Input: 120, Output: 12}, priced(0.02))
	write(t, s, storage.Batch{Spans: []storage.Span{v2}})
	tr = getTrace(t, s, 6)
	assert.Equal(t, int64(1), tr.PricedSpans)
	assert.Equal(t, int64(0), tr.UnpricedSpans)
	assert.Equal(t, int64(2), tr.SpanCount)
	assertTokens(t, canonical.Tokens{Input: 120, Output: 12}, tr.Tokens, "trace")
	assertNear(t, 0.02, tr.CostUSD, "trace CostUSD")
	ss := getSession(t, s, "f")
	assert.Equal(t, int64(1), ss.PricedSpans)
	assert.Equal(t, int64(0), ss.UnpricedSpans)
	assertTokens(t, canonical.Tokens{Input: 120, Output: 12}, ss.Tokens, "session")
	assertNear(t, 0.02, ss.CostUSD, "session CostUSD")
	got, err := s.GetSpan(t.Context(), storage.AllProjects(), traceID(6), spanID(0x61))
	require.NoError(t, err)
	assertSpanEqual(t, v2, got)
}

func testTraceSplit(t *testing.T, s storage.Store) {
	root, llm, tool := smallTrace(2)
	llm.Flags = []string{string(canonical.FlagLoop)}
	tool.Flags = []string{string(canonical.FlagCostBudget)}
	tool.ChainStep = 6
	write(t, s, storage.Batch{Spans: []storage.Span{llm}})
	tr := getTrace(t, s, 2)
	assert.Equal(t, canonical.StatusRunning, tr.Status, "root unknown: running")
	write(t, s, storage.Batch{Spans: []storage.Span{tool}})

	// Status is not asserted here: the root is unknown and a span failed.
	tr = getTrace(t, s, 2)
	assert.Equal(t, int64(2), tr.SpanCount)
	assert.Equal(t, int64(1), tr.ErrorCount)
	assert.Equal(t, int64(7), tr.ChainLength)

	write(t, s, storage.Batch{Spans: []storage.Span{root}})
	want := smallTraceSummary(2)
	want.ChainLength = 7 // max(step)+1, not the number of steps
	want.Flags = []string{string(canonical.FlagLoop), string(canonical.FlagCostBudget)}
	assertTrace(t, want, getTrace(t, s, 2))
}

func testSessionEventOrder(t *testing.T, s storage.Store) {
	// Spans of trace 3 arrive before the session start event, trace 4 after.
	r3, l3, t3 := smallTrace(3)
	r4, l4, t4 := smallTrace(4)
	write(t, s, storage.Batch{Spans: []storage.Span{r3, l3}})
	write(t, s, storage.Batch{Spans: []storage.Span{t3}})
	write(t, s, storage.Batch{Sessions: []storage.SessionEvent{xStart}})
	assertActiveSession(t, xSession(1), getSession(t, s, "x"))
	write(t, s, storage.Batch{Spans: []storage.Span{r4, l4, t4}})
	assertActiveSession(t, xSession(2), getSession(t, s, "x"))

	// A repeated start event changes nothing; the end event ends it.
	write(t, s, storage.Batch{Sessions: []storage.SessionEvent{xStart}})
	end := storage.SessionEvent{SessionID: "x", Start: false, TimeUnixNano: at(tue, 18, 0, 0, 0).UnixNano(), Status: canonical.StatusOK}
	write(t, s, storage.Batch{Sessions: []storage.SessionEvent{end}})
	want := xSession(2)
	want.EndUnixNano = end.TimeUnixNano
	want.Status = canonical.StatusOK
	assertSession(t, want, getSession(t, s, "x"))
	assertTrace(t, smallTraceSummary(3), getTrace(t, s, 3))
	assertTrace(t, smallTraceSummary(4), getTrace(t, s, 4))
}

// testConcurrentWriters has several writers store the same spans in
// different orders and batch splits at the same time, as several
// collectors (or retries) would. Every total must come out exact.
func testConcurrentWriters(t *testing.T, s storage.Store) {
	const writers, nTraces = 4, 6
	var all []storage.Span
	for i := 1; i <= nTraces; i++ {
		r, l, tl := smallTrace(100 + i)
		all = append(all, r, l, tl)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			order := slices.Clone(all)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			size := 2 + w
			for i := 0; i < len(order); i += size {
				b := storage.Batch{Spans: order[i:min(i+size, len(order))]}
				if i == 0 {
					b.Sessions = []storage.SessionEvent{xStart}
				}
				if err := s.Write(t.Context(), b); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := 1; i <= nTraces; i++ {
		assertTrace(t, smallTraceSummary(100+i), getTrace(t, s, 100+i))
	}
	assertActiveSession(t, xSession(nTraces), getSession(t, s, "x"))
	assert.Len(t, querySpans(t, s, storage.SpanQuery{Limit: storage.MaxLimit}), len(all))
}

func seededTraces() map[int]storage.TraceSummary {
	return map[int]storage.TraceSummary{
		trA: {TraceID: traceID(trA), RootSpanID: spanID(0xa0), RootName: "plan", SessionID: sessS1, AgentName: "planner",
			StartUnixNano: at(tue, 10, 0, 0, 0).UnixNano(), EndUnixNano: at(tue, 10, 0, 10, 0).UnixNano(), DurationNanos: int64(10 * time.Second),
			Status: canonical.StatusError, SpanCount: 4, LLMCalls: 2, ToolCalls: 1, ErrorCount: 1,
			Tokens: canonical.Tokens{Input: 300, CacheRead: 50, Output: 150, Reasoning: 10}, CostUSD: 0.04, PricedSpans: 2,
			ChainLength: 4, Flags: []string{"loop"}},
		trB: {TraceID: traceID(trB), RootSpanID: spanID(0xb0), RootName: "plan more", SessionID: sessS1, AgentName: "planner",
			StartUnixNano: at(tue, 11, 30, 0, 0).UnixNano(), EndUnixNano: at(tue, 11, 30, 5, 0).UnixNano(), DurationNanos: int64(5 * time.Second),
			Status: canonical.StatusOK, SpanCount: 3, LLMCalls: 2,
			Tokens: canonical.Tokens{Input: 1010, CacheWrite5m: 100, Output: 205}, CostUSD: 0.05, PricedSpans: 1, UnpricedSpans: 1},
		trC: {TraceID: traceID(trC), RootSpanID: spanID(0xc0), RootName: "code", SessionID: sessS2, AgentName: "coder",
			StartUnixNano: at(wed, 9, 15, 0, 0).UnixNano(), EndUnixNano: at(wed, 9, 15, 10, 0).UnixNano(), DurationNanos: int64(10 * time.Second),
			Status: canonical.StatusError, SpanCount: 6, LLMCalls: 2, ToolCalls: 2, ErrorCount: 3,
			Tokens: canonical.Tokens{Input: 300, Output: 30}, CostUSD: 0.02, PricedSpans: 1,
			ChainLength: 6, Flags: []string{"loop", "cost_budget", "error_cascade"}},
		trD: {TraceID: traceID(trD), RootSpanID: spanID(0xd0), RootName: "old call", SessionID: sessOld, AgentName: "archivist",
			StartUnixNano: at(old, 0, 0, 0, 0).UnixNano(), EndUnixNano: at(old, 0, 0, 2, 0).UnixNano(), DurationNanos: int64(2 * time.Second),
			Status: canonical.StatusError, SpanCount: 1, LLMCalls: 1, ErrorCount: 1,
			Tokens: canonical.Tokens{Input: 5000}, CostUSD: 1.0, PricedSpans: 1},
	}
}

func testSeededTraces(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	want := seededTraces()
	for id, w := range want {
		assertTrace(t, w, getTrace(t, s, id))
	}
	// ListTraces returns the same summaries.
	p, err := s.ListTraces(t.Context(), storage.AllProjects(), storage.TraceQuery{})
	require.NoError(t, err)
	require.Equal(t, traces(trC, trB, trA, trD), traceIDs(p.Items))
	for _, got := range p.Items {
		for id, w := range want {
			if w.TraceID == got.TraceID {
				assertTrace(t, want[id], got)
			}
		}
	}
	// Writing the whole data set again changes nothing.
	writeSeed(t, s)
	for id, w := range want {
		assertTrace(t, w, getTrace(t, s, id))
	}
}

func seededSessions() map[string]storage.Session {
	return map[string]storage.Session{
		sessS1: {ID: sessS1, Name: "Plan trip", Framework: "langgraph", AgentName: "planner", UserID: "u1",
			Tags: []string{"travel", "beta"}, Metadata: map[string]string{"env": "prod"},
			StartUnixNano: at(tue, 9, 59, 0, 0).UnixNano(), EndUnixNano: at(tue, 12, 0, 0, 0).UnixNano(), Status: canonical.StatusOK,
			SpanCount: 7, TraceCount: 2, LLMCalls: 4, ToolCalls: 1, ErrorCount: 1,
			Tokens:  canonical.Tokens{Input: 1310, CacheRead: 50, CacheWrite5m: 100, Output: 355, Reasoning: 10},
			CostUSD: 0.09, PricedSpans: 3, UnpricedSpans: 1, Flags: []string{"loop"}},
		sessS2: {ID: sessS2, Name: "Write code", Framework: "crewai", AgentName: "coder",
			StartUnixNano: at(wed, 9, 0, 0, 0).UnixNano(),
			SpanCount:     6, TraceCount: 1, LLMCalls: 2, ToolCalls: 2, ErrorCount: 3,
			Tokens:  canonical.Tokens{Input: 300, Output: 30},
			CostUSD: 0.02, PricedSpans: 1, Flags: []string{"loop", "cost_budget", "error_cascade"}},
		sessOld: {ID: sessOld, Name: "Archive", AgentName: "archivist",
			StartUnixNano: at(old, 0, 0, 0, 0).Add(-time.Minute).UnixNano(), EndUnixNano: at(old, 0, 0, 5, 0).UnixNano(), Status: canonical.StatusError,
			SpanCount: 1, TraceCount: 1, LLMCalls: 1, ErrorCount: 1, Tokens: canonical.Tokens{Input: 5000}, CostUSD: 1.0, PricedSpans: 1},
	}
}

func testSeededSessions(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	want := seededSessions()
	assertSession(t, want[sessS1], getSession(t, s, sessS1))
	assertActiveSession(t, want[sessS2], getSession(t, s, sessS2))
	assertSession(t, want[sessOld], getSession(t, s, sessOld))

	list := func(q storage.SessionQuery) []string {
		t.Helper()
		p, err := s.ListSessions(t.Context(), storage.AllProjects(), q)
		require.NoErrorf(t, err, "ListSessions %+v", q)
		return sessionIDs(p.Items)
	}
	p, err := s.ListSessions(t.Context(), storage.AllProjects(), storage.SessionQuery{})
	require.NoError(t, err)
	require.Equal(t, []string{sessS2, sessS1, sessOld}, sessionIDs(p.Items), "newest first")
	assertSession(t, want[sessS1], p.Items[1])
	assert.Equal(t, []string{sessS2, sessS1}, list(storage.SessionQuery{TimeRange: weekRange}))
	assert.Equal(t, []string{sessS1}, list(storage.SessionQuery{AgentName: "planner"}))
	assert.Equal(t, []string{sessS2}, list(storage.SessionQuery{Text: "code"}))
	assert.Equal(t, []string{sessS1}, list(storage.SessionQuery{Text: "trip"}))
	assert.Empty(t, list(storage.SessionQuery{Text: "nothing-like-this"}))
	assert.Equal(t, []string{sessS2}, list(storage.SessionQuery{Active: ptr(true)}))
	assert.Equal(t, []string{sessS1, sessOld}, list(storage.SessionQuery{Active: ptr(false)}))
	assert.Equal(t, []string{sessS1}, list(storage.SessionQuery{Active: ptr(false), TimeRange: weekRange}))
}

func testListTracesFilters(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	tueOnly := storage.TimeRange{From: tue.UnixNano(), To: wed.UnixNano()}
	cases := []struct {
		name string
		q    storage.TraceQuery
		want []string
	}{
		{"all", storage.TraceQuery{}, traces(trC, trB, trA, trD)},
		{"week", storage.TraceQuery{TimeRange: weekRange}, traces(trC, trB, trA)},
		{"tuesday", storage.TraceQuery{TimeRange: tueOnly}, traces(trB, trA)},
		{"from only", storage.TraceQuery{TimeRange: storage.TimeRange{From: at(tue, 11, 0, 0, 0).UnixNano()}}, traces(trC, trB)},
		{"to only", storage.TraceQuery{TimeRange: storage.TimeRange{To: at(tue, 11, 0, 0, 0).UnixNano()}}, traces(trA, trD)},
		{"session", storage.TraceQuery{SessionID: sessS1}, traces(trB, trA)},
		{"agent", storage.TraceQuery{AgentName: "coder"}, traces(trC)},
		{"model gpt-4o", storage.TraceQuery{Model: "gpt-4o"}, traces(trC, trA, trD)},
		{"model claude", storage.TraceQuery{Model: "claude-x"}, traces(trB)},
		{"model unknown", storage.TraceQuery{Model: "gpt"}, nil},
		{"status error", storage.TraceQuery{Status: canonical.StatusError}, traces(trC, trA, trD)},
		{"status ok", storage.TraceQuery{Status: canonical.StatusOK}, traces(trB)},
		{"status running", storage.TraceQuery{Status: canonical.StatusRunning}, nil},
		{"min cost", storage.TraceQuery{MinCostUSD: 0.045}, traces(trB, trD)},
		{"min cost lower", storage.TraceQuery{MinCostUSD: 0.035}, traces(trB, trA, trD)},
		{"min duration", storage.TraceQuery{MinDurationNanos: int64(9 * time.Second)}, traces(trC, trA)},
		{"text span name", storage.TraceQuery{Text: "read_file"}, traces(trC, trA)},
		{"text prompt", storage.TraceQuery{Text: "needle"}, traces(trA)},
		{"text response", storage.TraceQuery{Text: "forty-two"}, traces(trA)},
		{"text response 2", storage.TraceQuery{Text: "CLAUDE response"}, traces(trB)},
		{"text tool input", storage.TraceQuery{Text: "itinerary"}, traces(trA)},
		{"text tool output", storage.TraceQuery{Text: "secret-haystack"}, traces(trC)},
		{"text none", storage.TraceQuery{Text: "zebra-unicorn"}, nil},
		{"session and model", storage.TraceQuery{SessionID: sessS1, Model: "gpt-4o"}, traces(trA)},
		{"week and error and min cost", storage.TraceQuery{TimeRange: weekRange, Status: canonical.StatusError, MinCostUSD: 0.03}, traces(trA)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := listTraces(t, s, tc.q)
			if len(tc.want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func testQuerySpansFilters(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	tueOnly := storage.TimeRange{From: tue.UnixNano(), To: wed.UnixNano()}
	cases := []struct {
		name string
		q    storage.SpanQuery
		want []string
	}{
		{"trace", storage.SpanQuery{TraceID: traceID(trA)}, spans(0xa3, 0xa2, 0xa1, 0xa0)},
		{"session and type", storage.SpanQuery{SessionID: sessS2, Type: canonical.TypeToolExecution}, spans(0xc4, 0xc3)},
		{"model", storage.SpanQuery{Model: "gpt-4o"}, spans(0xc2, 0xc1, 0xa2, 0xa1, 0xd0)},
		{"status error", storage.SpanQuery{Status: canonical.StatusError}, spans(0xc5, 0xc3, 0xa3, 0xd0)},
		{"status running", storage.SpanQuery{Status: canonical.StatusRunning}, spans(0xc2)},
		{"type and week", storage.SpanQuery{Type: canonical.TypeLLMCall, TimeRange: weekRange}, spans(0xc2, 0xc1, 0xb2, 0xb1, 0xa2, 0xa1)},
		{"tuesday", storage.SpanQuery{TimeRange: tueOnly}, spans(0xb2, 0xb1, 0xb0, 0xa3, 0xa2, 0xa1, 0xa0)},
		{"trace and status", storage.SpanQuery{TraceID: traceID(trC), Status: canonical.StatusTimeout}, spans(0xc4)},
		{"nothing", storage.SpanQuery{TraceID: traceID(trB), Type: canonical.TypeToolExecution}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := spanKeys(querySpans(t, s, tc.q))
			if len(tc.want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// testFollowBySeq follows new spans the way a live view does: AfterSeq
// returns spans written after the given one, oldest first, including the
// final version of a span that was first written as running.
func testFollowBySeq(t *testing.T, s storage.Store) {
	base := at(tue, 17, 0, 0, 0)
	var first []storage.Span
	for i := range 3 {
		first = append(first, newSpan(7, 0x70+i, 0, canonical.TypeCustom, "a", base.Add(time.Duration(3-i)*time.Second), time.Second, canonical.StatusOK))
	}
	write(t, s, storage.Batch{Spans: first})
	seen := querySpans(t, s, storage.SpanQuery{})
	require.Len(t, seen, 3)
	var last int64
	for _, sp := range seen {
		last = max(last, sp.Seq)
	}

	running := newSpan(7, 0x80, 0, canonical.TypeLLMCall, "b", base, 0, canonical.StatusRunning)
	second := []storage.Span{running, newSpan(7, 0x81, 0, canonical.TypeCustom, "c", base.Add(-time.Hour), time.Second, canonical.StatusOK)}
	write(t, s, storage.Batch{Spans: second[:1]})
	write(t, s, storage.Batch{Spans: second[1:]})
	got := querySpans(t, s, storage.SpanQuery{AfterSeq: last})
	require.Equal(t, spans(0x80, 0x81), spanKeys(got), "AfterSeq: written after, oldest write first")
	assert.Less(t, got[0].Seq, got[1].Seq)
	assert.Greater(t, got[0].Seq, last)

	// One at a time, as a follower with a small page would.
	one := querySpans(t, s, storage.SpanQuery{AfterSeq: last, Limit: 1})
	require.Equal(t, spans(0x80), spanKeys(one))
	one = querySpans(t, s, storage.SpanQuery{AfterSeq: one[0].Seq, Limit: 1})
	require.Equal(t, spans(0x81), spanKeys(one))
	last = one[0].Seq
	assert.Empty(t, querySpans(t, s, storage.SpanQuery{AfterSeq: last}), "nothing new")

	// The running span's final version is a new write and is followed.
	done := newSpan(7, 0x80, 0, canonical.TypeLLMCall, "b", base, ms(250), canonical.StatusOK)
	write(t, s, storage.Batch{Spans: []storage.Span{done}})
	got = querySpans(t, s, storage.SpanQuery{AfterSeq: last})
	require.Equal(t, spans(0x80), spanKeys(got))
	assertSpanEqual(t, done, got[0])
	// Filters apply while following.
	assert.Empty(t, querySpans(t, s, storage.SpanQuery{AfterSeq: last, Type: canonical.TypeCustom}))
}

// testPagination pages through lists whose sort keys tie, checking the
// pages join up with no duplicate and no gap.
func testPagination(t *testing.T, s storage.Store) {
	const n = 60
	base := at(tue, 20, 0, 0, 0)
	var b storage.Batch
	for i := 1; i <= n; i++ {
		// Three traces, spans and sessions share each start time.
		start := base.Add(time.Duration(i/3) * time.Minute)
		sp := newSpan(1000+i, 1000+i, 0, canonical.TypeAgent, "p", start, time.Second, canonical.StatusOK)
		sp.SessionID = fmt.Sprintf("page-%02d", i)
		b.Spans = append(b.Spans, sp)
		b.Sessions = append(b.Sessions, storage.SessionEvent{SessionID: sp.SessionID, Start: true, Name: "page", TimeUnixNano: start.UnixNano()})
	}
	write(t, s, b)

	t.Run("traces", func(t *testing.T) {
		p, err := s.ListTraces(t.Context(), storage.AllProjects(), storage.TraceQuery{})
		require.NoError(t, err)
		assert.Len(t, p.Items, storage.DefaultLimit, "Limit 0 means DefaultLimit")
		assert.NotEmpty(t, p.NextCursor)

		var got []storage.TraceSummary
		cursor, pages := "", 0
		for {
			p, err := s.ListTraces(t.Context(), storage.AllProjects(), storage.TraceQuery{Limit: 7, Cursor: cursor})
			require.NoError(t, err)
			require.LessOrEqual(t, len(p.Items), 7)
			got = append(got, p.Items...)
			pages++
			require.Less(t, pages, 20, "pagination does not end")
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		checkPaged(t, traceIDs(got), n, func(i int) int64 { return got[i].StartUnixNano })
		// Filters still apply on later pages.
		first, err := s.ListTraces(t.Context(), storage.AllProjects(), storage.TraceQuery{Limit: 2, MinDurationNanos: 1, Text: "p"})
		require.NoError(t, err)
		require.NotEmpty(t, first.NextCursor)
		next, err := s.ListTraces(t.Context(), storage.AllProjects(), storage.TraceQuery{Limit: 2, MinDurationNanos: 1, Text: "p", Cursor: first.NextCursor})
		require.NoError(t, err)
		assert.Len(t, next.Items, 2)
	})
	t.Run("spans", func(t *testing.T) {
		var got []storage.Span
		cursor, pages := "", 0
		for {
			p, err := s.QuerySpans(t.Context(), storage.AllProjects(), storage.SpanQuery{Limit: 7, Cursor: cursor})
			require.NoError(t, err)
			got = append(got, p.Items...)
			pages++
			require.Less(t, pages, 20, "pagination does not end")
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		checkPaged(t, spanKeys(got), n, func(i int) int64 { return got[i].StartUnixNano })

		// Following by Seq in pages of 7 sees every span once, in Seq order.
		// AfterSeq 0 means "not set", so start after the oldest span.
		oldest := got[0]
		for _, sp := range got {
			if sp.Seq < oldest.Seq {
				oldest = sp
			}
		}
		follow := []storage.Span{oldest}
		for pages = 0; ; pages++ {
			require.Less(t, pages, 20, "following does not end")
			items := querySpans(t, s, storage.SpanQuery{AfterSeq: follow[len(follow)-1].Seq, Limit: 7})
			if len(items) == 0 {
				break
			}
			require.LessOrEqual(t, len(items), 7)
			follow = append(follow, items...)
		}
		require.Len(t, follow, n)
		for i := 1; i < len(follow); i++ {
			require.Less(t, follow[i-1].Seq, follow[i].Seq, "Seq strictly increasing")
		}
	})
	t.Run("sessions", func(t *testing.T) {
		var got []storage.Session
		cursor, pages := "", 0
		for {
			p, err := s.ListSessions(t.Context(), storage.AllProjects(), storage.SessionQuery{Limit: 4, Cursor: cursor})
			require.NoError(t, err)
			got = append(got, p.Items...)
			pages++
			require.Less(t, pages, 30, "pagination does not end")
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		checkPaged(t, sessionIDs(got), n, func(i int) int64 { return got[i].StartUnixNano })
	})
}

func checkPaged(t *testing.T, ids []string, n int, start func(i int) int64) {
	t.Helper()
	require.Len(t, ids, n, "every item exactly once over all pages")
	seen := map[string]bool{}
	for i, id := range ids {
		require.Falsef(t, seen[id], "duplicate %s over pages", id)
		seen[id] = true
		if i > 0 {
			require.GreaterOrEqualf(t, start(i-1), start(i), "newest first at %d", i)
		}
	}
}

func testDeleteSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	writeSeed(t, s)
	require.NoError(t, s.DeleteSession(ctx, storage.AllProjects(), sessS1))

	_, err := s.GetSession(ctx, storage.AllProjects(), sessS1)
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSession after delete")
	for _, tr := range []int{trA, trB} {
		_, err = s.GetTrace(ctx, storage.AllProjects(), traceID(tr))
		assert.ErrorIs(t, err, storage.ErrNotFound, "GetTrace after delete")
		_, err = s.TraceSpans(ctx, storage.AllProjects(), traceID(tr))
		assert.ErrorIs(t, err, storage.ErrNotFound, "TraceSpans after delete")
	}
	_, err = s.GetSpan(ctx, storage.AllProjects(), traceID(trA), spanID(0xa1))
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSpan after delete")
	assert.ErrorIs(t, s.DeleteSession(ctx, storage.AllProjects(), sessS1), storage.ErrNotFound, "second delete")

	assert.Equal(t, traces(trC, trD), listTraces(t, s, storage.TraceQuery{}))
	assert.Empty(t, querySpans(t, s, storage.SpanQuery{SessionID: sessS1}))
	assert.Len(t, querySpans(t, s, storage.SpanQuery{}), 7)
	p, err := s.ListSessions(ctx, storage.AllProjects(), storage.SessionQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{sessS2, sessOld}, sessionIDs(p.Items))
	assertTrace(t, seededTraces()[trC], getTrace(t, s, trC))
	assertActiveSession(t, seededSessions()[sessS2], getSession(t, s, sessS2))

	// Analytics forget the deleted spans too.
	sum, err := s.Summary(ctx, storage.AllProjects(), weekRange)
	require.NoError(t, err)
	assert.Equal(t, int64(6), sum.Spans)
	assert.Equal(t, int64(1), sum.Traces)
	assert.Equal(t, int64(1), sum.Sessions)
	assertNear(t, 0.02, sum.CostUSD, "Summary CostUSD after delete")
	rows, err := s.CostBreakdown(ctx, storage.AllProjects(), weekRange, storage.GroupDay)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "2025-03-05T00:00:00Z", rows[0].Key)
	assert.Equal(t, int64(6), rows[0].Spans)
}

func testSummary(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	sum, err := s.Summary(t.Context(), storage.AllProjects(), weekRange)
	require.NoError(t, err)
	assert.Equal(t, int64(13), sum.Spans)
	assert.Equal(t, int64(3), sum.Traces)
	assert.Equal(t, int64(2), sum.Sessions)
	assert.Equal(t, int64(6), sum.LLMCalls)
	assert.Equal(t, int64(3), sum.ToolCalls)
	assert.Equal(t, int64(4), sum.Errors, "error and timeout spans")
	assertNear(t, 4.0/13, sum.ErrorRate, "ErrorRate")
	assertTokens(t, canonical.Tokens{Input: 1610, CacheRead: 50, CacheWrite5m: 100, Output: 385, Reasoning: 10}, sum.Tokens, "summary")
	assertNear(t, 0.11, sum.CostUSD, "CostUSD")
	assert.Equal(t, int64(1), sum.UnpricedSpans)
	// Finished LLM calls: 100, 200, 300, 400, 400 ms (the running one is left out).
	assertNear(t, 300, sum.LatencyP50Ms, "LatencyP50Ms")
	assertNear(t, 400, sum.LatencyP95Ms, "LatencyP95Ms")

	all, err := s.Summary(t.Context(), storage.AllProjects(), storage.TimeRange{})
	require.NoError(t, err)
	assert.Equal(t, int64(14), all.Spans)
	assert.Equal(t, int64(4), all.Traces)
	assert.Equal(t, int64(3), all.Sessions)
	assert.Equal(t, int64(7), all.LLMCalls)
	assert.Equal(t, int64(5), all.Errors)
	assert.Equal(t, int64(6610), all.Tokens.Input)
	assertNear(t, 1.11, all.CostUSD, "unbounded CostUSD")

	tueOnly, err := s.Summary(t.Context(), storage.AllProjects(), storage.TimeRange{From: tue.UnixNano(), To: wed.UnixNano()})
	require.NoError(t, err)
	assert.Equal(t, int64(7), tueOnly.Spans)
	assert.Equal(t, int64(2), tueOnly.Traces)
	assert.Equal(t, int64(1), tueOnly.Sessions)
	assertNear(t, 0.09, tueOnly.CostUSD, "Tuesday CostUSD")
	assert.Equal(t, int64(1), tueOnly.UnpricedSpans)
}

type costWant struct {
	spans    int64
	tokens   canonical.Tokens
	cost     float64
	unpriced int64
}

func testCostBreakdown(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	tA := canonical.Tokens{Input: 300, CacheRead: 50, Output: 150, Reasoning: 10}
	tB := canonical.Tokens{Input: 1010, CacheWrite5m: 100, Output: 205}
	tC := canonical.Tokens{Input: 300, Output: 30}
	tTue := canonical.Tokens{Input: 1310, CacheRead: 50, CacheWrite5m: 100, Output: 355, Reasoning: 10}
	tAll := canonical.Tokens{Input: 1610, CacheRead: 50, CacheWrite5m: 100, Output: 385, Reasoning: 10}
	cases := []struct {
		group string
		time  bool
		// optionalEmpty: a row with an empty key (spans without a model or
		// provider) may be present; it must then carry no cost.
		optionalEmpty bool
		want          map[string]costWant
	}{
		{storage.GroupHour, true, false, map[string]costWant{
			"2025-03-04T10:00:00Z": {4, tA, 0.04, 0},
			"2025-03-04T11:00:00Z": {3, tB, 0.05, 1},
			"2025-03-05T09:00:00Z": {6, tC, 0.02, 0},
		}},
		{storage.GroupDay, true, false, map[string]costWant{
			"2025-03-04T00:00:00Z": {7, tTue, 0.09, 1},
			"2025-03-05T00:00:00Z": {6, tC, 0.02, 0},
		}},
		{storage.GroupWeek, true, false, map[string]costWant{ // ISO weeks start on Monday
			"2025-03-03T00:00:00Z": {13, tAll, 0.11, 1},
		}},
		{storage.GroupModel, false, true, map[string]costWant{
			"gpt-4o":    {4, canonical.Tokens{Input: 600, CacheRead: 50, Output: 180, Reasoning: 10}, 0.06, 0},
			"claude-x":  {1, canonical.Tokens{Input: 1000, CacheWrite5m: 100, Output: 200}, 0.05, 0},
			"mystery-1": {1, canonical.Tokens{Input: 10, Output: 5}, 0, 1},
		}},
		{storage.GroupProvider, false, true, map[string]costWant{
			"openai":    {4, canonical.Tokens{Input: 600, CacheRead: 50, Output: 180, Reasoning: 10}, 0.06, 0},
			"anthropic": {1, canonical.Tokens{Input: 1000, CacheWrite5m: 100, Output: 200}, 0.05, 0},
			"acme":      {1, canonical.Tokens{Input: 10, Output: 5}, 0, 1},
		}},
		{storage.GroupAgent, false, false, map[string]costWant{
			"planner": {7, tTue, 0.09, 1},
			"coder":   {6, tC, 0.02, 0},
		}},
		{storage.GroupType, false, false, map[string]costWant{
			string(canonical.TypeAgent):         {3, canonical.Tokens{}, 0, 0},
			string(canonical.TypeLLMCall):       {6, tAll, 0.11, 1},
			string(canonical.TypeToolExecution): {3, canonical.Tokens{}, 0, 0},
			string(canonical.TypeAPICall):       {1, canonical.Tokens{}, 0, 0},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.group, func(t *testing.T) {
			rows, err := s.CostBreakdown(t.Context(), storage.AllProjects(), weekRange, tc.group)
			require.NoError(t, err)
			got := map[string]storage.CostRow{}
			for _, r := range rows {
				require.NotContainsf(t, got, r.Key, "duplicate key %q", r.Key)
				got[r.Key] = r
			}
			if e, ok := got[""]; ok && tc.optionalEmpty {
				assertNear(t, 0, e.CostUSD, "empty-key row cost")
				assert.Zero(t, e.UnpricedSpans, "empty-key row unpriced")
				delete(got, "")
			}
			keys := func(m map[string]storage.CostRow) []string {
				var k []string
				for key := range m {
					k = append(k, key)
				}
				slices.Sort(k)
				return k
			}
			var wantKeys []string
			for k := range tc.want {
				wantKeys = append(wantKeys, k)
			}
			slices.Sort(wantKeys)
			require.Equal(t, wantKeys, keys(got))
			for k, w := range tc.want {
				r := got[k]
				assert.Equalf(t, w.spans, r.Spans, "%s Spans", k)
				assertTokens(t, w.tokens, r.Tokens, k)
				assertNear(t, w.cost, r.CostUSD, k+" CostUSD")
				assert.Equalf(t, w.unpriced, r.UnpricedSpans, "%s UnpricedSpans", k)
				if tc.time {
					ts, err := time.Parse(time.RFC3339, k)
					require.NoError(t, err)
					assert.Equalf(t, ts.UnixNano(), r.BucketUnixNano, "%s BucketUnixNano", k)
				}
			}
		})
	}
}

type perfWant struct {
	count, errors      int64
	p50, p95, p99, avg float64
}

func testPerformance(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	cases := []struct {
		group         string
		optionalEmpty bool
		want          map[string]perfWant
	}{
		{storage.GroupType, false, map[string]perfWant{
			string(canonical.TypeAgent):         {3, 0, 10000, 10000, 10000, 25000.0 / 3},
			string(canonical.TypeLLMCall):       {5, 0, 300, 400, 400, 280},
			string(canonical.TypeToolExecution): {3, 3, 50, 50, 50, 40},
			string(canonical.TypeAPICall):       {1, 1, 80, 80, 80, 80},
		}},
		{storage.GroupModel, true, map[string]perfWant{
			"gpt-4o":    {3, 0, 400, 400, 400, 300},
			"claude-x":  {1, 0, 200, 200, 200, 200},
			"mystery-1": {1, 0, 300, 300, 300, 300},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.group, func(t *testing.T) {
			rows, err := s.Performance(t.Context(), storage.AllProjects(), weekRange, tc.group)
			require.NoError(t, err)
			got := map[string]storage.PerfRow{}
			for _, r := range rows {
				require.NotContainsf(t, got, r.Key, "duplicate key %q", r.Key)
				got[r.Key] = r
			}
			if tc.optionalEmpty {
				delete(got, "")
			}
			require.Len(t, got, len(tc.want))
			for k, w := range tc.want {
				r, ok := got[k]
				require.Truef(t, ok, "missing group %q", k)
				assert.Equalf(t, w.count, r.Count, "%s Count", k)
				assert.Equalf(t, w.errors, r.Errors, "%s Errors", k)
				assertNear(t, w.p50, r.P50Ms, k+" P50Ms")
				assertNear(t, w.p95, r.P95Ms, k+" P95Ms")
				assertNear(t, w.p99, r.P99Ms, k+" P99Ms")
				assertNear(t, w.avg, r.AvgMs, k+" AvgMs")
				assertNear(t, float64(w.count)/weekSeconds, r.PerSecond, k+" PerSecond")
			}
		})
	}
}

func testErrors(t *testing.T, s storage.Store) {
	writeSeed(t, s)
	st, err := s.Errors(t.Context(), storage.AllProjects(), weekRange, 10)
	require.NoError(t, err)
	assert.Equal(t, int64(13), st.Spans)
	assert.Equal(t, int64(4), st.Errors)
	assertNear(t, 4.0/13, st.Rate, "Rate")
	require.Len(t, st.Top, 3)
	assert.Equal(t, storage.ErrorRow{Message: "file not found", Code: "ENOENT", Type: canonical.TypeToolExecution, Count: 2}, st.Top[0], "most frequent first")
	assert.ElementsMatch(t, []storage.ErrorRow{
		{Message: "deadline exceeded", Code: "TIMEOUT", Type: canonical.TypeToolExecution, Count: 1},
		{Message: "rate limited", Code: "429", Type: canonical.TypeAPICall, Count: 1},
	}, st.Top[1:])

	st, err = s.Errors(t.Context(), storage.AllProjects(), weekRange, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(4), st.Errors, "limit bounds Top only")
	require.Len(t, st.Top, 1)
	assert.Equal(t, "file not found", st.Top[0].Message)

	st, err = s.Errors(t.Context(), storage.AllProjects(), storage.TimeRange{}, 10)
	require.NoError(t, err)
	assert.Equal(t, int64(14), st.Spans)
	assert.Equal(t, int64(5), st.Errors)
	require.Len(t, st.Top, 4)
	assert.Contains(t, st.Top, storage.ErrorRow{Message: "old error", Code: "E_OLD", Type: canonical.TypeLLMCall, Count: 1})
}

func testEmptyAnalytics(t *testing.T, s storage.Store) {
	ctx := t.Context()
	writeSeed(t, s)
	empty := storage.TimeRange{From: at(tue, 0, 0, 0, 0).AddDate(1, 0, 0).UnixNano(), To: at(tue, 0, 0, 0, 0).AddDate(1, 0, 1).UnixNano()}
	sum, err := s.Summary(ctx, storage.AllProjects(), empty)
	require.NoError(t, err)
	assert.Zero(t, sum.Spans)
	assert.False(t, math.IsNaN(sum.ErrorRate), "ErrorRate of nothing is 0, not NaN")
	assert.Zero(t, sum.ErrorRate)
	assert.Zero(t, sum.CostUSD)
	assert.False(t, math.IsNaN(sum.LatencyP50Ms) || math.IsNaN(sum.LatencyP95Ms), "no NaN latencies")
	for _, g := range []string{storage.GroupHour, storage.GroupDay, storage.GroupWeek, storage.GroupModel, storage.GroupProvider, storage.GroupAgent, storage.GroupType} {
		rows, err := s.CostBreakdown(ctx, storage.AllProjects(), empty, g)
		require.NoError(t, err)
		assert.Emptyf(t, rows, "CostBreakdown %s", g)
	}
	for _, g := range []string{storage.GroupType, storage.GroupModel} {
		rows, err := s.Performance(ctx, storage.AllProjects(), empty, g)
		require.NoError(t, err)
		assert.Emptyf(t, rows, "Performance %s", g)
	}
	st, err := s.Errors(ctx, storage.AllProjects(), empty, 10)
	require.NoError(t, err)
	assert.Zero(t, st.Spans)
	assert.False(t, math.IsNaN(st.Rate), "Rate of nothing is 0, not NaN")
	assert.Empty(t, st.Top)
}

// testTraceStatusPrecedence pins the status rules of storage.TraceSummary:
// a failure shows even while the root runs; a running trace has no duration.
func testTraceStatusPrecedence(t *testing.T, s storage.Store) {
	base := at(tue, 18, 0, 0, 0)
	rootRun := newSpan(9, 0x90, 0, canonical.TypeAgent, "root", base, 0, canonical.StatusRunning)
	write(t, s, storage.Batch{Spans: []storage.Span{rootRun}})
	tr := getTrace(t, s, 9)
	assert.Equal(t, canonical.StatusRunning, tr.Status)
	assert.Equal(t, int64(0), tr.DurationNanos, "a running trace has no duration")

	failed := withError(newSpan(9, 0x91, 0x90, canonical.TypeToolExecution, "tool", base.Add(time.Second), ms(200), canonical.StatusError), "boom", "E")
	write(t, s, storage.Batch{Spans: []storage.Span{failed}})
	tr = getTrace(t, s, 9)
	assert.Equal(t, canonical.StatusError, tr.Status, "a failed child shows while the root runs")
	assert.Equal(t, int64(1), tr.ErrorCount)
}
