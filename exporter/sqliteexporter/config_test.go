package sqliteexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	load := func(name string) *Config {
		cfg := createDefaultConfig().(*Config)
		sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		return cfg
	}
	def := load("")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, DefaultPath, def.Path)
	assert.Equal(t, 1, def.QueueConfig.Get().NumConsumers)
	// Sized in bytes, so large prompts cannot grow the queue past its memory.
	assert.Equal(t, exporterhelper.RequestSizerTypeBytes, def.QueueConfig.Get().Sizer)
	assert.EqualValues(t, DefaultQueueBytes, def.QueueConfig.Get().QueueSize)
	assert.Equal(t, exporterhelper.RequestSizerTypeBytes, def.QueueConfig.Get().Batch.Get().Sizer)
	assert.EqualValues(t, DefaultBatchMaxBytes, def.QueueConfig.Get().Batch.Get().MaxSize)
	// A full queue holds the caller (reasoningchain has acknowledged what it emits).
	assert.True(t, def.QueueConfig.Get().BlockOnOverflow)

	custom := load("custom")
	require.NoError(t, confmap.Validate(custom))
	assert.Equal(t, "/var/lib/agenttrace/agenttrace.db", custom.Path)
	assert.Equal(t, 10*time.Second, custom.TimeoutConfig.Timeout)
	require.NotNil(t, custom.QueueConfig.Get().StorageID)
	assert.Equal(t, "file_storage", custom.QueueConfig.Get().StorageID.String())

	err = confmap.Validate(load("invalid"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "path: must not be empty")
	assert.Contains(t, err.Error(), "sending_queue.num_consumers")
}
