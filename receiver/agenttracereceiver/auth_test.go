package agenttracereceiver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/agenttrace/agenttrace/extension/agenttraceauthextension"
	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

const (
	keyA = "ingest-key-project-a-0001"
	keyB = "ingest-key-project-b-0002"
	// keyLimited allows 10 spans/s with a burst of 10.
	keyLimited = "ingest-key-limited-c-0003"
)

// extHost is a component.Host with extensions.
type extHost struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h extHost) GetExtensions() map[component.ID]component.Component { return h.ext }

type authHarness struct {
	*harness
	tel *componenttest.Telemetry
}

// startAuthReceiver runs the receiver with gRPC, HTTP and UDP behind the
// agenttraceauth extension.
func startAuthReceiver(t *testing.T) *authHarness {
	t.Helper()
	t.Setenv(agenttraceauthextension.DefaultKeysEnv, "")
	authID := component.NewID(agenttraceauthextension.Type)
	extCfg := agenttraceauthextension.NewFactory().CreateDefaultConfig().(*agenttraceauthextension.Config)
	extCfg.Keys = []agenttraceauthextension.KeyConfig{
		{Key: keyA, Project: "a"}, {Key: keyB, Project: "b"},
		{Key: keyLimited, Project: "c", RateLimit: 10, Burst: 10},
	}
	ext, err := agenttraceauthextension.NewFactory().Create(context.Background(), extensiontest.NewNopSettings(agenttraceauthextension.Type), extCfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	host := extHost{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{authID: ext}}

	auth := configoptional.Some(configauth.Config{AuthenticatorID: authID})
	cfg := createDefaultConfig().(*Config)
	cfg.GRPC.Get().NetAddr.Endpoint = "127.0.0.1:0"
	cfg.GRPC.Get().Auth = auth
	cfg.HTTP.Get().NetAddr.Endpoint = "127.0.0.1:0"
	cfg.HTTP.Get().Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	cfg.UDP.Get().Endpoint = "127.0.0.1:0"
	cfg.UDP.Get().Auth = auth
	require.NoError(t, cfg.Validate())

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.TracesSink)
	r, err := newReceiver(cfg, set, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return &authHarness{harness: &harness{r: r, sink: sink, udp: r.udpConn.LocalAddr().String()}, tel: tel}
}

// rejected returns agenttrace_receiver_rejected_spans for transport/reason.
func (h *authHarness) rejected(t *testing.T, transport, reason string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric("agenttrace_receiver_rejected_spans")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		tr, _ := dp.Attributes.Value(attribute.Key("transport"))
		re, _ := dp.Attributes.Value(attribute.Key("reason"))
		if tr.AsString() == transport && re.AsString() == reason {
			n += dp.Value
		}
	}
	return n
}

// projects returns the stored agenttrace.project of every received span.
func (h *authHarness) projects() []string {
	var out []string
	for _, td := range h.sink.AllTraces() {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			v, _ := rss.At(i).Resource().Attributes().Get(canonical.AttrProject)
			for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
				for k := 0; k < rss.At(i).ScopeSpans().At(j).Spans().Len(); k++ {
					out = append(out, v.Str())
				}
			}
		}
	}
	return out
}

// spoofingSpan claims project b in its own attributes.
func spoofingSpan(id string) *atv1.Span {
	sp := validSpan(id)
	sp.Attributes = map[string]*structpb.Value{canonical.AttrProject: structpb.NewStringValue("b")}
	return sp
}

