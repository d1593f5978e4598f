package main

import (
	"testing"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// BenchmarkGenerate is the generator's cost per span (it runs on the
// sender's goroutines, so it bounds the offered rate).
func BenchmarkGenerate(b *testing.B) {
	g := newGenerator(defaultShape, 1, "bench", 0)
	buf := make([]*atv1.Span, 0, 200)
	b.ReportAllocs()
	for b.Loop() {
		buf = g.next(200, buf[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/span")
}

// BenchmarkToOTLP is the OTLP conversion's cost per 200-span request.
func BenchmarkToOTLP(b *testing.B) {
	g := newGenerator(defaultShape, 1, "bench", 0)
	spans := g.next(200, nil)
	b.ReportAllocs()
	for b.Loop() {
		_ = toOTLP(spans)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/span")
}
