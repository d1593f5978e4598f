package agenttrace

import (
	"context"
	"io"
	"log"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// discardExporter accepts everything at no cost, so the benchmarks measure
// the caller's thread (the export goroutine runs on the other core).
type discardExporter struct{}

func (discardExporter) Export(context.Context, *atv1.SpanBatch) error { return nil }
func (discardExporter) StartSession(context.Context, *atv1.StartSessionRequest) error {
	return nil
}
func (discardExporter) EndSession(context.Context, *atv1.EndSessionRequest) (*atv1.SessionSummary, error) {
	return &atv1.SessionSummary{}, nil
}
func (discardExporter) Shutdown(context.Context) error { return nil }

// processCPU is the process's user+system CPU time. On a shared machine
// wall-clock ns/op counts the time other processes held the cores; the CPU
// time per op (reported as cpu-ns/op) does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per op since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

func benchClient(b *testing.B, opts ...Option) *Client {
	c, err := New(append([]Option{WithExporter(discardExporter{}), WithQueueSize(1 << 16),
		WithLogger(log.New(io.Discard, "", 0))}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

// BenchmarkSpan is the caller's cost of one span: StartSpan (with its
// running copy queued) and End, in a session, under a parent.
func BenchmarkSpan(b *testing.B) {
	c := benchClient(b)
	ctx, _ := c.StartSession(context.Background(), "bench")
	ctx, root := c.StartSpan(ctx, "root")
	defer root.End()
	b.ReportAllocs()
	cpu := processCPU()
	defer reportCPU(b, cpu)
	for b.Loop() {
		_, s := c.StartSpan(ctx, "step")
		s.End()
	}
	b.ReportMetric(float64(c.Stats().Dropped), "dropped")
}

// BenchmarkLLMSpan is a realistic LLM call: model, usage, prompt and
// response, one attribute.
func BenchmarkLLMSpan(b *testing.B) {
	c := benchClient(b)
	ctx, _ := c.StartSession(context.Background(), "bench")
	ctx, root := c.StartSpan(ctx, "root")
	defer root.End()
	prompt := string(make([]byte, 2048))
	b.ReportAllocs()
	cpu := processCPU()
	defer reportCPU(b, cpu)
	for b.Loop() {
		_, s := c.StartSpan(ctx, "chat", WithType(TypeLLMCall), WithModel("gpt-4o-mini", "openai"))
		s.SetTokenUsage(OpenAIUsage(1200, 300, 800, 0))
		s.SetPrompt(prompt)
		s.SetResponse("done")
		s.SetAttributes(Int("retries", 0))
		s.End()
	}
	b.ReportMetric(float64(c.Stats().Dropped), "dropped")
}

// BenchmarkSpanParallel measures contention on the queue with every core
// recording spans.
func BenchmarkSpanParallel(b *testing.B) {
	c := benchClient(b)
	ctx, root := c.StartSpan(context.Background(), "root")
	defer root.End()
	b.ReportAllocs()
	cpu := processCPU()
	defer reportCPU(b, cpu)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, s := c.StartSpan(ctx, "step")
			s.End()
		}
	})
}

// BenchmarkEncode is the export goroutine's cost per span: the wire span
// and its protobuf encoding (not on the caller's thread).
func BenchmarkEncode(b *testing.B) {
	c := benchClient(b)
	ctx, s := c.StartSpan(context.Background(), "chat", WithType(TypeLLMCall), WithModel("gpt-4o-mini", "openai"))
	s.SetTokenUsage(OpenAIUsage(1200, 300, 800, 0))
	s.SetPrompt(string(make([]byte, 2048)))
	s.SetAttributes(Int("retries", 0))
	s.End()
	_ = ctx
	b.ReportAllocs()
	cpu := processCPU()
	defer reportCPU(b, cpu)
	for b.Loop() {
		p := c.toProto(record{span: s})
		if _, err := proto.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
