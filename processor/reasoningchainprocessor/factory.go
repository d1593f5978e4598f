// Package reasoningchainprocessor rebuilds what an agent did, step by step:
// it groups spans by trace (bounded memory, a completion window after the
// root span ends, late spans annotated relative to what was emitted), orders
// the steps, links each tool call to the LLM output that requested it and to
// the LLM call that consumed its result, flags loops, budget overruns, error
// cascades and context growth, and writes a trace summary on the root span.
// Every span is classified through the canonical span view, so all supported
// conventions (native, OTel GenAI, OpenInference, OpenLLMetry) are read.
package reasoningchainprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
)

var componentType = component.MustNewType("reasoningchain")

const stability = component.StabilityLevelAlpha

// NewFactory returns the factory of the reasoningchain processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(componentType, createDefaultConfig,
		processor.WithTraces(createTraces, stability))
}

func createTraces(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	return newProcessor(set, cfg.(*Config), next)
}
