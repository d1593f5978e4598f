package redisexporter

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/live/livetest"
)

// BenchmarkExporter: spans/s from ConsumeTraces to written in Redis
// (canonical view, JSON, pipelined PUBLISH + XADD + counters), batches of
// 1,000 spans.
//
//	go test ./exporter/redisexporter -run '^$' -bench Exporter -benchtime 200x
func BenchmarkExporter(b *testing.B) {
	addr := livetest.Addr(b)
	prefix := livetest.Prefix(b, addr)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint, cfg.KeyPrefix = addr, prefix
	e, err := newExporter(cfg, exporterSettings())
	if err != nil {
		b.Fatal(err)
	}
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	tds := make([]ptrace.Traces, 16)
	for i := range tds {
		tds[i] = genTraces(i*1000, 999) // + 1 session marker = 1,000 spans
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for e.pending.Load() > int64(cfg.BufferSpans)/2 {
			time.Sleep(100 * time.Microsecond) // stay under the drop threshold
		}
		_ = e.push(context.Background(), tds[i%len(tds)])
	}
	for {
		pub, dropped := e.Stats()
		if pub+dropped >= int64(b.N*999) {
			if dropped > 0 {
				b.Fatalf("dropped %d spans", dropped)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N*999)/time.Since(start).Seconds(), "spans/s")
	b.StopTimer()
	_ = e.shutdown(context.Background())
}
