package storagetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// Projects of the isolation tests. Both write the same trace, span and
// session ids.
const (
	projA = "team-a"
	projB = "team-b"
)

var (
	scopeA = storage.ProjectScope(projA)
	scopeB = storage.ProjectScope(projB)
	scopeC = storage.ProjectScope("nobody") // a project with no data
)

func inProject(p string, spans ...storage.Span) []storage.Span {
	for i := range spans {
		spans[i].Project = p
	}
	return spans
}

// projectBatches are project A's small trace 1 in session "x", then project
// B's spans with the same ids: a running version of A's finished root, a
// different LLM call, one more span in the trace, and an ended session "x".
func projectBatches() (a, b storage.Batch) {
	root, llm, tool := smallTrace(1)
	aStart := xStart
	aStart.Project = projA
	a = storage.Batch{Sessions: []storage.SessionEvent{aStart}, Spans: inProject(projA, root, llm, tool)}

	bRoot, bLLM, _ := smallTrace(1)
	bRoot.Name, bRoot.Status, bRoot.EndUnixNano = "b-root", canonical.StatusRunning, 0
	bLLM = withLLM(bLLM, "claude-x", "anthropic", canonical.Tokens{Input: 7, Output: 3}, priced(0.5))
	bExtra := withSession(newSpan(1, 1*16+5, 1*16, canonical.TypeCustom, "b-extra",
		at(tue, 14, 1, 3, 0), ms(10), canonical.StatusOK), "x", "bx")
	bStart := storage.SessionEvent{Project: projB, SessionID: "x", Start: true, Name: "b session",
		TimeUnixNano: at(tue, 13, 30, 0, 0).UnixNano()}
	bEnd := storage.SessionEvent{Project: projB, SessionID: "x", Status: canonical.StatusOK,
		TimeUnixNano: at(tue, 15, 0, 0, 0).UnixNano()}
	b = storage.Batch{Sessions: []storage.SessionEvent{bStart, bEnd}, Spans: inProject(projB, bRoot, bLLM, bExtra)}
	return a, b
}

