package sqliteexporter

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

var _ component.Config = (*Config)(nil)

// Config configures the SQLite exporter.
type Config struct {
	// Path of the database file; created (with its directory) if missing.
	Path string `mapstructure:"path"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig   configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

// Validate reports every problem at once, each naming its field path.
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path: must not be empty"))
	}
	if q := c.QueueConfig.Get(); q != nil && q.NumConsumers > maxConsumers {
		// SQLite has one writer at a time: a second consumer converts its
		// batch while the first writes; more only hold batches in memory.
		errs = append(errs, fmt.Errorf("sending_queue.num_consumers: SQLite has a single writer, use 1 or 2 (got %d)", q.NumConsumers))
	}
	return errors.Join(errs...)
}
