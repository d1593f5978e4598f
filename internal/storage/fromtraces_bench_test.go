package storage_test

import (
	"testing"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/storagetest"
)

// BenchmarkFromTraces converts batches of 2,000 realistic spans (7-span agent
// traces whose LLM calls carry a 2 KB prompt and a completion in
// gen_ai.prompt.0.content / gen_ai.completion.0.content), as the exporters
// receive them.
func BenchmarkFromTraces(b *testing.B) {
	td := storagetest.LLMTraces(0, 2000/7+1, 2048)
	spans := td.SpanCount()
	var attrBytes int
	b.ReportAllocs()
	for b.Loop() {
		batch := storage.FromTraces(td)
		attrBytes = 0
		for i := range batch.Spans {
			attrBytes += len(batch.Spans[i].Attributes)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(attrBytes)/float64(spans), "attrB/span")
}
