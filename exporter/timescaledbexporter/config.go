package timescaledbexporter

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/agenttrace/agenttrace/internal/storage/postgres"
)

var _ component.Config = (*Config)(nil)

// Config configures the TimescaleDB/PostgreSQL exporter.
type Config struct {
	// DSN is the libpq connection string or postgres:// URL.
	DSN configopaque.String `mapstructure:"dsn"`
	// Schema, when set, holds AgentTrace's tables (created if missing).
	Schema string `mapstructure:"schema"`
	// MaxConns bounds the connection pool.
	MaxConns int32 `mapstructure:"max_conns"`
	// TimescaleDB is "auto" (use the extension when present), "on"
	// (require it) or "off".
	TimescaleDB string `mapstructure:"timescaledb"`
	// Retention drops raw spans older than this; 0 keeps them forever.
	// Trace and session summaries and the hourly rollups are kept.
	Retention time.Duration `mapstructure:"retention"`
	// CompressAfter compresses span chunks older than this (TimescaleDB
	// only); 0 disables compression.
	CompressAfter time.Duration `mapstructure:"compress_after"`
	// MaxClockSkew bounds how far in the future a span may start; later
	// (or pre-2000) timestamps are clamped and counted.
	MaxClockSkew time.Duration `mapstructure:"max_clock_skew"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig   configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

// Validate reports every problem at once, each naming its field path.
func (c *Config) Validate() error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("dsn: must not be empty"))
	}
	switch postgres.TimescaleMode(c.TimescaleDB) {
	case "", postgres.TimescaleAuto, postgres.TimescaleOn, postgres.TimescaleOff:
	default:
		errs = append(errs, fmt.Errorf(`timescaledb: must be "auto", "on" or "off", got %q`, c.TimescaleDB))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max_conns: must be >= 0, got %d", c.MaxConns))
	}
	if c.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention: must be >= 0, got %s", c.Retention))
	} else if c.Retention > 0 && c.Retention < time.Hour {
		errs = append(errs, fmt.Errorf("retention: must be at least 1h (or 0 to keep everything), got %s", c.Retention))
	}
	if c.CompressAfter < 0 {
		errs = append(errs, fmt.Errorf("compress_after: must be >= 0, got %s", c.CompressAfter))
	}
	if c.Retention > 0 && c.CompressAfter > 0 && c.CompressAfter >= c.Retention {
		errs = append(errs, fmt.Errorf("compress_after: must be shorter than retention (%s), got %s", c.Retention, c.CompressAfter))
	}
	if c.MaxClockSkew <= 0 {
		errs = append(errs, fmt.Errorf("max_clock_skew: must be > 0, got %s", c.MaxClockSkew))
	}
	if q := c.QueueConfig.Get(); q != nil && c.MaxConns > 0 && int32(q.NumConsumers) > c.MaxConns {
		errs = append(errs, fmt.Errorf("sending_queue.num_consumers: %d consumers would wait for %d connections (max_conns)", q.NumConsumers, c.MaxConns))
	}
	return errors.Join(errs...)
}
