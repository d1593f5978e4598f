package apiserver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// The seeded data set. Every time derives from mon, so answers never depend
// on when the tests run; the server's clock is fixed at testNow.
var (
	mon     = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC) // a Monday
	tue     = mon.AddDate(0, 0, 1)
	sat     = mon.AddDate(0, 0, -2)
	testNow = tue.Add(12 * time.Hour)
)

func tid(n int) string { return fmt.Sprintf("%032x", n) }
func sid(n int) string { return fmt.Sprintf("%016x", n) }

func at(day time.Time, hms string) time.Time {
	d, err := time.ParseDuration(hms)
	if err != nil {
		panic(err)
	}
	return day.Add(d)
}

// span builds a valid span; dur 0 with status running leaves it open.
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
	s.Attributes = `{"test.attr":"x"}`
	s.Resource = `{"service.name":"apitest"}`
	s.Events = "[]"
	s.ScopeName = "apiserver-test"
	s.ServiceName = "apitest"
	return s
}

func inSession(s storage.Span, session, agent string) storage.Span {
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
		PricingEntry: "test/" + fmt.Sprint(usd), PricingDate: "2025-01-01"}
}

func failed(s storage.Span, msg, code string) storage.Span {
	s.StatusMessage, s.ErrorCode = msg, code
	return s
}

func step(s storage.Span, n, depth int64, follows, requestedBy, observationOf int, flags ...string) storage.Span {
	s.ChainStep, s.ChainDepth = n, depth
	if follows != 0 {
		s.ChainFollows = sid(follows)
	}
	if requestedBy != 0 {
		s.ChainRequestedBy = sid(requestedBy)
	}
	if observationOf != 0 {
		s.ChainAnswers = sid(observationOf)
	}
	s.Flags = flags
	return s
}

// Seeded ids.
const (
	sessAlpha = "sess-alpha"
	sessBeta  = "sess-beta"
)

var (
	trResearch  = tid(1) // alpha, Mon 10:00, chain with links, flag loop
	trSummarize = tid(2) // alpha, Mon 11:00, unpriced model, failed file read
	trFix       = tid(3) // beta, Tue 08:30, a step timed out
	trOld       = tid(4) // no session, Sat 14:00
	trCycle     = tid(5) // no session, Sun 15:00, no root: parent cycle and a missing parent
	trRunning   = tid(6) // beta, Tue 09:00, root still running
)

