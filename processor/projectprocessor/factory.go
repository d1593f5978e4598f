// Package projectprocessor makes the project of every span trustworthy on
// the OTLP path. When the request was authenticated by the agenttraceauth
// extension (an ingest key), it overwrites the resource attribute
// agenttrace.project with the key's project — whatever the client sent —
// and spends the key's spans/s rate limit, refusing the whole request with
// gRPC ResourceExhausted (HTTP 429 + Retry-After from the OTLP receiver)
// when it is exhausted. Unauthenticated requests pass through untouched.
//
// Put it first after memory_limiter, so refused requests cost nothing more.
package projectprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
)

// Type is the processor's component type.
var Type = component.MustNewType("project")

// NewFactory returns the factory of the project processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(Type, createDefaultConfig,
		processor.WithTraces(createTraces, component.StabilityLevelBeta))
}

func createDefaultConfig() component.Config { return &Config{} }

// createTraces builds the processor without processorhelper: on the path
// of every request, its per-call bookkeeping would cost more than the one
// context lookup an unauthenticated request needs.
func createTraces(_ context.Context, set processor.Settings, _ component.Config, next consumer.Traces) (processor.Traces, error) {
	return &projectProcessor{logger: set.Logger, next: next}, nil
}
