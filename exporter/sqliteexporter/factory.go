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

// Queue and batch limits, in bytes of the spans' protobuf encoding: a span
// count cannot bound memory when prompts run from a few bytes to many KB.
const (
	// DefaultQueueBytes bounds what waits for the writer: the decoded spans
	// take about twice their encoded size.
	DefaultQueueBytes = 8 << 20
	// DefaultBatchMinBytes and DefaultBatchMaxBytes size each transaction
	// (~300-3,000 agent spans): large enough to amortize the commit and the
	// summary upserts, small enough that SQLite's page cache holds its pages.
	DefaultBatchMinBytes = 1 << 20
	DefaultBatchMaxBytes = 4 << 20

	// maxConsumers is the most useful number of queue consumers: writes
	// are serialized on the store's one connection.
	maxConsumers = 2
)

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	// Batches of thousands of spans amortize each transaction. SQLite has
	// one writer. A second consumer (num_consumers: 2) converts its batch to
	// rows while the first holds the writer connection: ~10 % more spans/s
	// for ~12 MB more peak RSS (docs/benchmarks.md); local mode keeps one.
	queue.NumConsumers = 1
	queue.Sizer = exporterhelper.RequestSizerTypeBytes
	queue.QueueSize = DefaultQueueBytes
	// A full queue holds the caller until the writer makes room (or the
	// caller's deadline passes): with reasoningchain in front, which has
	// acknowledged the spans it emits, waiting is what keeps them.
	queue.BlockOnOverflow = true
	batch := queue.Batch.GetOrInsertDefault()
	batch.Sizer = exporterhelper.RequestSizerTypeBytes
	batch.FlushTimeout = 100 * time.Millisecond
	batch.MinSize = DefaultBatchMinBytes
	batch.MaxSize = DefaultBatchMaxBytes
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
	exp, err := exporterhelper.NewTraces(ctx, set, cfg, e.push,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	)
	if err != nil || !c.QueueConfig.HasValue() {
		return exp, err
	}
	q := c.QueueConfig.Get()
	return newSplitter(exp, q.Sizer, q.QueueSize), nil
}
