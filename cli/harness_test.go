package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestMain(m *testing.M) {
	// Tables print local times; the golden files are in UTC.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// testAPI is a real API server over a seeded SQLite store.
type testAPI struct {
	URL   string
	Store *sqlitestore.Store
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "agenttrace.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	for i, b := range seedBatches() {
		require.NoError(t, store.Write(ctx, b), "seed batch %d", i)
	}
	cfg := apiserver.DefaultConfig()
	cfg.LivePollInterval = 20 * time.Millisecond
	srv, err := apiserver.New(cfg, store, apiserver.WithVersion("test"))
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Close()
	})
	return &testAPI{URL: hs.URL, Store: store}
}

// result is one command run.
type result struct {
	stdout, stderr string
	code           int
}

// run runs agenttrace with args against api (when not nil).
func run(t *testing.T, api *testAPI, args ...string) result {
	t.Helper()
	return runWith(t, api, "", args...)
}

func runWith(t *testing.T, api *testAPI, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		LookupEnv: func(string) (string, bool) { return "", false }}
	if api != nil {
		args = append([]string{"--api", api.URL}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Main(ctx, args, env)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// golden compares got with testdata/golden/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./cli -run %s -update", t.Name())
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./cli -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// The seeded data set. Every time derives from mon so the tables never
// depend on when the tests run.
var (
	mon = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC) // a Monday
	tue = mon.AddDate(0, 0, 1)
)

func tid(n int) string { return fmt.Sprintf("%032x", n) }
func sid(n int) string { return fmt.Sprintf("%016x", n) }

var (
	trResearch  = tid(1) // alpha: agent → plan (gpt-4o $0.012) → web_search → observe (claude $0.0045, loop) → think
	trSummarize = tid(2) // alpha: unpriced model, failed file read
	trFix       = tid(3) // beta: root still running, a timeout
)

const (
	sessAlpha = "sess-alpha"
	sessBeta  = "sess-beta"
)

func span(trace, id, parent int, typ canonical.SpanType, name string, start time.Time, dur time.Duration, st canonical.Status) storage.Span {
	var s storage.Span
	s.TraceID, s.SpanID = tid(trace), sid(id)
	if parent != 0 {
		s.ParentSpanID = sid(parent)
	}
	s.Name, s.Type, s.Status = name, typ, st
	s.StartUnixNano = start.UnixNano()
	if st != canonical.StatusRunning {
		s.EndUnixNano = start.Add(dur).UnixNano()
	}
	s.ChainStep, s.ChainDepth = -1, -1
	s.Attributes, s.Resource, s.Events = `{}`, `{"service.name":"clitest"}`, "[]"
	s.ServiceName = "clitest"
	return s
}

func in(s storage.Span, session, agent string) storage.Span {
	s.SessionID, s.AgentName = session, agent
	return s
}

func llm(s storage.Span, model, provider string, tok canonical.Tokens, cost canonical.Cost) storage.Span {
	s.Model, s.Provider = model, provider
	tok.Present = true
	s.Tokens, s.Cost = tok, cost
	return s
}

func priced(usd float64) canonical.Cost {
	return canonical.Cost{Total: usd, Input: usd * 0.4, Output: usd * 0.6, Status: canonical.CostStatusPriced,
		PricingEntry: "openai/test", PricingDate: "2025-01-01"}
}

func step(s storage.Span, n, depth int64, requestedBy, observationOf int, flags ...string) storage.Span {
	s.ChainStep, s.ChainDepth = n, depth
	if requestedBy != 0 {
		s.ChainRequestedBy = sid(requestedBy)
	}
	if observationOf != 0 {
		s.ChainAnswers = sid(observationOf)
	}
	s.Flags = flags
	return s
}

func at(day time.Time, d string) time.Time {
	dur, err := time.ParseDuration(d)
	if err != nil {
		panic(err)
	}
	return day.Add(dur)
}

func seedBatches() []storage.Batch {
	ok := true
	r0 := step(in(span(1, 0x10, 0, canonical.TypeAgent, "research", at(mon, "10h"), 12*time.Second, canonical.StatusOK), sessAlpha, "researcher"), 0, 0, 0, 0)
	r1 := step(llm(in(span(1, 0x11, 0x10, canonical.TypeLLMCall, "plan", at(mon, "10h0m1s"), 800*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		"gpt-4o", "openai", canonical.Tokens{Input: 1000, CacheRead: 200, Output: 300, Reasoning: 50}, priced(0.012)), 1, 1, 0, 0)
	r1.Prompt, r1.Response = "Find the needle in the haystack", "I will search the web"
	r2 := step(in(span(1, 0x12, 0x10, canonical.TypeToolExecution, "web_search", at(mon, "10h0m2s"), 1500*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		2, 1, 0x11, 0)
	r2.ToolName, r2.ToolCallID, r2.ToolInput, r2.ToolOutput, r2.ToolSuccess = "web_search", "call_1", `{"q":"needle"}`, "found 3 results", &ok
	r3 := step(llm(in(span(1, 0x13, 0x10, canonical.TypeLLMCall, "observe", at(mon, "10h0m4s"), 600*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		"claude-sonnet", "anthropic", canonical.Tokens{Input: 500, CacheWrite5m: 100, Output: 80}, priced(0.0045)), 3, 1, 0, 0x12, string(canonical.FlagLoop))
	r4 := step(in(span(1, 0x14, 0x13, canonical.TypeReasoning, "think", at(mon, "10h0m5s"), 200*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		4, 2, 0, 0)

	s0 := in(span(2, 0x20, 0, canonical.TypeTask, "summarize", at(mon, "11h"), 3*time.Second, canonical.StatusOK), sessAlpha, "researcher")
	s1 := llm(in(span(2, 0x21, 0x20, canonical.TypeLLMCall, "summarize notes", at(mon, "11h0m1s"), 900*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		"mystery-model", "acme", canonical.Tokens{Input: 100, Output: 20}, canonical.Cost{Status: canonical.CostStatusUnpriced})
	s2 := in(span(2, 0x22, 0x20, canonical.TypeFileRead, "read notes", at(mon, "11h0m2s"), 100*time.Millisecond, canonical.StatusError), sessAlpha, "researcher")
	s2.StatusMessage, s2.ErrorCode, s2.FilePath, s2.FileOperation = "permission denied", "EACCES", "/notes.txt", "read"

	f0 := in(span(3, 0x30, 0, canonical.TypeAgent, "fix bug", at(tue, "8h30m"), 0, canonical.StatusRunning), sessBeta, "coder")
	f1 := llm(in(span(3, 0x31, 0x30, canonical.TypeLLMCall, "write patch", at(tue, "8h30m1s"), 1200*time.Millisecond, canonical.StatusOK), sessBeta, "coder"),
		"gpt-4o", "openai", canonical.Tokens{Input: 2000, Output: 100}, priced(0.02))
	f2 := in(span(3, 0x32, 0x30, canonical.TypeCodeExecution, "run tests", at(tue, "8h30m3s"), 5*time.Second, canonical.StatusTimeout), sessBeta, "coder")
	f2.StatusMessage, f2.ErrorCode = "tests timed out", "TIMEOUT"

	return []storage.Batch{
		{Sessions: []storage.SessionEvent{{SessionID: sessAlpha, Start: true, Name: "Alpha research", Framework: "langgraph",
			AgentName: "researcher", UserID: "u1", Tags: []string{"demo"}, Metadata: map[string]string{"team": "ml"},
			TimeUnixNano: at(mon, "9h").UnixNano()}},
			Spans: []storage.Span{r1, r2, r0}},
		{Spans: []storage.Span{r3, r4, s1, s2}},
		{Spans: []storage.Span{s0}, Sessions: []storage.SessionEvent{{SessionID: sessAlpha, TimeUnixNano: at(mon, "12h").UnixNano(),
			Status: canonical.StatusOK}}},
		{Sessions: []storage.SessionEvent{{SessionID: sessBeta, Start: true, Name: "Beta coding", Framework: "crewai",
			AgentName: "coder", TimeUnixNano: at(tue, "8h").UnixNano()}},
			Spans: []storage.Span{f0, f1, f2}},
	}
}

// freePort returns a port nothing listens on (it was free a moment ago).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}
