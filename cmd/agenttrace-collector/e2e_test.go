package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/otelcol"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/distribution"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// freePort returns a port that is free now, chosen below the kernel's
// ephemeral range (32768-60999 here): a collector that is killed and
// restarted on the same port must not find it taken by some test's outgoing
// connection in between (TestKill9PersistentQueue did, under go test ./...).
func freePort(t testing.TB, network string) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if network == "udp" {
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				continue
			}
			c.Close()
			return port
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port in 20000-31999")
	return 0
}

type stack struct {
	col                   *otelcol.Collector
	done                  chan error
	db                    string
	grpc, http, udp, otlp string
}

// startStack runs the distribution in-process, as the binary does, with the
// default pipeline on free ports and a temporary SQLite file.
func startStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	s := &stack{
		db:   filepath.Join(dir, "data", "agenttrace.db"),
		grpc: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		http: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		udp:  fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp")),
		otlp: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
	}
	cfg := fmt.Sprintf(`
receivers:
  agenttrace:
    grpc: {endpoint: %q}
    http: {endpoint: %q}
    udp: {endpoint: %q}
  otlp:
    protocols:
      http: {endpoint: %q}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: 512, spike_limit_mib: 128}
  tokencost:
  reasoningchain:
    budget: {trace_cost_usd: 0.05}
exporters:
  sqlite: {path: %q}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace, otlp]
      processors: [memory_limiter, tokencost, reasoningchain]
      exporters: [sqlite]
`, s.grpc, s.http, s.udp, s.otlp, s.db)
	runConfig(t, s, cfg)
	return s
}

// runConfig runs the distribution in-process, as the binary does, with cfg
// (YAML) and waits until it runs; edit adjusts the settings first (e.g. to
// capture logs). Every in-process test collector starts here.
func runConfig(t testing.TB, s *stack, cfg string, edit ...func(*otelcol.CollectorSettings)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	set := distribution.Settings(components)
	set.ConfigProviderSettings.ResolverSettings.URIs = []string{"file:" + path}
	set.DisableGracefulShutdown = true
	for _, e := range edit {
		e(&set)
	}
	col, err := otelcol.NewCollector(set)
	require.NoError(t, err)
	s.col, s.done = col, make(chan error, 1)
	go func() { s.done <- col.Run(context.Background()) }()
	require.Eventually(t, func() bool { return col.GetState() == otelcol.StateRunning }, 30*time.Second, 20*time.Millisecond)
}

func (s *stack) stop(t *testing.T) {
	s.col.Shutdown()
	select {
	case err := <-s.done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("collector did not stop")
	}
}

func nativeSpan(i int, traceID string) *atv1.Span {
	now := time.Now().UnixNano()
	return &atv1.Span{
		TraceId: traceID, SpanId: fmt.Sprintf("%016x", i+1), Name: fmt.Sprintf("step %d", i),
		Type: atv1.SpanType_SPAN_TYPE_LLM_CALL, Status: atv1.SpanStatus_SPAN_STATUS_OK,
		StartTimeUnixNano: now - 2e6, EndTimeUnixNano: now, Model: "gpt-4o-mini", Provider: "openai",
		SessionId: "e2e", Usage: &atv1.TokenUsage{InputTokens: 1000, OutputTokens: 100},
	}
}

