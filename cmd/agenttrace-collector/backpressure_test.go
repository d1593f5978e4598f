package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/testenv"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// startStackConfig runs the distribution in-process with the given config.
func startStackConfig(t testing.TB, cfg string) *stack {
	t.Helper()
	s := &stack{}
	runConfig(t, s, cfg)
	return s
}

// TestBackpressureMemoryLimiter: with memory_limiter over its limit every
// transport refuses with a retryable answer: native HTTP 503 + Retry-After,
// native gRPC Unavailable, OTLP/HTTP 503 (OTLP's retryable answer for a
// refusing pipeline), OTLP/gRPC Unavailable. Nothing refused is stored.
func TestBackpressureMemoryLimiter(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "agenttrace.db")
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	otlpHTTP := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	otlpGRPC := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	// A 2 MiB limit: the Go heap of any collector is above it, so the
	// limiter refuses from its first check on.
	s := startStackConfig(t, fmt.Sprintf(`
receivers:
  agenttrace:
    grpc: {endpoint: %q}
    http: {endpoint: %q}
    udp: {endpoint: "127.0.0.1:0"} # not used; never the default port a local collector may hold
  otlp:
    protocols:
      grpc: {endpoint: %q}
      http: {endpoint: %q}
processors:
  memory_limiter: {check_interval: 100ms, limit_mib: 2, spike_limit_mib: 1}
  tokencost:
  reasoningchain:
exporters:
  sqlite: {path: %q}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace, otlp]
      processors: [memory_limiter, tokencost, reasoningchain]
      exporters: [sqlite]
`, grpcAddr, httpAddr, otlpGRPC, otlpHTTP, db))
	ctx := context.Background()
	const tid = "bac4000000000000000000000000000a"
	time.Sleep(300 * time.Millisecond) // the limiter's first checks

	// Native HTTP (JSON).
	body := fmt.Sprintf(`{"spans":[{"trace_id":%q,"span_id":"0000000000000001","name":"x","type":"llm_call","status":"ok",
		"start_time_unix_nano":%d,"end_time_unix_nano":%d}]}`, tid, time.Now().UnixNano()-1e6, time.Now().UnixNano())
	resp, err := http.Post("http://"+httpAddr+"/v1/spans", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(out))
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	var answer struct {
		Accepted string `json:"accepted"`
		Rejected string `json:"rejected"`
	}
	require.NoError(t, json.Unmarshal(out, &answer), string(out))
	assert.Equal(t, "0", answer.Accepted)
	assert.Equal(t, "1", answer.Rejected)

	// Native gRPC.
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	_, err = atv1.NewAgentTraceCollectorClient(conn).SendSpan(ctx, &atv1.SendSpanRequest{Span: nativeSpan(2, tid)})
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	assert.Contains(t, status.Convert(err).Message(), "memory")

	// OTLP/HTTP.
	now := time.Now().UnixNano()
	otlp := fmt.Sprintf(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":%q,"spanId":"0000000000000003","name":"chat",
		"startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}`, tid, now-1e6, now)
	resp, err = http.Post("http://"+otlpHTTP+"/v1/traces", "application/json", strings.NewReader(otlp))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, []int{http.StatusServiceUnavailable, http.StatusTooManyRequests}, resp.StatusCode)
	t.Logf("OTLP/HTTP answers %d (Retry-After %q) while memory_limiter refuses", resp.StatusCode, resp.Header.Get("Retry-After"))

	// OTLP/gRPC.
	oconn, err := grpc.NewClient(otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer oconn.Close()
	td := ptrace.NewTraces()
	osp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	osp.SetTraceID(pcommon.TraceID{0xba, 0xc4, 1})
	osp.SetSpanID(pcommon.SpanID{4})
	osp.SetName("chat")
	osp.SetStartTimestamp(pcommon.Timestamp(now - 1e6))
	osp.SetEndTimestamp(pcommon.Timestamp(now))
	_, err = ptraceotlp.NewGRPCClient(oconn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	assert.Contains(t, []codes.Code{codes.Unavailable, codes.ResourceExhausted}, status.Code(err), "%v", err)
	t.Logf("OTLP/gRPC answers %s while memory_limiter refuses", status.Code(err))

	// Health still answers.
	resp, err = http.Get("http://" + httpAddr + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	s.stop(t)
	stored, _ := storedSpans(t, db)
	assert.Empty(t, stored, "refused spans are not stored")
}

// TestBackpressureQueueFull: the SQLite store is locked by another writer
// for a few seconds while clients flood the native HTTP receiver. The
// exporter queue (2,000 spans, configured to refuse rather than make callers
// wait as the shipped default does) and the chain buffer (2,000 spans) fill, and
// the receiver answers 503 + Retry-After instead of growing; clients retry
// as the SDKs do. Afterwards every batch is acknowledged and stored exactly
// once (acknowledged == stored == sent), and peak RSS stays bounded.
func TestBackpressureQueueFull(t *testing.T) {
	testenv.SkipIfShort(t, "builds and runs the collector binary")
	bin := collectorBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "agenttrace.db")
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	config := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`
receivers:
  agenttrace:
    http: {endpoint: %q}
    grpc: {endpoint: "127.0.0.1:0"} # not used; never the default port a local collector may hold
    udp: {endpoint: "127.0.0.1:0"}
processors:
  memory_limiter: {check_interval: 100ms, limit_mib: 256, spike_limit_mib: 64}
  tokencost:
  reasoningchain:
    completion_window: 50ms
    max_hold: 200ms
    max_buffered_spans: 2000
exporters:
  sqlite:
    path: %q
    retry_on_failure: {initial_interval: 100ms, max_interval: 300ms, max_elapsed_time: 0}
    # counted in spans and refusing when full (the shipped default counts
    # bytes and makes callers wait instead): the 503 path under test
    sending_queue:
      sizer: items
      queue_size: 2000
      block_on_overflow: false
      batch: {sizer: items, min_size: 500, max_size: 2000, flush_timeout: 100ms}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [memory_limiter, tokencost, reasoningchain]
      exporters: [sqlite]
`, httpAddr, db)), 0o600))
	logPath := filepath.Join(dir, "collector.log")
	proc := startCollectorProc(t, bin, config, logPath, "http://"+httpAddr+"/health")
	defer func() {
		if proc != nil {
			proc.kill(t)
		}
	}()
	// The store exists once the collector is up; take its write lock.
	lock, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer lock.Close()
	lock.SetMaxOpenConns(1)
	lockConn, err := lock.Conn(context.Background())
	require.NoError(t, err)
	defer lockConn.Close()
	_, err = lockConn.ExecContext(context.Background(), `BEGIN IMMEDIATE`)
	require.NoError(t, err, "taking the write lock")

	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		acked    = map[string]bool{}
		sent     = map[string]bool{}
		peakRSS  int64
	)
	pid := proc.cmd.Process.Pid
	const workers, batchesEach = 6, 40
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for n := 0; n < batchesEach; n++ {
				tid := fmt.Sprintf("bac9%04x%024x", w, n)
				b := &atv1.SpanBatch{ServiceName: "flood"}
				now := time.Now().UnixNano()
				for i := 0; i < 100; i++ {
					sp := &atv1.Span{TraceId: tid, SpanId: fmt.Sprintf("%016x", i+1), Name: "step",
						Type: atv1.SpanType_SPAN_TYPE_LLM_CALL, Status: atv1.SpanStatus_SPAN_STATUS_OK,
						StartTimeUnixNano: now - 2e6, EndTimeUnixNano: now, Model: "gpt-4o-mini", Provider: "openai",
						Prompt: strings.Repeat("x", 1000)}
					if i > 0 {
						sp.ParentSpanId = "0000000000000001"
					}
					b.Spans = append(b.Spans, sp)
				}
				body, _ := proto.Marshal(b)
				mu.Lock()
				for _, s := range b.GetSpans() {
					sent[s.GetTraceId()+"/"+s.GetSpanId()] = true
				}
				mu.Unlock()
				for attempt := 0; ; attempt++ { // retry on 503 as the SDKs do
					resp, err := client.Post("http://"+httpAddr+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
					if err != nil {
						t.Errorf("post: %v", err)
						return
					}
					resp.Body.Close()
					mu.Lock()
					statuses[resp.StatusCode]++
					if rss := peakRSSOf(pid); rss > peakRSS {
						peakRSS = rss
					}
					mu.Unlock()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						for _, s := range b.GetSpans() {
							acked[s.GetTraceId()+"/"+s.GetSpanId()] = true
						}
						mu.Unlock()
						break
					}
					if resp.StatusCode != http.StatusServiceUnavailable {
						t.Errorf("status %d under overload (want 200 or 503)", resp.StatusCode)
						return
					}
					if resp.Header.Get("Retry-After") == "" {
						t.Errorf("503 without Retry-After")
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	// Hold the lock until refusals have been seen, then release it.
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return statuses[http.StatusServiceUnavailable] > 0 },
		30*time.Second, 20*time.Millisecond, "no 503 while the store was locked")
	time.Sleep(2 * time.Second)
	_, err = lockConn.ExecContext(context.Background(), `ROLLBACK`)
	require.NoError(t, err)
	wg.Wait()
	elapsed := time.Since(start)
	require.Eventually(t, func() bool {
		s, _ := storedSpans(t, db)
		return len(s) >= len(acked)
	}, 30*time.Second, 100*time.Millisecond)
	mu.Lock()
	if rss := peakRSSOf(pid); rss > peakRSS {
		peakRSS = rss
	}
	mu.Unlock()
	proc.stop(t)
	proc = nil
	stored, dups := storedSpans(t, db)
	require.Zero(t, dups)
	assert.Equal(t, len(sent), len(acked), "every batch acknowledged in the end")
	assert.Equal(t, len(acked), len(stored), "acknowledged == stored")
	for id := range acked {
		require.True(t, stored[id], id)
	}
	// memory_limiter at 256 MiB (+64 spike) bounds the heap; RSS adds the
	// runtime and SQLite's page cache on top.
	assert.Less(t, peakRSS, int64(450<<20), "peak RSS")
	t.Logf("overload: %d spans sent in %s, answers %v, %d acknowledged, %d stored, peak RSS %d MiB",
		len(sent), elapsed.Round(time.Millisecond), statuses, len(acked), len(stored), peakRSS>>20)
}

// peakRSSOf reads a process's peak resident set (VmHWM) in bytes; 0 when
// unavailable.
func peakRSSOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
