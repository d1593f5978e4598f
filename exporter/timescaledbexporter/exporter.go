// Package timescaledbexporter stores spans, trace summaries and sessions in
// PostgreSQL, using TimescaleDB when the extension is present (see
// internal/storage/postgres). It uses exporterhelper for its queue
// (persistent with a storage extension), batching, timeout and retries.
//
// Failure handling: an unreachable or restarting database is a retryable
// error, and because every write is idempotent a retried batch is stored
// exactly once. Data the database rejects is isolated by splitting the
// batch, so one bad span cannot hold back the rest; it is dropped and
// counted by reason. Text PostgreSQL cannot store (invalid UTF-8, NUL) is
// repaired and counted; absurd timestamps are clamped or, when nothing
// sensible remains, rejected and counted.
package timescaledbexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres"
)

const scopeName = "github.com/agenttrace/agenttrace/exporter/timescaledbexporter"

// Reasons recorded on the agenttrace.timescaledb.rejected_spans and
// agenttrace.timescaledb.repaired_values counters.
const (
	reasonTimestamp     = "timestamp_out_of_range"
	reasonTimeClamped   = "timestamp_clamped"
	reasonTextSanitized = "text_sanitized"
)

type tsExporter struct {
	cfg *Config
	log *zap.Logger

	mu    sync.Mutex
	store *postgres.Store
	// sanitizedSeen is store.Sanitized() at the last report.
	sanitizedSeen int64

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup

	rejected metric.Int64Counter
	repaired metric.Int64Counter
	now      func() time.Time
}

func newExporter(cfg *Config, set exporter.Settings) (*tsExporter, error) {
	m := set.MeterProvider.Meter(scopeName)
	rejected, err := m.Int64Counter("agenttrace.timescaledb.rejected_spans",
		metric.WithDescription("Spans the database rejected or that had no usable timestamp, by reason"), metric.WithUnit("{span}"))
	if err != nil {
		return nil, err
	}
	repaired, err := m.Int64Counter("agenttrace.timescaledb.repaired_values",
		metric.WithDescription("Values repaired before storing (clamped timestamps, sanitized text), by reason"), metric.WithUnit("{value}"))
	if err != nil {
		return nil, err
	}
	return &tsExporter{cfg: cfg, log: set.Logger, stop: make(chan struct{}), rejected: rejected, repaired: repaired, now: time.Now}, nil
}

func (e *tsExporter) storeConfig() postgres.Config {
	return postgres.Config{
		DSN:           string(e.cfg.DSN),
		Schema:        e.cfg.Schema,
		MaxConns:      e.cfg.MaxConns,
		Timescale:     postgres.TimescaleMode(e.cfg.TimescaleDB),
		Retention:     e.cfg.Retention,
		CompressAfter: e.cfg.CompressAfter,
	}
}

// start connects and migrates. An unreachable database is not fatal: the
// collector starts, pushes fail with retryable errors (queued data waits),
// and the next push connects.
func (e *tsExporter) start(ctx context.Context, _ component.Host) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := e.connect(ctx)
	if err != nil && isConnectivity(err) {
		e.log.Warn("PostgreSQL unreachable at start; will connect on the first export", zap.Error(err))
		return nil
	}
	return err
}

// connect returns the store, opening it (and applying migrations) if needed.
func (e *tsExporter) connect(ctx context.Context) (*postgres.Store, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.store != nil {
		return e.store, nil
	}
	select {
	case <-e.stop:
		return nil, errors.New("timescaledb exporter: shut down")
	default:
	}
	s, err := postgres.Open(ctx, e.storeConfig())
	if err != nil {
		return nil, fmt.Errorf("timescaledb exporter: %w", err)
	}
	e.store = s
	e.log.Info("PostgreSQL store ready", zap.Bool("timescaledb", s.TimescaleDB()), zap.String("schema", e.cfg.Schema))
	if e.cfg.Retention > 0 && !s.TimescaleDB() {
		e.wg.Add(1)
		go e.retentionLoop(s)
	}
	return s, nil
}

// retentionLoop enforces retention on plain PostgreSQL (TimescaleDB has a
// policy for it).
func (e *tsExporter) retentionLoop(s *postgres.Store) {
	defer e.wg.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		n, err := s.EnforceRetention(ctx, e.now())
		cancel()
		if err != nil {
			e.log.Warn("retention sweep failed", zap.Error(err))
		} else if n > 0 {
			e.log.Info("retention sweep", zap.Int64("deleted_spans", n))
		}
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
	}
}

// shutdown is nil-safe and idempotent. exporterhelper drains (or persists)
// the queue before calling it.
func (e *tsExporter) shutdown(context.Context) error {
	if e == nil {
		return nil
	}
	e.stopOnce.Do(func() { close(e.stop) })
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.store == nil {
		return nil
	}
	err := e.store.Close()
	e.store = nil
	return err
}

