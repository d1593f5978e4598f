package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	_ "github.com/agenttrace/agenttrace/internal/storage/sqlitestore" // registers the "sqlite" driver
	"github.com/agenttrace/agenttrace/internal/testenv"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// TestMain removes the collector binary the fault tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.Cleanup()
	os.Exit(code)
}

// collectorBinary is the collector built once for this package's tests.
func collectorBinary(t *testing.T) string { return testenv.CollectorBinary(t) }

// collectorProc is the collector binary running as a child process.
type collectorProc struct {
	cmd  *exec.Cmd
	done chan error
	log  string
}

func startCollectorProc(t *testing.T, bin, config, logPath, healthURL string) *collectorProc {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	cmd := exec.Command(bin, "--config", config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	p := &collectorProc{cmd: cmd, done: make(chan error, 1), log: logPath}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(healthURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("collector exited during start: %v\n%s", err, tail(logPath))
		default:
		}
		if time.Now().After(deadline) {
			p.kill(t)
			t.Fatalf("collector not healthy after 30s\n%s", tail(logPath))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *collectorProc) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.done
}

func (p *collectorProc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill(t)
		t.Fatalf("collector did not stop on SIGTERM\n%s", tail(p.log))
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// storedSpans reads the ids ("trace/span") of every span in the SQLite file
// and how many rows hold a span id already seen.
func storedSpans(t testing.TB, db string) (ids map[string]bool, duplicates int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer conn.Close()
	rows, err := conn.Query(`SELECT trace_id, span_id FROM spans`)
	if err != nil {
		return map[string]bool{}, 0 // not created yet
	}
	defer rows.Close()
	ids = map[string]bool{}
	for rows.Next() {
		var tr, sp string
		require.NoError(t, rows.Scan(&tr, &sp))
		if ids[tr+"/"+sp] {
			duplicates++
		}
		ids[tr+"/"+sp] = true
	}
	require.NoError(t, rows.Err())
	return ids, duplicates
}

// TestKill9PersistentQueue: the collector binary with file_storage for the
// SQLite exporter's sending_queue and the reasoningchain journal takes load
// over native HTTP and is killed with SIGKILL mid-load, several times. After
// the last restart every span acknowledged with 200 is in the store, once.
func TestKill9PersistentQueue(t *testing.T) {
	testenv.SkipIfShort(t, "builds and runs the collector binary")
	bin := collectorBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "agenttrace.db")
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	config := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`
extensions:
  file_storage:
    directory: %q
    create_directory: true
receivers:
  agenttrace:
    http: {endpoint: %q}
    grpc: {endpoint: "127.0.0.1:0"} # not used; never the default port a local collector may hold
    udp: {endpoint: "127.0.0.1:0"}
processors:
  tokencost:
  reasoningchain:
    completion_window: 300ms
    max_hold: 2s
    storage: file_storage
exporters:
  sqlite:
    path: %q
    sending_queue:
      storage: file_storage
service:
  extensions: [file_storage]
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [tokencost, reasoningchain]
      exporters: [sqlite]
`, filepath.Join(dir, "queue"), httpAddr, db)), 0o600))
	logPath := filepath.Join(dir, "collector.log")
	health := "http://" + httpAddr + "/health"

	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		batches int
	)
	const kills = 3
	base := time.Now().Add(-time.Minute).UnixNano()
	for round := 0; round < kills; round++ {
		proc := startCollectorProc(t, bin, config, logPath, health)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 5 * time.Second}
				for n := 0; ctx.Err() == nil; n++ {
					// Each trace comes in two batches (children, then the
					// root), so journal entries outlive single batches.
					tid := fmt.Sprintf("%08x%08x%016x", round+1, w+1, n+1)
					children, root := killBatch(tid, base, false), killBatch(tid, base, true)
					for _, b := range []*atv1.SpanBatch{children, root} {
						body, _ := proto.Marshal(b)
						req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/v1/spans", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/x-protobuf")
						resp, err := client.Do(req)
						if err != nil {
							return // killed: nothing after this was acknowledged
						}
						resp.Body.Close()
						if resp.StatusCode == http.StatusOK {
							mu.Lock()
							batches++
							for _, s := range b.GetSpans() {
								acked[s.GetTraceId()+"/"+s.GetSpanId()] = true
							}
							mu.Unlock()
						}
					}
				}
			}()
		}
		time.Sleep(time.Duration(800+300*round) * time.Millisecond)
		proc.kill(t) // mid-load: requests are in flight
		cancel()
		wg.Wait()
	}
	mu.Lock()
	require.Greater(t, len(acked), 1000, "the load ran")
	mu.Unlock()

	// Restart and let the journal replay and the queue drain.
	proc := startCollectorProc(t, bin, config, logPath, health)
	var stored map[string]bool
	var dups int
	deadline := time.Now().Add(40 * time.Second)
	for {
		stored, dups = storedSpans(t, db)
		missing := 0
		for id := range acked {
			if !stored[id] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			proc.kill(t)
			t.Fatalf("%d of %d acknowledged spans not stored after the restart\n%s", missing, len(acked), tail(logPath))
		}
		time.Sleep(200 * time.Millisecond)
	}
	proc.stop(t)
	stored, dups = storedSpans(t, db)
	require.Zero(t, dups, "a span stored twice")
	for id := range acked {
		require.True(t, stored[id], id)
	}
	t.Logf("kill -9 x%d: %d batches / %d spans acknowledged, %d spans stored (acknowledged ⊆ stored), %d duplicate rows",
		kills, batches, len(acked), len(stored), dups)
}

// killBatch is one trace's children (10 LLM and tool spans) or its root.
func killBatch(tid string, base int64, root bool) *atv1.SpanBatch {
	const step = int64(time.Millisecond)
	if root {
		return &atv1.SpanBatch{ServiceName: "kill-test", Spans: []*atv1.Span{{
			TraceId: tid, SpanId: "00000000000000ff", Name: "agent run", Type: atv1.SpanType_SPAN_TYPE_AGENT,
			Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: base, EndTimeUnixNano: base + 20*step, SessionId: "kill",
		}}}
	}
	b := &atv1.SpanBatch{ServiceName: "kill-test"}
	for i := 0; i < 10; i++ {
		s := &atv1.Span{TraceId: tid, SpanId: fmt.Sprintf("%016x", i+1), ParentSpanId: "00000000000000ff",
			Name: "step", Status: atv1.SpanStatus_SPAN_STATUS_OK,
			StartTimeUnixNano: base + int64(i)*step, EndTimeUnixNano: base + int64(i+1)*step, SessionId: "kill"}
		if i%2 == 0 {
			s.Type, s.Model, s.Provider = atv1.SpanType_SPAN_TYPE_LLM_CALL, "gpt-4o-mini", "openai"
			s.Usage = &atv1.TokenUsage{InputTokens: 500, OutputTokens: 50}
		} else {
			s.Type = atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION
			s.Tool = &atv1.ToolCall{Name: "search", Input: fmt.Sprintf(`{"q":%d}`, i)}
		}
		b.Spans = append(b.Spans, s)
	}
	return b
}
