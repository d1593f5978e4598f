package reasoningchainprocessor

import (
	"container/heap"
	"context"
	"errors"
	"slices"
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
	jnext    uint64 // next journal entry
	// pending counts emitted spans not yet accepted downstream; unsent
	// holds them if shutdown interrupts the retries (under mu).
	pending atomic.Int64
	unsent  []unsentBatch
	// Copies of buffered and len(traces) for the telemetry callback, which
	// must not take mu.
	bufferedSpans, bufferedTraces atomic.Int64
	emitted                       *lru[pcommon.TraceID, *chainState]
	analyzer                      *analyzer
	stopped                       bool

	// journal, when storage is configured, holds every batch with buffered
	// spans until its traces are emitted; refs counts, per entry, the
	// buffered traces it still feeds (under mu).
	journal *journal
	refs    map[uint64]int
	id      component.ID

	startOnce    sync.Once
	shutdownOnce sync.Once
	shutdownErr  error
	done         chan struct{}
	wg           sync.WaitGroup
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
	// journal entries holding this trace's spans, each once.
	journal []uint64
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
		refs:     make(map[uint64]int),
		id:       set.ID,
	}
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

// Start opens the journal (when storage is configured) and replays what a
// previous run left in it, then starts the goroutine that emits expired
// traces.
func (p *chainProcessor) Start(ctx context.Context, host component.Host) error {
	var err error
	p.startOnce.Do(func() {
		if p.cfg.Storage != nil {
			if err = p.openJournal(ctx, host); err != nil {
				return
			}
		}
		p.wg.Add(1)
		go p.run(p.cfg.tick())
	})
	return err
}

