package redisexporter

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
)

var _ component.Config = (*Config)(nil)

// Config configures the Redis live exporter.
type Config struct {
	// Endpoint is the Redis address, host:port.
	Endpoint string `mapstructure:"endpoint"`
	// Username and Password authenticate (ACL or requirepass).
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// DB is the database number.
	DB int `mapstructure:"db"`
	// KeyPrefix prefixes every key and the channel name.
	KeyPrefix string `mapstructure:"key_prefix"`
	// StreamMaxLen caps the replay stream (approximately).
	StreamMaxLen int64 `mapstructure:"stream_max_len"`
	// CounterTTL is how long per-minute counters are kept.
	CounterTTL time.Duration `mapstructure:"counter_ttl"`
	// SessionTTL drops a session from the active set after this long
	// without a span.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// BufferSpans bounds the spans waiting to be published; beyond it new
	// spans are dropped (and counted) rather than slowing the pipeline.
	BufferSpans int `mapstructure:"buffer_spans"`
	// MaxBatch is the most spans written in one pipeline.
	MaxBatch int `mapstructure:"max_batch"`
	// FlushInterval is the longest a span waits in the buffer.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// Timeout bounds each Redis round trip, connecting included.
	Timeout time.Duration `mapstructure:"timeout"`

	_ struct{}
}

// Validate reports every problem at once, each naming its field path.
func (c *Config) Validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must not be empty"))
	}
	if c.DB < 0 {
		errs = append(errs, fmt.Errorf("db: must be >= 0, got %d", c.DB))
	}
	if c.StreamMaxLen <= 0 {
		errs = append(errs, fmt.Errorf("stream_max_len: must be > 0, got %d", c.StreamMaxLen))
	}
	if c.CounterTTL < time.Minute {
		errs = append(errs, fmt.Errorf("counter_ttl: must be at least 1m, got %s", c.CounterTTL))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, fmt.Errorf("session_ttl: must be at least 1m, got %s", c.SessionTTL))
	}
	if c.BufferSpans <= 0 {
		errs = append(errs, fmt.Errorf("buffer_spans: must be > 0, got %d", c.BufferSpans))
	}
	if c.MaxBatch <= 0 {
		errs = append(errs, fmt.Errorf("max_batch: must be > 0, got %d", c.MaxBatch))
	}
	if c.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush_interval: must be > 0, got %s", c.FlushInterval))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: must be > 0, got %s", c.Timeout))
	}
	return errors.Join(errs...)
}
