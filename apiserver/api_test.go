package apiserver

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/agenttrace/agenttrace/internal/testenv"
)

// parityRequests is every read the parity test makes against each backend.
var parityRequests = []string{
	"/health",
	"/api/v1/health",
	"/api/v1/sessions",
	"/api/v1/sessions?active=true",
	"/api/v1/sessions?active=false",
	"/api/v1/sessions?agent=researcher",
	"/api/v1/sessions?q=Beta",
	"/api/v1/sessions?from=" + url.QueryEscape(tue.Format("2006-01-02T15:04:05Z07:00")),
	"/api/v1/sessions/" + sessAlpha,
	"/api/v1/sessions/" + sessBeta,
	"/api/v1/sessions/" + sessAlpha + "/traces",
	"/api/v1/sessions/" + sessAlpha + "/traces?status=error",
	"/api/v1/traces",
	"/api/v1/traces?session=" + sessAlpha,
	"/api/v1/traces?agent=coder",
	"/api/v1/traces?model=gpt-4o",
	"/api/v1/traces?status=error",
	"/api/v1/traces?status=running",
	"/api/v1/traces?min_cost=0.015",
	"/api/v1/traces?min_duration=5s",
	"/api/v1/traces?q=needle",
	"/api/v1/traces?q=" + url.QueryEscape("50%"),
	"/api/v1/traces?q=" + url.QueryEscape("_sale"),
	"/api/v1/traces?q=" + url.QueryEscape("' OR 1=1 --"),
	"/api/v1/traces?from=2025-03-10T00:00:00Z&to=2025-03-11T00:00:00Z",
	"/api/v1/traces?from=30h",
	"/api/v1/traces/" + trResearch,
	"/api/v1/traces/" + trSummarize,
	"/api/v1/traces/" + trFix,
	"/api/v1/traces/" + trCycle,
	"/api/v1/traces/" + trResearch + "/spans",
	"/api/v1/traces/" + trCycle + "/spans",
	"/api/v1/traces/" + trResearch + "/waterfall",
	"/api/v1/traces/" + trRunning + "/waterfall",
	"/api/v1/traces/" + trRunning + "/spans",
	"/api/v1/traces/" + trResearch + "/chain",
	"/api/v1/traces/" + trSummarize + "/chain",
	"/api/v1/spans",
	"/api/v1/spans?trace=" + trResearch,
	"/api/v1/spans?type=llm_call",
	"/api/v1/spans?model=gpt-4o",
	"/api/v1/spans?status=error",
	"/api/v1/spans?session=" + sessBeta,
	"/api/v1/spans?from=2025-03-10T10:00:03Z&to=2025-03-10T11:00:00Z",
	"/api/v1/spans/" + trResearch + "/" + sid(0x12),
	"/api/v1/spans/" + trSummarize + "/" + sid(0x21),
	"/api/v1/metrics/summary",
	"/api/v1/metrics/summary?from=2025-03-10T00:00:00Z&to=2025-03-11T00:00:00Z",
	"/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=hour",
	"/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=day",
	"/api/v1/metrics/costs?from=2025-03-01T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=week",
	"/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=model",
	"/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=provider",
	"/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=agent",
	"/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=type",
	"/api/v1/metrics/performance?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z",
	"/api/v1/metrics/performance?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=model",
	"/api/v1/metrics/errors?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z",
	"/api/v1/metrics/errors?from=7d&limit=1",
	"/api/v1/export/spans",
	"/api/v1/export/spans?format=json&trace=" + trResearch,
	"/api/v1/export/traces?format=json",
	"/api/v1/export/traces?format=csv&status=error",
	// Errors must match too.
	"/api/v1/traces/" + tid(0x999),
	"/api/v1/sessions/nope",
	"/api/v1/sessions/nope/traces",
	"/api/v1/spans/" + trResearch + "/" + sid(0x999),
	"/api/v1/traces?cursor=" + url.QueryEscape("!!not a cursor!!"),
}

