package reasoningchainprocessor

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Config configures the reasoningchain processor. A threshold of 0 turns its
// detector off.
type Config struct {
	// MaxTraces bounds the traces buffered at once. Spans of further traces
	// pass through unchanged and are counted.
	MaxTraces int `mapstructure:"max_traces"`
	// MaxSpansPerTrace bounds the spans buffered for one trace; the rest pass
	// through unchanged and are counted.
	MaxSpansPerTrace int `mapstructure:"max_spans_per_trace"`
	// MaxBufferedSpans bounds the spans buffered over all traces; the rest
	// pass through unchanged and are counted.
	MaxBufferedSpans int `mapstructure:"max_buffered_spans"`
	// CompletionWindow is how long a trace stays buffered after its root
	// span ended, to collect stragglers.
	CompletionWindow time.Duration `mapstructure:"completion_window"`
	// MaxHold is how long a trace whose root has not ended stays buffered
	// before what has arrived is emitted.
	MaxHold time.Duration `mapstructure:"max_hold"`
	// MaxEmittedTraces bounds the emitted traces remembered so that late
	// spans are annotated relative to what was already emitted.
	MaxEmittedTraces int `mapstructure:"max_emitted_traces"`
	// MaxSessions bounds the sessions whose running totals are kept for the
	// session budgets (least recently used are forgotten).
	MaxSessions int `mapstructure:"max_sessions"`
	// Storage names a storage extension (file_storage) that journals every
	// batch holding buffered spans until its traces are emitted, so spans
	// acknowledged upstream survive a crash. Unset: buffered spans live in
	// memory only.
	Storage *component.ID `mapstructure:"storage"`

	Loop          LoopConfig          `mapstructure:"loop"`
	ErrorCascade  ErrorCascadeConfig  `mapstructure:"error_cascade"`
	ContextGrowth ContextGrowthConfig `mapstructure:"context_growth"`
	Budget        BudgetConfig        `mapstructure:"budget"`
}

// LoopConfig flags the same tool called with the same arguments Repeats
// times in one trace.
type LoopConfig struct {
	Repeats int `mapstructure:"repeats"`
}

// ErrorCascadeConfig flags a failed step followed by Retries retries of the
// same step (same type and tool, model or name), each after a failure.
type ErrorCascadeConfig struct {
	Retries int `mapstructure:"retries"`
}

// ContextGrowthConfig flags Steps consecutive LLM calls whose input tokens
// grow at every call and whose last input is at least Factor times the
// first.
type ContextGrowthConfig struct {
	Steps  int     `mapstructure:"steps"`
	Factor float64 `mapstructure:"factor"`
}

// BudgetConfig holds the cost (USD) and token budgets per trace and per
// session.
type BudgetConfig struct {
	TraceCostUSD   float64 `mapstructure:"trace_cost_usd"`
	TraceTokens    int64   `mapstructure:"trace_tokens"`
	SessionCostUSD float64 `mapstructure:"session_cost_usd"`
	SessionTokens  int64   `mapstructure:"session_tokens"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		MaxTraces:        10000,
		MaxSpansPerTrace: 2000,
		MaxBufferedSpans: 100000,
		CompletionWindow: 2 * time.Second,
		MaxHold:          30 * time.Second,
		MaxEmittedTraces: 10000,
		MaxSessions:      10000,
		Loop:             LoopConfig{Repeats: 3},
		ErrorCascade:     ErrorCascadeConfig{Retries: 3},
		ContextGrowth:    ContextGrowthConfig{Steps: 5, Factor: 3},
		Budget: BudgetConfig{
			TraceCostUSD:   1,
			TraceTokens:    1_000_000,
			SessionCostUSD: 10,
			SessionTokens:  10_000_000,
		},
	}
}

// Validate reports every invalid field at once.
func (c *Config) Validate() error {
	var errs []error
	atLeast := func(path string, v, min int) {
		if v < min {
			errs = append(errs, fmt.Errorf("%s: must be at least %d, got %d", path, min, v))
		}
	}
	zeroOrAtLeast := func(path string, v, min int) {
		if v != 0 && v < min {
			errs = append(errs, fmt.Errorf("%s: must be 0 (off) or at least %d, got %d", path, min, v))
		}
	}
	atLeast("max_traces", c.MaxTraces, 1)
	atLeast("max_spans_per_trace", c.MaxSpansPerTrace, 1)
	atLeast("max_buffered_spans", c.MaxBufferedSpans, 1)
	atLeast("max_emitted_traces", c.MaxEmittedTraces, 1)
	atLeast("max_sessions", c.MaxSessions, 1)
	if c.CompletionWindow <= 0 {
		errs = append(errs, fmt.Errorf("completion_window: must be positive, got %s", c.CompletionWindow))
	}
	if c.MaxHold <= 0 {
		errs = append(errs, fmt.Errorf("max_hold: must be positive, got %s", c.MaxHold))
	} else if c.MaxHold < c.CompletionWindow {
		errs = append(errs, fmt.Errorf("max_hold: must be at least completion_window (%s), got %s", c.CompletionWindow, c.MaxHold))
	}
	zeroOrAtLeast("loop.repeats", c.Loop.Repeats, 2)
	atLeast("error_cascade.retries", c.ErrorCascade.Retries, 0)
	zeroOrAtLeast("context_growth.steps", c.ContextGrowth.Steps, 2)
	if c.ContextGrowth.Steps > 0 && !(c.ContextGrowth.Factor > 1) || math.IsInf(c.ContextGrowth.Factor, 0) {
		errs = append(errs, fmt.Errorf("context_growth.factor: must be a finite number above 1, got %v", c.ContextGrowth.Factor))
	}
	budget := func(path string, v float64) {
		if !(v >= 0) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s: must be 0 (off) or a positive finite number, got %v", path, v))
		}
	}
	budget("budget.trace_cost_usd", c.Budget.TraceCostUSD)
	budget("budget.session_cost_usd", c.Budget.SessionCostUSD)
	budget("budget.trace_tokens", float64(c.Budget.TraceTokens))
	budget("budget.session_tokens", float64(c.Budget.SessionTokens))
	return errors.Join(errs...)
}

// tick is how often buffered traces are checked for expiry: often enough
// that a trace leaves within a small fraction of its window.
func (c *Config) tick() time.Duration {
	d := c.CompletionWindow / 4
	if h := c.MaxHold / 4; h < d {
		d = h
	}
	return min(max(d, 5*time.Millisecond), 500*time.Millisecond)
}
