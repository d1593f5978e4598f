package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/collector/otelcol"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace"
	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/dashboard"
	"github.com/agenttrace/agenttrace/internal/distribution"
	"github.com/agenttrace/agenttrace/internal/storage/open"
)

// defaultReadyTimeout bounds the wait for a starting stack.
const defaultReadyTimeout = 60 * time.Second

// envUpChild marks the background process started by `up --detach`.
const envUpChild = "AGENTTRACE_UP_CHILD"

// upOptions are the flags of `up`.
type upOptions struct {
	stackConfig
	detach       bool
	portOffset   int
	apiListen    string
	readyTimeout time.Duration
	// child is true in the process `up --detach` started.
	child bool
	// ready is called once the stack serves (tests).
	ready func(stackState)
}

func (a *app) upCommand() *cobra.Command {
	o := upOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the local stack: collector, API and dashboard in one process",
		Long: `Start AgentTrace locally in one process: the collector (native protocol and
OTLP receivers, token cost, SQLite store) with the API and dashboard. Without
--config it runs the embedded default configuration, storing into
<data-dir>/agenttrace.db.

Before starting, every port is checked; a taken port is reported with the
process holding it. With --detach the stack runs in the background, with its
pid file and log file in the data directory; 'agenttrace down' stops it,
'agenttrace status' checks it and 'agenttrace logs' shows its log.`,
		Example: `  agenttrace up
  agenttrace up --detach
  agenttrace up --port-offset 10000          # 18080, 14317, 14320 … next to another stack
  agenttrace up --config my-collector.yaml --set exporters::sqlite::path=/tmp/at.db`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.dataDirSet = cmd.Flags().Changed("data-dir")
			if v, ok := a.env.LookupEnv(envUpChild); ok && v == "1" {
				o.child = true
			}
			if !cmd.Flags().Changed("log-level") && len(o.configs) == 0 {
				o.logLevel = "warn"
				if o.detach || o.child {
					o.logLevel = "info"
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if o.detach && !o.child {
				return a.detachUp(ctx, &o)
			}
			return a.runStack(ctx, &o)
		},
	}
	a.stackFlags(cmd, &o.stackConfig)
	f := cmd.Flags()
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background (pid and log file in the data directory)")
	f.IntVar(&o.portOffset, "port-offset", 0, "add N to every listening port (run a second stack beside the first)")
	f.StringVar(&o.apiListen, "api-listen", defaultAPIEndpoint, "API and dashboard address, when the configuration does not host the API itself")
	f.StringVar(&o.logLevel, "log-level", "", "collector log level: debug, info, warn, error (default warn; info with --detach)")
	f.DurationVar(&o.readyTimeout, "ready-timeout", defaultReadyTimeout, "how long to wait for the stack to become healthy")
	return cmd
}

// stackFlags registers the configuration flags shared by up and config.
func (a *app) stackFlags(cmd *cobra.Command, c *stackConfig) {
	c.lookupEnv = a.env.LookupEnv
	f := cmd.Flags()
	f.StringArrayVar(&c.configs, "config", nil, "collector configuration file or URI (repeatable; default: the embedded config)")
	f.StringArrayVar(&c.sets, "set", nil, "override one setting: key::path=value (repeatable)")
	f.StringVar(&c.dataDir, "data-dir", "./data", "directory of the SQLite store, pid file and log file")
}

// prepare resolves the configuration and finds what it will listen on.
func (o *upOptions) prepare(ctx context.Context) (stackPlan, error) {
	if err := o.checkSets(); err != nil {
		return stackPlan{}, err
	}
	if o.portOffset != 0 {
		offset, inner := o.portOffset, o.rewrite
		o.rewrite = func(path, hp string) string {
			if inner != nil {
				hp = inner(path, hp)
			}
			return shiftPort(hp, offset)
		}
	}
	conf, err := o.resolve(ctx)
	if err != nil {
		return stackPlan{}, err
	}
	plan := planOf(conf)
	if !plan.apiExtension {
		addr := o.apiListen
		if o.rewrite != nil {
			addr = o.rewrite("agenttrace::api_listen", addr)
		}
		plan.apiAddr = addr
		plan.endpoints = append([]endpoint{{Name: "API + dashboard", Path: "--api-listen", Addr: addr, Proto: "tcp"}},
			plan.endpoints...)
	}
	return plan, nil
}

