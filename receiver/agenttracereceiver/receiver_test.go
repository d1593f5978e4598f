package agenttracereceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// gRPC's client transport and the OTel SDK keep background goroutines
		// that end shortly after the test process's last connection closes.
		goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
		goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
	)
}

const traceID = "0123456789abcdef0123456789abcdef"

type harness struct {
	r    *agentTraceReceiver
	sink *consumertest.TracesSink
	udp  string
	sock string
}

func startReceiver(t *testing.T) *harness {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.GRPC.Get().NetAddr.Endpoint = "127.0.0.1:0"
	cfg.HTTP.Get().NetAddr.Endpoint = "127.0.0.1:0"
	cfg.UDP.Get().Endpoint = "127.0.0.1:0"
	sock := filepath.Join(t.TempDir(), "at.sock")
	cfg.Unix = configoptional.Some(UnixConfig{Path: sock})
	cfg.MaxContentBytes = 1024
	require.NoError(t, cfg.Validate())
	sink := new(consumertest.TracesSink)
	r, err := newReceiver(cfg, receivertest.NewNopSettings(Type), sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return &harness{r: r, sink: sink, udp: r.udpConn.LocalAddr().String(), sock: sock}
}

func (h *harness) url(path string) string { return "http://" + h.r.httpAddr.String() + path }

func validSpan(id string) *atv1.Span {
	now := time.Now().UnixNano()
	return &atv1.Span{
		TraceId: traceID, SpanId: id, Name: "call " + id, Type: atv1.SpanType_SPAN_TYPE_LLM_CALL,
		Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: now - 1e6, EndTimeUnixNano: now,
		Model: "gpt-4o", Provider: "openai", SessionId: "sess-1",
		Usage: &atv1.TokenUsage{InputTokens: 100, CacheReadTokens: 50, OutputTokens: 20, ReasoningTokens: 5},
	}
}

func (h *harness) spans() []canonical.Span {
	var out []canonical.Span
	for _, td := range h.sink.AllTraces() {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				sp := sss.At(j).Spans()
				for k := 0; k < sp.Len(); k++ {
					var c canonical.Span
					canonical.Read(&c, sp.At(k), rss.At(i).Resource())
					out = append(out, c)
				}
			}
		}
	}
	return out
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return resp.StatusCode, out
}

// A mixed batch: the valid spans are stored, the invalid one is named.
func TestHTTPJSONMixedBatch(t *testing.T) {
	h := startReceiver(t)
	now := time.Now().UnixNano()
	body := fmt.Sprintf(`{"service_name":"my-agent","spans":[
		{"trace_id":%q,"span_id":"00000000000000a1","name":"think","type":"llm_call","status":"ok",
		 "start_time_unix_nano":%d,"end_time_unix_nano":%d,"model":"claude-sonnet-4-5","provider":"anthropic",
		 "usage":{"input_tokens":10,"cache_write_tokens":2000,"output_tokens":7},"attributes":{"k":1,"f":1.5,"s":"x"}},
		{"trace_id":"not-hex","span_id":"00000000000000a2","start_time_unix_nano":%d},
		{"traceId":%q,"spanId":"00000000000000a3","type":"SPAN_TYPE_TOOL_EXECUTION","status":"running",
		 "startTimeUnixNano":"%d","tool":{"name":"search","input":"{\"q\":1}"}}]}`,
		traceID, now-1e6, now, now, traceID, now)
	code, out := postJSON(t, h.url("/v1/spans"), body)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.EqualValues(t, "2", out["accepted"])
	assert.EqualValues(t, "1", out["rejected"])
	errs := out["errors"].([]any)
	require.Len(t, errs, 1)
	e := errs[0].(map[string]any)
	assert.EqualValues(t, 1, e["index"])
	assert.Equal(t, "trace_id", e["field"])
	assert.Contains(t, e["message"], "not-hex")

	got := h.spans()
	require.Len(t, got, 2)
	assert.Equal(t, canonical.TypeLLMCall, got[0].Type)
	assert.Equal(t, "claude-sonnet-4-5", got[0].Model)
	assert.Equal(t, "anthropic", got[0].Provider)
	assert.Equal(t, "my-agent", got[0].ServiceName)
	assert.Equal(t, canonical.Tokens{Input: 10, CacheWrite5m: 2000, Output: 7, Present: true}, got[0].Tokens)
	assert.Equal(t, canonical.TypeToolExecution, got[1].Type)
	assert.Equal(t, canonical.StatusRunning, got[1].Status)
	assert.Equal(t, "search", got[1].ToolName)
	assert.Equal(t, `{"q":1}`, got[1].ToolInput)
}