// TestBackendParity runs every read against SQLite and PostgreSQL loaded
// with the same data set and requires the same answers (sequence numbers
// and cursors aside, which are backend-specific encodings).
func TestBackendParity(t *testing.T) {
	answers := map[string][]string{}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := seededServer(t, b)
			for _, path := range parityRequests {
				code, _, body := s.do(http.MethodGet, path)
				if code >= 500 {
					t.Errorf("GET %s: %d %s", path, code, body)
				}
				answers[b.name] = append(answers[b.name], fmt.Sprintf("%d %s", code, normalize(t, body)))
			}
			answers[b.name] = append(answers[b.name], strings.Join(followCursors(t, s, "/api/v1/traces?limit=2"), " "))
			answers[b.name] = append(answers[b.name], strings.Join(followCursors(t, s, "/api/v1/spans?limit=3"), " "))
			answers[b.name] = append(answers[b.name], strings.Join(followCursors(t, s, "/api/v1/sessions?limit=1"), " "))
		})
	}
	if len(answers) < 2 {
		testenv.Unavailable(t, "parity needs both backends; PostgreSQL did not run")
	}
	sq, pg := answers["sqlite"], answers["postgres"]
	for i := range sq {
		if !equalJSONish(sq[i], pg[i]) {
			what := "cursor walk"
			if i < len(parityRequests) {
				what = "GET " + parityRequests[i]
			}
			t.Errorf("%s differs:\nsqlite:   %s\npostgres: %s", what, sq[i], pg[i])
		}
	}
}

