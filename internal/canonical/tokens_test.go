package canonical

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestReadTokens checks the exclusive buckets derived from each convention's
// counts, in particular that nested counts are subtracted exactly once and
// that a reported total decides between inclusive and raw provider counts.
func TestReadTokens(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  Tokens
	}{
		{
			name: "otel inclusive totals",
			attrs: map[string]any{
				GenAIInputTokens: 1000, GenAICacheReadTokens: 800,
				GenAIOutputTokens: 500, GenAIReasoningTokens: 200,
			},
			want: Tokens{Input: 200, CacheRead: 800, Output: 300, Reasoning: 200, Present: true},
		},
		{
			name: "otel cache write with 1h share",
			attrs: map[string]any{
				GenAIInputTokens: 3000, GenAICacheWriteTokens: 1500, AttrCacheWrite1h: 500,
				GenAIOutputTokens: 10,
			},
			want: Tokens{Input: 1500, CacheWrite5m: 1000, CacheWrite1h: 500, Output: 10, Present: true},
		},
		{
			name:  "only a 1h cache write count",
			attrs: map[string]any{AttrCacheWrite1h: 42},
			want:  Tokens{CacheWrite1h: 42, Present: true},
		},
		{
			name: "openinference inclusive with total",
			attrs: map[string]any{
				OIPromptTokens: 1000, OICacheReadTokens: 800, OICompletionTokens: 500, OITotalTokens: 1500,
			},
			want: Tokens{Input: 200, CacheRead: 800, Output: 500, Present: true},
		},
		{
			name: "raw anthropic input smaller than cache (Strands aliases)",
			attrs: map[string]any{
				GenAIInputTokens: 4299, GenAIOutputTokens: 631,
				TLCacheReadTokens: 35574, GenAICacheWriteTokensAlt: 17787, GenAITotalTokens: 58291,
			},
			want: Tokens{Input: 4299, CacheRead: 35574, CacheWrite5m: 17787, Output: 631, Present: true},
		},
		{
			name: "raw anthropic input larger than cache, total decides",
			attrs: map[string]any{
				GenAIInputTokens: 5000, TLCacheReadTokens: 1000, GenAIOutputTokens: 100, GenAITotalTokens: 6100,
			},
			want: Tokens{Input: 5000, CacheRead: 1000, Output: 100, Present: true},
		},
		{
			name: "inclusive input larger than cache, total agrees",
			attrs: map[string]any{
				GenAIInputTokens: 5000, TLCacheReadTokens: 1000, GenAIOutputTokens: 100, GenAITotalTokens: 5100,
			},
			want: Tokens{Input: 4000, CacheRead: 1000, Output: 100, Present: true},
		},
		{
			name: "no total: input at least the cache is read as inclusive",
			attrs: map[string]any{
				GenAIInputTokens: 5000, TLCacheReadTokens: 1000, GenAIOutputTokens: 100,
			},
			want: Tokens{Input: 4000, CacheRead: 1000, Output: 100, Present: true},
		},
		{
			name: "gemini candidates exclude thoughts, total decides",
			attrs: map[string]any{
				GenAIInputTokens: 1000, GenAIOutputTokens: 600, GenAIReasoningTokens: 500, GenAITotalTokens: 2100,
			},
			want: Tokens{Input: 1000, Output: 600, Reasoning: 500, Present: true},
		},
		{
			name: "output smaller than reasoning is text-only output",
			attrs: map[string]any{
				GenAIInputTokens: 10, GenAIOutputTokens: 30, GenAIReasoningTokens: 500,
			},
			want: Tokens{Input: 10, Output: 30, Reasoning: 500, Present: true},
		},
		{
			name: "openllmetry prompt/completion with reasoning and total",
			attrs: map[string]any{
				GenAIPromptTokens: 1200, GenAICompletionTokens: 900, TLReasoningTokens: 700,
				TLCacheReadTokens: 1024, TLTotalTokens: 2100,
			},
			want: Tokens{Input: 176, CacheRead: 1024, Output: 200, Reasoning: 700, Present: true},
		},
		{
			name: "a total that fits no reading leaves the heuristics",
			attrs: map[string]any{
				GenAIInputTokens: 1000, GenAICacheReadTokens: 400, GenAIOutputTokens: 50, GenAITotalTokens: 99999,
			},
			want: Tokens{Input: 600, CacheRead: 400, Output: 50, Present: true},
		},
		{
			name: "exclusive buckets win over convention totals",
			attrs: map[string]any{
				AttrTokensInput: 7, AttrTokensCacheRead: 3, AttrTokensOutput: 5, AttrTokensReasoning: 2,
				GenAIInputTokens: 1000, GenAIOutputTokens: 1000,
			},
			want: Tokens{Input: 7, CacheRead: 3, Output: 5, Reasoning: 2, Present: true},
		},
		{
			name:  "no counts",
			attrs: map[string]any{GenAIRequestModel: "gpt-4o"},
			want:  Tokens{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span := ptrace.NewSpan()
			if err := span.Attributes().FromRaw(tt.attrs); err != nil {
				t.Fatal(err)
			}
			var s Span
			Read(&s, span, pcommon.NewResource())
			if s.Tokens != tt.want {
				t.Fatalf("tokens = %+v, want %+v", s.Tokens, tt.want)
			}
		})
	}
}

// TestTokensRoundTrip checks that buckets written by PutTokens read back
// unchanged, and that PutGenAIUsage's inclusive totals derive the same
// buckets.
func TestTokensRoundTrip(t *testing.T) {
	want := Tokens{Input: 11, CacheRead: 22, CacheWrite5m: 33, CacheWrite1h: 44, Output: 55, Reasoning: 66, Present: true}
	for name, put := range map[string]func(pcommon.Map, Tokens){"PutTokens": PutTokens, "PutGenAIUsage": PutGenAIUsage} {
		span := ptrace.NewSpan()
		put(span.Attributes(), want)
		var s Span
		Read(&s, span, pcommon.NewResource())
		if s.Tokens != want {
			t.Errorf("%s: read back %+v, want %+v", name, s.Tokens, want)
		}
	}
}