func (e *tsExporter) push(ctx context.Context, td ptrace.Traces) error {
	s, err := e.connect(ctx)
	if err != nil {
		return err // retryable: the database may come back
	}
	b := storage.FromTraces(td)
	clamped, rejected := clampTimes(&b, e.now(), e.cfg.MaxClockSkew)
	if clamped > 0 {
		e.repaired.Add(ctx, int64(clamped), metric.WithAttributes(attribute.String("reason", reasonTimeClamped)))
	}
	if rejected > 0 {
		e.reject(ctx, rejected, reasonTimestamp, nil)
	}
	if len(b.Spans) == 0 && len(b.Sessions) == 0 {
		return nil
	}
	stored, err := e.write(ctx, s, b)
	e.reportSanitized(ctx, s)
	if err != nil {
		return err
	}
	if stored == 0 && len(b.Spans) > 0 {
		return consumererror.NewPermanent(fmt.Errorf("timescaledb exporter: all %d spans rejected by the database", len(b.Spans)))
	}
	return nil
}

// write stores b. When the database rejects the data, it splits the batch
// to store everything it can and drops (and counts) only the spans or
// session events that fail on their own. It returns the number of spans
// stored; an error is returned only when retrying may help.
func (e *tsExporter) write(ctx context.Context, s *postgres.Store, b storage.Batch) (int, error) {
	err := s.Write(ctx, b)
	if err == nil {
		return len(b.Spans), nil
	}
	if !postgres.IsPermanent(err) {
		return 0, err
	}
	n := len(b.Spans) + len(b.Sessions)
	if n <= 1 {
		e.reject(ctx, len(b.Spans), pgReason(err), err)
		return 0, nil
	}
	var left, right storage.Batch
	if len(b.Spans) > 1 || len(b.Sessions) == 0 {
		half := len(b.Spans) / 2
		left = storage.Batch{Spans: b.Spans[:half], Sessions: b.Sessions}
		right = storage.Batch{Spans: b.Spans[half:]}
	} else {
		half := len(b.Sessions) / 2
		left = storage.Batch{Spans: b.Spans, Sessions: b.Sessions[:half]}
		right = storage.Batch{Sessions: b.Sessions[half:]}
	}
	nl, err := e.write(ctx, s, left)
	if err != nil {
		return nl, err
	}
	nr, err := e.write(ctx, s, right)
	return nl + nr, err
}

func (e *tsExporter) reject(ctx context.Context, spans int, reason string, err error) {
	e.rejected.Add(ctx, int64(spans), metric.WithAttributes(attribute.String("reason", reason)))
	e.log.Warn("spans rejected", zap.Int("spans", spans), zap.String("reason", reason), zap.Error(err))
}

func (e *tsExporter) reportSanitized(ctx context.Context, s *postgres.Store) {
	e.mu.Lock()
	now := s.Sanitized()
	d := now - e.sanitizedSeen
	e.sanitizedSeen = now
	e.mu.Unlock()
	if d > 0 {
		e.repaired.Add(ctx, d, metric.WithAttributes(attribute.String("reason", reasonTextSanitized)))
	}
}

func pgReason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return "sqlstate_" + pgErr.Code
	}
	return "data_error"
}

// isConnectivity reports errors that mean "the database is not usable right
// now" (unreachable, starting, overloaded) as opposed to a configuration or
// schema problem, which fails Start.
func isConnectivity(err error) bool {
	return !postgres.IsPermanent(err)
}

// minValidTime: earlier timestamps are clock bugs (e.g. zero).
var minValidTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// clampTimes repairs absurd span timestamps deterministically (a retried
// batch must produce the same rows): a bad start takes the end time, a bad
// end (or one before the start) takes the start time. Spans whose start
// and end are both unusable are removed. Session event times fall back to
// now, which is harmless because sessions are keyed by id.
func clampTimes(b *storage.Batch, now time.Time, skew time.Duration) (clamped, rejected int) {
	maxValid := now.Add(skew).UnixNano()
	valid := func(ns int64) bool { return ns >= minValidTime && ns <= maxValid }
	out := b.Spans[:0] // b is ours (fresh from FromTraces): filter in place
	for _, sp := range b.Spans {
		c := &sp.Span
		changed := false
		if !valid(c.StartUnixNano) {
			if c.EndUnixNano == 0 || !valid(c.EndUnixNano) {
				rejected++
				continue
			}
			c.StartUnixNano, changed = c.EndUnixNano, true
		}
		if c.EndUnixNano != 0 && (!valid(c.EndUnixNano) || c.EndUnixNano < c.StartUnixNano) {
			c.EndUnixNano, changed = c.StartUnixNano, true
		}
		if changed {
			clamped++
		}
		out = append(out, sp)
	}
	b.Spans = out
	for i := range b.Sessions {
		if !valid(b.Sessions[i].TimeUnixNano) {
			b.Sessions[i].TimeUnixNano = now.UnixNano()
			clamped++
		}
	}
	return clamped, rejected
}