// followCursors pages through a list and returns the ids in order.
func followCursors(t *testing.T, s *testServer, path string) []string {
	t.Helper()
	var ids []string
	for n := 0; ; n++ {
		if n > 50 {
			t.Fatalf("%s: too many pages", path)
		}
		var page struct {
			Items []struct {
				TraceID   string `json:"trace_id"`
				SpanID    string `json:"span_id"`
				SessionID string `json:"session_id"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		s.getJSON(path, http.StatusOK, &page)
		for _, it := range page.Items {
			ids = append(ids, it.TraceID+it.SpanID+"|"+it.SessionID)
		}
		if page.NextCursor == nil {
			return ids
		}
		base, _, _ := strings.Cut(path, "?")
		q, _ := url.ParseQuery(strings.SplitN(path, "?", 2)[1])
		q.Set("cursor", *page.NextCursor)
		path = base + "?" + q.Encode()
	}
}

// normalize drops backend-specific values (sequence numbers, cursors'
// encoding, error wording) and re-encodes JSON canonically; NDJSON and CSV
// bodies are normalized line by line.
func normalize(t *testing.T, body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		return canon(v)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if err := json.Unmarshal([]byte(l), &v); err == nil {
			lines = append(lines, canon(v))
		} else {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func canon(v any) string {
	var scrub func(v any) any
	scrub = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "seq", "last_seq", "time":
					delete(x, k)
				case "duration_ns":
					// A running trace's duration is left open by the
					// storage contract (0 or the time so far).
					if _, isTrace := x["span_count"]; isTrace && x["status"] == "running" {
						delete(x, k)
					} else {
						x[k] = scrub(e)
					}
				case "next_cursor":
					x[k] = e != nil
				case "message":
					if _, isErr := x["code"]; isErr {
						delete(x, k) // error wording is the backend's
					}
				default:
					x[k] = scrub(e)
				}
			}
		case []any:
			for i := range x {
				x[i] = scrub(x[i])
			}
		}
		return v
	}
	b, _ := json.Marshal(scrub(v))
	return string(b)
}

// equalJSONish compares two normalized answers, numbers within a relative
// 1e-9 (sums in different orders differ in the last bits).
func equalJSONish(a, b string) bool {
	if a == b {
		return true
	}
	ca, ja, _ := strings.Cut(a, " ")
	cb, jb, _ := strings.Cut(b, " ")
	if ca != cb {
		return false
	}
	var va, vb any
	if json.Unmarshal([]byte(ja), &va) != nil || json.Unmarshal([]byte(jb), &vb) != nil {
		return false
	}
	return nearlyEqual(va, vb)
}

func nearlyEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Abs(x-y) <= 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y)))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !nearlyEqual(x[k], y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !nearlyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// TestAnswers checks the API's answers against the data set on each
// backend, so the backends cannot agree on a wrong answer.
func TestAnswers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := seededServer(t, b)
			t.Run("trace list and filters", func(t *testing.T) { checkTraceList(t, s) })
			t.Run("trace summary and costs", func(t *testing.T) { checkTraceSummary(t, s) })
			t.Run("tree", func(t *testing.T) { checkTree(t, s) })
			t.Run("waterfall", func(t *testing.T) { checkWaterfall(t, s) })
			t.Run("chain", func(t *testing.T) { checkChain(t, s) })
			t.Run("sessions", func(t *testing.T) { checkSessions(t, s) })
			t.Run("spans", func(t *testing.T) { checkSpans(t, s) })
			t.Run("metrics", func(t *testing.T) { checkMetrics(t, s) })
			t.Run("delete", func(t *testing.T) { checkDelete(t, s) })
		})
	}
}

type tracePage struct {
	Items      []traceView `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func traceIDsOf(p tracePage) []string {
	var ids []string
	for _, it := range p.Items {
		ids = append(ids, it.TraceID)
	}
	return ids
}

func checkTraceList(t *testing.T, s *testServer) {
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{trRunning, trFix, trSummarize, trResearch, trCycle, trOld}},
		{"session=" + sessAlpha, []string{trSummarize, trResearch}},
		{"agent=coder", []string{trRunning, trFix}},
		{"model=gpt-4o", []string{trFix, trResearch}},
		{"status=error", []string{trFix, trSummarize}},
		{"min_cost=0.017", []string{trFix}},
		{"min_duration=11s", []string{trResearch}},
		{"min_duration=10s", []string{trFix, trResearch}},
		{"status=running", []string{trRunning, trCycle}},
		{"q=needle", []string{trResearch}},
		{"q=" + url.QueryEscape("50%"), []string{trSummarize}},
		{"q=" + url.QueryEscape("' OR 1=1 --"), nil},
		{"from=2025-03-10T10:30:00Z&to=2025-03-10T15:00:00Z", []string{trSummarize}},
		{"from=24h", []string{trRunning, trFix}}, // now is Tue 12:00
	} {
		var p tracePage
		s.getJSON("/api/v1/traces?"+c.query, http.StatusOK, &p)
		if got := traceIDsOf(p); !slices.Equal(got, c.want) {
			t.Errorf("traces?%s = %v, want %v", c.query, got, c.want)
		}
	}
	var p tracePage
	s.getJSON("/api/v1/traces?limit=2", http.StatusOK, &p)
	if len(p.Items) != 2 || p.NextCursor == nil {
		t.Fatalf("limit=2: %d items, cursor %v", len(p.Items), p.NextCursor)
	}
	var p2 tracePage
	s.getJSON("/api/v1/traces?limit=2&cursor="+url.QueryEscape(*p.NextCursor), http.StatusOK, &p2)
	if got := traceIDsOf(p2); !slices.Equal(got, []string{trSummarize, trResearch}) {
		t.Errorf("second page = %v", got)
	}
	// A trace id given as a UUID is the same trace.
	uuid := "00000000-0000-0000-0000-000000000001"
	var tv traceView
	s.getJSON("/api/v1/traces/"+uuid, http.StatusOK, &tv)
	if tv.TraceID != trResearch {
		t.Errorf("trace by UUID = %s", tv.TraceID)
	}
	s.getJSON("/api/v1/traces/"+strings.ToUpper(trResearch), http.StatusOK, &tv)
}

func checkTraceSummary(t *testing.T, s *testServer) {
	var r, sum, fix traceView
	s.getJSON("/api/v1/traces/"+trResearch, http.StatusOK, &r)
	if r.SpanCount != 5 || r.LLMCalls != 2 || r.ToolCalls != 1 || r.Status != "ok" || r.RootName != "research" ||
		r.SessionID != sessAlpha || r.DurationNanos != 12e9 || r.StartTime != "2025-03-10T10:00:00Z" {
		t.Errorf("research summary: %+v", r)
	}
	if r.CostUSD == nil || math.Abs(*r.CostUSD-0.0165) > 1e-12 {
		t.Errorf("research cost = %v, want 0.0165", r.CostUSD)
	}
	if r.Tokens.Total != 1000+200+300+50+500+100+80 {
		t.Errorf("research tokens = %+v", r.Tokens)
	}
	if !slices.Contains(r.Flags, "loop") {
		t.Errorf("research flags = %v", r.Flags)
	}
	// Only an unpriced model was called: the cost is null, never 0.
	s.getJSON("/api/v1/traces/"+trSummarize, http.StatusOK, &sum)
	if sum.CostUSD != nil || sum.UnpricedSpans != 1 || sum.Status != "error" || sum.ErrorCount != 1 {
		t.Errorf("summarize: cost %v unpriced %d status %s errors %d", sum.CostUSD, sum.UnpricedSpans, sum.Status, sum.ErrorCount)
	}
	_, _, raw := s.do(http.MethodGet, "/api/v1/traces/"+trSummarize)
	if !strings.Contains(string(raw), `"cost_usd":null`) {
		t.Errorf("unpriced cost is not null in %s", raw)
	}
	s.getJSON("/api/v1/traces/"+trFix, http.StatusOK, &fix)
	if fix.Status != "error" || fix.ErrorCount != 1 || fix.DurationNanos != 10e9 {
		t.Errorf("fix status = %s, %d errors", fix.Status, fix.ErrorCount)
	}

}

type treeNode struct {
	SpanID   string     `json:"span_id"`
	Name     string     `json:"name"`
	Children []treeNode `json:"children"`
}

func flattenTree(nodes []treeNode, depth int, out *[]string) {
	for _, n := range nodes {
		*out = append(*out, fmt.Sprintf("%d:%s", depth, n.Name))
		flattenTree(n.Children, depth+1, out)
	}
}

func checkTree(t *testing.T, s *testServer) {
	var tree struct {
		TraceID   string     `json:"trace_id"`
		SpanCount int        `json:"span_count"`
		Roots     []treeNode `json:"roots"`
	}
	s.getJSON("/api/v1/traces/"+trResearch+"/spans", http.StatusOK, &tree)
	var got []string
	flattenTree(tree.Roots, 0, &got)
	want := []string{"0:research", "1:plan", "1:web_search", "1:observe", "2:think"}
	if !slices.Equal(got, want) || tree.SpanCount != 5 {
		t.Errorf("tree = %v (%d spans), want %v", got, tree.SpanCount, want)
	}
	// Bad parent links: every span still appears exactly once.
	s.getJSON("/api/v1/traces/"+trCycle+"/spans", http.StatusOK, &tree)
	got = nil
	flattenTree(tree.Roots, 0, &got)
	sort.Strings(got)
	if !slices.Equal(got, []string{"0:orphan", "0:ping", "1:pong"}) {
		t.Errorf("cycle tree = %v", got)
	}
	s.getJSON("/api/v1/traces/"+tid(0x999)+"/spans", http.StatusNotFound, nil)
}

func checkWaterfall(t *testing.T, s *testServer) {
	var w waterfallView
	s.getJSON("/api/v1/traces/"+trResearch+"/waterfall", http.StatusOK, &w)
	type row struct {
		name          string
		depth         int
		offset, durMs int64
	}
	var got []row
	for _, r := range w.Rows {
		got = append(got, row{r.Name, r.Depth, r.OffsetNanos / 1e6, r.DurationNanos / 1e6})
	}
	want := []row{{"research", 0, 0, 12000}, {"plan", 1, 1000, 800}, {"web_search", 1, 2000, 1500},
		{"observe", 1, 4000, 600}, {"think", 2, 5000, 200}}
	if !slices.Equal(got, want) || w.DurationNanos != 12e9 {
		t.Errorf("waterfall = %+v (duration %d), want %+v", got, w.DurationNanos, want)
	}
	if w.Rows[1].CostUSD == nil || *w.Rows[1].CostUSD != 0.012 || w.Rows[0].CostUSD != nil {
		t.Errorf("waterfall costs: %v %v", w.Rows[0].CostUSD, w.Rows[1].CostUSD)
	}
	// A running root: duration 0, the trace ends at its last known time.
	s.getJSON("/api/v1/traces/"+trRunning+"/waterfall", http.StatusOK, &w)
	if w.Rows[0].Status != "running" || w.Rows[0].DurationNanos != 0 || w.DurationNanos != 2e9 {
		t.Errorf("running waterfall: %+v, duration %d", w.Rows[0], w.DurationNanos)
	}
}

func checkChain(t *testing.T, s *testServer) {
	var c chainResponseView
	s.getJSON("/api/v1/traces/"+trResearch+"/chain", http.StatusOK, &c)
	var names []string
	for _, st := range c.Steps {
		names = append(names, fmt.Sprintf("%d:%s", st.Step, st.Name))
	}
	if c.Source != "chain" || !slices.Equal(names, []string{"0:research", "1:plan", "2:web_search", "3:observe", "4:think"}) {
		t.Errorf("chain %s = %v", c.Source, names)
	}
	wantLinks := []chainLinkView{
		{sid(0x11), sid(0x10), "follows"},
		{sid(0x12), sid(0x11), "follows"}, {sid(0x12), sid(0x11), "requested_by"},
		{sid(0x13), sid(0x12), "follows"}, {sid(0x13), sid(0x12), "observation_of"},
		{sid(0x14), sid(0x13), "follows"},
	}
	if !slices.Equal(c.Links, wantLinks) {
		t.Errorf("links = %+v\nwant %+v", c.Links, wantLinks)
	}
	if !slices.Contains(c.Flags, "loop") || !slices.Equal(c.Steps[3].Flags, []string{"loop"}) {
		t.Errorf("flags: trace %v, step 3 %v", c.Flags, c.Steps[3].Flags)
	}
	// Without chain steps, the steps are the spans in tree order.
	s.getJSON("/api/v1/traces/"+trSummarize+"/chain", http.StatusOK, &c)
	names = nil
	for _, st := range c.Steps {
		names = append(names, fmt.Sprintf("%d:%s@%d", st.Step, st.Name, st.Depth))
	}
	if c.Source != "start_time" || !slices.Equal(names, []string{"0:summarize@0", "1:summarize notes@1", "2:read notes@1"}) {
		t.Errorf("fallback chain %s = %v", c.Source, names)
	}
}

func checkSessions(t *testing.T, s *testServer) {
	var p struct {
		Items []sessionView `json:"items"`
	}
	s.getJSON("/api/v1/sessions", http.StatusOK, &p)
	var ids []string
	for _, it := range p.Items {
		ids = append(ids, it.SessionID)
	}
	if !slices.Equal(ids, []string{sessBeta, sessAlpha}) {
		t.Errorf("sessions = %v", ids)
	}
	s.getJSON("/api/v1/sessions?active=true", http.StatusOK, &p)
	if len(p.Items) != 1 || p.Items[0].SessionID != sessBeta || !p.Items[0].Active || p.Items[0].EndTime != nil {
		t.Errorf("active sessions = %+v", p.Items)
	}
	var a sessionView
	s.getJSON("/api/v1/sessions/"+sessAlpha, http.StatusOK, &a)
	if a.Name != "Alpha research" || a.TraceCount != 2 || a.SpanCount != 8 || a.Active || a.Metadata["team"] != "ml" ||
		a.UnpricedSpans != 1 || a.CostUSD == nil || math.Abs(*a.CostUSD-0.0165) > 1e-12 {
		t.Errorf("alpha = %+v", a)
	}
	var tr tracePage
	s.getJSON("/api/v1/sessions/"+sessAlpha+"/traces", http.StatusOK, &tr)
	if got := traceIDsOf(tr); !slices.Equal(got, []string{trSummarize, trResearch}) {
		t.Errorf("alpha traces = %v", got)
	}
	s.getJSON("/api/v1/sessions/unknown-session", http.StatusNotFound, nil)
	s.getJSON("/api/v1/sessions/unknown-session/traces", http.StatusNotFound, nil)
}

func checkSpans(t *testing.T, s *testServer) {
	var p struct {
		Items []spanView `json:"items"`
	}
	s.getJSON("/api/v1/spans?type=llm_call", http.StatusOK, &p)
	var names []string
	for _, it := range p.Items {
		names = append(names, it.Name)
	}
	if !slices.Equal(names, []string{"check status", "write patch", "summarize notes", "observe", "plan", "quick answer"}) {
		t.Errorf("llm spans = %v", names)
	}
	var sp spanView
	s.getJSON("/api/v1/spans/"+trResearch+"/"+sid(0x12), http.StatusOK, &sp)
	if sp.Tool == nil || sp.Tool.Name != "web_search" || sp.Tool.Success == nil || !*sp.Tool.Success ||
		sp.Chain == nil || sp.Chain.RequestedBy != sid(0x11) || sp.Tokens != nil || sp.CostUSD != nil {
		t.Errorf("tool span = %+v", sp)
	}
	if string(sp.Attributes) != `{"test.attr":"x"}` {
		t.Errorf("attributes = %s", sp.Attributes)
	}
	s.getJSON("/api/v1/spans/"+trResearch+"/"+sid(0x11), http.StatusOK, &sp)
	if sp.CostUSD == nil || *sp.CostUSD != 0.012 || sp.Cost.Status != "priced" || sp.Tokens == nil ||
		sp.Tokens.Total != 1550 || sp.Request == nil || *sp.Request.Temperature != 0.2 || sp.StartUnixNano != at(mon, "10h0m1s").UnixNano() {
		t.Errorf("llm span = %+v", sp)
	}
	s.getJSON("/api/v1/spans/"+trSummarize+"/"+sid(0x21), http.StatusOK, &sp)
	if sp.CostUSD != nil || sp.Cost.Status != "unpriced" || sp.Cost.TotalUSD != nil {
		t.Errorf("unpriced span cost = %v %+v", sp.CostUSD, sp.Cost)
	}
	// after_seq follows the store oldest first.
	s.getJSON("/api/v1/spans?limit=1000", http.StatusOK, &p)
	var maxSeq, minSeq int64 = 0, math.MaxInt64
	for _, it := range p.Items {
		maxSeq, minSeq = max(maxSeq, it.Seq), min(minSeq, it.Seq)
	}
	s.getJSON(fmt.Sprintf("/api/v1/spans?after_seq=%d", minSeq), http.StatusOK, &p)
	if len(p.Items) != 16 || p.Items[0].Seq <= minSeq || p.Items[len(p.Items)-1].Seq != maxSeq {
		t.Errorf("after_seq: %d items", len(p.Items))
	}
}

func checkMetrics(t *testing.T, s *testServer) {
	// Window Mon 12:00 → Tue 12:00 (the default: 24 h before the fixed now)
	// has the fix and running traces; the previous 24 h research,
	// summarize and cycle.
	var sum summaryResponseView
	s.getJSON("/api/v1/metrics/summary", http.StatusOK, &sum)
	if sum.Window.From != "2025-03-10T12:00:00Z" || sum.PreviousWindow.From != "2025-03-09T12:00:00Z" {
		t.Errorf("windows %+v %+v", sum.Window, sum.PreviousWindow)
	}
	if sum.Current.Spans != 5 || sum.Previous.Spans != 11 || *sum.Change.Spans.Delta != -6 ||
		math.Abs(*sum.Change.Spans.Percent-(-6.0/11*100)) > 1e-9 {
		t.Errorf("spans %d/%d change %+v", sum.Current.Spans, sum.Previous.Spans, sum.Change.Spans)
	}
	if sum.Current.CostUSD == nil || math.Abs(*sum.Current.CostUSD-0.0205) > 1e-12 || sum.Previous.CostUSD == nil ||
		math.Abs(*sum.Previous.CostUSD-0.0165) > 1e-12 || sum.Change.CostUSD.Delta == nil {
		t.Errorf("cost %v/%v", sum.Current.CostUSD, sum.Previous.CostUSD)
	}
	var costs costsView
	s.getJSON("/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=model", http.StatusOK, &costs)
	byKey := map[string]costRowView{}
	for _, r := range costs.Rows {
		byKey[r.Key] = r
	}
	if r := byKey["mystery-model"]; r.CostUSD != nil || r.UnpricedSpans != 1 {
		t.Errorf("unpriced model row = %+v", r)
	}
	if r := byKey["gpt-4o"]; r.CostUSD == nil || math.Abs(*r.CostUSD-0.032) > 1e-12 || r.BucketUnixNano != nil {
		t.Errorf("gpt-4o row = %+v", r)
	}
	s.getJSON("/api/v1/metrics/costs?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=day", http.StatusOK, &costs)
	var days []string
	for _, r := range costs.Rows {
		days = append(days, r.Key)
		if r.BucketUnixNano == nil {
			t.Errorf("day row without bucket: %+v", r)
		}
	}
	if !slices.Equal(days, []string{"2025-03-08T00:00:00Z", "2025-03-09T00:00:00Z", "2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z"}) {
		t.Errorf("days = %v", days)
	}
	var perf performanceView
	s.getJSON("/api/v1/metrics/performance?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z&group_by=model", http.StatusOK, &perf)
	for _, r := range perf.Rows {
		if r.Key == "claude-sonnet" && (r.Count != 1 || r.P50Ms == nil || *r.P50Ms != 600 || r.PerSecond == nil) {
			t.Errorf("claude perf = %+v", r)
		}
	}
	var errs errorsView
	s.getJSON("/api/v1/metrics/errors?from=2025-03-08T00:00:00Z&to=2025-03-12T00:00:00Z", http.StatusOK, &errs)
	if errs.Errors != 2 || errs.Spans != 17 || errs.Rate == nil || math.Abs(*errs.Rate-2.0/17) > 1e-12 || len(errs.Top) != 2 {
		t.Errorf("errors = %+v", errs)
	}
}

func checkDelete(t *testing.T, s *testServer) {
	code, _, body := s.do(http.MethodDelete, "/api/v1/sessions/"+sessBeta)
	if code != http.StatusOK || !strings.Contains(string(body), `"deleted":true`) {
		t.Fatalf("delete: %d %s", code, body)
	}
	s.getJSON("/api/v1/sessions/"+sessBeta, http.StatusNotFound, nil)
	s.getJSON("/api/v1/traces/"+trFix, http.StatusNotFound, nil)
	s.getJSON("/api/v1/traces/"+trRunning, http.StatusNotFound, nil)
	if code, _, _ := s.do(http.MethodDelete, "/api/v1/sessions/"+sessBeta); code != http.StatusNotFound {
		t.Errorf("second delete: %d", code)
	}
}
