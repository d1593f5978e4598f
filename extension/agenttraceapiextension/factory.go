// Package agenttraceapiextension hosts AgentTrace's API server (and the
// dashboard it serves) inside the collector, for single-process local mode:
// the collector writes the store and this extension serves it.
package agenttraceapiextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/storage/open"
)

// Type is the extension's component type.
var Type = component.MustNewType("agenttrace_api")

// NewFactory returns the factory of the agenttrace_api extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelBeta)
}

func createDefaultConfig() component.Config {
	return &Config{
		Endpoint:     apiserver.DefaultEndpoint,
		Storage:      open.DefaultDSN,
		QueryTimeout: apiserver.DefaultConfig().QueryTimeout,
	}
}

// create does no I/O: the store is opened and the port bound in Start.
func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newExtension(cfg.(*Config), set), nil
}
