// Package agenttraceauthextension authenticates ingest requests with
// AgentTrace ingest keys. It is an extensionauth.Server, so any receiver
// whose gRPC or HTTP server config says `auth: {authenticator: agenttraceauth}`
// (the native agenttrace receiver, the stock OTLP receiver) uses it, and it
// also authenticates a raw secret for transports without headers (UDP).
//
// A request carries its key as `Authorization: Bearer <key>` or
// `X-API-Key: <key>`. On success the request's client.Info carries the
// key's project and ID (never the secret) for the receivers and the
// project processor to stamp and rate-limit spans.
package agenttraceauthextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's component type.
var Type = component.MustNewType("agenttraceauth")

// NewFactory returns the factory of the agenttraceauth extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelBeta)
}

func createDefaultConfig() component.Config {
	return &Config{KeysEnv: DefaultKeysEnv}
}

// create does no I/O; the key set is built in Start.
func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newAuthenticator(cfg.(*Config), set.Logger), nil
}