// TestEndToEnd sends spans over every transport to the running
// distribution, stops it, and checks that every acknowledged span is in the
// SQLite file, normalized and priced.
func TestEndToEnd(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	const tid = "e2e0000000000000000000000000a001"

	// Native HTTP, in batches; count what was acknowledged.
	acked := 0
	for b := 0; b < 20; b++ {
		batch := &atv1.SpanBatch{}
		for i := 0; i < 50; i++ {
			batch.Spans = append(batch.Spans, nativeSpan(b*50+i, tid))
		}
		body, err := proto.Marshal(batch)
		require.NoError(t, err)
		resp, err := http.Post("http://"+s.http+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			acked += 50
		}
	}
	require.Equal(t, 1000, acked)

	// Native gRPC.
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := atv1.NewAgentTraceCollectorClient(conn)
	_, err = client.SendSpan(ctx, &atv1.SendSpanRequest{Span: nativeSpan(5000, "e2e0000000000000000000000000b002")})
	require.NoError(t, err)
	h, err := client.Health(ctx, &atv1.HealthRequest{})
	require.NoError(t, err)
	assert.True(t, h.GetHealthy())
	assert.NotEmpty(t, h.GetVersion())

	// Native UDP (fire and forget).
	udp, err := net.Dial("udp", s.udp)
	require.NoError(t, err)
	body, err := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{nativeSpan(6000, "e2e0000000000000000000000000c003")}})
	require.NoError(t, err)
	_, err = udp.Write(body)
	require.NoError(t, err)
	udp.Close()

	// OTLP/HTTP JSON with OTel GenAI attributes.
	now := time.Now().UnixNano()
	otlp := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"otel-agent"}}]},
	"scopeSpans":[{"spans":[{"traceId":"e2e0000000000000000000000000d004","spanId":"00000000000000d4","name":"chat gpt-4o",
	"kind":3,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[
	{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
	{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
	{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
	{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1500"}},
	{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"1000"}},
	{"key":"gen_ai.usage.output_tokens","value":{"intValue":"200"}}]}]}]}]}`, now-3e6, now)
	resp, err := http.Post("http://"+s.otlp+"/v1/traces", "application/json", bytes.NewBufferString(otlp))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Give the fire-and-forget UDP datagram a moment to be handed over, then
	// stop: shutdown drains the exporter queue.
	time.Sleep(200 * time.Millisecond)
	s.stop(t)

	store, err := sqlitestore.Open(ctx, s.db)
	require.NoError(t, err)
	defer store.Close()
	tr, err := store.GetTrace(ctx, storage.AllProjects(), tid)
	require.NoError(t, err)
	assert.EqualValues(t, 1000, tr.SpanCount, "every acknowledged span stored")
	assert.EqualValues(t, 1000*1000, tr.Tokens.Input)
	assert.Greater(t, tr.CostUSD, 0.0)
	assert.EqualValues(t, 1000, tr.PricedSpans)

	for _, id := range []string{"e2e0000000000000000000000000b002", "e2e0000000000000000000000000c003"} {
		_, err := store.GetTrace(ctx, storage.AllProjects(), id)
		assert.NoError(t, err, id)
	}
	sp, err := store.GetSpan(ctx, storage.AllProjects(), "e2e0000000000000000000000000d004", "00000000000000d4")
	require.NoError(t, err)
	assert.Equal(t, canonical.TypeLLMCall, sp.Type)
	assert.Equal(t, "gpt-4o", sp.Model)
	assert.Equal(t, "openai", sp.Provider)
	assert.Equal(t, "otel-agent", sp.ServiceName)
	assert.Equal(t, canonical.Tokens{Input: 500, CacheRead: 1000, Output: 200, Present: true}, sp.Tokens)
	assert.Equal(t, canonical.CostStatusPriced, sp.Cost.Status)
	assert.Greater(t, sp.Cost.Total, 0.0)

	sess, err := store.GetSession(ctx, storage.AllProjects(), "e2e")
	require.NoError(t, err)
	assert.EqualValues(t, 1002, sess.SpanCount)
	var _ storage.Store = store
}

// TestChainFlagsInStorage runs a looping, over-budget agent trace through the
// full pipeline and finds the flags and the chain in the SQLite store.
func TestChainFlagsInStorage(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	const tid = "100b0000000000000000000000000001"
	base := time.Now().Add(-time.Minute).UnixNano()
	step := int64(100 * time.Millisecond)
	root := &atv1.Span{TraceId: tid, SpanId: "00000000000000f0", Name: "research", Type: atv1.SpanType_SPAN_TYPE_AGENT,
		Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: base, EndTimeUnixNano: base + 20*step, SessionId: "loop"}
	batch := &atv1.SpanBatch{Spans: []*atv1.Span{root}}
	for i := 0; i < 5; i++ { // the same search, five times over
		start := base + int64(2*i+1)*step
		batch.Spans = append(batch.Spans,
			&atv1.Span{TraceId: tid, SpanId: fmt.Sprintf("00000000000000%02x", 0x10+i), ParentSpanId: root.SpanId,
				Name: "think", Type: atv1.SpanType_SPAN_TYPE_LLM_CALL, Status: atv1.SpanStatus_SPAN_STATUS_OK,
				StartTimeUnixNano: start, EndTimeUnixNano: start + step/2, Model: "gpt-4o", Provider: "openai",
				Usage: &atv1.TokenUsage{InputTokens: 10_000, OutputTokens: 500}},
			&atv1.Span{TraceId: tid, SpanId: fmt.Sprintf("00000000000000%02x", 0x20+i), ParentSpanId: root.SpanId,
				Name: "web_search", Type: atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION, Status: atv1.SpanStatus_SPAN_STATUS_OK,
				StartTimeUnixNano: start + step/2, EndTimeUnixNano: start + step,
				Tool: &atv1.ToolCall{Name: "web_search", Input: `{"q":"agenttrace"}`}})
	}
	body, err := proto.Marshal(batch)
	require.NoError(t, err)
	resp, err := http.Post("http://"+s.http+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s.stop(t) // the chain processor emits what it holds on shutdown

	store, err := sqlitestore.Open(ctx, s.db)
	require.NoError(t, err)
	defer store.Close()
	tr, err := store.GetTrace(ctx, storage.AllProjects(), tid)
	require.NoError(t, err)
	assert.EqualValues(t, 11, tr.SpanCount)
	assert.Contains(t, tr.Flags, string(canonical.FlagLoop))
	assert.Contains(t, tr.Flags, string(canonical.FlagCostBudget), "5 x (10k in + 500 out) of gpt-4o is over $0.05")
	assert.EqualValues(t, 10, tr.ChainLength)
	assert.Greater(t, tr.CostUSD, 0.05)

	tool, err := store.GetSpan(ctx, storage.AllProjects(), tid, "0000000000000024")
	require.NoError(t, err)
	assert.Contains(t, tool.Flags, string(canonical.FlagLoop))
	assert.EqualValues(t, 9, tool.ChainStep)
	assert.Equal(t, "0000000000000014", tool.ChainRequestedBy, "the tool call was requested by the LLM call before it")
}