func doHTTP(t *testing.T, url string, body []byte, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHTTPIngestKeys(t *testing.T) {
	h := startAuthReceiver(t)
	body := mustJSON(t, &atv1.SpanBatch{Spans: []*atv1.Span{spoofingSpan("00000000000000a1")}})

	health, err := http.Get(h.url("/health"))
	require.NoError(t, err)
	health.Body.Close()
	assert.Equal(t, http.StatusOK, health.StatusCode, "health needs no key")
	resp, msg := doHTTP(t, h.url("/v1/sessions/start"), []byte(`{}`), http.Header{})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "sessions need a key")

	resp, msg = doHTTP(t, h.url("/v1/spans"), body, http.Header{})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, msg, `"code":"unauthenticated"`)
	assert.Contains(t, msg, "missing ingest key")

	resp, msg = doHTTP(t, h.url("/v1/spans"), body, http.Header{"Authorization": {"Bearer " + keyA + "-wrong"}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, msg, "invalid ingest key")
	assert.NotContains(t, msg, keyA)
	assert.Equal(t, 0, h.sink.SpanCount())

	// Key A, although the span claims project b: stored under a.
	resp, msg = doHTTP(t, h.url("/v1/spans"), body, http.Header{"Authorization": {"Bearer " + keyA}})
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	resp, msg = doHTTP(t, h.url("/v1/spans"), mustJSON(t, &atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000a2")}}),
		http.Header{"X-Api-Key": {keyB}})
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	assert.Equal(t, []string{"a", "b"}, h.projects())

	// Session markers are stamped too.
	resp, msg = doHTTP(t, h.url("/v1/sessions/start"), []byte(`{"session_id":"s-1","name":"run"}`), http.Header{"Authorization": {"Bearer " + keyA}})
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	resp, msg = doHTTP(t, h.url("/v1/sessions/end"), []byte(`{"session_id":"s-1"}`), http.Header{"Authorization": {"Bearer " + keyB}})
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	assert.Equal(t, []string{"a", "b", "a", "b"}, h.projects())
}

func TestHTTPRateLimit(t *testing.T) {
	h := startAuthReceiver(t)
	batch := func(n int) []byte {
		b := &atv1.SpanBatch{}
		for i := range n {
			b.Spans = append(b.Spans, validSpan(fmt.Sprintf("%016x", 0x100+i)))
		}
		return mustJSON(t, b)
	}
	hdr := http.Header{"Authorization": {"Bearer " + keyLimited}}
	resp, msg := doHTTP(t, h.url("/v1/spans"), batch(8), hdr)
	require.Equal(t, http.StatusOK, resp.StatusCode, msg)
	// 2 tokens left: a batch of 5 is refused whole, retryably.
	resp, msg = doHTTP(t, h.url("/v1/spans"), batch(5), hdr)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, msg)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Contains(t, msg, "over its rate limit of 10 spans/s (burst 10); 5 spans refused")
	assert.Contains(t, msg, `"rejected":"5"`)
	// Larger than the burst: told to split.
	resp, msg = doHTTP(t, h.url("/v1/spans"), batch(11), hdr)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, msg)
	assert.Contains(t, msg, "exceeds the key's burst of 10 spans; split it")
	assert.Equal(t, 8, h.sink.SpanCount(), "refused batches are not partly accepted")
	assert.Equal(t, int64(16), h.rejected(t, transportHTTP, reasonRateLimited))
	// Another key is not affected.
	resp, _ = doHTTP(t, h.url("/v1/spans"), batch(5), http.Header{"Authorization": {"Bearer " + keyA}})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestGRPCIngestKeys(t *testing.T) {
	h := startAuthReceiver(t)
	conn, err := grpc.NewClient(h.r.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := atv1.NewAgentTraceCollectorClient(conn)
	with := func(k, v string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), k, v)
	}
	b := &atv1.SpanBatch{Spans: []*atv1.Span{spoofingSpan("00000000000000b1")}}

	_, err = c.SendSpans(context.Background(), b)
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "missing ingest key")
	_, err = c.SendSpans(with("authorization", "Bearer not-a-configured-key-0000"), b)
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	assert.Equal(t, "invalid ingest key", status.Convert(err).Message())

	resp, err := c.SendSpans(with("authorization", "Bearer "+keyA), b)
	require.NoError(t, err)
	assert.Equal(t, int64(1), resp.GetAccepted())
	_, err = c.SendSpan(with("x-api-key", keyB), &atv1.SendSpanRequest{Span: validSpan("00000000000000b2")})
	require.NoError(t, err)

	stream, err := c.StreamSpans(with("authorization", "bearer "+keyA))
	require.NoError(t, err)
	require.NoError(t, stream.Send(&atv1.SpanBatch{Spans: []*atv1.Span{spoofingSpan("00000000000000b3")}}))
	_, err = stream.CloseAndRecv()
	require.NoError(t, err)
	_, err = c.StartSession(with("authorization", "Bearer "+keyB), &atv1.StartSessionRequest{SessionId: "s-2"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "a", "b"}, h.projects())

	// Rate limit: 10 spans of burst, then ResourceExhausted with RetryInfo.
	many := &atv1.SpanBatch{}
	for i := range 10 {
		many.Spans = append(many.Spans, validSpan(fmt.Sprintf("%016x", 0x200+i)))
	}
	_, err = c.SendSpans(with("authorization", "Bearer "+keyLimited), many)
	require.NoError(t, err)
	_, err = c.SendSpans(with("authorization", "Bearer "+keyLimited), many)
	st := status.Convert(err)
	assert.Equal(t, codes.ResourceExhausted, st.Code())
	assert.Contains(t, st.Message(), "over its rate limit of 10 spans/s")
	_, err = c.StartSession(with("authorization", "Bearer "+keyLimited), &atv1.StartSessionRequest{SessionId: "s-3"})
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	assert.Equal(t, int64(11), h.rejected(t, transportGRPC, reasonRateLimited))
}