// seedBatches is the data set every backend is loaded with:
//
//	trace     span  type            start      dur     status   model (cost)
//	research  10    agent           Mon 10:00  12s     ok       chain 0
//	          11    llm_call        +1s        800ms   ok       gpt-4o 0.012      chain 1
//	          12    tool_execution  +2s        1.5s    ok       web_search        chain 2 requested_by 11
//	          13    llm_call        +4s        600ms   ok       claude (0.0045)   chain 3 observation_of 12, loop
//	          14    reasoning       +5s        200ms   ok       child of 13       chain 4
//	summarize 20    task            Mon 11:00  3s      ok
//	          21    llm_call        +1s        900ms   ok       mystery-model (unpriced)
//	          22    file_read       +2s        100ms   error    permission denied
//	fix       30    agent           Tue 08:30  10s     ok
//	          31    llm_call        +1s        1.2s    ok       gpt-4o 0.02
//	          32    code_execution  +3s        5s      timeout  tests timed out
//	running   60    agent           Tue 09:00  -       running
//	          61    llm_call        +1s        1s      ok       gpt-4o-mini 0.0005
//	old       40    llm_call        Sat 14:00  2s      ok       gpt-4o-mini 0.001
//	cycle     50/51 custom          Sun 15:00  1s      ok       parents of each other
//	          52    custom          +1s        1s      ok       parent missing
//
// The storage contract leaves two things open, so the data set avoids them:
// the status of a trace whose root runs (or is unknown) while a span failed,
// and whether a finished root with a running child is running.
func seedBatches() []storage.Batch {
	r0 := step(inSession(span(1, 0x10, 0, canonical.TypeAgent, "research", at(mon, "10h"), 12*time.Second, canonical.StatusOK), sessAlpha, "researcher"), 0, 0, 0, 0, 0)
	r1 := step(llm(inSession(span(1, 0x11, 0x10, canonical.TypeLLMCall, "plan", at(mon, "10h0m1s"), 800*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		"gpt-4o", "openai", canonical.Tokens{Input: 1000, CacheRead: 200, Output: 300, Reasoning: 50}, priced(0.012)), 1, 1, 0x10, 0, 0)
	r1.Prompt = "Find the needle in the haystack"
	r1.Response = "I will search the web"
	temp := 0.2
	r1.Temperature = &temp
	r2 := step(inSession(span(1, 0x12, 0x10, canonical.TypeToolExecution, "web_search", at(mon, "10h0m2s"), 1500*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		2, 1, 0x11, 0x11, 0)
	ok := true
	r2.ToolName, r2.ToolCallID, r2.ToolInput, r2.ToolOutput, r2.ToolSuccess = "web_search", "call_1", `{"q":"needle"}`, "found 3 results", &ok
	r3 := step(llm(inSession(span(1, 0x13, 0x10, canonical.TypeLLMCall, "observe", at(mon, "10h0m4s"), 600*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		"claude-sonnet", "anthropic", canonical.Tokens{Input: 500, CacheWrite5m: 100, Output: 80}, priced(0.0045)), 3, 1, 0x12, 0, 0x12, string(canonical.FlagLoop))
	r4 := step(inSession(span(1, 0x14, 0x13, canonical.TypeReasoning, "think", at(mon, "10h0m5s"), 200*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		4, 2, 0x13, 0, 0)

	s0 := inSession(span(2, 0x20, 0, canonical.TypeTask, "summarize", at(mon, "11h"), 3*time.Second, canonical.StatusOK), sessAlpha, "researcher")
	s1 := llm(inSession(span(2, 0x21, 0x20, canonical.TypeLLMCall, "summarize notes", at(mon, "11h0m1s"), 900*time.Millisecond, canonical.StatusOK), sessAlpha, "researcher"),
		"mystery-model", "acme", canonical.Tokens{Input: 100, Output: 20}, canonical.Cost{Status: canonical.CostStatusUnpriced})
	s1.Response = "=SUM(A1) 50% off_sale"
	s2 := failed(inSession(span(2, 0x22, 0x20, canonical.TypeFileRead, "read notes", at(mon, "11h0m2s"), 100*time.Millisecond, canonical.StatusError), sessAlpha, "researcher"),
		"permission denied", "EACCES")
	s2.FilePath, s2.FileOperation = "/notes.txt", "read"

	f0 := inSession(span(3, 0x30, 0, canonical.TypeAgent, "fix bug", at(tue, "8h30m"), 10*time.Second, canonical.StatusOK), sessBeta, "coder")
	f1 := llm(inSession(span(3, 0x31, 0x30, canonical.TypeLLMCall, "write patch", at(tue, "8h30m1s"), 1200*time.Millisecond, canonical.StatusOK), sessBeta, "coder"),
		"gpt-4o", "openai", canonical.Tokens{Input: 2000, Output: 100}, priced(0.02))
	f2 := failed(inSession(span(3, 0x32, 0x30, canonical.TypeCodeExecution, "run tests", at(tue, "8h30m3s"), 5*time.Second, canonical.StatusTimeout), sessBeta, "coder"),
		"tests timed out", "TIMEOUT")

	g0 := inSession(span(6, 0x60, 0, canonical.TypeAgent, "deploy", at(tue, "9h"), 0, canonical.StatusRunning), sessBeta, "coder")
	g1 := llm(inSession(span(6, 0x61, 0x60, canonical.TypeLLMCall, "check status", at(tue, "9h0m1s"), time.Second, canonical.StatusOK), sessBeta, "coder"),
		"gpt-4o-mini", "openai", canonical.Tokens{Input: 100, Output: 10}, priced(0.0005))

	o0 := llm(span(4, 0x40, 0, canonical.TypeLLMCall, "quick answer", at(sat, "14h"), 2*time.Second, canonical.StatusOK),
		"gpt-4o-mini", "openai", canonical.Tokens{Input: 300, Output: 60}, priced(0.001))
	o0.AgentName = "planner"

	sun := mon.AddDate(0, 0, -1)
	c0 := span(5, 0x50, 0x51, canonical.TypeCustom, "ping", at(sun, "15h"), time.Second, canonical.StatusOK)
	c1 := span(5, 0x51, 0x50, canonical.TypeCustom, "pong", at(sun, "15h0m0.5s"), time.Second, canonical.StatusOK)
	c2 := span(5, 0x52, 0xff, canonical.TypeCustom, "orphan", at(sun, "15h0m1s"), time.Second, canonical.StatusOK)

	alphaStart := storage.SessionEvent{SessionID: sessAlpha, Start: true, Name: "Alpha research", Framework: "langgraph",
		AgentName: "researcher", UserID: "u1", Tags: []string{"demo"}, Metadata: map[string]string{"team": "ml"},
		TimeUnixNano: at(mon, "9h").UnixNano()}
	alphaEnd := storage.SessionEvent{SessionID: sessAlpha, TimeUnixNano: at(mon, "12h").UnixNano(), Status: canonical.StatusOK}
	betaStart := storage.SessionEvent{SessionID: sessBeta, Start: true, Name: "Beta coding", Framework: "crewai",
		AgentName: "coder", TimeUnixNano: at(tue, "8h").UnixNano()}

	return []storage.Batch{
		{Spans: []storage.Span{o0}},
		{Sessions: []storage.SessionEvent{alphaStart}, Spans: []storage.Span{r1, r2, r0}},
		{Spans: []storage.Span{r3, r4, s1, s2}},
		{Spans: []storage.Span{s0}, Sessions: []storage.SessionEvent{alphaEnd}},
		{Sessions: []storage.SessionEvent{betaStart}, Spans: []storage.Span{f0, f1, f2}},
		{Spans: []storage.Span{c0, c1, c2}},
		{Spans: []storage.Span{g1, g0}},
	}
}

func seed(t testing.TB, w storage.Writer) {
	t.Helper()
	for i, b := range seedBatches() {
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatalf("seed batch %d: %v", i, err)
		}
	}
}