// assertProjectA checks that project A's data reads exactly as if project B
// had never written: its trace, session, spans and every aggregate.
func assertProjectA(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := t.Context()
	want := smallTraceSummary(1)
	want.Project = projA
	got, err := s.GetTrace(ctx, scopeA, traceID(1))
	require.NoError(t, err, "GetTrace A")
	assertTrace(t, want, got)

	wantSess := xSession(1)
	wantSess.Project = projA
	sess, err := s.GetSession(ctx, scopeA, "x")
	require.NoError(t, err, "GetSession A")
	assertActiveSession(t, wantSess, sess) // B's end event must not end A's session

	root, llm, tool := smallTrace(1)
	spans, err := s.TraceSpans(ctx, scopeA, traceID(1))
	require.NoError(t, err, "TraceSpans A")
	require.Len(t, spans, 3, "A's trace keeps its own three spans")
	for i, w := range inProject(projA, root, llm, tool) {
		assertSpanEqual(t, w, spans[i])
	}
	sp, err := s.GetSpan(ctx, scopeA, traceID(1), root.SpanID)
	require.NoError(t, err, "GetSpan A")
	assert.Equal(t, "root", sp.Name)
	assert.Equal(t, canonical.StatusOK, sp.Status, "B's running root never replaces A's finished one")
	_, err = s.GetSpan(ctx, scopeA, traceID(1), spanID(1*16+5))
	assert.ErrorIs(t, err, storage.ErrNotFound, "B's extra span is not in A's trace")

	qs, err := s.QuerySpans(ctx, scopeA, storage.SpanQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{tool.SpanID, llm.SpanID, root.SpanID}, spanIDsOf(qs.Items), "QuerySpans A")
	qs, err = s.QuerySpans(ctx, scopeA, storage.SpanQuery{Model: "claude-x"})
	require.NoError(t, err)
	assert.Empty(t, qs.Items, "QuerySpans A by B's model")
	qs, err = s.QuerySpans(ctx, scopeA, storage.SpanQuery{AfterSeq: 0, TraceID: traceID(1), SessionID: "x"})
	require.NoError(t, err)
	assert.Len(t, qs.Items, 3)

	lt, err := s.ListTraces(ctx, scopeA, storage.TraceQuery{})
	require.NoError(t, err)
	require.Len(t, lt.Items, 1, "ListTraces A")
	assertTrace(t, want, lt.Items[0])
	for _, q := range []storage.TraceQuery{{Model: "claude-x"}, {Text: "b-extra"}, {AgentName: "bx"}} {
		lt, err = s.ListTraces(ctx, scopeA, q)
		require.NoError(t, err)
		assert.Emptyf(t, lt.Items, "ListTraces A %+v matches only B's spans", q)
	}
	ls, err := s.ListSessions(ctx, scopeA, storage.SessionQuery{})
	require.NoError(t, err)
	require.Len(t, ls.Items, 1, "ListSessions A")
	assertActiveSession(t, wantSess, ls.Items[0])

	sum, err := s.Summary(ctx, scopeA, weekRange)
	require.NoError(t, err)
	assert.Equal(t, [4]int64{3, 1, 1, 1}, [4]int64{sum.Spans, sum.Traces, sum.Sessions, sum.LLMCalls}, "Summary A spans, traces, sessions, LLM calls")
	assertNear(t, 0.01, sum.CostUSD, "Summary A cost")
	assertTokens(t, canonical.Tokens{Input: 100, Output: 50}, sum.Tokens, "Summary A")

	// Unbounded (the PostgreSQL rollup alone), an hour-aligned range and a
	// range with partial hours (rollup plus raw spans).
	for _, r := range []storage.TimeRange{{}, weekRange, {From: at(tue, 13, 30, 0, 0).UnixNano(), To: at(tue, 16, 10, 0, 0).UnixNano()}} {
		for _, g := range []string{storage.GroupModel, storage.GroupHour} {
			rows, err := s.CostBreakdown(ctx, scopeA, r, g)
			require.NoError(t, err)
			var spans int64
			var cost float64
			for _, row := range rows {
				spans += row.Spans
				cost += row.CostUSD
				assert.NotEqual(t, "claude-x", row.Key, "CostBreakdown A by model shows B's model")
			}
			assert.Equalf(t, int64(3), spans, "CostBreakdown A by %s over %+v: spans", g, r)
			assertNear(t, 0.01, cost, "CostBreakdown A cost by "+g)
		}
	}
	perf, err := s.Performance(ctx, scopeA, weekRange, storage.GroupType)
	require.NoError(t, err)
	var n int64
	for _, p := range perf {
		n += p.Count
		assert.NotEqual(t, string(canonical.TypeCustom), p.Key, "Performance A shows B's span type")
	}
	assert.Equal(t, int64(3), n, "Performance A counts")
	es, err := s.Errors(ctx, scopeA, weekRange, 10)
	require.NoError(t, err)
	assert.Equal(t, [2]int64{3, 1}, [2]int64{es.Spans, es.Errors}, "Errors A spans, errors")
}

func spanIDsOf(spans []storage.Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.SpanID
	}
	return out
}

