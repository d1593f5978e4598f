package reasoningchainprocessor

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

const scopeName = "github.com/agenttrace/agenttrace/processor/reasoningchainprocessor"

// Why spans passed through without being buffered, and why traces left the
// buffer.
const (
	reasonMaxTraces        = "max_traces"
	reasonMaxSpansPerTrace = "max_spans_per_trace"
	reasonMaxBufferedSpans = "max_buffered_spans"
	reasonComplete         = "complete"
	reasonMaxHold          = "max_hold"
	reasonShutdown         = "shutdown"
)

// telemetry is the processor's own metrics.
type telemetry struct {
	overflow     metric.Int64Counter
	late         metric.Int64Counter
	emitted      metric.Int64Counter
	flagged      metric.Int64Counter
	exportErrors metric.Int64Counter
	// journalErrors counts spans refused because the journal write failed.
	journalErrors metric.Int64Counter
	registration  metric.Registration

	overflowBy map[string]metric.AddOption
	emittedBy  map[string]metric.AddOption
	flaggedBy  map[canonical.Flag]metric.AddOption
}

func newTelemetry(set component.TelemetrySettings, buffered func() (spans, traces int64)) (*telemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	t := &telemetry{
		overflowBy: map[string]metric.AddOption{},
		emittedBy:  map[string]metric.AddOption{},
		flaggedBy:  map[canonical.Flag]metric.AddOption{},
	}
	var errs [9]error
	t.overflow, errs[0] = m.Int64Counter("otelcol_processor_reasoningchain_overflow_spans",
		metric.WithDescription("Spans passed through unannotated because a buffer limit was reached."),
		metric.WithUnit("{spans}"))
	t.late, errs[1] = m.Int64Counter("otelcol_processor_reasoningchain_late_spans",
		metric.WithDescription("Spans that arrived after their trace was emitted, annotated relative to what was known."),
		metric.WithUnit("{spans}"))
	t.emitted, errs[2] = m.Int64Counter("otelcol_processor_reasoningchain_traces_emitted",
		metric.WithDescription("Buffered traces emitted, by reason."),
		metric.WithUnit("{traces}"))
	t.flagged, errs[3] = m.Int64Counter("otelcol_processor_reasoningchain_traces_flagged",
		metric.WithDescription("Traces on which an anomaly flag was raised, by flag."),
		metric.WithUnit("{traces}"))
	t.exportErrors, errs[4] = m.Int64Counter("otelcol_processor_reasoningchain_export_failed_spans",
		metric.WithDescription("Buffered spans the next consumer refused when emitted."),
		metric.WithUnit("{spans}"))
	t.journalErrors, errs[8] = m.Int64Counter("otelcol_processor_reasoningchain_journal_failed_spans",
		metric.WithDescription("Spans refused (retryable) because writing them to the journal failed."),
		metric.WithUnit("{spans}"))
	var spans, traces metric.Int64ObservableGauge
	spans, errs[5] = m.Int64ObservableGauge("otelcol_processor_reasoningchain_buffered_spans",
		metric.WithDescription("Spans currently buffered."), metric.WithUnit("{spans}"))
	traces, errs[6] = m.Int64ObservableGauge("otelcol_processor_reasoningchain_buffered_traces",
		metric.WithDescription("Traces currently buffered."), metric.WithUnit("{traces}"))
	if err := errors.Join(errs[:7]...); err != nil {
		return nil, err
	}
	t.registration, errs[7] = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s, tr := buffered()
		o.ObserveInt64(spans, s)
		o.ObserveInt64(traces, tr)
		return nil
	}, spans, traces)
	if err := errors.Join(errs[7:]...); err != nil {
		return nil, err
	}
	for _, r := range []string{reasonMaxTraces, reasonMaxSpansPerTrace, reasonMaxBufferedSpans} {
		t.overflowBy[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	for _, r := range []string{reasonComplete, reasonMaxHold, reasonShutdown} {
		t.emittedBy[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	for _, f := range canonical.Flags {
		t.flaggedBy[f] = metric.WithAttributeSet(attribute.NewSet(attribute.String("flag", string(f))))
	}
	return t, nil
}

func (t *telemetry) countFlags(ctx context.Context, mask int64) {
	for _, f := range canonical.Flags {
		if mask&f.Bit() != 0 {
			t.flagged.Add(ctx, 1, t.flaggedBy[f])
		}
	}
}

func (t *telemetry) shutdown() error {
	if t == nil || t.registration == nil {
		return nil
	}
	return t.registration.Unregister()
}
