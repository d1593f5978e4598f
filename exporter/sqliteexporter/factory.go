package sqliteexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Type is the exporter's component type.
var Type = component.MustNewType("sqlite")

// DefaultPath is where the embedded store lives unless configured.
const DefaultPath = "./data/agenttrace.db"

// NewFactory returns the factory of the SQLite exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithTraces(createTraces, component.StabilityLevelBeta))
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	// One writer; batches of thousands of spans amortize each transaction.
	queue.NumConsumers = 1
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	// Spans with their prompts take a few KB each: 20,000 keeps the queue
	// well under memory_limiter's 512 MiB; a full queue answers "retry later".
	queue.QueueSize = 20_000
	batch := queue.Batch.GetOrInsertDefault()
	batch.FlushTimeout = 100 * time.Millisecond
	batch.MinSize = 2_000
	batch.MaxSize = 10_000
	return &Config{
		Path:          DefaultPath,
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(queue),
		RetryConfig:   configretry.NewDefaultBackOffConfig(),
	}
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e := newExporter(c, set)
	return exporterhelper.NewTraces(ctx, set, cfg, e.push,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	)
}
