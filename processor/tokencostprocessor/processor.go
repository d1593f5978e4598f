package tokencostprocessor

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/pricing"
)

// bytesPerToken is the estimation rule of thumb (English text, BPE
// tokenizers). Estimates are flagged; they are never presented as counts.
const bytesPerToken = 4

// attrsAdded is the most attributes one span gains (7 token + 9 cost + 1
// reported), reserved up front so the attribute slice grows once.
const attrsAdded = 17

type tokenCostProcessor struct {
	cfg     *Config
	logger  *zap.Logger
	catalog *pricing.Catalog // built in start, read-only afterwards
}

func newProcessor(cfg *Config, logger *zap.Logger) *tokenCostProcessor {
	return &tokenCostProcessor{cfg: cfg, logger: logger}
}

// start builds the catalog: the embedded one (unless replaced), the
// external file, then the configured models.
func (p *tokenCostProcessor) start(context.Context, component.Host) error {
	var layers [][]pricing.ModelSpec
	source := "embedded"
	if p.cfg.Catalog.Mode != CatalogModeReplace {
		f, err := pricing.EmbeddedFile()
		if err != nil {
			return err
		}
		layers = append(layers, f.Models)
		source = "embedded (prices as of " + f.AsOf + ")"
	}
	if p.cfg.Catalog.File != "" {
		f, err := pricing.LoadFile(p.cfg.Catalog.File)
		if err != nil {
			return fmt.Errorf("tokencost catalog.file: %w", err)
		}
		layers = append(layers, f.Models)
		source += " + " + p.cfg.Catalog.File
	}
	layers = append(layers, p.cfg.Models)
	cat, err := pricing.Build(layers...)
	if err != nil {
		return fmt.Errorf("tokencost pricing catalog: %w", err)
	}
	p.catalog = cat
	p.logger.Info("pricing catalog loaded",
		zap.String("source", source), zap.Int("models", cat.Len()),
		zap.Int("configured_models", len(p.cfg.Models)), zap.Bool("estimate_tokens", p.cfg.EstimateTokens))
	return nil
}

func (p *tokenCostProcessor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var s canonical.Span // reused: Read resets it
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				p.processSpan(&s, spans.At(k), res)
			}
		}
	}
	return td, nil
}

// processSpan writes the span's exclusive token buckets and cost.
func (p *tokenCostProcessor) processSpan(s *canonical.Span, span ptrace.Span, res pcommon.Resource) {
	canonical.ReadAttributes(s, span, res) // the ids are not needed to price a span
	attrs := span.Attributes()
	tok := s.Tokens
	if !tok.Present && p.cfg.EstimateTokens && s.Type == canonical.TypeLLMCall {
		tok = estimate(s.Prompt, s.Response)
	}
	if !tok.Present {
		if s.ReportedCost != nil {
			attrs.PutDouble(canonical.AttrCostReported, *s.ReportedCost)
		}
		return
	}
	attrs.EnsureCapacity(attrs.Len() + attrsAdded)
	canonical.PutTokens(attrs, tok)

	var cost canonical.Cost
	if e, ok := p.catalog.Lookup(s.Model, s.Provider, startTime(s)); ok {
		cost = e.Cost(tok)
	} else {
		cost = canonical.Cost{Status: canonical.CostStatusUnpriced}
	}
	if !cost.HasCost() && hadCost(&s.Cost) {
		removeCost(attrs) // a re-processed span must not keep a stale amount
	}
	canonical.PutCost(attrs, cost)
	if s.ReportedCost != nil {
		attrs.PutDouble(canonical.AttrCostReported, *s.ReportedCost)
	}
}

// startTime picks the price row: the span's start, or now (the zero time)
// when the span has none.
func startTime(s *canonical.Span) time.Time {
	if s.StartUnixNano <= 0 {
		return time.Time{}
	}
	return time.Unix(0, s.StartUnixNano)
}

func hadCost(c *canonical.Cost) bool {
	return c.Status != "" || c.Total != 0 || c.PricingEntry != ""
}

func removeCost(attrs pcommon.Map) {
	for _, k := range [...]string{
		canonical.AttrCostTotal, canonical.AttrCostInput, canonical.AttrCostCacheRead,
		canonical.AttrCostCacheWrite, canonical.AttrCostOutput, canonical.AttrCostReasoning,
		canonical.AttrCostPricingEntry, canonical.AttrCostPricingDate,
	} {
		attrs.Remove(k)
	}
}

// estimate derives rough counts from text: prompt bytes as uncached input,
// response bytes as output.
func estimate(prompt, response string) canonical.Tokens {
	if prompt == "" && response == "" {
		return canonical.Tokens{}
	}
	return canonical.Tokens{
		Input:     int64((len(prompt) + bytesPerToken - 1) / bytesPerToken),
		Output:    int64((len(response) + bytesPerToken - 1) / bytesPerToken),
		Present:   true,
		Estimated: true,
	}
}