// testProjectIsolation: project B writing the same trace, span and session
// ids as project A never changes A's data, and each scope sees only its own.
func testProjectIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a, b := projectBatches()
	write(t, s, a, b)
	assertProjectA(t, s)
	// A's batch again (a retry) changes neither project.
	write(t, s, a)
	assertProjectA(t, s)

	// B sees its own versions.
	tr, err := s.GetTrace(ctx, scopeB, traceID(1))
	require.NoError(t, err, "GetTrace B")
	assert.Equal(t, projB, tr.Project)
	assert.Equal(t, "b-root", tr.RootName)
	assert.Equal(t, canonical.StatusRunning, tr.Status)
	assert.Equal(t, [3]int64{3, 1, 0}, [3]int64{tr.SpanCount, tr.LLMCalls, tr.ErrorCount}, "trace B spans, LLM calls, errors")
	assertNear(t, 0.5, tr.CostUSD, "trace B cost")
	sess, err := s.GetSession(ctx, scopeB, "x")
	require.NoError(t, err, "GetSession B")
	assert.Equal(t, "b session", sess.Name)
	assert.NotZero(t, sess.EndUnixNano, "B's session ended")
	assert.Equal(t, int64(3), sess.SpanCount)
	spans, err := s.TraceSpans(ctx, scopeB, traceID(1))
	require.NoError(t, err)
	require.Len(t, spans, 3)
	for _, sp := range spans {
		assert.Equal(t, projB, sp.Project)
	}
	sum, err := s.Summary(ctx, scopeB, weekRange)
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum.Spans)
	assertNear(t, 0.5, sum.CostUSD, "Summary B cost")

	// A project with no data sees nothing, and ids of others are not found.
	_, err = s.GetTrace(ctx, scopeC, traceID(1))
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetTrace C")
	_, err = s.TraceSpans(ctx, scopeC, traceID(1))
	assert.ErrorIs(t, err, storage.ErrNotFound, "TraceSpans C")
	_, err = s.GetSpan(ctx, scopeC, traceID(1), spanID(1*16))
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSpan C")
	_, err = s.GetSession(ctx, scopeC, "x")
	assert.ErrorIs(t, err, storage.ErrNotFound, "GetSession C")
	lt, err := s.ListTraces(ctx, scopeC, storage.TraceQuery{})
	require.NoError(t, err)
	assert.Empty(t, lt.Items)
	ls, err := s.ListSessions(ctx, scopeC, storage.SessionQuery{})
	require.NoError(t, err)
	assert.Empty(t, ls.Items)
	qs, err := s.QuerySpans(ctx, scopeC, storage.SpanQuery{})
	require.NoError(t, err)
	assert.Empty(t, qs.Items)
	sum, err = s.Summary(ctx, scopeC, storage.TimeRange{})
	require.NoError(t, err)
	assert.Zero(t, sum.Spans)
	rows, err := s.CostBreakdown(ctx, scopeC, storage.TimeRange{}, storage.GroupModel)
	require.NoError(t, err)
	assert.Empty(t, rows)
	perf, err := s.Performance(ctx, scopeC, storage.TimeRange{}, storage.GroupType)
	require.NoError(t, err)
	assert.Empty(t, perf)
	es, err := s.Errors(ctx, scopeC, storage.TimeRange{}, 10)
	require.NoError(t, err)
	assert.Zero(t, es.Spans)

	// All projects: both traces, both sessions, every span.
	lt, err = s.ListTraces(ctx, storage.AllProjects(), storage.TraceQuery{})
	require.NoError(t, err)
	require.Len(t, lt.Items, 2)
	assert.ElementsMatch(t, []string{projA, projB}, []string{lt.Items[0].Project, lt.Items[1].Project})
	ls, err = s.ListSessions(ctx, storage.AllProjects(), storage.SessionQuery{})
	require.NoError(t, err)
	assert.Len(t, ls.Items, 2)
	sum, err = s.Summary(ctx, storage.AllProjects(), weekRange)
	require.NoError(t, err)
	assert.Equal(t, [3]int64{6, 2, 2}, [3]int64{sum.Spans, sum.Traces, sum.Sessions}, "Summary all: spans, traces, sessions")
}

// testProjectDelete: deleting project B's session (same id as A's) leaves A
// whole, and a scope without the session gets ErrNotFound.
func testProjectDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a, b := projectBatches()
	write(t, s, a, b)
	assert.ErrorIs(t, s.DeleteSession(ctx, scopeC, "x"), storage.ErrNotFound, "delete in a project without the session")
	assertProjectA(t, s)
	require.NoError(t, s.DeleteSession(ctx, scopeB, "x"))
	assertProjectA(t, s)
	_, err := s.GetTrace(ctx, scopeB, traceID(1))
	assert.ErrorIs(t, err, storage.ErrNotFound, "B's trace deleted")
	_, err = s.GetSession(ctx, scopeB, "x")
	assert.ErrorIs(t, err, storage.ErrNotFound, "B's session deleted")
	sum, err := s.Summary(ctx, storage.AllProjects(), storage.TimeRange{})
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum.Spans, "only A's spans are left")
	rows, err := s.CostBreakdown(ctx, storage.AllProjects(), storage.TimeRange{}, storage.GroupModel)
	require.NoError(t, err)
	for _, r := range rows {
		assert.NotEqual(t, "claude-x", r.Key, "B's deleted spans left the cost breakdown")
	}
	assert.ErrorIs(t, s.DeleteSession(ctx, scopeB, "x"), storage.ErrNotFound, "second delete of B's session")
	require.NoError(t, s.DeleteSession(ctx, scopeA, "x"))
	_, err = s.GetTrace(ctx, storage.AllProjects(), traceID(1))
	assert.ErrorIs(t, err, storage.ErrNotFound)
}

