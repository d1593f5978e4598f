package agenttrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/testenv"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// gRPC and the collector's telemetry keep goroutines that end shortly
		// after the last connection closes.
		goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
		goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		// the collector binary the integration tests built
		goleak.Cleanup(func(int) { testenv.Cleanup() }),
	)
}

// memExporter records what the client exports. It stands in for the network
// only where the test is about the client's own logic (ordering, batching,
// dropping); the exporters are tested against the real receiver.
type memExporter struct {
	mu       sync.Mutex
	batches  []*atv1.SpanBatch
	sessions []*atv1.StartSessionRequest
	ends     []*atv1.EndSessionRequest
	block    chan struct{} // when set, Export waits for it to close
	err      error
}

func (m *memExporter) Export(ctx context.Context, b *atv1.SpanBatch) error {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.batches = append(m.batches, proto.Clone(b).(*atv1.SpanBatch))
	return nil
}

func (m *memExporter) StartSession(_ context.Context, r *atv1.StartSessionRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions = append(m.sessions, r)
	return nil
}

func (m *memExporter) EndSession(_ context.Context, r *atv1.EndSessionRequest) (*atv1.SessionSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ends = append(m.ends, r)
	if m.err != nil {
		return nil, m.err
	}
	return &atv1.SessionSummary{SessionId: r.SessionId, SpanCount: 42}, nil
}

func (m *memExporter) Shutdown(context.Context) error { return nil }

func (m *memExporter) spans() []*atv1.Span {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*atv1.Span
	for _, b := range m.batches {
		out = append(out, b.Spans...)
	}
	return out
}