func TestHTTPRejections(t *testing.T) {
	h := startReceiver(t)
	now := time.Now().UnixNano()
	cases := []struct {
		name, span, field string
	}{
		{"bad span id", `{"trace_id":"` + traceID + `","span_id":"xyz","start_time_unix_nano":1}`, "span_id"},
		{"seconds not nanos", `{"trace_id":"` + traceID + `","span_id":"00000000000000a1","start_time_unix_nano":1700000000}`, "start_time_unix_nano"},
		{"end before start", fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000a1","start_time_unix_nano":%d,"end_time_unix_nano":%d}`, traceID, now, now-5), "end_time_unix_nano"},
		{"negative tokens", fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000a1","start_time_unix_nano":%d,"usage":{"output_tokens":-3}}`, traceID, now), "usage.output_tokens"},
		{"unknown type", fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000a1","start_time_unix_nano":%d,"type":"wizardry"}`, traceID, now), "span"},
		{"own parent", fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000a1","parent_span_id":"00000000000000a1","start_time_unix_nano":%d}`, traceID, now), "parent_span_id"},
		{"ok without end", fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000a1","status":"ok","start_time_unix_nano":%d}`, traceID, now), "end_time_unix_nano"},
		{"unknown field", fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000a1","start_time_unix_nano":%d,"bogus":1}`, traceID, now), "span"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := postJSON(t, h.url("/v1/spans"), `{"spans":[`+tc.span+`]}`)
			require.Equal(t, http.StatusBadRequest, code, out)
			e := out["errors"].([]any)[0].(map[string]any)
			assert.Equal(t, tc.field, e["field"], e["message"])
		})
	}
	// Not JSON at all, and random bytes as protobuf: 400, nothing stored.
	code, out := postJSON(t, h.url("/v1/spans"), `{"spans": [`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, out["error"].(map[string]any)["message"], "malformed JSON")
	junk := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(junk)
	resp, err := http.Post(h.url("/v1/spans"), "application/x-protobuf", bytes.NewReader(junk))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, h.spans())
	// Still serving.
	resp, err = http.Get(h.url("/health"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// Content longer than max_content_bytes is truncated on a rune boundary and flagged.
func TestContentTruncation(t *testing.T) {
	h := startReceiver(t)
	sp := validSpan("00000000000000b1")
	sp.Prompt = string(bytes.Repeat([]byte("é"), 1000)) // 2000 bytes
	body, err := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{sp}})
	require.NoError(t, err)
	resp, err := http.Post(h.url("/v1/spans"), "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := h.spans()
	require.Len(t, got, 1)
	assert.Len(t, got[0].Prompt, 1024)
	attrs := h.sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	v, ok := attrs.Get(canonical.AttrPrompt + ".truncated")
	require.True(t, ok)
	assert.True(t, v.Bool())
}

func grpcClient(t *testing.T, h *harness) atv1.AgentTraceCollectorClient {
	conn, err := grpc.NewClient(h.r.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return atv1.NewAgentTraceCollectorClient(conn)
}

func TestGRPC(t *testing.T) {
	h := startReceiver(t)
	c := grpcClient(t, h)
	ctx := context.Background()

	health, err := c.Health(ctx, &atv1.HealthRequest{})
	require.NoError(t, err)
	assert.True(t, health.GetHealthy())

	resp, err := c.SendSpans(ctx, &atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000c1")}})
	require.NoError(t, err)
	assert.EqualValues(t, 1, resp.GetAccepted())

	bad := validSpan("00000000000000c3")
	bad.TraceId = "zz"
	_, err = c.SendSpans(ctx, &atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000c2"), bad}})
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	assert.Contains(t, st.Message(), "spans[1].trace_id")
	require.Len(t, st.Details(), 1)
	detail := st.Details()[0].(*atv1.SendSpansResponse)
	assert.EqualValues(t, 1, detail.GetAccepted())

	stream, err := c.StreamSpans(ctx)
	require.NoError(t, err)
	for _, id := range []string{"00000000000000d1", "00000000000000d2"} {
		require.NoError(t, stream.Send(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan(id)}}))
	}
	total, err := stream.CloseAndRecv()
	require.NoError(t, err)
	assert.EqualValues(t, 2, total.GetAccepted())

	_, err = c.SendSpan(ctx, &atv1.SendSpanRequest{Span: validSpan("00000000000000e1")})
	require.NoError(t, err)
	assert.Len(t, h.spans(), 5)
}

// A span with invalid UTF-8 (which Go clients cannot even produce) fails
// alone; the valid span of the same gRPC call is accepted.
func TestGRPCInvalidUTF8SpanIsolated(t *testing.T) {
	h := startReceiver(t)
	good, err := proto.Marshal(validSpan("00000000000000f1"))
	require.NoError(t, err)
	var badSpan []byte
	badSpan = protowire.AppendTag(badSpan, 1, protowire.BytesType)
	badSpan = protowire.AppendString(badSpan, traceID)
	badSpan = protowire.AppendTag(badSpan, 5, protowire.BytesType)
	badSpan = protowire.AppendBytes(badSpan, []byte{0xff, 0xfe, 'x'})
	var batch []byte
	for _, s := range [][]byte{good, badSpan} {
		batch = protowire.AppendTag(batch, 1, protowire.BytesType)
		batch = protowire.AppendBytes(batch, s)
	}
	conn, err := grpc.NewClient(h.r.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	out := new(atv1.SendSpansResponse)
	err = conn.Invoke(context.Background(), atv1.AgentTraceCollector_SendSpans_FullMethodName, rawMessage(batch), out,
		grpc.ForceCodecV2(rawCodec{}))
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), st.Message())
	assert.Contains(t, st.Message(), "spans[1].span: undecodable")
	require.Len(t, h.spans(), 1)
}

func TestUDP(t *testing.T) {
	h := startReceiver(t)
	conn, err := net.Dial("udp", h.udp)
	require.NoError(t, err)
	defer conn.Close()
	// Random bytes first: counted and dropped, the receiver keeps going.
	junk := make([]byte, 1200)
	rand.New(rand.NewSource(2)).Read(junk)
	_, err = conn.Write(junk)
	require.NoError(t, err)
	b, err := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan("0000000000000101"), validSpan("0000000000000102")}})
	require.NoError(t, err)
	_, err = conn.Write(b)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.sink.SpanCount() == 2 }, 5*time.Second, 10*time.Millisecond)
}

