package reasoningchainprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		name    string
		want    *Config
		wantErr string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "custom", want: &Config{
			MaxTraces: 500, MaxSpansPerTrace: 300, MaxBufferedSpans: 20000,
			CompletionWindow: 5 * time.Second, MaxHold: 2 * time.Minute,
			MaxEmittedTraces: 2000, MaxSessions: 1000,
			Loop: LoopConfig{Repeats: 4}, ErrorCascade: ErrorCascadeConfig{Retries: 2},
			ContextGrowth: ContextGrowthConfig{Steps: 4, Factor: 2.5},
			Budget:        BudgetConfig{TraceCostUSD: 0.5, TraceTokens: 200000, SessionCostUSD: 5, SessionTokens: 2000000},
		}},
		{name: "detectors_off", want: func() *Config {
			c := createDefaultConfig().(*Config)
			c.Loop.Repeats, c.ErrorCascade.Retries, c.ContextGrowth.Steps = 0, 0, 0
			c.Budget = BudgetConfig{}
			return c
		}()},
		{name: "invalid_limits", wantErr: "max_traces: must be at least 1, got 0\n" +
			"max_spans_per_trace: must be at least 1, got -1\n" +
			"max_buffered_spans: must be at least 1, got 0\n" +
			"max_emitted_traces: must be at least 1, got 0\n" +
			"max_sessions: must be at least 1, got 0"},
		{name: "invalid_windows", wantErr: "max_hold: must be at least completion_window (10s), got 5s"},
		{name: "invalid_thresholds", wantErr: "loop.repeats: must be 0 (off) or at least 2, got 1\n" +
			"error_cascade.retries: must be at least 0, got -2\n" +
			"context_growth.steps: must be 0 (off) or at least 2, got 1\n" +
			"context_growth.factor: must be a finite number above 1, got 0.5\n" +
			"budget.trace_cost_usd: must be 0 (off) or a positive finite number, got -1\n" +
			"budget.session_tokens: must be 0 (off) or a positive finite number, got -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := component.NewIDWithName(componentType, tt.name)
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestConfigTick(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, 500*time.Millisecond, cfg.tick())
	cfg.CompletionWindow = 40 * time.Millisecond
	assert.Equal(t, 10*time.Millisecond, cfg.tick())
	cfg.CompletionWindow = time.Millisecond
	assert.Equal(t, 5*time.Millisecond, cfg.tick())
}
