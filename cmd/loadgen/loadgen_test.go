package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/storage/postgres/postgrestest"
	"github.com/agenttrace/agenttrace/internal/testenv"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

var defaultShape = shape{tracesPerSession: 5, llmPerTrace: 3, toolsPerTrace: 2, retrievals: 1,
	promptMin: 1024, promptMax: 4096, errorRate: 0.1}

func TestGeneratorShape(t *testing.T) {
	g := newGenerator(defaultShape, 1, "test", 0)
	spans := g.next(7*10, nil)
	require.Len(t, spans, 70)
	types := map[atv1.SpanType]int{}
	ids := map[string]bool{}
	roots := map[string]*atv1.Span{}
	sessions := map[string]int{}
	for _, s := range spans {
		types[s.Type]++
		require.False(t, ids[s.SpanId], "span ids are unique")
		ids[s.SpanId] = true
		assert.Len(t, s.TraceId, 32)
		assert.Len(t, s.SpanId, 16)
		assert.GreaterOrEqual(t, s.EndTimeUnixNano, s.StartTimeUnixNano)
		assert.LessOrEqual(t, s.EndTimeUnixNano, time.Now().UnixNano(), "traces have ended when sent")
		assert.Greater(t, s.StartTimeUnixNano, time.Now().Add(-lookback).UnixNano())
		if s.ParentSpanId == "" {
			roots[s.TraceId] = s
			sessions[s.SessionId]++
		}
		if s.Type == atv1.SpanType_SPAN_TYPE_LLM_CALL {
			assert.GreaterOrEqual(t, len(s.Prompt), 1024)
			assert.LessOrEqual(t, len(s.Prompt), 4096)
			assert.NotNil(t, s.Usage)
			assert.NotEmpty(t, s.Model)
		}
	}
	for _, s := range spans {
		if s.ParentSpanId != "" {
			require.Contains(t, roots, s.TraceId)
			assert.Equal(t, roots[s.TraceId].SpanId, s.ParentSpanId)
			assert.Equal(t, roots[s.TraceId].SessionId, s.SessionId)
		}
	}
	assert.Equal(t, map[atv1.SpanType]int{
		atv1.SpanType_SPAN_TYPE_TASK: 10, atv1.SpanType_SPAN_TYPE_LLM_CALL: 30,
		atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION: 20, atv1.SpanType_SPAN_TYPE_RETRIEVAL: 10}, types)
	assert.Len(t, sessions, 2, "5 traces per session")
	started, ended := g.takeSessions()
	assert.Len(t, started, 2)
	assert.Len(t, ended, 1, "the second session is still open")
	// Batches cut traces anywhere; the next call continues the same trace.
	part := g.next(3, nil)
	rest := g.next(4, nil)
	assert.Equal(t, part[0].TraceId, rest[3].TraceId)
}

func TestToOTLPUsesInclusiveGenAITotals(t *testing.T) {
	g := newGenerator(defaultShape, 3, "test", 0)
	spans := g.next(7, nil)
	req := toOTLP(spans)
	td := req.Traces()
	require.Equal(t, 7, td.SpanCount())
	ss := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < ss.Len(); i++ {
		sp, src := ss.At(i), spans[i]
		assert.Equal(t, src.SpanId, sp.SpanID().String())
		conv, _ := sp.Attributes().Get("gen_ai.conversation.id")
		assert.Equal(t, src.SessionId, conv.Str())
		if src.Type == atv1.SpanType_SPAN_TYPE_LLM_CALL {
			in, _ := sp.Attributes().Get("gen_ai.usage.input_tokens")
			assert.Equal(t, src.Usage.InputTokens+src.Usage.CacheReadTokens, in.Int(), "OTel input tokens include cache reads")
			msgs, _ := sp.Attributes().Get("gen_ai.input.messages")
			assert.True(t, strings.HasPrefix(msgs.Str(), `[{"role":"user"`))
		}
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 51*time.Millisecond, pct(d, 0.5))
	assert.Equal(t, 99*time.Millisecond, pct(d, 0.99))
	assert.Equal(t, 100*time.Millisecond, pct(d, 1))
	assert.Zero(t, pct(nil, 0.5))
}

func TestReadProc(t *testing.T) {
	busy := time.Now()
	for time.Since(busy) < 30*time.Millisecond { //nolint:revive // burn a little CPU
	}
	p, err := readProc(os.Getpid())
	require.NoError(t, err)
	assert.Greater(t, p.cpu, time.Duration(0))
	assert.Greater(t, p.hwmKB, int64(1000))
	_, err = readProc(1 << 30)
	assert.Error(t, err)
}

func TestOptionsValidate(t *testing.T) {
	o := options{transport: "carrier-pigeon", workers: 0, batch: 1, duration: time.Second,
		sh: shape{tracesPerSession: 1, promptMin: 10, promptMax: 5}, verify: "mysql:x"}
	err := o.validate()
	require.Error(t, err)
	for _, want := range []string{"-transport", "-workers", "-prompt-min", "-verify"} {
		assert.Contains(t, err.Error(), want)
	}
	ok := options{transport: "udp", workers: 1, batch: 1, duration: time.Second, sh: defaultShape}
	require.NoError(t, ok.validate())
	assert.Equal(t, "127.0.0.1:4322", ok.addr)
}

