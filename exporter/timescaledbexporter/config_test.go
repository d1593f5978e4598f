package timescaledbexporter

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
	assert.Equal(t, DefaultDSN, string(def.DSN))
	assert.Equal(t, "auto", def.TimescaleDB)
	require.True(t, def.QueueConfig.HasValue())
	assert.Equal(t, 4, def.QueueConfig.Get().NumConsumers)

	c := loadConfig(t, "custom")
	require.NoError(t, c.Validate())
	assert.Equal(t, "agenttrace", c.Schema)
	assert.Equal(t, 720*time.Hour, c.Retention)
	assert.Equal(t, 168*time.Hour, c.CompressAfter)
	assert.Equal(t, "on", c.TimescaleDB)
	require.NotNil(t, c.QueueConfig.Get().StorageID)
	assert.Equal(t, "file_storage", c.QueueConfig.Get().StorageID.String())
	assert.Equal(t, time.Hour, c.RetryConfig.MaxElapsedTime)

	err := loadConfig(t, "invalid").Validate()
	require.Error(t, err)
	for _, want := range []string{
		"dsn: must not be empty",
		`timescaledb: must be "auto", "on" or "off", got "maybe"`,
		"max_conns: must be >= 0",
		"retention: must be at least 1h",
		"compress_after: must be >= 0",
		"max_clock_skew: must be > 0",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 6, "every problem reported once: %v", err)
}