func (p *chainProcessor) openJournal(ctx context.Context, host component.Host) error {
	j, err := openJournal(ctx, host, *p.cfg.Storage, p.id)
	if err != nil {
		return err
	}
	entries, lerr := j.load(ctx)
	if lerr != nil {
		p.logger.Warn("Journal had entries that cannot be replayed", zap.Error(lerr))
	}
	p.journal = j
	p.mu.Lock()
	p.jnext = j.next
	p.mu.Unlock()
	spans := 0
	for _, e := range entries {
		spans += e.td.SpanCount()
		if err := p.consume(ctx, e.td, e.seq, true); err != nil {
			// Left in the journal: the next start replays it.
			p.logger.Warn("Replaying a journal entry failed", zap.Uint64("entry", e.seq), zap.Error(err))
		}
	}
	if len(entries) > 0 {
		p.logger.Info("Replayed spans buffered before the last stop",
			zap.Int("batches", len(entries)), zap.Int("spans", spans))
	}
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
		p.wg.Wait()
		p.mu.Lock()
		p.stopped = true
		out, seqs := p.collect(func(*traceBuffer) bool { return true }, reasonShutdown)
		for _, u := range p.unsent {
			u.td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
			seqs = append(seqs, u.seqs...)
		}
		p.unsent = nil
		p.mu.Unlock()
		err := p.flushAtShutdown(ctx, out)
		if err == nil {
			p.release(ctx, seqs)
		}
		p.shutdownErr = errors.Join(err, p.journal.close(ctx), p.tel.shutdown())
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

// flushExpired emits the traces whose deadline has passed.
func (p *chainProcessor) flushExpired(now time.Time) {
	p.mu.Lock()
	if len(p.expiry) == 0 || p.expiry[0].deadline.After(now) {
		p.mu.Unlock()
		return
	}
	out, seqs := p.collect(func(tb *traceBuffer) bool { return !tb.deadline.After(now) }, "")
	p.mu.Unlock()
	p.deliver(out, seqs)
}

// emitChunkSpans bounds the spans forwarded in one call: everything that
// expires in one tick can be far more than an exporter queue takes in one
// request (a queue refuses a request larger than itself, forever).
const emitChunkSpans = 500

// deliver forwards emitted traces in chunks of about emitChunkSpans (whole
// traces), retrying each while the next consumer refuses it with a
// retryable error (a full exporter queue, the memory limiter):
// acknowledged spans are never dropped for backpressure. While it retries,
// the spans count against max_buffered_spans, so new spans pass through to
// the refusing consumer and the refusal reaches the client. A permanent
// error drops the chunk (counted). At shutdown what is left goes to
// Shutdown to forward.
func (p *chainProcessor) deliver(out ptrace.Traces, seqs []uint64) {
	n := out.SpanCount()
	if n == 0 {
		return
	}
	p.pending.Add(int64(n))
	defer p.pending.Add(-int64(n))
	ctx := context.Background()
	chunks := splitTraces(out, emitChunkSpans)
	for i, c := range chunks {
		if !p.deliverChunk(ctx, c) {
			rest := ptrace.NewTraces()
			for _, r := range chunks[i:] {
				r.ResourceSpans().MoveAndAppendTo(rest.ResourceSpans())
			}
			p.mu.Lock()
			p.unsent = append(p.unsent, unsentBatch{td: rest, seqs: seqs})
			p.mu.Unlock()
			return
		}
	}
	p.release(ctx, seqs)
}

// deliverChunk sends td until it is accepted or permanently refused (true),
// or the processor shuts down (false).
func (p *chainProcessor) deliverChunk(ctx context.Context, td ptrace.Traces) bool {
	backoff := 50 * time.Millisecond
	for {
		err := p.send(ctx, td)
		switch {
		case err == nil:
			return true
		case consumererror.IsPermanent(err):
			p.logger.Error("Next consumer rejected annotated traces permanently; dropped",
				zap.Int("spans", td.SpanCount()), zap.Error(err))
			return true
		}
		p.logger.Warn("Next consumer refused annotated traces; retrying", zap.Int("spans", td.SpanCount()),
			zap.Duration("backoff", backoff), zap.Error(err))
		select {
		case <-p.done:
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// flushAtShutdown forwards what is still buffered in chunks (one large
// request would exceed a byte-sized exporter queue and be refused whole),
// retrying refused chunks until ctx ends: these spans were acknowledged.
func (p *chainProcessor) flushAtShutdown(ctx context.Context, out ptrace.Traces) error {
	if out.SpanCount() == 0 {
		return nil
	}
	var errs []error
	for _, c := range splitTraces(out, emitChunkSpans) {
		backoff := 10 * time.Millisecond
		for {
			err := p.send(ctx, c)
			if err == nil || consumererror.IsPermanent(err) {
				errs = append(errs, err)
				break
			}
			select {
			case <-ctx.Done():
				return errors.Join(append(errs, err)...)
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
		}
	}
	return errors.Join(errs...)
}

// splitTraces moves td's resource spans (each holds spans of one trace)
// into batches of at least max spans, the last one smaller.
func splitTraces(td ptrace.Traces, max int) []ptrace.Traces {
	if td.SpanCount() <= max {
		return []ptrace.Traces{td}
	}
	var out []ptrace.Traces
	cur, n := ptrace.NewTraces(), 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			n += rs.ScopeSpans().At(j).Spans().Len()
		}
		rs.MoveTo(cur.ResourceSpans().AppendEmpty())
		if n >= max {
			out = append(out, cur)
			cur, n = ptrace.NewTraces(), 0
		}
	}
	if n > 0 {
		out = append(out, cur)
	}
	return out
}

// unsentBatch is emitted traces the next consumer had not accepted when
// the processor began to shut down.
type unsentBatch struct {
	td   ptrace.Traces
	seqs []uint64
}

// release drops one reference from each journal entry of seqs (one per
// emitted trace) and deletes the entries no buffered trace needs any more.
func (p *chainProcessor) release(ctx context.Context, seqs []uint64) {
	if p.journal == nil || len(seqs) == 0 {
		return
	}
	var dead []uint64
	p.mu.Lock()
	for _, s := range seqs {
		if p.refs[s]--; p.refs[s] <= 0 {
			delete(p.refs, s)
			dead = append(dead, s)
		}
	}
	p.mu.Unlock()
	if err := p.journal.remove(ctx, dead); err != nil {
		// Harmless but for disk space: leftovers are replayed once and
		// stored once.
		p.logger.Warn("Deleting journal entries failed", zap.Int("entries", len(dead)), zap.Error(err))
	}
}

// collect removes the buffered traces selected by expired (taken in deadline
// order, stopping at the first that is not), analyses and annotates them,
// and returns them as one batch. reason "" means complete or max_hold by the
// trace's root. It also returns the journal entries of the collected traces
// (one per trace and entry), to release once the batch is accepted. Called
// with p.mu held.
func (p *chainProcessor) collect(expired func(*traceBuffer) bool, reason string) (ptrace.Traces, []uint64) {
	out := ptrace.NewTraces()
	var seqs []uint64
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
		seqs = append(seqs, tb.journal...)
	}
	p.publishCounts()
	return out, seqs
}

func (p *chainProcessor) send(ctx context.Context, td ptrace.Traces) error {
	if td.ResourceSpans().Len() == 0 {
		return nil
	}
	n := td.SpanCount()
	if err := p.next.ConsumeTraces(ctx, td); err != nil {
		p.tel.exportErrors.Add(ctx, int64(n))
		return err
	}
	return nil
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
//
// With a journal, a batch holding spans to buffer is written to it before
// anything is buffered; if that write fails the batch is refused
// (retryable) and nothing is kept.
func (p *chainProcessor) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return p.consume(ctx, td, 0, false)
}

// consume is ConsumeTraces; replayed is set for a batch read back from the
// journal under entry seq (it is not written again).
func (p *chainProcessor) consume(ctx context.Context, td ptrace.Traces, seq uint64, replayed bool) error {
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

	journaled := replayed
	if p.journal != nil && !replayed && slices.ContainsFunc(recs, func(r spanRec) bool { return r.typ != "" }) {
		p.mu.Lock()
		seq = p.jnext
		p.jnext++
		p.mu.Unlock()
		if err := p.journal.write(ctx, seq, td); err != nil {
			p.tel.journalErrors.Add(ctx, int64(n))
			return err
		}
		journaled = true
	}

	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		err := p.next.ConsumeTraces(ctx, td)
		if journaled && err == nil {
			p.dropEntry(ctx, seq)
		}
		return err
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
				case p.buffered+int(p.pending.Load()) >= p.cfg.MaxBufferedSpans:
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
				if journaled && (len(tb.journal) == 0 || tb.journal[len(tb.journal)-1] != seq) {
					tb.journal = append(tb.journal, seq)
					p.refs[seq]++
				}
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
	// An entry none of whose spans were buffered (all late or over a
	// limit) is not needed once the rest is forwarded.
	unreferenced := journaled && p.refs[seq] == 0
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
	err := p.next.ConsumeTraces(ctx, td)
	if unreferenced && err == nil {
		p.dropEntry(ctx, seq)
	}
	return err
}

// dropEntry deletes a journal entry that no buffered trace refers to.
func (p *chainProcessor) dropEntry(ctx context.Context, seq uint64) {
	if err := p.journal.remove(ctx, []uint64{seq}); err != nil {
		p.logger.Warn("Deleting a journal entry failed", zap.Uint64("entry", seq), zap.Error(err))
	}
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
