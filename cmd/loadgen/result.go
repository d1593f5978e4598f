package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/postgres"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
)

type result struct {
	opts        options
	elapsed     time.Duration
	sent        int64
	acked       int64
	failedSpans int64
	requests    int64
	failedReqs  int64
	missed      int64
	retries     int64
	tokens      [6]int64 // input, output, cache read, cache write 5m, 1h, reasoning
	llm         int64
	partial     atomic.Bool
	firstErr    string

	p50, p95, p99, max time.Duration

	cpuSeconds float64
	peakRSSKB  int64

	verified      bool
	stored        int64
	storedTokens  [6]int64
	storedLLM     int64
	storedCost    float64
	unpriced      int64
	verifyElapsed time.Duration
	catchUp       time.Duration // until the stored count last grew
	verifyErr     string
}

// storeRate is the end-to-end rate: spans stored by the time the store
// caught up (or stopped growing), over the load plus the catch-up time.
func (r *result) storeRate() float64 {
	t := r.elapsed + r.catchUp
	if !r.verified || t <= 0 {
		return 0
	}
	return float64(r.stored) / t.Seconds()
}

func (r *result) spansPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.acked) / r.elapsed.Seconds()
}

// ok: the run is a success when nothing failed and, if verified, everything
// acknowledged was stored.
func (r *result) ok() bool {
	if r.failedReqs > 0 || r.acked == 0 {
		return false
	}
	return r.opts.verify == "" || r.verifyErr == ""
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *result) print(w io.Writer) {
	o := r.opts
	mode := "as fast as possible"
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f spans/s", o.rate)
	}
	fmt.Fprintf(w, "loadgen %s: %s, %d workers, %d spans/request, %s\n", o.label, o.transport, o.workers, o.batch, mode)
	fmt.Fprintf(w, "  sent %d spans in %d requests over %.2fs: %.0f spans/s acknowledged\n",
		r.sent, r.requests, r.elapsed.Seconds(), r.spansPerSec())
	fmt.Fprintf(w, "  acknowledged %d, failed %d spans (%d requests)", r.acked, r.failedSpans, r.failedReqs)
	if r.retries > 0 {
		fmt.Fprintf(w, ", %d resends after back-pressure", r.retries)
	}
	if r.missed > 0 {
		fmt.Fprintf(w, ", %d sends missed their slot (offered rate not reached)", r.missed)
	}
	fmt.Fprintln(w)
	if r.firstErr != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.firstErr)
	}
	what := "request latency (intended send → acknowledged)"
	if o.transport == "udp" {
		what = "send time (UDP has no acknowledgement)"
	}
	fmt.Fprintf(w, "  %s: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n", what, ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max))
	if o.pid > 0 && r.acked > 0 {
		fmt.Fprintf(w, "  collector: %.2f CPU-s, %.1f µs CPU per span, peak RSS %.1f MB\n",
			r.cpuSeconds, r.cpuSeconds*1e6/float64(r.acked), float64(r.peakRSSKB)/1024)
	}
	if o.verify != "" {
		status := "OK"
		if r.verifyErr != "" {
			status = "FAILED: " + r.verifyErr
		}
		fmt.Fprintf(w, "  verify %s: stored %d of %d acknowledged spans (%.1fs after the load) — %s\n",
			storeKind(o.verify), r.stored, r.acked, r.verifyElapsed.Seconds(), status)
		fmt.Fprintf(w, "  end to end: %.0f spans/s stored (load + catch-up time)\n", r.storeRate())
		fmt.Fprintf(w, "  stored: %d LLM calls, tokens %v, cost $%.4f, %d unpriced\n", r.storedLLM, r.storedTokens, r.storedCost, r.unpriced)
	}
}

// shell renders the results as KEY=value lines for bench/run.sh to source.
func (r *result) shell() string {
	var b strings.Builder
	kv := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	kv("SENT", r.sent)
	kv("ACKED", r.acked)
	kv("FAILED", r.failedSpans)
	kv("FAILED_REQUESTS", r.failedReqs)
	kv("MISSED", r.missed)
	kv("RETRIES", r.retries)
	kv("ELAPSED_S", fmt.Sprintf("%.3f", r.elapsed.Seconds()))
	kv("SPANS_PER_S", fmt.Sprintf("%.0f", r.spansPerSec()))
	kv("P50_MS", fmt.Sprintf("%.2f", ms(r.p50)))
	kv("P95_MS", fmt.Sprintf("%.2f", ms(r.p95)))
	kv("P99_MS", fmt.Sprintf("%.2f", ms(r.p99)))
	if r.acked > 0 {
		kv("CPU_US_PER_SPAN", fmt.Sprintf("%.1f", r.cpuSeconds*1e6/float64(r.acked)))
	}
	kv("PEAK_RSS_MB", fmt.Sprintf("%.1f", float64(r.peakRSSKB)/1024))
	kv("STORED", r.stored)
	kv("STORE_SPANS_PER_S", fmt.Sprintf("%.0f", r.storeRate()))
	kv("VERIFY", map[bool]string{true: "ok", false: "failed"}[r.verifyErr == "" && r.verified])
	return b.String()
}