func TestUnixSocketAndSessions(t *testing.T) {
	h := startReceiver(t)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", h.sock)
	}}}
	post := func(path, body string) map[string]any {
		resp, err := client.Post("http://unix"+path, "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	fi, err := os.Stat(h.sock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	out := post("/v1/sessions/start", `{"session_id":"sess-1","name":"research run","framework":"langgraph","tags":["a"]}`)
	assert.Equal(t, "sess-1", out["session_id"])
	sp, err := json.Marshal(map[string]any{"spans": []any{json.RawMessage(mustJSON(t, validSpan("0000000000000201")))}})
	require.NoError(t, err)
	post("/v1/spans", string(sp))
	out = post("/v1/sessions/end", `{"session_id":"sess-1"}`)
	sum := out["summary"].(map[string]any)
	assert.EqualValues(t, "1", sum["span_count"])
	assert.EqualValues(t, "1", sum["llm_calls"])
	assert.EqualValues(t, "175", sum["total_tokens"])
	assert.Equal(t, "research run", sum["name"])

	var markers []canonical.Span
	for _, s := range h.spans() {
		if s.SessionRecord {
			markers = append(markers, s)
		}
	}
	require.Len(t, markers, 2)
	assert.Equal(t, "start", markers[0].SessionEvent)
	assert.Equal(t, "langgraph", markers[0].Framework)
	assert.Equal(t, "end", markers[1].SessionEvent)
}

func mustJSON(t *testing.T, m proto.Message) []byte {
	b, err := jsonOut.Marshal(m)
	require.NoError(t, err)
	return b
}

// Shutdown waits for in-flight requests: what was acknowledged reached the
// next consumer.
func TestShutdownIsIdempotent(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	r, err := newReceiver(cfg, receivertest.NewNopSettings(Type), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Shutdown(context.Background())) // before Start
	require.NoError(t, r.Shutdown(context.Background()))
}

type rawMessage []byte

// rawCodec sends hand-made bytes, as a non-Go client could.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(rawMessage))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}