// testScopeRequired: the zero Scope fails closed on every read and delete,
// and a malformed project name is an invalid query.
func testScopeRequired(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a, _ := projectBatches()
	write(t, s, a)
	for _, tc := range []struct {
		sc   storage.Scope
		want error
	}{{storage.Scope{}, storage.ErrNoScope}, {storage.ProjectScope("Bad Name!"), storage.ErrInvalidQuery}} {
		sc := tc.sc
		calls := map[string]func() error{
			"GetTrace":     func() error { _, err := s.GetTrace(ctx, sc, traceID(1)); return err },
			"ListTraces":   func() error { _, err := s.ListTraces(ctx, sc, storage.TraceQuery{}); return err },
			"TraceSpans":   func() error { _, err := s.TraceSpans(ctx, sc, traceID(1)); return err },
			"GetSpan":      func() error { _, err := s.GetSpan(ctx, sc, traceID(1), spanID(16)); return err },
			"QuerySpans":   func() error { _, err := s.QuerySpans(ctx, sc, storage.SpanQuery{}); return err },
			"GetSession":   func() error { _, err := s.GetSession(ctx, sc, "x"); return err },
			"ListSessions": func() error { _, err := s.ListSessions(ctx, sc, storage.SessionQuery{}); return err },
			"Summary":      func() error { _, err := s.Summary(ctx, sc, weekRange); return err },
			"CostBreakdown": func() error {
				_, err := s.CostBreakdown(ctx, sc, weekRange, storage.GroupModel)
				return err
			},
			"Performance": func() error {
				_, err := s.Performance(ctx, sc, weekRange, storage.GroupType)
				return err
			},
			"Errors":        func() error { _, err := s.Errors(ctx, sc, weekRange, 10); return err },
			"DeleteSession": func() error { return s.DeleteSession(ctx, sc, "x") },
		}
		for name, call := range calls {
			assert.ErrorIsf(t, call(), tc.want, "%s with scope %v", name, sc)
		}
	}
	// Nothing was deleted by the refused calls.
	_, err := s.GetSession(ctx, scopeA, "x")
	require.NoError(t, err)
}

// testProjectPagination: with all projects in scope, pages of one item walk
// over both projects' trace, session and spans that share ids and start
// times, skipping and repeating nothing.
func testProjectPagination(t *testing.T, s storage.Store) {
	ctx := t.Context()
	root, llm, tool := smallTrace(1)
	for _, p := range []string{projA, projB} {
		start := xStart
		start.Project = p
		write(t, s, storage.Batch{Sessions: []storage.SessionEvent{start}, Spans: inProject(p, root, llm, tool)})
	}
	all := storage.AllProjects()
	var traces, sessions, spans []string
	for cursor, n := "", 0; n == 0 || cursor != ""; n++ {
		require.Less(t, n, 10, "ListTraces pages do not end")
		p, err := s.ListTraces(ctx, all, storage.TraceQuery{Limit: 1, Cursor: cursor})
		require.NoError(t, err)
		for _, tr := range p.Items {
			traces = append(traces, tr.Project+"/"+tr.TraceID)
		}
		cursor = p.NextCursor
	}
	for cursor, n := "", 0; n == 0 || cursor != ""; n++ {
		require.Less(t, n, 10, "ListSessions pages do not end")
		p, err := s.ListSessions(ctx, all, storage.SessionQuery{Limit: 1, Cursor: cursor})
		require.NoError(t, err)
		for _, ss := range p.Items {
			sessions = append(sessions, ss.Project+"/"+ss.ID)
		}
		cursor = p.NextCursor
	}
	for cursor, n := "", 0; n == 0 || cursor != ""; n++ {
		require.Less(t, n, 20, "QuerySpans pages do not end")
		p, err := s.QuerySpans(ctx, all, storage.SpanQuery{Limit: 1, Cursor: cursor})
		require.NoError(t, err)
		for _, sp := range p.Items {
			spans = append(spans, sp.Project+"/"+sp.SpanID)
		}
		cursor = p.NextCursor
	}
	assert.ElementsMatch(t, []string{projA + "/" + traceID(1), projB + "/" + traceID(1)}, traces, "ListTraces pages")
	assert.ElementsMatch(t, []string{projA + "/x", projB + "/x"}, sessions, "ListSessions pages")
	var want []string
	for _, p := range []string{projA, projB} {
		for _, sp := range []storage.Span{root, llm, tool} {
			want = append(want, p+"/"+sp.SpanID)
		}
	}
	assert.ElementsMatch(t, want, spans, "QuerySpans pages")
}
