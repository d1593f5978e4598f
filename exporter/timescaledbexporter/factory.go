package timescaledbexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/agenttrace/agenttrace/internal/storage/postgres"
)

// Type is the exporter's component type.
var Type = component.MustNewType("timescaledb")

// DefaultDSN is a local database named agenttrace.
const DefaultDSN = "postgres://postgres@localhost:5432/agenttrace?sslmode=disable"

// NewFactory returns the factory of the TimescaleDB exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithTraces(createTraces, component.StabilityLevelBeta))
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	// Several writers: PostgreSQL takes concurrent COPYs, and per-trace
	// locks keep summaries right. Large batches amortize each transaction.
	queue.NumConsumers = 4
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	queue.QueueSize = 200_000
	batch := queue.Batch.GetOrInsertDefault()
	batch.FlushTimeout = 200 * time.Millisecond
	batch.MinSize = 2_000
	batch.MaxSize = 10_000
	retry := configretry.NewDefaultBackOffConfig()
	// A database restart or failover can take minutes; keep retrying
	// rather than dropping acknowledged spans.
	retry.MaxElapsedTime = 30 * time.Minute
	retry.MaxInterval = 10 * time.Second
	return &Config{
		DSN:           DefaultDSN,
		MaxConns:      8,
		TimescaleDB:   string(postgres.TimescaleAuto),
		MaxClockSkew:  time.Hour,
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(queue),
		RetryConfig:   retry,
	}
}

// createTraces does no I/O: the exporter connects in Start.
func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.push,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	)
}