func shiftPort(hp string, offset int) string {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return hp
	}
	n, err := strconv.Atoi(p)
	if err != nil || n == 0 || n+offset <= 0 || n+offset > 65535 {
		return hp
	}
	return net.JoinHostPort(h, strconv.Itoa(n+offset))
}

// runStack runs the collector (and, when its configuration does not host
// it, the API) in this process until ctx ends.
func (a *app) runStack(ctx context.Context, o *upOptions) error {
	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	o.dataDir = dataDir
	if pid, ok := runningPID(dataDir); ok {
		return fmt.Errorf("AgentTrace is already running from %s (pid %d); stop it with `agenttrace down`", dataDir, pid)
	}
	plan, err := o.prepare(ctx)
	if err != nil {
		return err
	}
	if busy := checkPorts(plan.endpoints); len(busy) > 0 {
		return busyError(busy, ownerAgentTrace(busy))
	}

	if o.embedded() {
		// The same soft memory limit as the collector binary in local mode.
		distribution.ApplyLocalMemoryLimit(os.Getenv)
	}
	settings := distribution.Settings(distribution.Components)
	settings.ConfigProviderSettings.ResolverSettings = o.settings()
	settings.DisableGracefulShutdown = true // ctx carries the signals
	col, err := otelcol.NewCollector(settings)
	if err != nil {
		return fmt.Errorf("create the collector: %w", err)
	}
	colCtx, stopCol := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCol()
	colDone := make(chan error, 1)
	go func() { colDone <- col.Run(colCtx) }()
	if err := waitRunning(ctx, col, colDone); err != nil {
		return err
	}

	var api *apiserver.Server
	apiDone := make(chan error, 1)
	if !plan.apiExtension && plan.store != "" {
		store, err := open.Open(ctx, "sqlite://"+plan.store)
		if err != nil {
			stopCol()
			<-colDone
			return fmt.Errorf("open the store for the API: %w", err)
		}
		defer store.Close()
		cfg := apiserver.DefaultConfig()
		cfg.Endpoint = plan.apiAddr
		cfg.LoadEnv(a.env.LookupEnv)
		api, err = apiserver.New(cfg, store, apiserver.WithVersion(agenttrace.Version),
			apiserver.WithDashboard(dashboard.Assets()), apiserver.WithLogger(zap.NewNop()))
		if err == nil {
			var ln net.Listener
			if ln, err = net.Listen("tcp", plan.apiAddr); err == nil {
				go func() { apiDone <- api.Serve(ln) }()
			}
		}
		if err != nil {
			stopCol()
			<-colDone
			return fmt.Errorf("start the API on %s: %w", plan.apiAddr, err)
		}
	} else if !plan.apiExtension {
		plan.apiAddr = ""
		fmt.Fprintln(a.env.Stderr, "note: this configuration has no agenttrace_api extension and no sqlite exporter, so no API or dashboard runs")
	}

	state := stackState{PID: os.Getpid(), Started: time.Now().UTC(), Version: agenttrace.Version, DataDir: dataDir,
		Configs: o.uris(), Store: absPath(plan.store), Endpoints: plan.endpoints}
	state.Executable, _ = os.Executable()
	if plan.apiAddr != "" {
		state.APIURL = "http://" + dialAddr(plan.apiAddr)
	}
	if plan.healthAddr != "" {
		state.HealthURL = "http://" + dialAddr(plan.healthAddr) + "/status"
	}
	if o.child {
		state.LogFile = filepath.Join(dataDir, logFileName)
	}
	shutdown := func() error {
		var errs []error
		if api != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			errs = append(errs, api.Shutdown(sctx))
			cancel()
		}
		stopCol()
		select {
		case err := <-colDone:
			errs = append(errs, err)
		case <-time.After(60 * time.Second):
			errs = append(errs, errors.New("the collector did not stop within 60s"))
		}
		removeState(dataDir, os.Getpid())
		return errors.Join(errs...)
	}

	if err := waitHealthy(ctx, state, o.readyTimeout); err != nil {
		return errors.Join(err, shutdown())
	}
	if err := writeState(dataDir, state); err != nil {
		return errors.Join(err, shutdown())
	}
	printBanner(a.env.Stdout, state, o.child)
	if o.ready != nil {
		o.ready(state)
	}

	var runErr error
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.env.Stderr, "Stopping AgentTrace…")
	case runErr = <-colDone:
		colDone <- runErr // shutdown reads it
		if runErr != nil {
			runErr = fmt.Errorf("the collector stopped: %w", runErr)
		} else {
			runErr = errors.New("the collector stopped")
		}
	case runErr = <-apiDone:
		runErr = fmt.Errorf("the API server stopped: %w", runErr)
	}
	err = errors.Join(runErr, shutdown())
	if err == nil {
		fmt.Fprintln(a.env.Stderr, "AgentTrace stopped.")
	}
	return err
}

