package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/live"
	"github.com/agenttrace/agenttrace/internal/live/livetest"
)

// BenchmarkPublish: one pipelined Publish of 2,000 spans (PUBLISH + XADD
// each, counters and sessions once per call).
//
//	go test ./internal/live -run '^$' -bench Publish -benchtime 50x
func BenchmarkPublish(b *testing.B) {
	rdb, prefix := livetest.Client(b)
	pub := live.NewPublisher(rdb, prefix, live.PublisherConfig{StreamMaxLen: 100_000, CounterTTL: time.Hour, SessionTTL: time.Hour})
	const n = 2000
	spans := make([]live.Span, n)
	for i := range spans {
		spans[i] = mkSpan(fmt.Sprintf("%016x", i), []string{"gpt-4o", "claude-x"}[i%2], "planner",
			fmt.Sprintf("s%d", i%20), canonical.StatusOK, 1500, 0.0045)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := pub.Publish(ctx, spans, nil, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "spans/s")
}
