package storagetest

import (
	"fmt"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// Fixed clock: every timestamp in the suite derives from these, so results
// never depend on when the suite runs. 2025-03-04 is a Tuesday.
var (
	tue = time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	wed = tue.AddDate(0, 0, 1)
	old = time.Date(2025, 2, 20, 8, 0, 0, 0, time.UTC)

	// weekRange is [Mon 2025-03-03, Mon 2025-03-10): the seeded data set
	// except the "old" trace D.
	weekRange = storage.TimeRange{
		From: time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC).UnixNano(),
		To:   time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC).UnixNano(),
	}
	weekSeconds = float64(7 * 24 * 3600)
)

func at(day time.Time, h, m, s, ms int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond)
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// traceID and spanID make valid lowercase hex ids from small numbers.
func traceID(n int) string { return fmt.Sprintf("%032x", n) }
func spanID(n int) string  { return fmt.Sprintf("%016x", n) }

// newSpan builds a minimal valid span. A running span has no end time.
func newSpan(trace, span int, parent int, typ canonical.SpanType, name string,
	start time.Time, dur time.Duration, status canonical.Status) storage.Span {
	var s storage.Span
	s.TraceID = traceID(trace)
	s.SpanID = spanID(span)
	if parent != 0 {
		s.ParentSpanID = spanID(parent)
	}
	s.Name = name
	s.Type = typ
	s.Status = status
	s.StartUnixNano = start.UnixNano()
	if status != canonical.StatusRunning {
		s.EndUnixNano = start.Add(dur).UnixNano()
	}
	s.ChainStep, s.ChainDepth = -1, -1
	s.Attributes = "{}"
	s.Resource = "{}"
	s.Events = "[]"
	s.ScopeName = "storagetest"
	return s
}

func withSession(s storage.Span, session, agent string) storage.Span {
	s.SessionID = session
	s.AgentName = agent
	return s
}

func withLLM(s storage.Span, model, provider string, tok canonical.Tokens, cost canonical.Cost) storage.Span {
	s.Model = model
	s.Provider = provider
	if tok.Total() > 0 {
		tok.Present = true
	}
	s.Tokens = tok
	s.Cost = cost
	return s
}

func withError(s storage.Span, msg, code string) storage.Span {
	s.StatusMessage = msg
	s.ErrorCode = code
	return s
}

func withChain(s storage.Span, step int64, flags ...string) storage.Span {
	s.ChainStep = step
	s.ChainDepth = 0
	s.Flags = flags
	return s
}

func priced(usd float64) canonical.Cost {
	return canonical.Cost{
		Total: usd, Input: usd / 2, Output: usd / 2,
		Status: canonical.CostStatusPriced, PricingEntry: "test/model", PricingDate: "2025-01-01",
	}
}

func unpriced() canonical.Cost { return canonical.Cost{Status: canonical.CostStatusUnpriced} }

// Seeded data set ids.
const (
	trA = 0xa1 // session s1, Tue 10:00, error (child tool failed), flags loop
	trB = 0xb1 // session s1, Tue 11:30, ok, one unpriced span
	trC = 0xc1 // session s2, Wed 09:15, error, running child, flags
	trD = 0xd1 // session s-old, 2025-02-20, outside weekRange

	sessS1  = "s1"
	sessS2  = "s2"
	sessOld = "s-old"
)

