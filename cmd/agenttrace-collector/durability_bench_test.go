package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// BenchmarkIngestDurability measures what the persistent queue and the
// reasoningchain journal cost end to end: native HTTP protobuf batches of
// 100 spans from parallel clients into SQLite, until every span is stored,
// with the local config's in-memory queue and with file_storage for both.
//
//	go test -run '^$' -bench IngestDurability -benchtime 300x ./cmd/agenttrace-collector
func BenchmarkIngestDurability(b *testing.B) {
	for _, mode := range []string{"memory", "file_storage"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			db := filepath.Join(dir, "agenttrace.db")
			httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(b, "tcp"))
			ext, chainStorage, queueStorage, service := "", "", "", ""
			if mode == "file_storage" {
				ext = fmt.Sprintf("extensions:\n  file_storage: {directory: %q, create_directory: true}\n", filepath.Join(dir, "queue"))
				chainStorage = "\n    storage: file_storage"
				queueStorage = "\n    sending_queue: {storage: file_storage}"
				service = "\n  extensions: [file_storage]"
			}
			s := startStackConfig(b, fmt.Sprintf(`%s
receivers:
  agenttrace:
    http: {endpoint: %q}
    grpc: {endpoint: "127.0.0.1:0"} # not used; never the default port a local collector may hold
    udp: {endpoint: "127.0.0.1:0"}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: 512, spike_limit_mib: 128}
  tokencost:
  reasoningchain:
    completion_window: 500ms%s
exporters:
  sqlite:
    path: %q%s
service:%s
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [memory_limiter, tokencost, reasoningchain]
      exporters: [sqlite]
`, ext, httpAddr, chainStorage, db, queueStorage, service))
			var seq, sent atomic.Int64
			base := time.Now().Add(-time.Minute).UnixNano()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{}
				for pb.Next() {
					n := seq.Add(1)
					batch := &atv1.SpanBatch{ServiceName: "bench"}
					tid := fmt.Sprintf("be7c%028x", n)
					for i := 0; i < 100; i++ {
						sp := &atv1.Span{TraceId: tid, SpanId: fmt.Sprintf("%016x", i+1), Name: "step",
							Type: atv1.SpanType_SPAN_TYPE_LLM_CALL, Status: atv1.SpanStatus_SPAN_STATUS_OK,
							StartTimeUnixNano: base + int64(i), EndTimeUnixNano: base + int64(i) + 1e6,
							Model: "gpt-4o-mini", Provider: "openai", Usage: &atv1.TokenUsage{InputTokens: 100, OutputTokens: 10}}
						if i > 0 {
							sp.ParentSpanId = "0000000000000001"
						}
						batch.Spans = append(batch.Spans, sp)
					}
					body, _ := proto.Marshal(batch)
					for {
						resp, err := client.Post("http://"+httpAddr+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						resp.Body.Close()
						if resp.StatusCode == http.StatusOK {
							sent.Add(100)
							break
						}
						time.Sleep(50 * time.Millisecond) // 503: retry
					}
				}
			})
			for storedCount(b, db) < sent.Load() {
				time.Sleep(20 * time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(sent.Load())/b.Elapsed().Seconds(), "spans/s")
			s.col.Shutdown()
			<-s.done
		})
	}
}

func storedCount(t testing.TB, db string) int64 {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int64
	if err := conn.QueryRow(`SELECT count(*) FROM spans`).Scan(&n); err != nil {
		return 0
	}
	return n
}
