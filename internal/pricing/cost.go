package pricing

import (
	"math"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// picoPerUSD converts pico-dollars (token count x micro-USD per million
// tokens) to dollars.
const picoPerUSD = 1e12

// maxExactTokens bounds a bucket for the integer path: six buckets of
// maxExactTokens at the largest allowed rate (maxRate USD/MTok = 1e11
// micro-USD/MTok) stay below 2^63 pico-dollars. Larger counts (beyond any
// context window) are priced in floating point.
const maxExactTokens = 10_000_000

// Cost prices exclusive token buckets with this row: per bucket and in
// total, in USD, with the row's id and effective date. The long-context tier
// (if any) is chosen by the request's total input tokens, cache included.
// Each amount is computed exactly in integer pico-dollars and converted to
// float64 once, so (below $9,000) it is the float nearest the exact decimal
// amount and golden values can be written as decimal literals.
// Estimated token counts give an estimated (not priced) status.
func (e *Entry) Cost(t canonical.Tokens) canonical.Cost {
	r := &e.base
	in := t.InputTotal()
	for i := len(e.tiers) - 1; i >= 0; i-- {
		if in > e.tiers[i].above {
			r = &e.tiers[i].r
			break
		}
	}
	c := canonical.Cost{
		Status:       canonical.CostStatusPriced,
		PricingEntry: e.ID,
		PricingDate:  e.EffectiveDate,
	}
	if t.Estimated {
		c.Status = canonical.CostStatusEstimated
	}
	if !exact(t) {
		c.Input = float(t.Input, r.input)
		c.CacheRead = float(t.CacheRead, r.cacheRead)
		c.CacheWrite = float(t.CacheWrite5m, r.cacheWrite5m) + float(t.CacheWrite1h, r.cacheWrite1h)
		c.Output = float(t.Output, r.output)
		c.Reasoning = float(t.Reasoning, r.reasoning)
		c.Total = c.Input + c.CacheRead + c.CacheWrite + c.Output + c.Reasoning
		return c
	}
	input := t.Input * r.input
	cacheRead := t.CacheRead * r.cacheRead
	cacheWrite := t.CacheWrite5m*r.cacheWrite5m + t.CacheWrite1h*r.cacheWrite1h
	output := t.Output * r.output
	reasoning := t.Reasoning * r.reasoning
	c.Input = usd(input)
	c.CacheRead = usd(cacheRead)
	c.CacheWrite = usd(cacheWrite)
	c.Output = usd(output)
	c.Reasoning = usd(reasoning)
	c.Total = usd(input + cacheRead + cacheWrite + output + reasoning)
	return c
}

func exact(t canonical.Tokens) bool {
	for _, n := range [...]int64{t.Input, t.CacheRead, t.CacheWrite5m, t.CacheWrite1h, t.Output, t.Reasoning} {
		if n < 0 || n > maxExactTokens {
			return false
		}
	}
	return true
}

func usd(pico int64) float64 { return float64(pico) / picoPerUSD }

func float(tokens, rate int64) float64 {
	return math.Max(0, float64(tokens)) * float64(rate) / picoPerUSD
}

// Rates reports the row's base rates in USD per million tokens (after the
// defaults: cache read/write at the input rate, reasoning at the output
// rate), for display and tests.
func (e *Entry) Rates() (input, output, cacheRead, cacheWrite5m, cacheWrite1h, reasoning float64) {
	r := e.base
	f := func(v int64) float64 { return float64(v) / 1e6 }
	return f(r.input), f(r.output), f(r.cacheRead), f(r.cacheWrite5m), f(r.cacheWrite1h), f(r.reasoning)
}
