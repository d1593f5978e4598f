package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
	"github.com/agenttrace/agenttrace/sdk/go/agenttrace"
)

// shape is the form of the generated agent traces.
type shape struct {
	tracesPerSession int     // tasks per session
	llmPerTrace      int     // LLM calls per task
	toolsPerTrace    int     // tool calls per task
	retrievals       int     // retrievals per task
	promptMin        int     // prompt bytes, uniform in [promptMin, promptMax]
	promptMax        int     //
	errorRate        float64 // fraction of tool calls that fail
}

func (s shape) spansPerTrace() int { return 1 + s.llmPerTrace + s.toolsPerTrace + s.retrievals }

// models are priced in the embedded catalog, so the stored spans get a cost.
var models = []struct{ model, provider string }{
	{"gpt-4o-mini", "openai"},
	{"claude-sonnet-4-20250514", "anthropic"},
	{"gpt-4o-2024-08-06", "openai"},
	{"gemini-2.5-flash-lite", "gcp.gemini"},
}

var tools = []string{"web_search", "read_file", "run_python", "sql_query", "send_email"}

// corpus is the text prompts are cut from (cheap: a slice, no copy).
var corpus = func() string {
	words := strings.Fields(`the agent reads the ticket and plans the next step it searches the knowledge base
		for similar incidents then calls a tool to fetch the customer record and summarises what it found
		before answering with a short explanation and a list of follow up actions for the support team`)
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 64<<10 {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()
}()

// generator makes realistic agent traces; one per worker (not shared).
type generator struct {
	sh      shape
	rnd     *rand.Rand // shape: the same for the same -seed
	ids     *rand.Rand // ids: new every run, so runs never overwrite each other
	runID   string
	seq     int
	session string
	inSess  int // traces generated in the current session
	// pending spans of the current trace not yet handed out
	pending []*atv1.Span
	// sessions started and ended, for the sender to announce
	newSessions   []string
	endedSessions []string
}

func newGenerator(sh shape, seed uint64, runID string, worker int) *generator {
	return &generator{sh: sh, rnd: rand.New(rand.NewPCG(seed, uint64(worker)+1)),
		ids: rand.New(rand.NewPCG(rand.Uint64(), uint64(worker)+1)), runID: runID}
}

func (g *generator) hexID(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := 0; i < n; i += 16 {
		v := g.ids.Uint64()
		for j := i; j < i+16 && j < n; j++ {
			b[j] = digits[v&15]
			v >>= 4
		}
	}
	return string(b)
}

func (g *generator) prompt() string {
	n := g.sh.promptMin
	if g.sh.promptMax > g.sh.promptMin {
		n += g.rnd.IntN(g.sh.promptMax - g.sh.promptMin + 1)
	}
	off := g.rnd.IntN(len(corpus) - n)
	return corpus[off : off+n]
}

// next returns the next n spans (whole traces are generated as needed, so a
// batch may hold the end of one trace and the start of another).
func (g *generator) next(n int, out []*atv1.Span) []*atv1.Span {
	for len(out) < n {
		if len(g.pending) == 0 {
			g.trace()
		}
		k := min(n-len(out), len(g.pending))
		out = append(out, g.pending[:k]...)
		g.pending = g.pending[k:]
	}
	return out
}

// trace generates one task: task → (LLM call, tool call, retrieval)… → final LLM call.
func (g *generator) trace() {
	if g.session == "" || g.inSess >= g.sh.tracesPerSession {
		if g.session != "" {
			g.endedSessions = append(g.endedSessions, g.session)
		}
		g.seq++
		g.session = fmt.Sprintf("loadgen-%s-%s-%d", g.runID, g.hexID(6), g.seq)
		g.newSessions = append(g.newSessions, g.session)
		g.inSess = 0
	}
	g.inSess++
	// The trace is laid out backwards from now, so it has ended when it is
	// sent, as an SDK would send it (ends <= now; starts >= now - lookback).
	now := time.Now().UnixNano()
	traceID := g.hexID(32)
	root := &atv1.Span{TraceId: traceID, SpanId: g.hexID(16), SessionId: g.session, Name: "handle_ticket",
		Type: atv1.SpanType_SPAN_TYPE_TASK, Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: now,
		AgentName: "support-agent", Framework: "loadgen", SdkVersion: agenttrace.Version,
		Attributes: nil, Tags: []string{"loadgen"}}
	spans := make([]*atv1.Span, 0, g.sh.spansPerTrace())
	spans = append(spans, root)
	t := now + int64(time.Millisecond)
	child := func(name string, typ atv1.SpanType, dur time.Duration) *atv1.Span {
		sp := &atv1.Span{TraceId: traceID, SpanId: g.hexID(16), ParentSpanId: root.SpanId, SessionId: g.session,
			Name: name, Type: typ, Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: t,
			EndTimeUnixNano: t + int64(dur), AgentName: root.AgentName, Framework: root.Framework, SdkVersion: root.SdkVersion}
		t += int64(dur) + int64(time.Millisecond)
		spans = append(spans, sp)
		return sp
	}
	steps := max(g.sh.llmPerTrace, g.sh.toolsPerTrace, g.sh.retrievals)
	for i := 0; i < steps; i++ {
		if i < g.sh.retrievals {
			sp := child("retrieve_docs", atv1.SpanType_SPAN_TYPE_RETRIEVAL, time.Duration(20+g.rnd.IntN(80))*time.Millisecond)
			sp.Tool = &atv1.ToolCall{Name: "vector_search", Input: `{"query":"similar incidents","k":5}`, Output: corpus[:256]}
		}
		if i < g.sh.llmPerTrace {
			m := models[g.rnd.IntN(len(models))]
			sp := child("chat "+m.model, atv1.SpanType_SPAN_TYPE_LLM_CALL, time.Duration(300+g.rnd.IntN(1500))*time.Millisecond)
			sp.Model, sp.Provider = m.model, m.provider
			sp.Prompt = g.prompt()
			sp.Response = corpus[1000 : 1000+200+g.rnd.IntN(400)]
			in := int64(len(sp.Prompt) / 4)
			sp.Usage = &atv1.TokenUsage{InputTokens: in, OutputTokens: int64(len(sp.Response) / 4)}
			if g.rnd.IntN(2) == 0 { // half the calls hit the prompt cache
				sp.Usage.CacheReadTokens = 1024
			}
			temp := 0.2
			sp.Request = &atv1.LLMRequest{Temperature: &temp, StopReason: "stop"}
		}
		if i < g.sh.toolsPerTrace {
			name := tools[g.rnd.IntN(len(tools))]
			sp := child("tool "+name, atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION, time.Duration(10+g.rnd.IntN(200))*time.Millisecond)
			ok := g.rnd.Float64() >= g.sh.errorRate
			sp.Tool = &atv1.ToolCall{Name: name, CallId: "call_" + g.hexID(12), Input: `{"q":"customer 4711"}`,
				Output: corpus[2000:2300], Success: &ok}
			if !ok {
				sp.Status, sp.StatusMessage, sp.ErrorCode = atv1.SpanStatus_SPAN_STATUS_ERROR, "tool timed out", "ToolTimeout"
			}
		}
	}
	// Shift the trace so it ends now.
	shift := t - now
	for _, sp := range spans[1:] {
		sp.StartTimeUnixNano -= shift
		sp.EndTimeUnixNano -= shift
	}
	root.StartTimeUnixNano -= shift
	root.EndTimeUnixNano = now
	g.pending = spans
}

// takeSessions returns and clears the session ids started and ended since
// the last call.
func (g *generator) takeSessions() (started, ended []string) {
	started, ended = g.newSessions, g.endedSessions
	g.newSessions, g.endedSessions = nil, nil
	return started, ended
}
