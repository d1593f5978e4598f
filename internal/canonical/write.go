package canonical

import "go.opentelemetry.io/collector/pdata/pcommon"

// PutTokens writes exclusive token buckets as agenttrace.tokens.* attributes.
func PutTokens(attrs pcommon.Map, t Tokens) {
	attrs.PutInt(AttrTokensInput, t.Input)
	attrs.PutInt(AttrTokensCacheRead, t.CacheRead)
	attrs.PutInt(AttrTokensCacheWrite5m, t.CacheWrite5m)
	attrs.PutInt(AttrTokensCacheWrite1h, t.CacheWrite1h)
	attrs.PutInt(AttrTokensOutput, t.Output)
	attrs.PutInt(AttrTokensReasoning, t.Reasoning)
	attrs.PutInt(AttrTokensTotal, t.Total())
	if t.Estimated {
		attrs.PutBool(AttrTokensEstimated, true)
	}
}

// PutGenAIUsage writes the OpenTelemetry GenAI usage attributes (inclusive
// totals) for exclusive buckets, so stock consumers read standard names.
func PutGenAIUsage(attrs pcommon.Map, t Tokens) {
	attrs.PutInt(GenAIInputTokens, t.InputTotal())
	attrs.PutInt(GenAIOutputTokens, t.OutputTotal())
	if t.CacheRead > 0 {
		attrs.PutInt(GenAICacheReadTokens, t.CacheRead)
	}
	if cw := t.CacheWrite5m + t.CacheWrite1h; cw > 0 {
		attrs.PutInt(GenAICacheWriteTokens, cw)
	}
	if t.CacheWrite1h > 0 {
		attrs.PutInt(AttrCacheWrite1h, t.CacheWrite1h)
	}
	if t.Reasoning > 0 {
		attrs.PutInt(GenAIReasoningTokens, t.Reasoning)
	}
}

// PutCost writes a cost as agenttrace.cost.* attributes. A cost without a
// status writes nothing; an unpriced cost writes only its status, never $0.
func PutCost(attrs pcommon.Map, c Cost) {
	if c.Status == "" {
		return
	}
	attrs.PutStr(AttrCostStatus, c.Status)
	if !c.HasCost() {
		return
	}
	attrs.PutDouble(AttrCostTotal, c.Total)
	attrs.PutDouble(AttrCostInput, c.Input)
	attrs.PutDouble(AttrCostCacheRead, c.CacheRead)
	attrs.PutDouble(AttrCostCacheWrite, c.CacheWrite)
	attrs.PutDouble(AttrCostOutput, c.Output)
	attrs.PutDouble(AttrCostReasoning, c.Reasoning)
	if c.PricingEntry != "" {
		attrs.PutStr(AttrCostPricingEntry, c.PricingEntry)
	}
	if c.PricingDate != "" {
		attrs.PutStr(AttrCostPricingDate, c.PricingDate)
	}
}
