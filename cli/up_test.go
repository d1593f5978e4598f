package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upResult is a stack started in process by startStack.
type upResult struct {
	state  stackState
	stdout *syncBuffer
	stop   func() error
}

// startStack runs `up` in this process with the given options and waits
// until it serves.
func startStack(t *testing.T, o upOptions) upResult {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	a := &app{env: Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		LookupEnv: func(string) (string, bool) { return "", false }}}
	o.lookupEnv = a.env.LookupEnv
	if o.readyTimeout == 0 {
		o.readyTimeout = 30 * time.Second
	}
	ready := make(chan stackState, 1)
	o.ready = func(st stackState) { ready <- st }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.runStack(ctx, &o) }()
	var stopOnce sync.Once
	var stopErr error
	stop := func() error {
		stopOnce.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(60 * time.Second):
				stopErr = fmt.Errorf("the stack did not stop within 60s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { stop() })
	select {
	case st := <-ready:
		return upResult{state: st, stdout: stdout, stop: stop}
	case err := <-done:
		t.Fatalf("up failed: %v\nstderr: %s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("up did not become ready\nstderr: %s", stderr.String())
	}
	return upResult{}
}

// freePorts rewrites every listen address to a free port, so the test
// runs beside anything else on this machine.
func freePorts(t *testing.T) func(path, hostport string) string {
	var mu sync.Mutex
	ports := map[string]string{}
	return func(path, hp string) string {
		mu.Lock()
		defer mu.Unlock()
		if p, ok := ports[path]; ok {
			return p
		}
		host, _, err := net.SplitHostPort(hp)
		require.NoError(t, err)
		p := net.JoinHostPort(host, freePort(t))
		ports[path] = p
		return p
	}
}

// TestUpEmbeddedConfig starts the shipped default configuration on free
// ports, checks every part is healthy, sends a span over the native HTTP
// protocol, reads it back through the CLI, and stops.
func TestUpEmbeddedConfig(t *testing.T) {
	dir := t.TempDir()
	up := startStack(t, upOptions{stackConfig: stackConfig{dataDir: dir, dataDirSet: true, rewrite: freePorts(t),
		logLevel: "warn"}, apiListen: defaultAPIEndpoint})
	st := up.state
	assert.Equal(t, os.Getpid(), st.PID)
	assert.Equal(t, filepath.Join(dir, "agenttrace.db"), st.Store)
	require.NotEmpty(t, st.APIURL)
	for _, name := range []string{"native gRPC", "native HTTP", "native UDP", "OTLP gRPC", "OTLP HTTP", "API + dashboard"} {
		_, ok := (&stackPlan{endpoints: st.Endpoints}).find(name)
		assert.True(t, ok, "the banner and status know the %s endpoint", name)
	}
	banner := up.stdout.String()
	assert.Contains(t, banner, "Dashboard + API   "+st.APIURL)
	assert.Contains(t, banner, "AGENTTRACE_ENDPOINT=http://")

	// status: every part healthy, read from the state files.
	a := &app{env: Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, LookupEnv: func(string) (string, bool) { return "", false }}}
	rep := a.stackStatus(context.Background(), dir)
	require.True(t, rep.Running)
	for _, p := range rep.Parts {
		assert.True(t, p.Healthy, "%s at %s: %s", p.Part, p.Address, p.State)
	}
	assert.True(t, rep.Healthy)

	// The dashboard answers at the API's root.
	resp, err := http.Get(st.APIURL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// A span sent to the collector is readable through the CLI.
	native, _ := (&stackPlan{endpoints: st.Endpoints}).find("native HTTP")
	sendSpan(t, "http://"+dialAddr(native.Addr), "0af7651916cd43dd8448eb211c80319c", "up-test")
	api := &testAPI{URL: st.APIURL}
	require.Eventually(t, func() bool {
		r := run(t, api, "traces", "list")
		return r.code == 0 && strings.Contains(r.stdout, "up-test")
	}, 20*time.Second, 200*time.Millisecond, "the span reaches the store and the API")
	r := run(t, api, "traces", "tree", "0af7651916cd43dd8448eb211c80319c")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "✦ up-test")
	assert.Contains(t, r.stdout, "gpt-4o")

	// A second up on the same data directory refuses.
	b := &app{env: a.env}
	o2 := upOptions{stackConfig: stackConfig{dataDir: dir, lookupEnv: a.env.LookupEnv}, apiListen: defaultAPIEndpoint}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = b.runStack(ctx, &o2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("already running from %s (pid %d)", dir, os.Getpid()))

	require.NoError(t, up.stop())
	_, err = os.Stat(filepath.Join(dir, pidFileName))
	assert.ErrorIs(t, err, os.ErrNotExist, "the pid file goes with the process")
	assert.False(t, a.stackStatus(context.Background(), dir).Running)
}

// TestUpConfigFile runs a configuration without the API extension: up
// serves the API itself over the configuration's SQLite store.
func TestUpConfigFile(t *testing.T) {
	dir := t.TempDir()
	grpcPort, httpPort, udpPort, healthPort := freePort(t), freePort(t), freePort(t), freePort(t)
	conf := fmt.Sprintf(`
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:%s
receivers:
  agenttrace:
    grpc: {endpoint: "127.0.0.1:%s"}
    http: {endpoint: "127.0.0.1:%s"}
    udp: {endpoint: "127.0.0.1:%s"}
processors:
  tokencost:
exporters:
  sqlite:
    path: %s
service:
  extensions: [healthcheckv2]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [tokencost]
      exporters: [sqlite]
`, healthPort, grpcPort, httpPort, udpPort, filepath.Join(dir, "store.db"))
	file := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(file, []byte(conf), 0o644))
	apiAddr := "127.0.0.1:" + freePort(t)

	up := startStack(t, upOptions{stackConfig: stackConfig{configs: []string{file}, dataDir: dir}, apiListen: apiAddr})
	assert.Equal(t, "http://"+apiAddr, up.state.APIURL)
	assert.Equal(t, "http://127.0.0.1:"+healthPort+"/status", up.state.HealthURL)
	assert.Equal(t, filepath.Join(dir, "store.db"), up.state.Store)

	sendSpan(t, "http://127.0.0.1:"+httpPort, "1af7651916cd43dd8448eb211c80319c", "file-config")
	api := &testAPI{URL: up.state.APIURL}
	require.Eventually(t, func() bool {
		r := run(t, api, "spans", "query", "-o", "json")
		return r.code == 0 && strings.Contains(r.stdout, "file-config")
	}, 20*time.Second, 200*time.Millisecond)
	require.NoError(t, up.stop())
}

