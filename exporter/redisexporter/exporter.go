// Package redisexporter publishes spans live to Redis: each span as compact
// JSON to a pub/sub channel and to a capped stream (replay for late
// subscribers), per-minute counters (spans, tokens, cost, errors — total, by
// model and by agent, with TTLs) and the set of active sessions. The key
// layout and a reader for the API server are in internal/live.
//
// The exporter never slows the pipeline it sits in: ConsumeTraces only
// hands the data to a bounded buffer and returns nil; a worker writes to
// Redis in pipelined batches. When the buffer is full or Redis is down,
// spans are dropped from the live view and counted
// (agenttrace.redis.dropped_spans by reason); storage exporters in the same
// pipeline are unaffected. go-redis reconnects by itself, so publishing
// resumes as soon as Redis is back.
package redisexporter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/live"
)

const scopeName = "github.com/agenttrace/agenttrace/exporter/redisexporter"

// Drop reasons on agenttrace.redis.dropped_spans.
const (
	reasonBufferFull = "buffer_full"
	reasonRedisError = "redis_error"
)

// errLogInterval limits repeated "Redis unavailable" logs.
const errLogInterval = 30 * time.Second

type redisExporter struct {
	cfg *Config
	log *zap.Logger
	now func() time.Time

	rdb     *redis.Client
	in      chan ptrace.Traces
	pending atomic.Int64 // spans buffered, not yet written or dropped
	running atomic.Bool

	stopOnce  sync.Once
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}

	publishedCount, droppedCount atomic.Int64
	published, dropped           metric.Int64Counter
}

func newExporter(cfg *Config, set exporter.Settings) (*redisExporter, error) {
	m := set.MeterProvider.Meter(scopeName)
	published, err := m.Int64Counter("agenttrace.redis.published_spans",
		metric.WithDescription("Spans published to the live channel, stream and counters"), metric.WithUnit("{span}"))
	if err != nil {
		return nil, err
	}
	dropped, err := m.Int64Counter("agenttrace.redis.dropped_spans",
		metric.WithDescription("Spans left out of the live view, by reason"), metric.WithUnit("{span}"))
	if err != nil {
		return nil, err
	}
	return &redisExporter{cfg: cfg, log: set.Logger, now: time.Now, stop: make(chan struct{}), done: make(chan struct{}),
		published: published, dropped: dropped}, nil
}

// start creates the client and the worker. Redis being down is logged,
// not fatal: the worker keeps trying.
func (e *redisExporter) start(ctx context.Context, _ component.Host) error {
	e.rdb = redis.NewClient(&redis.Options{
		Addr: e.cfg.Endpoint, Username: e.cfg.Username, Password: string(e.cfg.Password), DB: e.cfg.DB,
		DialTimeout: e.cfg.Timeout, ReadTimeout: e.cfg.Timeout, WriteTimeout: e.cfg.Timeout, PoolTimeout: e.cfg.Timeout,
		MaxRetries: -1, PoolSize: 4, ContextTimeoutEnabled: true, DialerRetries: 1,
	})
	quietRedisLog.Do(func() { redis.SetLogger(debugLogger{e.log}) })
	pctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	if err := e.rdb.Ping(pctx).Err(); err != nil {
		e.log.Warn("Redis unreachable at start; live data is dropped until it is back", zap.String("endpoint", e.cfg.Endpoint), zap.Error(err))
	}
	e.in = make(chan ptrace.Traces, 4096)
	e.running.Store(true)
	go e.run()
	return nil
}

// shutdown flushes what is buffered (bounded by ctx) and closes the client.
// It is nil-safe and idempotent.
func (e *redisExporter) shutdown(ctx context.Context) error {
	if e == nil || e.rdb == nil {
		return nil
	}
	e.stopOnce.Do(func() {
		e.running.Store(false)
		close(e.stop)
	})
	select {
	case <-e.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	var err error
	e.closeOnce.Do(func() { err = e.rdb.Close() })
	return err
}

// quietRedisLog routes go-redis's own (process-wide) log lines to the
// collector log at debug level once: the exporter logs outages itself.
var quietRedisLog sync.Once

type debugLogger struct{ log *zap.Logger }

func (l debugLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...), zap.String("source", "go-redis"))
}

