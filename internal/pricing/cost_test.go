package pricing

import (
	"testing"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// TestEntryCost checks exact amounts: costs are integer pico-dollars
// converted once, so they equal the decimal literal (the nearest float).
func TestEntryCost(t *testing.T) {
	c := testCatalog(t)
	tests := []struct {
		name, model string
		at          string
		tok         canonical.Tokens
		want        canonical.Cost
	}{
		{
			name: "cache read at the cached rate", model: "gpt-4o-2024-08-06", at: "2025-01-10",
			tok:  canonical.Tokens{Input: 200, CacheRead: 800, Output: 300, Present: true},
			want: canonical.Cost{Input: 0.0005, CacheRead: 0.001, Output: 0.003, Total: 0.0045},
		},
		{
			name: "reasoning falls back to the output rate", model: "o4-mini", at: "2025-06-01",
			tok:  canonical.Tokens{Input: 1000, Output: 100, Reasoning: 900, Present: true},
			want: canonical.Cost{Input: 0.0011, Output: 0.00044, Reasoning: 0.00396, Total: 0.00550},
		},
		{
			name: "anthropic 5m and 1h writes", model: "claude-3-5-haiku-20241022", at: "2025-03-01",
			tok: canonical.Tokens{Input: 1000, CacheRead: 10000, CacheWrite5m: 2000, CacheWrite1h: 3000,
				Output: 500, Present: true},
			// 1000*0.8 + 10000*0.08 + 2000*1 + 3000*1.6 + 500*4 (micro-USD)
			want: canonical.Cost{Input: 0.0008, CacheRead: 0.0008, CacheWrite: 0.0068, Output: 0.002, Total: 0.0104},
		},
		{
			name: "sonnet 4.5 above 200k input uses the long-context tier for every bucket", model: "claude-sonnet-4-5", at: "2025-10-01",
			tok: canonical.Tokens{Input: 50000, CacheRead: 150000, CacheWrite5m: 40000, CacheWrite1h: 10000,
				Output: 2000, Present: true},
			want: canonical.Cost{Input: 0.3, CacheRead: 0.09, CacheWrite: 0.42, Output: 0.045, Total: 0.855},
		},
		{
			name: "exactly 200k input stays in the base tier", model: "claude-sonnet-4-5", at: "2025-10-01",
			tok:  canonical.Tokens{Input: 200000, Output: 1000, Present: true},
			want: canonical.Cost{Input: 0.6, Output: 0.015, Total: 0.615},
		},
		{
			name: "gemini 1.5 flash tier keeps reasoning at the tier output", model: "gemini-1.5-flash-002", at: "2025-01-01",
			tok:  canonical.Tokens{Input: 130000, Output: 1000, Reasoning: 1000, Present: true},
			want: canonical.Cost{Input: 0.0195, Output: 0.0006, Reasoning: 0.0006, Total: 0.0207},
		},
		{
			name: "deepseek cache hit", model: "deepseek-chat", at: "2025-10-01",
			tok:  canonical.Tokens{Input: 1000, CacheRead: 9000, Output: 1000, Present: true},
			want: canonical.Cost{Input: 0.00028, CacheRead: 0.000252, Output: 0.00042, Total: 0.000952},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := c.Lookup(tt.model, "", day(tt.at))
			if !ok {
				t.Fatalf("%s not found", tt.model)
			}
			got := e.Cost(tt.tok)
			tt.want.Status = canonical.CostStatusPriced
			tt.want.PricingEntry = e.ID
			tt.want.PricingDate = e.EffectiveDate
			if got != tt.want {
				t.Fatalf("cost = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}

func TestEntryCostEstimatedAndHuge(t *testing.T) {
	e, _ := testCatalog(t).Lookup("gpt-4.1", "", day("2025-06-01"))
	c := e.Cost(canonical.Tokens{Input: 1000, Present: true, Estimated: true})
	if c.Status != canonical.CostStatusEstimated || c.Total != 0.002 {
		t.Errorf("estimated: %+v", c)
	}
	// Beyond the integer path: floating point, same rates.
	c = e.Cost(canonical.Tokens{Input: 50_000_000, Output: 1, Present: true})
	if c.Input != 100 || c.Output != 0.000008 {
		t.Errorf("huge: %+v", c)
	}
}

func BenchmarkEntryCost(b *testing.B) {
	e, _ := testCatalog(b).Lookup("claude-sonnet-4-5", "", day("2025-10-01"))
	tok := canonical.Tokens{Input: 1200, CacheRead: 30000, CacheWrite5m: 2000, Output: 800, Reasoning: 300, Present: true}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Cost(tok)
	}
}
