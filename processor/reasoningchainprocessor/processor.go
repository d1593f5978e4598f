package reasoningchainprocessor

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// chainProcessor buffers spans by trace, and when a trace is complete (its
// root ended and the completion window passed) or held too long, annotates
// its reasoning chain and forwards it from its own goroutine. Spans it does
// not buffer (running spans, session records, overflow, late spans) are
// forwarded at once from ConsumeTraces.
type chainProcessor struct {
	cfg    *Config
	next   consumer.Traces
	logger *zap.Logger
	tel    *telemetry

	mu       sync.Mutex
	traces   map[pcommon.TraceID]*traceBuffer
	expiry   expiryQueue
	buffered int // spans in traces
	seq      uint64
	// Copies of buffered and len(traces) for the telemetry callback, which
	// must not take mu.
	bufferedSpans, bufferedTraces atomic.Int64
	emitted                       *lru[pcommon.TraceID, *chainState]
	analyzer                      *analyzer
	stopped                       bool
	// unsent holds emitted traces the next consumer still refused when
	// shutdown began; Shutdown sends them (under mu).
	unsent ptrace.Traces

	startOnce    sync.Once
	shutdownOnce sync.Once
	shutdownErr  error
	done         chan struct{}
	// runCtx is the emitter's context, cancelled when shutdown begins so a
	// consumer blocked on a full queue lets go.
	runCtx    context.Context
	cancelRun context.CancelFunc
	wg        sync.WaitGroup
}

var _ processor.Traces = (*chainProcessor)(nil)

// traceBuffer holds one trace's spans, moved out of the batches they came in.
type traceBuffer struct {
	id       pcommon.TraceID
	data     ptrace.Traces
	spans    []spanRec
	deadline time.Time
	seq      uint64 // arrival order, to break deadline ties
	rootDone bool
	heapIdx  int
}

func newProcessor(set processor.Settings, cfg *Config, next consumer.Traces) (*chainProcessor, error) {
	p := &chainProcessor{
		cfg:      cfg,
		next:     next,
		logger:   set.Logger,
		traces:   make(map[pcommon.TraceID]*traceBuffer),
		emitted:  newLRU[pcommon.TraceID, *chainState](cfg.MaxEmittedTraces),
		analyzer: newAnalyzer(cfg),
		done:     make(chan struct{}),
		unsent:   ptrace.NewTraces(),
	}
	p.runCtx, p.cancelRun = context.WithCancel(context.Background())
	tel, err := newTelemetry(set.TelemetrySettings, p.bufferedCounts)
	if err != nil {
		return nil, err
	}
	p.tel = tel
	return p, nil
}

// Capabilities: spans are moved out of incoming batches and annotated.
func (p *chainProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// Start starts the goroutine that emits expired traces.
func (p *chainProcessor) Start(context.Context, component.Host) error {
	p.startOnce.Do(func() {
		p.wg.Add(1)
		go p.run(p.cfg.tick())
	})
	return nil
}

// Shutdown stops the emitter and forwards everything still buffered. It is
// nil-safe and idempotent.
func (p *chainProcessor) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.shutdownOnce.Do(func() {
		close(p.done)
		p.cancelRun()
		p.wg.Wait()
		p.mu.Lock()
		p.stopped = true
		out := p.unsent
		p.unsent = ptrace.NewTraces()
		p.mu.Unlock()
		var errs []error
		for {
			if err := p.deliver(ctx, out, ctx.Done()); err != nil {
				if !consumererror.IsPermanent(err) {
					p.tel.exportErrors.Add(ctx, int64(out.SpanCount()))
				}
				errs = append(errs, err)
			}
			p.mu.Lock()
			out = p.collect(chunked(func(*traceBuffer) bool { return true }), reasonShutdown)
			p.mu.Unlock()
			if out.ResourceSpans().Len() == 0 {
				break
			}
		}
		p.shutdownErr = errors.Join(append(errs, p.tel.shutdown())...)
	})
	return p.shutdownErr
}

func (p *chainProcessor) run(tick time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case now := <-t.C:
			p.flushExpired(now)
		}
	}
}

// emitChunk bounds the spans handed on in one call: the exporter's queue
// (sized in bytes or items) must be able to take a call whole, or it refuses
// it forever.
const emitChunk = 500