// ownerAgentTrace returns the pid of an AgentTrace process among the
// owners of busy ports (0 when none is).
func ownerAgentTrace(busy []busyPort) int {
	for _, b := range busy {
		if b.pid > 0 && strings.Contains(processCommand(b.pid), "agenttrace") {
			return b.pid
		}
	}
	return 0
}

// waitRunning waits for the collector to start its pipelines.
func waitRunning(ctx context.Context, col *otelcol.Collector, done <-chan error) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("it stopped during start-up")
			}
			return fmt.Errorf("the collector did not start: %w", err)
		case <-ctx.Done():
			col.Shutdown()
			<-done
			return ctx.Err()
		case <-t.C:
			if col.GetState() == otelcol.StateRunning {
				return nil
			}
		}
	}
}

// waitHealthy waits until the API and the collector's health check answer.
func waitHealthy(ctx context.Context, st stackState, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for _, u := range []string{st.APIURL + "/health", st.HealthURL} {
		if u == "" || u == "/health" {
			continue
		}
		for {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not become healthy within %s: %v", u, timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// dialAddr turns a listen address into one to connect to: an unspecified
// host (all interfaces) becomes 127.0.0.1.
func dialAddr(hp string) string {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return hp
	}
	if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, p)
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// printBanner tells where everything is and how to send spans.
func printBanner(w io.Writer, st stackState, background bool) {
	var b strings.Builder
	if background {
		fmt.Fprintf(&b, "AgentTrace is running in the background (pid %d).\n\n", st.PID)
	} else {
		b.WriteString("AgentTrace is running.\n\n")
	}
	kv := &keyValues{}
	if st.APIURL != "" {
		kv.add("  Dashboard + API", st.APIURL)
	}
	var native, otlp []string
	for _, e := range st.Endpoints {
		switch e.Name {
		case "native gRPC":
			native = append(native, "gRPC "+dialAddr(e.Addr))
		case "native HTTP":
			native = append(native, "HTTP http://"+dialAddr(e.Addr))
		case "native UDP":
			native = append(native, "UDP "+dialAddr(e.Addr))
		case "OTLP gRPC":
			otlp = append(otlp, "gRPC "+dialAddr(e.Addr))
		case "OTLP HTTP":
			otlp = append(otlp, "HTTP http://"+dialAddr(e.Addr))
		}
	}
	if len(native) > 0 {
		kv.add("  Native protocol", strings.Join(native, " · "))
	}
	if len(otlp) > 0 {
		kv.add("  OTLP", strings.Join(otlp, " · "))
	}
	if st.HealthURL != "" {
		kv.add("  Collector health", st.HealthURL)
	}
	if st.Store != "" {
		kv.add("  Store", st.Store)
	}
	if st.LogFile != "" {
		kv.add("  Log", st.LogFile)
	}
	kv.render(&b)
	if ep, ok := (&stackPlan{endpoints: st.Endpoints}).find("native HTTP"); ok {
		fmt.Fprintf(&b, `
Send spans from Python (standard library only, Python ≥ 3.9):

  export PYTHONPATH=$PWD/sdk/python          # or: pip install -e sdk/python
  export AGENTTRACE_ENDPOINT=http://%s

  import agenttrace
  agenttrace.init(service_name="my-agent")
  with agenttrace.start_span("plan", span_type="reasoning"):
      ...
`, dialAddr(ep.Addr))
	}
	if ep, ok := (&stackPlan{endpoints: st.Endpoints}).find("OTLP HTTP"); ok {
		fmt.Fprintf(&b, "\nAny OpenTelemetry SDK:  export OTEL_EXPORTER_OTLP_ENDPOINT=http://%s\n", dialAddr(ep.Addr))
	}
	watch := "agenttrace tui  ·  agenttrace spans stream  ·  agenttrace status"
	if st.APIURL != "" && st.APIURL != apiURLDefault() {
		watch = "agenttrace --api " + st.APIURL + " tui"
	}
	fmt.Fprintf(&b, "\nWatch it live:  %s\n", watch)
	if background {
		b.WriteString("Stop it:        agenttrace down\n")
	} else {
		b.WriteString("Stop it:        Ctrl-C\n")
	}
	io.WriteString(w, b.String())
}

func apiURLDefault() string { return "http://" + defaultAPIEndpoint }

// detachUp starts `up` again as a background process and waits until it
// serves.
func (a *app) detachUp(ctx context.Context, o *upOptions) error {
	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	if pid, ok := runningPID(dataDir); ok {
		return fmt.Errorf("AgentTrace is already running from %s (pid %d); stop it with `agenttrace down`", dataDir, pid)
	}
	// Check here too, so a taken port is reported at once, not in the log.
	prepared := *o
	plan, err := prepared.prepare(ctx)
	if err != nil {
		return err
	}
	if busy := checkPorts(plan.endpoints); len(busy) > 0 {
		return busyError(busy, ownerAgentTrace(busy))
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to start it in the background: %w", err)
	}
	logPath := filepath.Join(dataDir, logFileName)
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open the log file: %w", err)
	}
	defer logFile.Close()
	logStart, _ := logFile.Seek(0, io.SeekEnd)
	fmt.Fprintf(logFile, "\n=== agenttrace up --detach, %s ===\n", time.Now().Format(time.RFC3339))

	args := []string{"up", "--data-dir", dataDir}
	if o.portOffset != 0 {
		args = append(args, "--port-offset", strconv.Itoa(o.portOffset))
	}
	if o.apiListen != defaultAPIEndpoint {
		args = append(args, "--api-listen", o.apiListen)
	}
	if o.readyTimeout != defaultReadyTimeout {
		args = append(args, "--ready-timeout", o.readyTimeout.String())
	}
	if o.logLevel != "" {
		args = append(args, "--log-level", o.logLevel)
	}
	for _, c := range o.configs {
		if fileExists(c) {
			c = absPath(c)
		}
		args = append(args, "--config", c)
	}
	for _, s := range o.sets {
		args = append(args, "--set", s)
	}
	child := exec.Command(exe, args...)
	child.Env = append(os.Environ(), envUpChild+"=1")
	child.Stdout, child.Stderr = logFile, logFile
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // survives this terminal
	if err := child.Start(); err != nil {
		return fmt.Errorf("start the background process: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	deadline := time.Now().Add(o.readyTimeout + 10*time.Second)
	for {
		if st, err := readState(dataDir); err == nil && st.PID == child.Process.Pid {
			printBanner(a.env.Stdout, st, true)
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("AgentTrace exited during start-up (%v); its log says:\n%s", err, logTail(logPath, logStart, 30))
		case <-ctx.Done():
			child.Process.Signal(syscall.SIGTERM)
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			child.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("AgentTrace did not become ready within %s; see %s", o.readyTimeout, logPath)
		}
	}
}
