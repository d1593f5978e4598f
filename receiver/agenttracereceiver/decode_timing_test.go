package agenttracereceiver

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// BenchmarkDecodeConvert measures the native receiver's hot path for one
// 200-span protobuf body (LLM calls with 2 KB prompts), as the HTTP, gRPC and
// UDP transports run it: split the batch, then decode each span straight
// into pdata. ns/op is per batch.
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
		wb, err := splitBatchProto(body)
		if err != nil {
			b.Fatal(err)
		}
		out := conv.convertWire(wb)
		td, errs := out.td, out.errs
		if len(errs) > 0 || td.SpanCount() != 200 {
			b.Fatalf("%d spans, errors %v", td.SpanCount(), errs)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/span")
}

// BenchmarkDecodeConvertAttributes is BenchmarkDecodeConvert for spans that
// also carry free attributes (strings, numbers, a nested struct), tags and
// an event, on the production path (wire) and, for comparison, protobuf-go
// followed by convertProto (the path before wire, kept as the tests' oracle).
func BenchmarkDecodeConvertAttributes(b *testing.B) {
	prompt := strings.Repeat("You are a helpful research agent. ", 60)
	batch := &atv1.SpanBatch{}
	for i := range 200 {
		sp := validSpan(fmt.Sprintf("%016x", i+1))
		sp.Prompt = prompt
		sp.Response = "The answer is 42."
		sp.Tags = []string{"research", "eval"}
		sp.Events = []*atv1.Event{{Name: "retry", TimeUnixNano: sp.StartTimeUnixNano, Attributes: map[string]string{"attempt": "2"}}}
		sp.Attributes = map[string]*structpb.Value{
			"user.tier": structpb.NewStringValue("pro"), "app.version": structpb.NewStringValue("1.4.2"),
			"request.n": structpb.NewNumberValue(3), "cache.hit": structpb.NewBoolValue(true),
			"latency.ms": structpb.NewNumberValue(12.5), "region": structpb.NewStringValue("eu-west-1"),
			"doc": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
				"id": structpb.NewStringValue("d-1"), "score": structpb.NewNumberValue(0.87)}}),
			"ids": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{
				structpb.NewStringValue("a"), structpb.NewStringValue("b")}}),
		}
		batch.Spans = append(batch.Spans, sp)
	}
	body, err := proto.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	conv := fuzzConverter()
	conv.limits.maxContentBytes = 64 << 10
	for _, path := range []struct {
		name string
		run  func() converted
	}{
		{"wire", func() converted {
			wb, _ := splitBatchProto(body)
			return conv.convertWire(wb)
		}},
		{"protobuf-go", func() converted {
			dec, _ := decodeBatchProto(body)
			return conv.convertProto(dec, decodeErrors(dec))
		}},
	} {
		b.Run(path.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if out := path.run(); len(out.errs) > 0 || out.td.SpanCount() != 200 {
					b.Fatalf("%d spans, errors %v", out.td.SpanCount(), out.errs)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/span")
		})
	}
}
