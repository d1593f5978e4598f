package redisexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(NewFactory().CreateDefaultConfig()))
	def := loadConfig(t, "")
	require.NoError(t, def.Validate())
	assert.Equal(t, "localhost:6379", def.Endpoint)
	assert.Equal(t, "agenttrace:", def.KeyPrefix)

	c := loadConfig(t, "custom")
	require.NoError(t, c.Validate())
	assert.Equal(t, "redis.internal:6380", c.Endpoint)
	assert.Equal(t, "secret", string(c.Password))
	assert.Equal(t, 2, c.DB)
	assert.Equal(t, 168*time.Hour, c.CounterTTL)
	assert.Equal(t, 50*time.Millisecond, c.FlushInterval)

	err := loadConfig(t, "invalid").Validate()
	require.Error(t, err)
	for _, want := range []string{
		"endpoint: must not be empty", "db: must be >= 0", "stream_max_len: must be > 0", "counter_ttl: must be at least 1m",
		"session_ttl: must be at least 1m", "buffer_spans: must be > 0", "max_batch: must be > 0",
		"flush_interval: must be > 0", "timeout: must be > 0",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 9)
}
