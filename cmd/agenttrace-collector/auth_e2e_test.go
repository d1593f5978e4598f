package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// Ingest keys of the authenticated stack: a and b unlimited, c limited to
// 10 spans/s with a burst of 10.
const (
	e2eKeyA = "e2e-ingest-key-project-a-0001"
	e2eKeyB = "e2e-ingest-key-project-b-0002"
	e2eKeyC = "e2e-ingest-key-limited-c-0003"
)

type authStack struct {
	stack
	otlpGRPC string
	logs     *observer.ObservedLogs
}

// startAuthStack runs the distribution with every receiver behind the
// agenttraceauth extension (keys a and b from the environment, c from the
// config) and the project processor first after memory_limiter. The
// collector's logs, at debug level, are captured.
func startAuthStack(t *testing.T) *authStack {
	t.Helper()
	t.Setenv("AGENTTRACE_INGEST_KEYS", "a:"+e2eKeyA+",b:"+e2eKeyB)
	t.Setenv("E2E_KEY_C", e2eKeyC)
	dir := t.TempDir()
	s := &authStack{stack: stack{
		db:   filepath.Join(dir, "agenttrace.db"),
		grpc: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		http: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		udp:  fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp")),
		otlp: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
	}, otlpGRPC: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))}
	cfg := fmt.Sprintf(`
extensions:
  agenttraceauth:
    keys:
      - {key: "${env:E2E_KEY_C}", project: c, rate_limit: 10, burst: 10}
receivers:
  agenttrace:
    grpc: {endpoint: %q, auth: {authenticator: agenttraceauth}}
    http: {endpoint: %q, auth: {authenticator: agenttraceauth}}
    udp: {endpoint: %q, auth: {authenticator: agenttraceauth}}
  otlp:
    protocols:
      grpc: {endpoint: %q, auth: {authenticator: agenttraceauth}}
      http: {endpoint: %q, auth: {authenticator: agenttraceauth}}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: 512, spike_limit_mib: 128}
  project:
  tokencost:
exporters:
  sqlite: {path: %q}
service:
  extensions: [agenttraceauth]
  telemetry:
    logs: {level: debug}
    metrics: {level: none}
  pipelines:
    traces:
      receivers: [agenttrace, otlp]
      processors: [memory_limiter, project, tokencost]
      exporters: [sqlite]
`, s.grpc, s.http, s.udp, s.otlpGRPC, s.otlp, s.db)
	core, logs := observer.New(zapcore.DebugLevel)
	s.logs = logs
	runConfig(t, &s.stack, cfg, func(set *otelcol.CollectorSettings) {
		set.LoggingOptions = append(set.LoggingOptions, zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewTee(c, core)
		}))
	})
	return s
}

// storedProject returns the agenttrace.project of a stored span's resource.
func storedProject(t *testing.T, store *sqlitestore.Store, traceID, spanID string) string {
	t.Helper()
	sp, err := store.GetSpan(context.Background(), storage.AllProjects(), traceID, spanID)
	require.NoError(t, err, "%s/%s", traceID, spanID)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(sp.Resource), &res), sp.Resource)
	p, _ := res[canonical.AttrProject].(string)
	// The storage project (what the API isolates by) follows the stamp.
	require.Equal(t, p, sp.Project, "stored project column vs resource attribute")
	return p
}

func claimB(id string, tid string) *atv1.Span {
	sp := nativeSpan(0, tid)
	sp.SpanId = id
	sp.Attributes = map[string]*structpb.Value{canonical.AttrProject: structpb.NewStringValue("b")}
	return sp
}

func otelStub(tid trace.TraceID, sid trace.SpanID) sdktrace.ReadOnlySpan {
	now := time.Now()
	return tracetest.SpanStub{
		Name:        "chat gpt-4o",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
		StartTime:   now.Add(-time.Millisecond), EndTime: now,
		Attributes: []attribute.KeyValue{attribute.String("gen_ai.operation.name", "chat")},
		// The client claims project b.
		Resource: resource.NewSchemaless(attribute.String("service.name", "otel-agent"), attribute.String(canonical.AttrProject, "b")),
	}.Snapshot()
}