// seed is the analytic data set. Expected numbers in the tests are written
// out by hand from this table:
//
//	span  type            start        dur    status   model/provider       tokens (in/cr/cw5m/out/reas)  cost
//	A0    agent           Tue 10:00:00 10s    ok
//	A1    llm_call        Tue 10:00:01 100ms  ok       gpt-4o/openai        100/0/0/50/0                 0.01
//	A2    llm_call        Tue 10:00:02 400ms  ok       gpt-4o/openai        200/50/0/100/10              0.03
//	A3    tool_execution  Tue 10:00:03 50ms   error "file not found" ENOENT
//	B0    agent           Tue 11:30:00 5s     ok
//	B1    llm_call        Tue 11:30:01 200ms  ok       claude-x/anthropic   1000/0/100/200/0             0.05
//	B2    llm_call        Tue 11:30:02 300ms  ok       mystery-1/acme       10/0/0/5/0                   unpriced
//	C0    agent           Wed 09:15:00 10s    ok
//	C1    llm_call        Wed 09:15:01 400ms  ok       gpt-4o/openai        300/0/0/30/0                 0.02
//	C2    llm_call        Wed 09:15:05 -      running  gpt-4o/openai
//	C3    tool_execution  Wed 09:15:02 20ms   error "file not found" ENOENT
//	C4    tool_execution  Wed 09:15:03 50ms   timeout "deadline exceeded" TIMEOUT
//	C5    api_call        Wed 09:15:04 80ms   error "rate limited" 429
//	D0    llm_call        Feb20 08:00  2s     error "old error" E_OLD gpt-4o/openai 5000/0/0/0/0  1.00
//
// Percentile-sensitive groups are chosen so that every common percentile
// definition (nearest rank, linear interpolation) gives the same answer.
func seed() []storage.Batch {
	A0 := withChain(withSession(newSpan(trA, 0xa0, 0, canonical.TypeAgent, "plan", at(tue, 10, 0, 0, 0), 10*time.Second, canonical.StatusOK), sessS1, "planner"), 0)
	A1 := withChain(withLLM(withSession(newSpan(trA, 0xa1, 0xa0, canonical.TypeLLMCall, "chat gpt-4o", at(tue, 10, 0, 1, 0), ms(100), canonical.StatusOK), sessS1, "planner"),
		"gpt-4o", "openai", canonical.Tokens{Input: 100, Output: 50}, priced(0.01)), 1)
	A2 := withChain(withLLM(withSession(newSpan(trA, 0xa2, 0xa0, canonical.TypeLLMCall, "chat gpt-4o", at(tue, 10, 0, 2, 0), ms(400), canonical.StatusOK), sessS1, "planner"),
		"gpt-4o", "openai", canonical.Tokens{Input: 200, CacheRead: 50, Output: 100, Reasoning: 10}, priced(0.03)), 2, string(canonical.FlagLoop))
	A2.Prompt = "find the needle in the haystack"
	A2.Response = "the answer is forty-two"
	A3 := withChain(withError(withSession(newSpan(trA, 0xa3, 0xa0, canonical.TypeToolExecution, "read_file", at(tue, 10, 0, 3, 0), ms(50), canonical.StatusError), sessS1, "planner"),
		"file not found", "ENOENT"), 3)
	A3.ToolName = "read_file"
	A3.ToolInput = `{"path":"/etc/itinerary"}`

	B0 := withSession(newSpan(trB, 0xb0, 0, canonical.TypeAgent, "plan more", at(tue, 11, 30, 0, 0), 5*time.Second, canonical.StatusOK), sessS1, "planner")
	B1 := withLLM(withSession(newSpan(trB, 0xb1, 0xb0, canonical.TypeLLMCall, "chat claude", at(tue, 11, 30, 1, 0), ms(200), canonical.StatusOK), sessS1, "planner"),
		"claude-x", "anthropic", canonical.Tokens{Input: 1000, CacheWrite5m: 100, Output: 200}, priced(0.05))
	B1.Response = "Bonjour from the CLAUDE response"
	B2 := withLLM(withSession(newSpan(trB, 0xb2, 0xb0, canonical.TypeLLMCall, "chat mystery", at(tue, 11, 30, 2, 0), ms(300), canonical.StatusOK), sessS1, "planner"),
		"mystery-1", "acme", canonical.Tokens{Input: 10, Output: 5}, unpriced())

	C0 := withChain(withSession(newSpan(trC, 0xc0, 0, canonical.TypeAgent, "code", at(wed, 9, 15, 0, 0), 10*time.Second, canonical.StatusOK), sessS2, "coder"), 0)
	C1 := withChain(withLLM(withSession(newSpan(trC, 0xc1, 0xc0, canonical.TypeLLMCall, "chat gpt-4o", at(wed, 9, 15, 1, 0), ms(400), canonical.StatusOK), sessS2, "coder"),
		"gpt-4o", "openai", canonical.Tokens{Input: 300, Output: 30}, priced(0.02)), 5, string(canonical.FlagCostBudget))
	C2 := withLLM(withSession(newSpan(trC, 0xc2, 0xc0, canonical.TypeLLMCall, "chat gpt-4o", at(wed, 9, 15, 5, 0), 0, canonical.StatusRunning), sessS2, "coder"),
		"gpt-4o", "openai", canonical.Tokens{}, canonical.Cost{})
	C3 := withChain(withError(withSession(newSpan(trC, 0xc3, 0xc0, canonical.TypeToolExecution, "read_file", at(wed, 9, 15, 2, 0), ms(20), canonical.StatusError), sessS2, "coder"),
		"file not found", "ENOENT"), 2, string(canonical.FlagLoop), string(canonical.FlagErrorCascade))
	C3.ToolName = "read_file"
	C3.ToolOutput = "ENOENT: no such file: secret-haystack.txt"
	C4 := withError(withSession(newSpan(trC, 0xc4, 0xc0, canonical.TypeToolExecution, "run_tests", at(wed, 9, 15, 3, 0), ms(50), canonical.StatusTimeout), sessS2, "coder"),
		"deadline exceeded", "TIMEOUT")
	C4.ToolName = "run_tests"
	C5 := withError(withSession(newSpan(trC, 0xc5, 0xc0, canonical.TypeAPICall, "http get", at(wed, 9, 15, 4, 0), ms(80), canonical.StatusError), sessS2, "coder"),
		"rate limited", "429")

	D0 := withError(withLLM(withSession(newSpan(trD, 0xd0, 0, canonical.TypeLLMCall, "old call", at(old, 0, 0, 0, 0), 2*time.Second, canonical.StatusError), sessOld, "archivist"),
		"gpt-4o", "openai", canonical.Tokens{Input: 5000}, priced(1.0)), "old error", "E_OLD")

	s1Start := storage.SessionEvent{SessionID: sessS1, Start: true, Name: "Plan trip", Framework: "langgraph", AgentName: "planner",
		UserID: "u1", Tags: []string{"travel", "beta"}, Metadata: map[string]string{"env": "prod"}, TimeUnixNano: at(tue, 9, 59, 0, 0).UnixNano()}
	s1End := storage.SessionEvent{SessionID: sessS1, Start: false, TimeUnixNano: at(tue, 12, 0, 0, 0).UnixNano(), Status: canonical.StatusOK}
	s2Start := storage.SessionEvent{SessionID: sessS2, Start: true, Name: "Write code", Framework: "crewai", AgentName: "coder",
		TimeUnixNano: at(wed, 9, 0, 0, 0).UnixNano()}
	oldStart := storage.SessionEvent{SessionID: sessOld, Start: true, Name: "Archive", AgentName: "archivist", TimeUnixNano: at(old, 0, 0, 0, 0).Add(-time.Minute).UnixNano()}
	oldEnd := storage.SessionEvent{SessionID: sessOld, Start: false, TimeUnixNano: at(old, 0, 0, 5, 0).UnixNano(), Status: canonical.StatusError}

	// Several batches, in an order that exercises late session events and
	// traces split across writes.
	return []storage.Batch{
		{Sessions: []storage.SessionEvent{oldStart}, Spans: []storage.Span{D0}},
		{Sessions: []storage.SessionEvent{s1Start}, Spans: []storage.Span{A1, A2}},
		{Spans: []storage.Span{A3, A0, B1}},
		{Spans: []storage.Span{B0, B2}, Sessions: []storage.SessionEvent{s1End, oldEnd}},
		{Spans: []storage.Span{C1, C3, C4}},
		{Spans: []storage.Span{C0, C2, C5}, Sessions: []storage.SessionEvent{s2Start}},
	}
}
