// Package privacyprocessor masks secrets and personal data in span content
// — prompts, responses, tool input and output, in every convention the
// canonical view reads — before anything is stored or forwarded, or drops
// content entirely while keeping tokens, cost, model, tool name and timings.
//
// Mask mode replaces emails, API keys and tokens (OpenAI, Anthropic, AWS,
// GitHub, Slack, Google, Stripe, JWTs, bearer tokens), Luhn-valid card
// numbers and configured regular expressions with [REDACTED:<detector>],
// inside plain text and JSON message arrays alike (JSON stays valid). Drop
// mode removes the content attributes and marks the span
// agenttrace.content.dropped. Redactions are counted per detector in the
// collector's own metrics; matched text is never logged.
//
// Place it after tokencost and reasoningchain (token estimation and loop
// detection read the original text) and before the exporters.
package privacyprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

var componentType = component.MustNewType("privacy")

const stability = component.StabilityLevelAlpha

// NewFactory returns the factory of the privacy processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(componentType, createDefaultConfig,
		processor.WithTraces(createTraces, stability))
}

// createTraces compiles the patterns once; it does no I/O.
func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithStart(p.start),
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