func storeKind(v string) string { return v[:strings.IndexByte(v, ':')] }

// lookback is how far before the run's start the generated spans may start
// (a trace is laid out so that it ends when it is generated).
const lookback = time.Minute

// store is the reader -verify checks, with what it held before the run.
type store struct {
	reader storage.Reader
	close  func() error
	rng    storage.TimeRange
	before storage.Summary
}

// openStore opens the -verify store and takes the "before" totals: spans
// that started from one lookback before the run. The store should be quiet
// when the run starts (earlier loads caught up), or their late spans count
// as this run's.
func openStore(ctx context.Context, o options, runStart time.Time) (*store, error) {
	kind, target, _ := strings.Cut(o.verify, ":")
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st := &store{rng: storage.TimeRange{From: runStart.Add(-lookback).UnixNano()}}
	switch kind {
	case "sqlite":
		s, err := sqlitestore.Open(openCtx, target)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		st.reader, st.close = s, s.Close
	case "postgres":
		s, err := postgres.Open(openCtx, postgres.Config{DSN: target, Schema: o.pgSchema, SkipMigrations: true})
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		st.reader, st.close = s, s.Close
	default:
		return nil, fmt.Errorf("verify: unknown store %q", kind)
	}
	var err error
	if st.before, err = st.reader.Summary(ctx, storage.AllProjects(), st.rng); err != nil {
		st.close()
		return nil, fmt.Errorf("verify: %w", err)
	}
	return st, nil
}

// verify waits until the store holds every acknowledged span of this run
// (or stops growing), then checks counts, token buckets and that costs were
// computed, all as differences from the totals before the run.
func verify(ctx context.Context, o options, st *store, r *result) error {
	defer st.close()
	start := time.Now()
	var sum storage.Summary
	last, lastChange := int64(-1), time.Now()
	for {
		var err error
		sum, err = st.reader.Summary(ctx, storage.AllProjects(), st.rng)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if sum.Spans != last {
			last, lastChange = sum.Spans, time.Now()
		}
		if sum.Spans-st.before.Spans >= r.acked || time.Since(start) > o.verifyTimeout || time.Since(lastChange) > 20*time.Second {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	r.verified = true
	r.verifyElapsed = time.Since(start)
	r.catchUp = lastChange.Sub(start)
	b := st.before
	r.stored = sum.Spans - b.Spans
	t, bt := sum.Tokens, b.Tokens
	r.storedTokens = [6]int64{t.Input - bt.Input, t.Output - bt.Output, t.CacheRead - bt.CacheRead,
		t.CacheWrite5m - bt.CacheWrite5m, t.CacheWrite1h - bt.CacheWrite1h, t.Reasoning - bt.Reasoning}
	r.storedLLM, r.storedCost, r.unpriced = sum.LLMCalls-b.LLMCalls, sum.CostUSD-b.CostUSD, sum.UnpricedSpans-b.UnpricedSpans
	var problems []string
	if r.stored != r.acked {
		problems = append(problems, fmt.Sprintf("stored %d spans, acknowledged %d (%+d)", r.stored, r.acked, r.stored-r.acked))
	}
	if !r.partial.Load() && r.failedSpans == 0 && r.stored == r.acked {
		if r.storedTokens != r.tokens {
			problems = append(problems, fmt.Sprintf("tokens stored %v, sent %v", r.storedTokens, r.tokens))
		}
		if r.storedLLM != r.llm {
			problems = append(problems, fmt.Sprintf("LLM calls stored %d, sent %d", r.storedLLM, r.llm))
		}
	}
	if r.llm > 0 && r.storedCost <= 0 {
		problems = append(problems, "no cost computed (is tokencost in the pipeline?)")
	}
	r.verifyErr = strings.Join(problems, "; ")
	return nil
}