func newTestClient(t *testing.T, e Exporter, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithExporter(e), WithServiceName("test-agent"),
		WithLogger(log.New(io.Discard, "", 0))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

func TestSpanTreeSessionAndStartEvents(t *testing.T) {
	exp := &memExporter{}
	c := newTestClient(t, exp)
	ctx, sess := c.StartSession(context.Background(), "run", WithFramework("handmade"), WithTags("t1"))

	ctx1, task := c.StartSpan(ctx, "task", WithType(TypeTask))
	_, llm := c.StartSpan(ctx1, "chat", WithType(TypeLLMCall), WithModel("gpt-4o-mini", "openai"))
	llm.SetTokenUsage(OpenAIUsage(1000, 200, 400, 50))
	llm.SetPrompt("hello")
	llm.SetResponse("world")
	llm.SetRequest(LLMRequest{Temperature: ptr(0.2), MaxTokens: ptr(int64(512)), StopReason: "stop"})
	llm.SetAttribute("retries", 2)
	llm.SetAttributes(Float("score", 0.5), Bool("cached", true))
	llm.AddEvent("first_token", String("k", "v"))
	llm.End()
	llm.SetModel("changed-after-end", "x") // ignored
	task.End()
	require.NoError(t, c.Flush(context.Background()))

	spans := exp.spans()
	require.Len(t, spans, 4) // two running copies, two final spans
	byStatus := map[string][]*atv1.Span{}
	for _, s := range spans {
		byStatus[s.Status.String()] = append(byStatus[s.Status.String()], s)
	}
	require.Len(t, byStatus["SPAN_STATUS_RUNNING"], 2)
	require.Len(t, byStatus["SPAN_STATUS_OK"], 2)
	// Order: running task, running llm, final llm, final task.
	assert.Equal(t, StatusRunning, spans[0].Status)
	assert.Equal(t, "task", spans[0].Name)
	assert.Zero(t, spans[0].EndTimeUnixNano)
	assert.Equal(t, "gpt-4o-mini", spans[1].Model, "the start event carries the model given at start")
	final := spans[2]
	assert.Equal(t, spans[1].SpanId, final.SpanId, "start event and final span share ids")
	assert.Equal(t, spans[3].SpanId, final.ParentSpanId)
	assert.Equal(t, spans[3].TraceId, final.TraceId)
	assert.Empty(t, spans[3].ParentSpanId)
	assert.Equal(t, sess.ID, final.SessionId)
	assert.Equal(t, "handmade", final.Framework)
	assert.Equal(t, "gpt-4o-mini", final.Model)
	assert.Equal(t, &atv1.TokenUsage{InputTokens: 600, CacheReadTokens: 400, OutputTokens: 150, ReasoningTokens: 50}, final.Usage)
	assert.Equal(t, "hello", final.Prompt)
	assert.Equal(t, 0.2, final.Request.GetTemperature())
	assert.Equal(t, "stop", final.Request.GetStopReason())
	assert.Equal(t, float64(2), final.Attributes["retries"].GetNumberValue())
	assert.True(t, final.Attributes["cached"].GetBoolValue())
	require.Len(t, final.Events, 1)
	assert.Equal(t, "v", final.Events[0].Attributes["k"])
	assert.GreaterOrEqual(t, final.EndTimeUnixNano, final.StartTimeUnixNano)
	assert.Len(t, final.TraceId, 32)
	assert.Len(t, final.SpanId, 16)

	exp.mu.Lock()
	require.Len(t, exp.sessions, 1)
	assert.Equal(t, sess.ID, exp.sessions[0].SessionId)
	assert.Equal(t, []string{"t1"}, exp.sessions[0].Tags)
	exp.mu.Unlock()

	sum, err := c.EndSession(ctx, sess, StatusOK)
	require.NoError(t, err)
	assert.Equal(t, "collector", sum.Source)
	assert.EqualValues(t, 42, sum.SpanCount)
	again, err := c.EndSession(ctx, sess, StatusOK)
	require.NoError(t, err)
	assert.Equal(t, "sdk", again.Source)
	assert.EqualValues(t, 2, again.SpanCount)
	assert.EqualValues(t, 1, again.TraceCount)
	assert.EqualValues(t, 1, again.LLMCalls)
	assert.EqualValues(t, 1200, again.TotalTokens)
	assert.EqualValues(t, 4, c.Stats().Sent)
}

func ptr[T any](v T) *T { return &v }

func TestErrorsAndStatus(t *testing.T) {
	exp := &memExporter{}
	c := newTestClient(t, exp, WithSpanStartEvents(false))
	ctx := context.Background()
	_, s1 := c.StartSpan(ctx, "fails", WithType(TypeToolExecution))
	s1.RecordError(errors.New("boom"))
	s1.End()
	_, s2 := c.StartSpan(ctx, "slow")
	s2.RecordError(context.DeadlineExceeded)
	s2.End()
	_, s3 := c.StartSpan(ctx, "coded")
	s3.RecordError(codedErr{})
	s3.End()
	_, s4 := c.StartSpan(ctx, "cancelled")
	s4.SetStatus(StatusCancelled, "user stopped")
	s4.End()
	require.NoError(t, c.Flush(ctx))
	spans := exp.spans()
	require.Len(t, spans, 4)
	assert.Equal(t, StatusError, spans[0].Status)
	assert.Equal(t, "boom", spans[0].StatusMessage)
	assert.Equal(t, "*errors.errorString", spans[0].ErrorCode)
	assert.Equal(t, "exception", spans[0].Events[0].Name)
	assert.Equal(t, StatusTimeout, spans[1].Status)
	assert.Equal(t, "rate_limit_error", spans[2].ErrorCode)
	assert.Equal(t, StatusCancelled, spans[3].Status)
	assert.Equal(t, "user stopped", spans[3].StatusMessage)
	assert.NotEqual(t, spans[0].TraceId, spans[1].TraceId, "spans without a parent start new traces")
}

type codedErr struct{}

func (codedErr) Error() string     { return "slow down" }
func (codedErr) ErrorCode() string { return "rate_limit_error" }

func TestContextPropagationAcrossGoroutines(t *testing.T) {
	exp := &memExporter{}
	c := newTestClient(t, exp, WithSpanStartEvents(false))
	ctx, root := c.StartSpan(context.Background(), "root")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, child := StartSpan(ctx, "child") // the package-level call uses the parent's client
			child.End()
		}()
	}
	wg.Wait()
	_, other := c.StartSpan(ctx, "detached", WithNewTrace())
	other.End()
	_, remote := c.StartSpan(context.Background(), "remote", WithParent(root.SpanContext()))
	remote.End()
	root.End()
	require.NoError(t, c.Flush(ctx))
	for _, s := range exp.spans() {
		switch s.Name {
		case "child", "remote":
			assert.Equal(t, root.TraceID().String(), s.TraceId)
			assert.Equal(t, root.SpanID().String(), s.ParentSpanId)
		case "detached":
			assert.NotEqual(t, root.TraceID().String(), s.TraceId)
			assert.Empty(t, s.ParentSpanId)
		}
	}
	assert.Len(t, exp.spans(), 11)
}