// flushExpired emits the traces whose deadline has passed, in chunks of
// about emitChunk spans.
func (p *chainProcessor) flushExpired(now time.Time) {
	for {
		p.mu.Lock()
		if len(p.expiry) == 0 || p.expiry[0].deadline.After(now) {
			p.mu.Unlock()
			return
		}
		out := p.collect(chunked(func(tb *traceBuffer) bool { return !tb.deadline.After(now) }), "")
		p.mu.Unlock()
		if err := p.deliver(p.runCtx, out, p.done); err != nil {
			if !consumererror.IsPermanent(err) { // shutting down: Shutdown sends it
				p.mu.Lock()
				out.ResourceSpans().MoveAndAppendTo(p.unsent.ResourceSpans())
				p.mu.Unlock()
				return
			}
			p.logger.Warn("Next consumer refused annotated traces", zap.Error(err))
		}
	}
}

// chunked selects what expired selects, until about emitChunk spans.
func chunked(expired func(*traceBuffer) bool) func(*traceBuffer) bool {
	n := 0
	return func(tb *traceBuffer) bool {
		if n >= emitChunk || !expired(tb) {
			return false
		}
		n += len(tb.spans)
		return true
	}
}

// Backoff between attempts to hand emitted traces to a consumer that pushes
// back.
const (
	retryFirst = 10 * time.Millisecond
	retryMax   = time.Second
)