// TestUpBusyPort checks up names the taken port and the process holding it.
func TestUpBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	taken := ln.Addr().String()
	rewrite := freePorts(t)
	o := upOptions{stackConfig: stackConfig{dataDir: t.TempDir(), lookupEnv: func(string) (string, bool) { return "", false },
		rewrite: func(path, hp string) string {
			if strings.HasSuffix(path, "agenttrace::http::endpoint") {
				return taken
			}
			return rewrite(path, hp)
		}}, apiListen: defaultAPIEndpoint}
	a := &app{env: Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = a.runStack(ctx, &o)
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("TCP %s (native HTTP) is in use by pid %d (", taken, os.Getpid()))
}

func TestPortOffset(t *testing.T) {
	assert.Equal(t, "127.0.0.1:14317", shiftPort("127.0.0.1:4317", 10000))
	assert.Equal(t, "[::1]:8081", shiftPort("[::1]:8080", 1))
	assert.Equal(t, "127.0.0.1:0", shiftPort("127.0.0.1:0", 5), "an ephemeral port stays ephemeral")
	assert.Equal(t, "127.0.0.1:65000", shiftPort("127.0.0.1:65000", 1000), "out of range: unchanged")
}

// sendSpan posts one finished LLM span to the native HTTP receiver.
func sendSpan(t *testing.T, base, traceID, name string) {
	t.Helper()
	now := time.Now()
	body := fmt.Sprintf(`{"service_name":"up-test","spans":[{"trace_id":%q,"span_id":"00f067aa0ba902b7","name":%q,
		"type":"llm_call","status":"ok","start_time_unix_nano":"%d","end_time_unix_nano":"%d","model":"gpt-4o",
		"provider":"openai","usage":{"input_tokens":100,"output_tokens":20}}]}`,
		traceID, name, now.UnixNano(), now.Add(300*time.Millisecond).UnixNano())
	resp, err := http.Post(base+"/v1/spans", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
