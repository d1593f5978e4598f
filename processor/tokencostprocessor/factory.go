// Package tokencostprocessor normalizes token usage and prices every span.
//
// For each span it reads the canonical view (any supported convention:
// native, OpenTelemetry GenAI, OpenInference, OpenLLMetry), writes the
// exclusive token buckets (agenttrace.tokens.*: uncached input, cache read,
// cache write 5m/1h, text output, reasoning — nested counts subtracted once)
// and, when the span has tokens, its cost from the pricing catalog
// (agenttrace.cost.*: per bucket and total in USD, the catalog entry and the
// effective date of the price row). A model without a price is flagged
// unpriced and gets no cost, never $0; a span without tokens gets no cost; a
// provider-reported cost is kept as agenttrace.cost.reported_usd beside ours.
package tokencostprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

var componentType = component.MustNewType("tokencost")

const stability = component.StabilityLevelAlpha

// NewFactory returns the factory of the tokencost processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(componentType, createDefaultConfig,
		processor.WithTraces(createTraces, stability))
}

// createTraces does no I/O: the catalog (and any external file) is loaded
// in Start.
func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p := newProcessor(cfg.(*Config), set.Logger)
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithStart(p.start),
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