// deliver forwards emitted traces. Their spans were acknowledged to the
// sender when buffered, so a refusal that retrying can fix (the exporter's
// queue is full) is retried with backoff until stop closes, rather than
// dropped. Meanwhile the buffer fills to its bounds and further spans pass
// through to the refusing consumer, which pushes back on the senders. It
// returns nil once delivered, a permanent error (the spans are counted as
// dropped), or the last refusal when stop closed first (td is untouched,
// the caller decides).
func (p *chainProcessor) deliver(ctx context.Context, td ptrace.Traces, stop <-chan struct{}) error {
	if td.ResourceSpans().Len() == 0 {
		return nil
	}
	wait := retryFirst
	for {
		err := p.next.ConsumeTraces(ctx, td)
		if err == nil {
			return nil
		}
		if consumererror.IsPermanent(err) {
			p.tel.exportErrors.Add(ctx, int64(td.SpanCount()))
			return err
		}
		select {
		case <-stop:
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}

// collect removes the buffered traces selected by expired (taken in deadline
// order, stopping at the first that is not), analyses and annotates them,
// and returns them as one batch. reason "" means complete or max_hold by the
// trace's root. Called with p.mu held.
func (p *chainProcessor) collect(expired func(*traceBuffer) bool, reason string) ptrace.Traces {
	out := ptrace.NewTraces()
	ctx := context.Background()
	for len(p.expiry) > 0 && expired(p.expiry[0]) {
		tb := heap.Pop(&p.expiry).(*traceBuffer)
		delete(p.traces, tb.id)
		p.buffered -= len(tb.spans)
		st := &chainState{}
		p.tel.countFlags(ctx, p.analyzer.analyze(st, tb.spans))
		p.emitted.put(tb.id, st)
		r := reason
		if r == "" {
			r = reasonMaxHold
			if tb.rootDone {
				r = reasonComplete
			}
		}
		p.tel.emitted.Add(ctx, 1, p.tel.emittedBy[r])
		tb.data.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	p.publishCounts()
	return out
}

func (p *chainProcessor) bufferedCounts() (spans, traces int64) {
	return p.bufferedSpans.Load(), p.bufferedTraces.Load()
}

// publishCounts updates the counts read by telemetry; called with mu held.
func (p *chainProcessor) publishCounts() {
	p.bufferedSpans.Store(int64(p.buffered))
	p.bufferedTraces.Store(int64(len(p.traces)))
}

// ConsumeTraces buffers the spans of complete-able traces and forwards the
// rest at once: running spans (span-start events) and session records
// unchanged, spans over a limit unchanged (counted), and late spans annotated
// relative to their already emitted trace.
func (p *chainProcessor) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	n := td.SpanCount()
	if n == 0 {
		return p.next.ConsumeTraces(ctx, td)
	}
	// First pass, without the lock: classify every span. A filled record
	// (its type is set) marks a span to buffer or a late span; the others
	// (running spans, session records, no trace id) pass unchanged.
	recs := make([]spanRec, n)
	var view canonical.Span
	i := 0
	rss := td.ResourceSpans()
	for r := 0; r < rss.Len(); r++ {
		rs := rss.At(r)
		sss := rs.ScopeSpans()
		for s := 0; s < sss.Len(); s++ {
			spans := sss.At(s).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				if !sp.TraceID().IsEmpty() {
					canonical.Read(&view, sp, rs.Resource())
					if !view.SessionRecord && view.Status != canonical.StatusRunning {
						recs[i].fill(&view, sp)
					}
				}
				i++
			}
		}
	}

	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return p.next.ConsumeTraces(ctx, td)
	}
	now := time.Now()
	var (
		late     map[pcommon.TraceID][]spanRec
		lateIDs  []pcommon.TraceID // in arrival order, for a deterministic analysis order
		overflow = map[string]int64{}
		dests    = map[pcommon.TraceID]ptrace.ScopeSpans{}
		moved    int
	)
	i = 0
	for r := 0; r < rss.Len(); r++ {
		rs := rss.At(r)
		sss := rs.ScopeSpans()
		for s := 0; s < sss.Len(); s++ {
			ss := sss.At(s)
			clear(dests)
			ss.Spans().RemoveIf(func(sp ptrace.Span) bool {
				idx := i
				i++
				if recs[idx].typ == "" {
					return false
				}
				tid := sp.TraceID()
				if _, ok := p.emitted.get(tid); ok {
					if late == nil {
						late = make(map[pcommon.TraceID][]spanRec)
					}
					if _, seen := late[tid]; !seen {
						lateIDs = append(lateIDs, tid)
					}
					late[tid] = append(late[tid], recs[idx])
					return false
				}
				tb := p.traces[tid]
				switch {
				case tb == nil && len(p.traces) >= p.cfg.MaxTraces:
					overflow[reasonMaxTraces]++
					return false
				case tb != nil && len(tb.spans) >= p.cfg.MaxSpansPerTrace:
					overflow[reasonMaxSpansPerTrace]++
					return false
				case p.buffered >= p.cfg.MaxBufferedSpans:
					overflow[reasonMaxBufferedSpans]++
					return false
				case tb == nil:
					p.seq++
					tb = &traceBuffer{id: tid, data: ptrace.NewTraces(), spans: make([]spanRec, 0, 16), deadline: now.Add(p.cfg.MaxHold), seq: p.seq}
					p.traces[tid] = tb
					heap.Push(&p.expiry, tb)
				}
				dest, ok := dests[tid]
				if !ok {
					drs := tb.data.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(drs.Resource())
					drs.SetSchemaUrl(rs.SchemaUrl())
					dest = drs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(dest.Scope())
					dest.SetSchemaUrl(ss.SchemaUrl())
					dests[tid] = dest
				}
				d := dest.Spans().AppendEmpty()
				sp.MoveTo(d)
				rec := recs[idx]
				rec.span = d
				tb.spans = append(tb.spans, rec)
				p.buffered++
				moved++
				if rec.parent.IsEmpty() && !tb.rootDone {
					tb.rootDone = true
					if dl := now.Add(p.cfg.CompletionWindow); dl.Before(tb.deadline) {
						tb.deadline = dl
						heap.Fix(&p.expiry, tb.heapIdx)
					}
				}
				return true
			})
		}
	}
	var lateCount int
	for _, tid := range lateIDs {
		group := late[tid]
		st, ok := p.emitted.get(tid)
		if !ok { // not evicted within one call; kept safe all the same
			st = &chainState{}
		}
		p.tel.countFlags(ctx, p.analyzer.analyze(st, group))
		lateCount += len(group)
	}
	p.publishCounts()
	p.mu.Unlock()

	if lateCount > 0 {
		p.tel.late.Add(ctx, int64(lateCount))
	}
	for reason, c := range overflow {
		p.tel.overflow.Add(ctx, c, p.tel.overflowBy[reason])
	}
	if moved == n {
		return nil
	}
	if moved > 0 {
		rss.RemoveIf(func(rs ptrace.ResourceSpans) bool {
			rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool { return ss.Spans().Len() == 0 })
			return rs.ScopeSpans().Len() == 0
		})
	}
	return p.next.ConsumeTraces(ctx, td)
}

// expiryQueue orders buffered traces by deadline (container/heap).
type expiryQueue []*traceBuffer

func (q expiryQueue) Len() int { return len(q) }
func (q expiryQueue) Less(i, j int) bool {
	if c := q[i].deadline.Compare(q[j].deadline); c != 0 {
		return c < 0
	}
	return q[i].seq < q[j].seq
}
func (q expiryQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIdx = i
	q[j].heapIdx = j
}

func (q *expiryQueue) Push(x any) {
	tb := x.(*traceBuffer)
	tb.heapIdx = len(*q)
	*q = append(*q, tb)
}

func (q *expiryQueue) Pop() any {
	old := *q
	tb := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return tb
}