func TestNilAndDisabledSpansAreSafe(t *testing.T) {
	ctx, s := StartSpan(context.Background(), "no client")
	require.Nil(t, s)
	s.SetModel("m", "p")
	s.SetTokenUsage(TokenUsage{Input: 1})
	s.RecordError(errors.New("x"))
	s.AddEvent("e")
	s.SetAttribute("k", 1)
	s.End()
	assert.Equal(t, TraceID{}, s.TraceID())

	c, err := New(WithDisabled(true))
	require.NoError(t, err)
	_, sess := c.StartSession(ctx, "off")
	_, s2 := c.StartSpan(ctx, "off")
	s2.End()
	sum, err := c.EndSession(ctx, sess, StatusOK)
	require.NoError(t, err)
	assert.Equal(t, "sdk", sum.Source)
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Shutdown(ctx))
	assert.Equal(t, Stats{}, c.Stats())
}

func TestFullQueueDropsWithoutBlockingAndWarnsOnce(t *testing.T) {
	exp := &memExporter{block: make(chan struct{})}
	var logs bytes.Buffer
	c, err := New(WithExporter(exp), WithQueueSize(16), WithBatchSize(4),
		WithLogger(log.New(&logs, "", 0)), WithTimeout(5*time.Second))
	require.NoError(t, err)
	ctx := context.Background()
	start := time.Now()
	const n = 10_000
	for i := 0; i < n; i++ {
		_, s := c.StartSpan(ctx, "s")
		s.End()
	}
	elapsed := time.Since(start)
	st := c.Stats()
	assert.Greater(t, st.Dropped, int64(n), "most of the 2n records are dropped while the exporter is stuck")
	// Never blocking: 20,000 records in far less than one export timeout.
	assert.Less(t, elapsed, time.Second, "the caller was blocked")
	close(exp.block)
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Shutdown(ctx))
	st = c.Stats()
	assert.EqualValues(t, 2*n, st.Sent+st.Dropped+st.Failed, "every record is accounted for: %+v", st)
	assert.Equal(t, 1, strings.Count(logs.String(), "queue full"), logs.String())
}

func TestCollectorAwayCountsFailures(t *testing.T) {
	// A port nobody listens on: take one and release it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name string
		exp  func() (Exporter, error)
	}{
		{"grpc", func() (Exporter, error) { return NewGRPCExporter(GRPCOptions{Addr: addr, Timeout: time.Second}) }},
		{"http", func() (Exporter, error) {
			return NewHTTPExporter(HTTPOptions{Endpoint: "http://" + addr, Timeout: time.Second})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tc.exp()
			require.NoError(t, err)
			var logs bytes.Buffer
			c, err := New(WithExporter(e), WithLogger(log.New(&logs, "", 0)), WithTimeout(time.Second))
			require.NoError(t, err)
			ctx, sess := c.StartSession(context.Background(), "offline")
			for i := 0; i < 100; i++ {
				_, s := c.StartSpan(ctx, "s", WithType(TypeLLMCall))
				s.SetTokenUsage(TokenUsage{Input: 10, Output: 1})
				s.End()
			}
			sum, err := c.EndSession(ctx, sess, StatusOK)
			require.Error(t, err)
			assert.Equal(t, "sdk", sum.Source)
			assert.EqualValues(t, 100, sum.SpanCount)
			assert.EqualValues(t, 1100, sum.TotalTokens)
			require.NoError(t, c.Shutdown(context.Background()))
			st := c.Stats()
			assert.EqualValues(t, 200, st.Failed+st.Dropped)
			assert.Zero(t, st.Sent)
			assert.Equal(t, 1, strings.Count(logs.String(), "cannot deliver spans"), logs.String())
		})
	}
}

func TestShutdownThenSpansAreDropped(t *testing.T) {
	exp := &memExporter{}
	c := newTestClient(t, exp, WithSpanStartEvents(false))
	ctx := context.Background()
	_, s := c.StartSpan(ctx, "before")
	s.End()
	require.NoError(t, c.Shutdown(ctx))
	require.NoError(t, c.Shutdown(ctx)) // twice is fine
	_, s2 := c.StartSpan(ctx, "after")
	s2.End()
	assert.EqualValues(t, 1, c.Stats().Sent)
	assert.EqualValues(t, 1, c.Stats().Dropped)
	assert.ErrorIs(t, c.Flush(ctx), ErrShutdown)
}

