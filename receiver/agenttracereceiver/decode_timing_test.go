package agenttracereceiver

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// BenchmarkDecodeConvert measures the native receiver's hot path for one
// 200-span protobuf body (LLM calls with 2 KB prompts), as the HTTP and gRPC
// transports run it: decode, then convert to pdata. ns/op is per batch.
func BenchmarkDecodeConvert(b *testing.B) {
	prompt := strings.Repeat("You are a helpful research agent. ", 60)
	batch := &atv1.SpanBatch{}
	for i := range 200 {
		sp := validSpan(fmt.Sprintf("%016x", i+1))
		sp.Prompt = prompt
		sp.Response = "The answer is 42."
		batch.Spans = append(batch.Spans, sp)
	}
	body, err := proto.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	conv := fuzzConverter()
	conv.limits.maxContentBytes = 64 << 10
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		dec, err := decodeBatchProto(body)
		if err != nil {
			b.Fatal(err)
		}
		td, errs := conv.convertBatch(dec, decodeErrors(dec))
		if len(errs) > 0 || td.SpanCount() != 200 {
			b.Fatalf("%d spans, errors %v", td.SpanCount(), errs)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/span")
}
