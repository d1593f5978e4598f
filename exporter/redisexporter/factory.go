package redisexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/agenttrace/agenttrace/internal/live"
)

// Type is the exporter's component type.
var Type = component.MustNewType("redis")

// NewFactory returns the factory of the Redis live exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithTraces(createTraces, component.StabilityLevelBeta))
}

func createDefaultConfig() component.Config {
	return &Config{
		Endpoint:      "localhost:6379",
		KeyPrefix:     live.DefaultPrefix,
		StreamMaxLen:  100_000,
		CounterTTL:    48 * time.Hour,
		SessionTTL:    time.Hour,
		BufferSpans:   100_000,
		MaxBatch:      2_000,
		FlushInterval: 100 * time.Millisecond,
		Timeout:       2 * time.Second,
	}
}

// createTraces does no I/O. There is deliberately no queue or retry: live
// data that cannot be published promptly is dropped (and counted), so Redis
// never slows the storage pipeline.
func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	e, err := newExporter(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.push,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	)
}