// TestSentEqualsStored runs the load generator against the real collector
// (default pipeline into SQLite) over every transport and checks its
// sent == stored verification passes — and that it notices a shortfall.
func TestSentEqualsStored(t *testing.T) {
	c := startCollector(t, "sqlite: {path: %q}", filepath.Join(t.TempDir(), "store.db"))
	grpcAddr, httpAddr, udpAddr, otlpAddr := c.grpc, c.http, c.udp, c.otlp
	db := c.arg
	cmd := c.cmd
	for _, tc := range []struct{ transport, addr string }{
		{"http", "http://" + httpAddr}, {"http-json", "http://" + httpAddr}, {"grpc", grpcAddr},
		{"otlp", otlpAddr}, {"udp", udpAddr},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			o := options{transport: tc.transport, addr: tc.addr, workers: 2, batch: 50, maxSpans: 700,
				duration: time.Minute, rate: 2000, sessions: true, sh: defaultShape, seed: 7,
				verify: "sqlite:" + db, verifyTimeout: 30 * time.Second, timeout: 10 * time.Second, pid: cmd.Process.Pid}
			if tc.transport == "udp" {
				o.sessionAddr = "http://" + httpAddr
			}
			require.NoError(t, o.validate())
			res, err := run(context.Background(), o)
			require.NoError(t, err)
			var b strings.Builder
			res.print(&b)
			t.Log(b.String())
			assert.True(t, res.ok(), "run failed: %s", res.verifyErr)
			assert.EqualValues(t, 700, res.acked)
			assert.EqualValues(t, 700, res.stored)
			assert.Greater(t, res.storedCost, 0.0)
			assert.Contains(t, res.shell(), "VERIFY=ok")
			assert.Greater(t, res.cpuSeconds, 0.0)
		})
	}
}

type collector struct {
	grpc, http, udp, otlp string
	arg                   string
	cmd                   *exec.Cmd
}

// startCollector runs the real collector with the default processors and
// the exporter given as YAML (exporterFmt formatted with arg, e.g. a path).
func startCollector(t *testing.T, exporterFmt, arg string) collector {
	t.Helper()
	bin := collectorBinary(t)
	dir := t.TempDir()
	port := func(network string) string {
		if network == "udp" {
			c, err := net.ListenPacket("udp", "127.0.0.1:0")
			require.NoError(t, err)
			defer c.Close()
			return c.LocalAddr().String()
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		return l.Addr().String()
	}
	c := collector{grpc: port("tcp"), http: port("tcp"), udp: port("udp"), otlp: port("tcp"), arg: arg}
	exporter := fmt.Sprintf(exporterFmt, arg)
	name := exporter[:strings.IndexByte(exporter, ':')]
	cfg := fmt.Sprintf(`receivers:
  agenttrace: {grpc: {endpoint: %q}, http: {endpoint: %q}, udp: {endpoint: %q}}
  otlp: {protocols: {grpc: {endpoint: %q}}}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: 512, spike_limit_mib: 128}
  tokencost:
exporters:
  %s
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces: {receivers: [agenttrace, otlp], processors: [memory_limiter, tokencost], exporters: [%s]}
`, c.grpc, c.http, c.udp, c.otlp, exporter, name)
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o644))
	logPath := filepath.Join(dir, "collector.log")
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	c.cmd = exec.Command(bin, "--config", cfgPath)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		_ = c.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("collector log:\n%s", out)
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + c.http + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "collector healthy")
	return c
}

// TestSentEqualsStoredPostgres is the same check through the timescaledb
// exporter into a fresh schema of the real PostgreSQL (skipped when it is
// unreachable — failed when CI=true).
func TestSentEqualsStoredPostgres(t *testing.T) {
	dsn, schema := postgrestest.Schema(t)
	c := startCollector(t, "timescaledb: {dsn: %q, schema: "+schema+"}", dsn)
	o := options{transport: "grpc", addr: c.grpc, workers: 2, batch: 100, maxSpans: 1400, duration: time.Minute,
		sessions: true, sh: defaultShape, seed: 3, verify: "postgres:" + dsn, pgSchema: schema,
		verifyTimeout: 30 * time.Second, timeout: 10 * time.Second}
	require.NoError(t, o.validate())
	res, err := run(context.Background(), o)
	require.NoError(t, err)
	var b strings.Builder
	res.print(&b)
	t.Log(b.String())
	assert.True(t, res.ok(), "run failed: %s", res.verifyErr)
	assert.EqualValues(t, 1400, res.stored)
	assert.Greater(t, res.storedCost, 0.0)
}

// TestMain removes the collector binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.Cleanup()
	os.Exit(code)
}

// collectorBinary is $AGENTTRACE_COLLECTOR_BIN or the collector built for
// this test run (testenv: skipped without one, failed when CI=true).
func collectorBinary(t *testing.T) string { return testenv.CollectorBinary(t) }

// TestVerifyNoticesMissingSpans: a store without the acknowledged spans
// fails the check (after the short timeout) instead of passing silently.
func TestVerifyNoticesMissingSpans(t *testing.T) {
	db := filepath.Join(t.TempDir(), "empty.db")
	o := options{verify: "sqlite:" + db, verifyTimeout: time.Second}
	r := &result{opts: o, acked: 10, llm: 3}
	st, err := openStore(context.Background(), o, time.Now())
	require.NoError(t, err)
	require.NoError(t, verify(context.Background(), o, st, r))
	assert.Contains(t, r.verifyErr, "stored 0 spans, acknowledged 10")
	assert.Contains(t, r.verifyErr, "no cost computed")
	assert.False(t, r.ok())
	assert.Contains(t, r.shell(), "VERIFY=failed")
}

func TestJSONString(t *testing.T) {
	assert.Equal(t, `"plain text"`, jsonString("plain text"))
	assert.Equal(t, `"say \"hi\"\n"`, jsonString("say \"hi\"\n"))
	assert.Equal(t, strconv.Quote("héllo"), jsonString("héllo"))
}