func TestContentBoundsAndCapture(t *testing.T) {
	exp := &memExporter{}
	c := newTestClient(t, exp, WithSpanStartEvents(false), WithMaxContentBytes(5))
	ctx := context.Background()
	_, s := c.StartSpan(ctx, "llm")
	s.SetPrompt("héllo world") // é is 2 bytes: the cut must not split it
	s.SetTool("search", "call_1", "0123456789")
	s.SetToolResult("ok", true)
	s.End()
	c2 := newTestClient(t, exp, WithSpanStartEvents(false), WithCaptureContent(false))
	_, s2 := c2.StartSpan(ctx, "private")
	s2.SetPrompt("secret")
	s2.End()
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c2.Flush(ctx))
	spans := exp.spans()
	require.Len(t, spans, 2)
	assert.Equal(t, "héll", spans[0].Prompt)
	assert.Equal(t, "01234", spans[0].Tool.Input)
	assert.Equal(t, "call_1", spans[0].Tool.CallId)
	assert.True(t, spans[0].Tool.GetSuccess())
	assert.Empty(t, spans[1].Prompt)
}

func TestUsageConversions(t *testing.T) {
	assert.Equal(t, TokenUsage{Input: 600, CacheRead: 400, Output: 150, Reasoning: 50}, OpenAIUsage(1000, 200, 400, 50))
	assert.Equal(t, TokenUsage{Input: 0, CacheRead: 10, Output: 0, Reasoning: 5}, OpenAIUsage(10, 5, 99, 99), "nested counts are clamped")
	u := AnthropicUsage(420, 38, 1800, 100, 50)
	assert.Equal(t, TokenUsage{Input: 420, Output: 38, CacheRead: 1800, CacheWrite: 100, CacheWrite1h: 50}, u)
	assert.EqualValues(t, 2408, u.Total())
}

func TestIDs(t *testing.T) {
	seen := map[SpanID]bool{}
	for i := 0; i < 10000; i++ {
		id := newSpanID()
		require.False(t, seen[id])
		seen[id] = true
	}
	tid := newTraceID()
	back, ok := ParseTraceID(tid.String())
	require.True(t, ok)
	assert.Equal(t, tid, back)
	_, ok = ParseSpanID("00000000000000000")
	assert.False(t, ok)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, newUUID())
}

func TestSplitBatch(t *testing.T) {
	big := strings.Repeat("x", 3000)
	// A long key: its bytes count against every datagram.
	key := strings.Repeat("k", 2000)
	b := &atv1.SpanBatch{ServiceName: "svc", SdkVersion: Version, ApiKey: key}
	for i := 0; i < 100; i++ {
		b.Spans = append(b.Spans, &atv1.Span{TraceId: strings.Repeat("a", 32), SpanId: strings.Repeat("b", 16), Name: "s", Prompt: big})
	}
	huge := &atv1.Span{TraceId: strings.Repeat("a", 32), SpanId: strings.Repeat("c", 16), Name: "huge",
		Prompt: strings.Repeat("p", 100_000), Response: strings.Repeat("r", 30_000)}
	b.Spans = append(b.Spans, huge)
	parts := SplitBatch(b, MaxDatagramBytes)
	total := 0
	for _, p := range parts {
		assert.LessOrEqual(t, proto.Size(p), MaxDatagramBytes)
		assert.Equal(t, "svc", p.ServiceName)
		assert.Equal(t, key, p.ApiKey, "every datagram carries the ingest key")
		total += len(p.Spans)
	}
	assert.Equal(t, 101, total)
	assert.GreaterOrEqual(t, len(parts), 6)
	assert.Len(t, huge.Prompt, 100_000, "the caller's span is not modified")
}

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("agenttrace: POST /v1/spans: %w", &httpStatusError{code: 503}), true},
		{&httpStatusError{code: 429}, true},
		{&httpStatusError{code: 400}, false},
		{&PartialError{Accepted: 1, Rejected: 1}, false},
		{fmt.Errorf("agenttrace: grpc SendSpans: %w", status.Error(codes.Unavailable, "sending queue is full")), true},
		{status.Error(codes.ResourceExhausted, "memory"), true},
		{status.Error(codes.InvalidArgument, "bad"), false},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{errors.New("something else"), false},
	} {
		assert.Equal(t, tc.want, IsRetryable(tc.err), "%v", tc.err)
	}
}
