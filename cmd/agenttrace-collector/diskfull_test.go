package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/testenv"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// mountTmpfs mounts a tmpfs of size bytes on dir (root only). It reports
// false when the sandbox refuses.
func mountTmpfs(t *testing.T, dir string, size string) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("mount tmpfs refused: %v: %s", err, out)
		return false
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return true
}

// fill writes a ballast file until the volume has no space left.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling the volume: %v", err)
			return
		}
	}
}

// TestDiskFullSQLite: the SQLite store lives on a 16 MiB tmpfs that is
// filled up while the collector runs. Writes fail with a clear error naming
// the file, the spans stay queued (retryable), the collector keeps answering,
// and once space is freed every acknowledged span is written.
func TestDiskFullSQLite(t *testing.T) {
	testenv.SkipIfShort(t, "builds and runs the collector binary")
	dir := t.TempDir()
	vol := filepath.Join(dir, "vol")
	require.NoError(t, os.Mkdir(vol, 0o755))
	if !mountTmpfs(t, vol, "16m") {
		testenv.Unavailable(t, "needs root to mount the 16 MiB tmpfs of the disk-full test (docs/reliability.md)")
	}
	bin := collectorBinary(t)
	db := filepath.Join(vol, "agenttrace.db")
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	config := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`
receivers:
  agenttrace:
    http: {endpoint: %q}
    grpc: {endpoint: "127.0.0.1:0"} # not used; never the default port a local collector may hold
    udp: {endpoint: "127.0.0.1:0"}
processors:
  tokencost:
  reasoningchain:
    completion_window: 50ms
    max_hold: 100ms
exporters:
  sqlite:
    path: %q
    retry_on_failure: {initial_interval: 100ms, max_interval: 300ms, max_elapsed_time: 0}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [tokencost, reasoningchain]
      exporters: [sqlite]
`, httpAddr, db)), 0o600))
	logPath := filepath.Join(dir, "collector.log")
	health := "http://" + httpAddr + "/health"
	proc := startCollectorProc(t, bin, config, logPath, health)
	defer func() {
		if proc != nil {
			proc.kill(t)
		}
	}()

	acked := map[string]bool{}
	statuses := map[int]int{}
	send := func(n int) {
		tid := fmt.Sprintf("d15cf011%024x", n+1)
		b := &atv1.SpanBatch{ServiceName: "disk-full"}
		now := time.Now().UnixNano()
		for i := 0; i < 20; i++ {
			b.Spans = append(b.Spans, &atv1.Span{TraceId: tid, SpanId: fmt.Sprintf("%016x", i+1), Name: "step",
				Type: atv1.SpanType_SPAN_TYPE_LLM_CALL, Status: atv1.SpanStatus_SPAN_STATUS_OK,
				StartTimeUnixNano: now - 2e6, EndTimeUnixNano: now, Model: "gpt-4o-mini", Provider: "openai",
				Prompt: strings.Repeat(fmt.Sprintf("prompt %d/%d ", n, i), 200)})
		}
		body, err := proto.Marshal(b)
		require.NoError(t, err)
		resp, err := http.Post("http://"+httpAddr+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
		require.NoError(t, err, "the collector keeps answering")
		resp.Body.Close()
		statuses[resp.StatusCode]++
		switch resp.StatusCode {
		case http.StatusOK:
			for _, s := range b.GetSpans() {
				acked[s.GetTraceId()+"/"+s.GetSpanId()] = true
			}
		case http.StatusServiceUnavailable: // queue full: retryable, not acknowledged
			require.Equal(t, "1", resp.Header.Get("Retry-After"))
		default:
			t.Fatalf("batch %d: status %d while the disk is full", n, resp.StatusCode)
		}
	}

	n := 0
	for ; n < 10; n++ { // some spans land before the disk fills
		send(n)
	}
	require.Eventually(t, func() bool { s, _ := storedSpans(t, db); return len(s) == len(acked) }, 20*time.Second, 100*time.Millisecond)
	ballast := filepath.Join(vol, "ballast")
	fill(t, ballast)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(readLog(logPath), "SQLite database is full: "+db) {
		require.True(t, time.Now().Before(deadline), "no disk-full error logged\n%s", tail(logPath))
		send(n)
		n++
		time.Sleep(20 * time.Millisecond)
	}
	full := len(acked)
	for i := 0; i < 20; i++ { // still accepting (queued) while the disk is full
		send(n)
		n++
	}
	resp, err := http.Get(health)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "health answers while the disk is full")
	stored, _ := storedSpans(t, db)
	require.Less(t, len(stored), len(acked), "acknowledged spans are waiting in the queue")
	require.Greater(t, len(acked), full, "spans are still accepted (queued) while the disk is full")

	require.NoError(t, os.Remove(ballast)) // free the space
	require.Eventually(t, func() bool {
		s, _ := storedSpans(t, db)
		for id := range acked {
			if !s[id] {
				return false
			}
		}
		return true
	}, 30*time.Second, 200*time.Millisecond, "queued spans written once space is freed\n%s", tail(logPath))
	proc.stop(t)
	proc = nil
	log := readLog(logPath)
	i := strings.Index(log, "SQLite database is full")
	require.GreaterOrEqual(t, i, 0)
	t.Logf("logged: %.300s", log[i:])
	stored, dups := storedSpans(t, db)
	require.Zero(t, dups)
	t.Logf("disk full (tmpfs 16 MiB): %d batches sent (%v by status), %d spans acknowledged, %d stored after space was freed",
		n, statuses, len(acked), len(stored))
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
