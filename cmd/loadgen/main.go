// Command loadgen sends realistic agent traces to an AgentTrace collector —
// sessions of tasks with LLM calls (tokens, 1–4 KB prompts), tool calls and
// retrievals — over native HTTP (protobuf or JSON), gRPC, UDP or OTLP/gRPC,
// at a target rate (open loop) or as fast as it can. It reports the achieved
// spans/s, request latency percentiles and errors, and with -verify checks
// in the store that every acknowledged span arrived (sent == stored).
//
//	go run ./cmd/loadgen -transport grpc -rate 20000 -duration 20s \
//	    -verify sqlite:./data/agenttrace.db
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
	"github.com/agenttrace/agenttrace/sdk/go/agenttrace"
)

type options struct {
	transport     string
	addr          string
	sessionAddr   string
	rate          float64
	duration      time.Duration
	maxSpans      int64
	workers       int
	batch         int
	sessions      bool
	sh            shape
	verify        string
	pgSchema      string
	verifyTimeout time.Duration
	pid           int
	out           string
	label         string
	seed          uint64
	timeout       time.Duration
	retries       int
}

func main() {
	var o options
	flag.StringVar(&o.transport, "transport", "http", "http (protobuf), http-json, grpc, udp or otlp (OTLP/gRPC)")
	flag.StringVar(&o.addr, "addr", "", "target: host:port, or a URL for http (default: the transport's default port on 127.0.0.1)")
	flag.StringVar(&o.sessionAddr, "session-endpoint", "", "native HTTP URL for session start/end with -transport udp (default: none sent)")
	flag.Float64Var(&o.rate, "rate", 0, "target spans/s, open loop (0: as fast as possible)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	flag.Int64Var(&o.maxSpans, "spans", 0, "stop after this many spans (0: no limit)")
	flag.IntVar(&o.workers, "workers", 4, "concurrent senders")
	flag.IntVar(&o.batch, "batch", 200, "spans per request (UDP splits each into datagrams < 60 KB)")
	flag.BoolVar(&o.sessions, "sessions", true, "announce session start/end (native gRPC/HTTP)")
	flag.IntVar(&o.sh.tracesPerSession, "traces-per-session", 5, "tasks per session")
	flag.IntVar(&o.sh.llmPerTrace, "llm", 3, "LLM calls per task")
	flag.IntVar(&o.sh.toolsPerTrace, "tools", 2, "tool calls per task")
	flag.IntVar(&o.sh.retrievals, "retrievals", 1, "retrievals per task")
	flag.IntVar(&o.sh.promptMin, "prompt-min", 1024, "smallest prompt, bytes")
	flag.IntVar(&o.sh.promptMax, "prompt-max", 4096, "largest prompt, bytes")
	flag.Float64Var(&o.sh.errorRate, "error-rate", 0.02, "fraction of tool calls that fail")
	flag.StringVar(&o.verify, "verify", "", "after sending, check the store: sqlite:PATH or postgres:DSN")
	flag.StringVar(&o.pgSchema, "pg-schema", "", "PostgreSQL schema of the store (with -verify postgres:…)")
	flag.DurationVar(&o.verifyTimeout, "verify-timeout", 2*time.Minute, "how long to wait for the store to catch up")
	flag.IntVar(&o.pid, "pid", 0, "collector process id: report its CPU per span and peak RSS (from /proc)")
	flag.StringVar(&o.out, "out", "", "also write the results as shell KEY=value lines to this file")
	flag.StringVar(&o.label, "label", "", "label for the results")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.IntVar(&o.retries, "retries", 30, "resend a batch the collector pushed back (503, Unavailable) up to this many times, backing off 50 ms → 1 s")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	res.print(os.Stdout)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(res.shell()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
	}
	if !res.ok() {
		os.Exit(1)
	}
}

func (o *options) validate() error {
	var errs []error
	switch o.transport {
	case "http", "http-json", "grpc", "udp", "otlp":
	default:
		errs = append(errs, fmt.Errorf("-transport: want http, http-json, grpc, udp or otlp, got %q", o.transport))
	}
	if o.workers < 1 || o.batch < 1 {
		errs = append(errs, errors.New("-workers and -batch must be >= 1"))
	}
	if o.duration <= 0 && o.maxSpans <= 0 {
		errs = append(errs, errors.New("-duration or -spans must be > 0"))
	}
	if o.sh.promptMin < 0 || o.sh.promptMax < o.sh.promptMin || o.sh.promptMax > 32<<10 {
		errs = append(errs, errors.New("-prompt-min/-prompt-max: want 0 <= min <= max <= 32768"))
	}
	if o.sh.tracesPerSession < 1 || o.sh.llmPerTrace < 0 || o.sh.toolsPerTrace < 0 || o.sh.retrievals < 0 {
		errs = append(errs, errors.New("shape: -traces-per-session >= 1, others >= 0"))
	}
	if o.verify != "" && !strings.HasPrefix(o.verify, "sqlite:") && !strings.HasPrefix(o.verify, "postgres:") {
		errs = append(errs, fmt.Errorf("-verify: want sqlite:PATH or postgres:DSN, got %q", o.verify))
	}
	if o.addr == "" {
		o.addr = map[string]string{"http": agenttrace.DefaultHTTPEndpoint, "http-json": agenttrace.DefaultHTTPEndpoint,
			"grpc": agenttrace.DefaultGRPCAddr, "udp": agenttrace.DefaultUDPAddr, "otlp": "127.0.0.1:4317"}[o.transport]
	}
	return errors.Join(errs...)
}

// sender sends one batch and returns how many spans were acknowledged.
type sender interface {
	send(ctx context.Context, spans []*atv1.Span, otlp *ptraceotlp.ExportRequest) (int64, error)
	startSession(ctx context.Context, id string)
	endSession(ctx context.Context, id string)
	close() error
}

type nativeSender struct {
	exp      agenttrace.Exporter
	sessions bool
}

func (s *nativeSender) send(ctx context.Context, spans []*atv1.Span, _ *ptraceotlp.ExportRequest) (int64, error) {
	err := s.exp.Export(ctx, &atv1.SpanBatch{Spans: spans, ServiceName: "loadgen", SdkVersion: agenttrace.Version})
	return agenttrace.Accepted(len(spans), err), err
}

func (s *nativeSender) startSession(ctx context.Context, id string) {
	if s.sessions {
		_ = s.exp.StartSession(ctx, &atv1.StartSessionRequest{SessionId: id, Name: "loadgen session",
			Framework: "loadgen", AgentName: "support-agent"})
	}
}

func (s *nativeSender) endSession(ctx context.Context, id string) {
	if s.sessions {
		_, _ = s.exp.EndSession(ctx, &atv1.EndSessionRequest{SessionId: id, Status: atv1.SpanStatus_SPAN_STATUS_OK})
	}
}

func (s *nativeSender) close() error { return s.exp.Shutdown(context.Background()) }

type otlpSenderAdapter struct{ s *otlpSender }

func (a otlpSenderAdapter) send(ctx context.Context, spans []*atv1.Span, req *ptraceotlp.ExportRequest) (int64, error) {
	return a.s.send(ctx, *req, len(spans))
}
func (otlpSenderAdapter) startSession(context.Context, string) {}
func (otlpSenderAdapter) endSession(context.Context, string)   {}
func (a otlpSenderAdapter) close() error                       { return a.s.close() }

func newSender(o options) (sender, error) {
	var (
		exp agenttrace.Exporter
		err error
	)
	switch o.transport {
	case "otlp":
		s, err := newOTLPSender(o.addr)
		if err != nil {
			return nil, err
		}
		return otlpSenderAdapter{s}, nil
	case "grpc":
		exp, err = agenttrace.NewGRPCExporter(agenttrace.GRPCOptions{Addr: o.addr, Timeout: o.timeout})
	case "http", "http-json":
		exp, err = agenttrace.NewHTTPExporter(agenttrace.HTTPOptions{Endpoint: o.addr, JSON: o.transport == "http-json", Timeout: o.timeout})
	case "udp":
		exp, err = agenttrace.NewUDPExporter(agenttrace.UDPOptions{Addr: o.addr, SessionEndpoint: o.sessionAddr, Timeout: o.timeout})
	}
	if err != nil {
		return nil, err
	}
	sessions := o.sessions && (o.transport != "udp" || o.sessionAddr != "")
	return &nativeSender{exp: exp, sessions: sessions}, nil
}

// counters are shared by the workers.
type counters struct {
	sent, acked, failedSpans, requests, failedReqs atomic.Int64
	tokens                                         [6]atomic.Int64 // acked spans' buckets
	llmAcked                                       atomic.Int64
	missed                                         atomic.Int64 // open loop: sends the workers could not start on time
	retries                                        atomic.Int64 // batches sent again after back-pressure
	firstErr                                       atomic.Pointer[string]
}

func (c *counters) addTokens(spans []*atv1.Span) {
	var t [6]int64
	var llm int64
	for _, s := range spans {
		if u := s.Usage; u != nil {
			t[0] += u.InputTokens
			t[1] += u.OutputTokens
			t[2] += u.CacheReadTokens
			t[3] += u.CacheWriteTokens
			t[4] += u.CacheWrite_1HTokens
			t[5] += u.ReasoningTokens
		}
		if s.Type == atv1.SpanType_SPAN_TYPE_LLM_CALL {
			llm++
		}
	}
	for i := range t {
		c.tokens[i].Add(t[i])
	}
	c.llmAcked.Add(llm)
}

func run(ctx context.Context, o options) (*result, error) {
	res := &result{opts: o}
	runStart := time.Now()
	runID := fmt.Sprintf("%x", runStart.UnixNano()&0xffffffffff)
	var cpu0 procSample
	if o.pid > 0 {
		var err error
		if cpu0, err = readProc(o.pid); err != nil {
			return nil, err
		}
	}
	var st *store
	if o.verify != "" {
		var err error
		if st, err = openStore(ctx, o, runStart); err != nil {
			return nil, err
		}
	}
	var c counters
	latencies := make([][]time.Duration, o.workers)
	var budget atomic.Int64 // spans left when -spans is set
	budget.Store(o.maxSpans)
	if o.maxSpans <= 0 {
		budget.Store(1 << 62)
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	if o.duration > 0 {
		var cancel context.CancelFunc
		loadCtx, cancel = context.WithTimeout(loadCtx, o.duration)
		defer cancel()
	}
	// Open loop: a ticker hands out send times; a worker that takes one
	// late still measures latency from the intended time, so a saturated
	// collector shows as latency, not as a quietly lower offered rate.
	var tickets chan time.Time
	if o.rate > 0 {
		tickets = make(chan time.Time, 4096)
		interval := time.Duration(float64(time.Second) * float64(o.batch) / o.rate)
		go func() {
			defer close(tickets)
			next := time.Now()
			for {
				now := time.Now()
				for !next.After(now) {
					select {
					case tickets <- next:
					default:
						c.missed.Add(1)
					}
					next = next.Add(interval)
				}
				select {
				case <-loadCtx.Done():
					return
				case <-time.After(next.Sub(now)):
				}
			}
		}()
	}
	senders := make([]sender, o.workers)
	for i := range senders {
		s, err := newSender(o)
		if err != nil {
			return nil, err
		}
		senders[i] = s
	}
	var wg sync.WaitGroup
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := senders[w]
			g := newGenerator(o.sh, o.seed, runID, w)
			lat := make([]time.Duration, 0, 1<<14)
			defer func() { latencies[w] = lat }()
			var open []string
			for loadCtx.Err() == nil {
				n := int64(o.batch)
				if left := budget.Add(-n); left < 0 {
					n += left
					if n <= 0 {
						break
					}
				}
				spans := g.next(int(n), nil)
				started, ended := g.takeSessions()
				var req *ptraceotlp.ExportRequest
				if o.transport == "otlp" {
					r := toOTLP(spans)
					req = &r
				}
				due := time.Now()
				if tickets != nil {
					t, ok := <-tickets
					if !ok {
						break
					}
					due = t
				}
				rctx, cancel := context.WithTimeout(ctx, o.timeout)
				for _, id := range started {
					s.startSession(rctx, id)
					open = append(open, id)
				}
				acked, err := s.send(rctx, spans, req)
				// Back-pressure (full queue, memory_limiter): back off and send
				// the same batch again, as a real client would.
				for try, wait := 0, 50*time.Millisecond; err != nil && acked == 0 && try < o.retries &&
					agenttrace.IsRetryable(err) && ctx.Err() == nil; try++ {
					c.retries.Add(1)
					time.Sleep(wait)
					wait = min(2*wait, time.Second)
					cancel()
					rctx, cancel = context.WithTimeout(ctx, o.timeout)
					acked, err = s.send(rctx, spans, req)
				}
				for _, id := range ended {
					s.endSession(rctx, id)
					open = remove(open, id)
				}
				cancel()
				lat = append(lat, time.Since(due))
				c.requests.Add(1)
				c.sent.Add(int64(len(spans)))
				c.acked.Add(acked)
				if acked == int64(len(spans)) {
					c.addTokens(spans)
				} else {
					c.failedSpans.Add(int64(len(spans)) - acked)
					if acked > 0 { // token totals of a partial batch are unknown: mark unverifiable
						res.partial.Store(true)
					}
				}
				if err != nil {
					c.failedReqs.Add(1)
					msg := err.Error()
					c.firstErr.CompareAndSwap(nil, &msg)
				}
			}
			ectx, cancel := context.WithTimeout(ctx, o.timeout)
			defer cancel()
			for _, id := range open {
				s.endSession(ectx, id)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(runStart)
	stopLoad() // the -spans budget may end the load before -duration: stop the ticker
	if tickets != nil {
		for range tickets { // due but never sent: the offered rate was not reached
			c.missed.Add(1)
		}
	}
	for _, s := range senders {
		_ = s.close()
	}
	if o.pid > 0 {
		cpu1, err := readProc(o.pid)
		if err != nil {
			return nil, err
		}
		res.cpuSeconds = (cpu1.cpu - cpu0.cpu).Seconds()
		res.peakRSSKB = cpu1.hwmKB
	}
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res.elapsed = elapsed
	res.sent, res.acked, res.failedSpans = c.sent.Load(), c.acked.Load(), c.failedSpans.Load()
	res.requests, res.failedReqs, res.missed = c.requests.Load(), c.failedReqs.Load(), c.missed.Load()
	res.retries = c.retries.Load()
	for i := range res.tokens {
		res.tokens[i] = c.tokens[i].Load()
	}
	res.llm = c.llmAcked.Load()
	if p := c.firstErr.Load(); p != nil {
		res.firstErr = *p
	}
	res.p50, res.p95, res.p99, res.max = pct(all, 0.50), pct(all, 0.95), pct(all, 0.99), pct(all, 1)
	if o.verify != "" {
		if err := verify(ctx, o, st, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func remove(s []string, v string) []string {
	for i, x := range s {
		if x == v {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	return sorted[min(i, len(sorted)-1)]
}

// procSample is a process's CPU time and peak RSS from /proc.
type procSample struct {
	cpu   time.Duration
	hwmKB int64
}

func readProc(pid int) (procSample, error) {
	var p procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, fmt.Errorf("-pid %d: %w", pid, err)
	}
	// Fields after the command name (which may contain spaces) — utime and
	// stime are fields 14 and 15 (1-based), in clock ticks (100 Hz on Linux).
	s := string(stat)
	rest := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var ut, st int64
	fmt.Sscan(rest[11], &ut)
	fmt.Sscan(rest[12], &st)
	p.cpu = time.Duration(ut+st) * (time.Second / 100)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, fmt.Errorf("-pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), &p.hwmKB)
		}
	}
	return p, nil
}