// push hands td to the worker without waiting; it never fails.
func (e *redisExporter) push(ctx context.Context, td ptrace.Traces) error {
	n := int64(td.SpanCount())
	if n == 0 {
		return nil
	}
	if !e.running.Load() {
		e.drop(ctx, n, reasonBufferFull)
		return nil
	}
	if e.pending.Add(n) > int64(e.cfg.BufferSpans) {
		e.pending.Add(-n)
		e.drop(ctx, n, reasonBufferFull)
		return nil
	}
	select {
	case e.in <- td:
	default:
		e.pending.Add(-n)
		e.drop(ctx, n, reasonBufferFull)
	}
	return nil
}

func (e *redisExporter) drop(ctx context.Context, n int64, reason string) {
	e.droppedCount.Add(n)
	e.dropped.Add(ctx, n, metric.WithAttributes(attribute.String("reason", reason)))
}

// batch is what the worker has taken from the buffer and not yet written.
type batch struct {
	spans []live.Span
	marks []live.SessionMark
	taken int64 // pdata spans taken from the buffer (incl. session markers)
	c     canonical.Span
}

func (b *batch) add(td ptrace.Traces) {
	b.taken += int64(td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				canonical.Read(&b.c, spans.At(k), rs.Resource())
				if b.c.SessionRecord {
					if b.c.SessionID != "" {
						b.marks = append(b.marks, live.SessionMark{SessionID: b.c.SessionID, End: b.c.SessionEvent == "end"})
					}
					continue
				}
				b.spans = append(b.spans, live.SpanOf(&b.c))
			}
		}
	}
}

func (b *batch) reset() {
	clear(b.spans)
	b.spans, b.marks, b.taken = b.spans[:0], b.marks[:0], 0
}

func (e *redisExporter) run() {
	defer close(e.done)
	pub := live.NewPublisher(e.rdb, e.cfg.KeyPrefix, live.PublisherConfig{
		StreamMaxLen: e.cfg.StreamMaxLen, CounterTTL: e.cfg.CounterTTL, SessionTTL: e.cfg.SessionTTL})
	tick := time.NewTicker(e.cfg.FlushInterval)
	defer tick.Stop()
	var b batch
	var w errorLog
	for {
		select {
		case td := <-e.in:
			b.add(td)
			if len(b.spans) >= e.cfg.MaxBatch {
				e.flush(pub, &b, &w)
			}
		case <-tick.C:
			e.flush(pub, &b, &w)
		case <-e.stop:
			for {
				select {
				case td := <-e.in:
					b.add(td)
					if len(b.spans) >= e.cfg.MaxBatch {
						e.flush(pub, &b, &w)
					}
					continue
				default:
				}
				break
			}
			e.flush(pub, &b, &w)
			return
		}
	}
}

// errorLog remembers Redis's state so that an outage is logged when it
// starts, periodically while it lasts, and when it ends.
type errorLog struct {
	down       bool
	lastLogged time.Time
	since      int64 // spans dropped since the last log
}

func (e *redisExporter) flush(pub *live.Publisher, b *batch, w *errorLog) {
	if b.taken == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.Timeout)
	err := pub.Publish(ctx, b.spans, b.marks, e.now())
	cancel()
	e.pending.Add(-b.taken)
	n := int64(len(b.spans))
	b.reset()
	if err != nil {
		e.drop(context.Background(), n, reasonRedisError)
		w.since += n
		if !w.down || time.Since(w.lastLogged) >= errLogInterval {
			e.log.Warn("Redis unavailable; live spans dropped (stored data is unaffected)",
				zap.String("endpoint", e.cfg.Endpoint), zap.Int64("dropped_spans", w.since), zap.Error(err))
			w.lastLogged, w.since = time.Now(), 0
		}
		w.down = true
		return
	}
	if w.down {
		e.log.Info("Redis is back; live publishing resumed", zap.String("endpoint", e.cfg.Endpoint), zap.Int64("dropped_spans", w.since))
		*w = errorLog{}
	}
	e.publishedCount.Add(n)
	e.published.Add(context.Background(), n)
}

// Stats returns the spans published and dropped since start.
func (e *redisExporter) Stats() (published, dropped int64) {
	return e.publishedCount.Load(), e.droppedCount.Load()
}