// TestIngestKeysEndToEnd: through the real collector, spans sent with key A
// are stored under project a whatever they claim; a missing or wrong key is
// 401 / Unauthenticated, an exhausted key 429 / ResourceExhausted, on the
// native HTTP, gRPC and UDP transports and on OTLP/HTTP and OTLP/gRPC; and
// no key ever appears in the collector's logs.
func TestIngestKeysEndToEnd(t *testing.T) {
	s := startAuthStack(t)
	ctx := context.Background()
	const tid = "a0e2e000000000000000000000000001"

	post := func(url, ct string, body []byte, hdr map[string]string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", ct)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	// Native HTTP.
	nativeBody := func(spans ...*atv1.Span) []byte {
		b, err := proto.Marshal(&atv1.SpanBatch{Spans: spans})
		require.NoError(t, err)
		return b
	}
	url := "http://" + s.http + "/v1/spans"
	resp, _ := post(url, "application/x-protobuf", nativeBody(claimB("00000000000000a0", tid)), nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "native HTTP without a key")
	resp, _ = post(url, "application/x-protobuf", nativeBody(claimB("00000000000000a0", tid)), map[string]string{"Authorization": "Bearer wrong-key-0000000000000000"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "native HTTP with a wrong key")
	resp, msg := post(url, "application/x-protobuf", nativeBody(claimB("00000000000000a1", tid)), map[string]string{"Authorization": "Bearer " + e2eKeyA})
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	var many []*atv1.Span
	for i := range 11 {
		many = append(many, claimB(fmt.Sprintf("%016x", 0xc00+i), tid))
	}
	resp, _ = post(url, "application/x-protobuf", nativeBody(many...), map[string]string{"X-API-Key": e2eKeyC})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "native HTTP over the key's limit")
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))

	// Native gRPC.
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	c := atv1.NewAgentTraceCollectorClient(conn)
	_, err = c.SendSpans(ctx, &atv1.SpanBatch{Spans: []*atv1.Span{claimB("00000000000000b0", tid)}})
	assert.Equal(t, codes.Unauthenticated, status.Code(err), "native gRPC without a key")
	_, err = c.SendSpans(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer wrong-key-0000000000000000"),
		&atv1.SpanBatch{Spans: []*atv1.Span{claimB("00000000000000b0", tid)}})
	assert.Equal(t, codes.Unauthenticated, status.Code(err), "native gRPC with a wrong key")
	_, err = c.SendSpans(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e2eKeyA),
		&atv1.SpanBatch{Spans: []*atv1.Span{claimB("00000000000000b1", tid)}})
	require.NoError(t, err)
	_, err = c.SendSpans(metadata.AppendToOutgoingContext(ctx, "x-api-key", e2eKeyC), &atv1.SpanBatch{Spans: many})
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "native gRPC over the key's limit")

	// Native UDP: without a key dropped, with key A stored under a.
	udp, err := net.Dial("udp", s.udp)
	require.NoError(t, err)
	for _, b := range []*atv1.SpanBatch{
		{Spans: []*atv1.Span{claimB("00000000000000d0", tid)}},
		{ApiKey: "wrong-key-0000000000000000", Spans: []*atv1.Span{claimB("00000000000000d2", tid)}},
		{ApiKey: e2eKeyA, Spans: []*atv1.Span{claimB("00000000000000d1", tid)}},
	} {
		raw, err := proto.Marshal(b)
		require.NoError(t, err)
		_, err = udp.Write(raw)
		require.NoError(t, err)
	}
	udp.Close()

	// OTLP/HTTP and OTLP/gRPC through the OTel SDK's own exporters.
	otid := trace.TraceID{0xa0, 0xe2, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}
	sid := func(b byte) trace.SpanID { return trace.SpanID{0, 0, 0, 0, 0, 0, 0, b} }
	httpExp := func(hdr map[string]string) *otlptrace {
		e, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(s.otlp), otlptracehttp.WithInsecure(),
			otlptracehttp.WithHeaders(hdr), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		require.NoError(t, err)
		return &otlptrace{e}
	}
	grpcExp := func(hdr map[string]string) *otlptrace {
		e, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(s.otlpGRPC), otlptracegrpc.WithInsecure(),
			otlptracegrpc.WithHeaders(hdr), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		require.NoError(t, err)
		return &otlptrace{e}
	}
	manyOTel := func(base byte) []sdktrace.ReadOnlySpan {
		var out []sdktrace.ReadOnlySpan
		for i := range 11 {
			out = append(out, otelStub(otid, sid(base+byte(i))))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		exp   func(map[string]string) *otlptrace
		base  byte
		unath string
		limit string
	}{
		// The HTTP exporter's error shows the status body, not the code;
		// the code is checked with a plain request below.
		{"OTLP/HTTP", httpExp, 0x10, "401", "exceeds the key's burst of 10 spans"},
		{"OTLP/gRPC", grpcExp, 0x40, "Unauthenticated", "ResourceExhausted"},
	} {
		err := tc.exp(nil).export(t, otelStub(otid, sid(tc.base)))
		assert.ErrorContains(t, err, tc.unath, tc.name+" without a key")
		err = tc.exp(map[string]string{"Authorization": "Bearer wrong-key-0000000000000000"}).export(t, otelStub(otid, sid(tc.base)))
		assert.ErrorContains(t, err, tc.unath, tc.name+" with a wrong key")
		require.NoError(t, tc.exp(map[string]string{"Authorization": "Bearer " + e2eKeyA}).export(t, otelStub(otid, sid(tc.base+1))), tc.name)
		err = tc.exp(map[string]string{"X-API-Key": e2eKeyC}).export(t, manyOTel(tc.base+0x10)...)
		assert.ErrorContains(t, err, tc.limit, tc.name+" over the key's limit")
	}
	// OTLP/HTTP answers 429 with Retry-After.
	var spans []string
	for i := range 11 {
		spans = append(spans, fmt.Sprintf(`{"traceId":"a0e2e000000000000000000000000003","spanId":"%016x","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}`, i+1))
	}
	resp, msg = post("http://"+s.otlp+"/v1/traces", "application/json",
		[]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[`+strings.Join(spans, ",")+`]}]}]}`), map[string]string{"X-API-Key": e2eKeyC})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, msg)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"), "a full bucket of 10 at 10 spans/s refills in 1 s")
	assert.Contains(t, msg, "exceeds the key's burst of 10 spans")

	time.Sleep(300 * time.Millisecond) // the UDP datagrams
	s.stop(t)

	store, err := sqlitestore.Open(ctx, s.db)
	require.NoError(t, err)
	defer store.Close()
	for _, id := range []string{"00000000000000a1", "00000000000000b1", "00000000000000d1"} {
		assert.Equal(t, "a", storedProject(t, store, tid, id), "native span %s sent with key A claiming b", id)
	}
	for _, id := range []string{"00000000000000a0", "00000000000000b0", "00000000000000d0", "00000000000000d2", "0000000000000c00"} {
		_, err := store.GetSpan(ctx, storage.AllProjects(), tid, id)
		assert.Error(t, err, "span %s was refused and must not be stored", id)
	}
	for _, b := range []byte{0x11, 0x41} {
		assert.Equal(t, "a", storedProject(t, store, otid.String(), sid(b).String()), "OTLP span %x sent with key A claiming b", b)
	}
	for _, b := range []byte{0x10, 0x20, 0x40, 0x50} {
		_, err := store.GetSpan(ctx, storage.AllProjects(), otid.String(), sid(b).String())
		assert.Error(t, err, "OTLP span %x was refused and must not be stored", b)
	}

	require.NotZero(t, s.logs.Len())
	enc := zapcore.NewMapObjectEncoder()
	for _, e := range s.logs.All() {
		for _, f := range e.Context {
			f.AddTo(enc)
		}
		line := e.Message + fmt.Sprint(enc.Fields)
		for _, key := range []string{e2eKeyA, e2eKeyB, e2eKeyC} {
			assert.NotContains(t, line, key, "a key in the collector's logs")
		}
	}
}

// otlptrace wraps an OTel SDK span exporter for one export.
type otlptrace struct {
	e sdktrace.SpanExporter
}

func (o *otlptrace) export(t *testing.T, spans ...sdktrace.ReadOnlySpan) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := o.e.ExportSpans(ctx, spans)
	require.NoError(t, o.e.Shutdown(ctx))
	if err != nil && strings.TrimSpace(err.Error()) == "" {
		t.Fatal("empty export error")
	}
	return err
}
