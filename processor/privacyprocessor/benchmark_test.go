package privacyprocessor

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
)

// cleanPrompt is a 2 KB OpenAI-style messages array with numbers, dates,
// ids, versions and JSON punctuation but nothing to mask.
var cleanPrompt = func() string {
	msg := `{"role":"user","content":"Summarize the incident from 2026-11-25T14:23:47Z: build v2.14.3 of the checkout-service (pod checkout-7f9c6d-x2k4q) returned HTTP 503 for 4 minutes; order 1234567812345678 and 312 others retried. Trace 9b2f4c1e-8d3a-4f6b-a1c2-3e4d5f6a7b8c, p99 latency 1830 ms, error_rate 0.042. Suggest next steps for the on-call engineer."},`
	var b strings.Builder
	b.WriteString(`[{"role":"system","content":"You are a careful SRE assistant. Answer in short bullet points."},`)
	for b.Len() < 2048-len(msg) {
		b.WriteString(msg)
	}
	b.WriteString(`{"role":"assistant","content":"Checking the deploy history for checkout_service."}]`)
	return b.String()
}()

// secretPrompt is the same size with an email, an sk-proj- key, an AWS key
// id and a card number in it.
var secretPrompt = strings.Replace(cleanPrompt, "Suggest next steps for the on-call engineer.",
	"Page jane.doe@example.com; key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z leaked, AKIAIOSFODNN7EXAMPLE too, card 4111 1111 1111 1111.", 1)

const response = `[{"role":"assistant","parts":[{"type":"text","content":"1. Roll back checkout-service to v2.14.2. 2. Check the 503s at 14:23:47Z against the DB failover. 3. Re-drive the 313 retried orders."}]}]`

// benchTraces builds n realistic LLM spans: content plus the attributes the
// receiver, tokencost and reasoningchain write.
func benchTraces(n int, prompt string) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := 0; i < n; i++ {
		sp := spans.AppendEmpty()
		sp.SetName("chat gpt-4o-mini")
		a := sp.Attributes()
		a.PutStr("agenttrace.span.type", "llm_call")
		a.PutStr("agenttrace.span.status", "ok")
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o-mini")
		a.PutStr("agenttrace.session.id", "sess-42")
		a.PutStr("gen_ai.input.messages", prompt)
		a.PutStr("gen_ai.output.messages", response)
		a.PutInt("gen_ai.usage.input_tokens", 512)
		a.PutInt("gen_ai.usage.output_tokens", 48)
		a.PutInt("agenttrace.tokens.input", 512)
		a.PutInt("agenttrace.tokens.output", 48)
		a.PutInt("agenttrace.tokens.total", 560)
		a.PutDouble("agenttrace.cost.total_usd", 0.0001056)
		a.PutStr("agenttrace.cost.status", "priced")
		a.PutStr("agenttrace.cost.pricing_entry", "openai/gpt-4o-mini")
		a.PutInt("agenttrace.chain.step", int64(i))
	}
	return td
}

// BenchmarkProcessSpan runs the processor over batches of 100 spans with a
// 2 KB prompt; ns/span and allocs/op (per batch) are reported.
func BenchmarkProcessSpan(b *testing.B) {
	for _, bc := range []struct {
		name, prompt string
		mode         string
	}{
		{"mask/clean", cleanPrompt, ModeMask},
		{"mask/secrets", secretPrompt, ModeMask},
		{"drop", secretPrompt, ModeDrop},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Mode = bc.mode
			p, err := newProcessor(processortest.NewNopSettings(componentType), cfg)
			if err != nil {
				b.Fatal(err)
			}
			const n = 100
			td := benchTraces(n, bc.prompt)
			spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if bc.prompt != cleanPrompt {
					// Restore the content masking or dropping changed (no
					// allocation: the strings are shared).
					b.StopTimer()
					for k := 0; k < n; k++ {
						spans.At(k).Attributes().PutStr("gen_ai.input.messages", bc.prompt)
						spans.At(k).Attributes().PutStr("gen_ai.output.messages", response)
					}
					b.StartTimer()
				}
				if _, err := p.processTraces(ctx, td); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
		})
	}
}

// BenchmarkRedact is the detectors alone on one 2 KB value.
func BenchmarkRedact(b *testing.B) {
	r := allDetectors(b)
	for _, bc := range []struct{ name, in string }{{"clean", cleanPrompt}, {"secrets", secretPrompt}} {
		b.Run(bc.name, func(b *testing.B) {
			sc := newScratch(r)
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r.redact(bc.in, sc)
			}
		})
	}
}

// BenchmarkDetector is each built-in detector alone on the clean 2 KB value.
func BenchmarkDetector(b *testing.B) {
	for _, bc := range []struct {
		name string
		d    DetectorsConfig
	}{
		{DetectorEmail, DetectorsConfig{Email: true}},
		{DetectorAPIKey, DetectorsConfig{APIKey: true}},
		{DetectorCard, DetectorsConfig{Card: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := newRedactor(bc.d, nil)
			if err != nil {
				b.Fatal(err)
			}
			sc := newScratch(r)
			b.SetBytes(int64(len(cleanPrompt)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r.redact(cleanPrompt, sc)
			}
		})
	}
}