func TestUDPIngestKeys(t *testing.T) {
	h := startAuthReceiver(t)
	conn, err := net.Dial("udp", h.udp)
	require.NoError(t, err)
	defer conn.Close()
	send := func(b *atv1.SpanBatch) {
		raw, err := proto.Marshal(b)
		require.NoError(t, err)
		_, err = conn.Write(raw)
		require.NoError(t, err)
	}
	send(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000c1"), validSpan("00000000000000c2")}})
	send(&atv1.SpanBatch{ApiKey: "not-a-configured-key-0000", Spans: []*atv1.Span{validSpan("00000000000000c3")}})
	require.Eventually(t, func() bool { return h.rejected(t, transportUDP, reasonUnauthenticated) == 3 }, 5*time.Second, 10*time.Millisecond)

	send(&atv1.SpanBatch{ApiKey: keyA, Spans: []*atv1.Span{spoofingSpan("00000000000000c4")}})
	require.Eventually(t, func() bool { return h.sink.SpanCount() == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"a"}, h.projects())

	many := &atv1.SpanBatch{ApiKey: keyLimited}
	for i := range 11 {
		many.Spans = append(many.Spans, validSpan(fmt.Sprintf("%016x", 0x300+i)))
	}
	send(many)
	require.Eventually(t, func() bool { return h.rejected(t, transportUDP, reasonRateLimited) == 11 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, h.sink.SpanCount())
}

// The UDP authenticator must be able to check raw secrets.
func TestUDPAuthenticatorMustCheckSecrets(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.GRPC = configoptional.None[configgrpc.ServerConfig]()
	cfg.HTTP = configoptional.None[confighttp.ServerConfig]()
	cfg.UDP.Get().Endpoint = "127.0.0.1:0"
	id := component.MustNewID("other")
	cfg.UDP.Get().Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	for name, host := range map[string]component.Host{
		"missing":  componenttest.NewNopHost(),
		"not ours": extHost{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{id: nopExtension{}}},
	} {
		r, err := newReceiver(cfg, receivertest.NewNopSettings(Type), new(consumertest.TracesSink))
		require.NoError(t, err)
		err = r.Start(context.Background(), host)
		require.Error(t, err, name)
		assert.True(t, strings.HasPrefix(err.Error(), "udp.auth.authenticator: extension \"other\""), err.Error())
	}
}

type nopExtension struct {
	component.StartFunc
	component.ShutdownFunc
}
