package apiserver

// API latency on a 1M-span PostgreSQL data set (30 days, 100k traces of 10
// spans, 5,000 sessions), measured end to end through HTTP:
//
//	go test ./apiserver -run '^$' -bench APIPostgres -benchtime 200x -timeout 30m
//
// AGENTTRACE_API_BENCH_SPANS changes the size (default 1,000,000). The data
// set is loaded once through storage.Writer into a database of its own,
// which is dropped afterwards. Each sub-benchmark reports p50/p95/p99.

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

const benchSpansPerTrace = 10

var benchNow = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)

// loadBenchData writes n spans spread over the 30 days before benchNow.
func loadBenchData(b *testing.B, w storage.Writer, n int) {
	traces := n / benchSpansPerTrace
	step := 30 * 24 * time.Hour / time.Duration(traces)
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet", "mystery-model"}
	prompt := "Plan the next step of the task given the tool results so far. Be brief and precise."
	ctx := context.Background()
	var batch storage.Batch
	flush := func() {
		if err := w.Write(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = storage.Batch{}
	}
	for i := range traces {
		start := benchNow.Add(-30 * 24 * time.Hour).Add(time.Duration(i) * step)
		session, agent := fmt.Sprintf("bench-session-%05d", i/20), fmt.Sprintf("agent-%d", i%10)
		if i%20 == 0 {
			batch.Sessions = append(batch.Sessions, storage.SessionEvent{SessionID: session, Start: true,
				Name: "bench " + session, AgentName: agent, TimeUnixNano: start.UnixNano()})
		}
		for k := range benchSpansPerTrace {
			var s storage.Span
			id := i*benchSpansPerTrace + k + 1
			st := start.Add(time.Duration(k) * 2 * time.Second)
			switch {
			case k == 0:
				s = span(i+1, id, 0, canonical.TypeAgent, "invoke_agent "+agent, start, 20*time.Second, canonical.StatusOK)
			case k <= 6:
				m := models[(i+k)%len(models)]
				s = span(i+1, id, i*benchSpansPerTrace+1, canonical.TypeLLMCall, "chat "+m, st, 900*time.Millisecond, canonical.StatusOK)
				tok := canonical.Tokens{Input: int64(1000 + i%500), CacheRead: 200, Output: 150, Reasoning: 30}
				cost := priced(float64(tok.Total()) * 2e-6)
				if m == "mystery-model" {
					cost = canonical.Cost{Status: canonical.CostStatusUnpriced}
				}
				s = llm(s, m, "openai", tok, cost)
				s.Prompt, s.Response = prompt, "Call the search tool."
			default:
				s = span(i+1, id, i*benchSpansPerTrace+1, canonical.TypeToolExecution, "execute_tool search", st, 300*time.Millisecond, canonical.StatusOK)
				s.ToolName, s.ToolInput, s.ToolOutput = "search", `{"query":"weather in Paris"}`, `{"result":"sunny"}`
				if i%50 == 0 && k == benchSpansPerTrace-1 {
					s = failed(s, "rate limited", "429")
					s.Status = canonical.StatusError
				}
			}
			s.SessionID, s.AgentName = session, agent
			s.ChainStep, s.ChainDepth = int64(k), min(int64(k), 1)
			batch.Spans = append(batch.Spans, s)
		}
		if len(batch.Spans) >= 5000 {
			flush()
		}
	}
	if len(batch.Spans) > 0 || len(batch.Sessions) > 0 {
		flush()
	}
}

func BenchmarkAPIPostgres(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("AGENTTRACE_API_BENCH_SPANS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	st := openPostgres(b)
	t0 := time.Now()
	loadBenchData(b, st, n)
	b.Logf("loaded %d spans in %s (%.0f spans/s)", n, time.Since(t0).Round(time.Second), float64(n)/time.Since(t0).Seconds())
	s := newTestServer(b, st, DefaultConfig(), withClock(func() time.Time { return benchNow }))

	// A cursor deep into the list, for paging.
	path := "/api/v1/traces?limit=50"
	for range 20 {
		var page tracePage
		s.getJSON(path, http.StatusOK, &page)
		path = "/api/v1/traces?limit=50&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	deepPage := path

	for _, c := range []struct{ name, path string }{
		{"traces/newest", "/api/v1/traces?limit=50"},
		{"traces/page21", deepPage},
		{"traces/last24h_errors", "/api/v1/traces?from=24h&status=error&limit=50"},
		{"traces/session", "/api/v1/traces?session=bench-session-02500"},
		{"traces/agent_model_mincost", "/api/v1/traces?agent=agent-3&model=claude-sonnet&min_cost=0.01&limit=50"},
		{"traces/min_duration_7d", "/api/v1/traces?from=7d&min_duration=15s&limit=50"},
		{"traces/text", "/api/v1/traces?q=rate+limited&limit=50"},
		{"costs/30d_day", "/api/v1/metrics/costs?from=30d&group_by=day"},
		{"costs/30d_model", "/api/v1/metrics/costs?from=30d&group_by=model"},
		{"costs/30d_agent", "/api/v1/metrics/costs?from=30d&group_by=agent"},
		{"summary/24h_vs_previous", "/api/v1/metrics/summary"},
		{"performance/7d_type", "/api/v1/metrics/performance?from=7d&group_by=type"},
		{"trace/waterfall", "/api/v1/traces/" + tid(n/benchSpansPerTrace/2) + "/waterfall"},
	} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]float64, 0, b.N)
			for range b.N {
				start := time.Now()
				code, _, body := s.do(http.MethodGet, c.path)
				lat = append(lat, float64(time.Since(start).Microseconds())/1000)
				if code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.path, code, body)
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return lat[int(math.Ceil(p*float64(len(lat))))-1] }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
