package agenttracereceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// Type is the receiver's component type.
var Type = component.MustNewType("agenttrace")

// Default ports of the native protocol.
const (
	DefaultGRPCEndpoint = "localhost:4320"
	DefaultHTTPEndpoint = "localhost:4321"
	DefaultUDPEndpoint  = "localhost:4322"
)

// NewFactory returns the factory of the native AgentTrace receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(Type, createDefaultConfig,
		receiver.WithTraces(createTraces, component.StabilityLevelBeta))
}

func createDefaultConfig() component.Config {
	grpcCfg := configgrpc.NewDefaultServerConfig()
	grpcCfg.NetAddr.Endpoint = DefaultGRPCEndpoint
	grpcCfg.ReadBufferSize = 512 * 1024
	httpCfg := confighttp.NewDefaultServerConfig()
	httpCfg.NetAddr.Endpoint = DefaultHTTPEndpoint
	return &Config{
		GRPC: configoptional.Some(grpcCfg),
		HTTP: configoptional.Some(httpCfg),
		UDP: configoptional.Some(UDPConfig{
			Endpoint:        DefaultUDPEndpoint,
			ReadBufferBytes: 8 << 20,
			Workers:         2,
		}),
		Unix:               configoptional.Default(UnixConfig{Path: "/tmp/agenttrace.sock"}),
		MaxContentBytes:    64 << 10,
		MaxAttributes:      1024,
		MaxEvents:          1024,
		MaxSpansPerBatch:   100_000,
		MaxTrackedSessions: 10_000,
	}
}

func createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	return newReceiver(cfg.(*Config), set, next)
}
