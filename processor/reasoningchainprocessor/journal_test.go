package reasoningchainprocessor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

var storageID = component.MustNewID("file_storage")

// storageHost is a host with one file_storage extension.
type storageHost struct {
	component.Host
	ext extension.Extension
}

func (h storageHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{storageID: h.ext}
}

// startFileStorage starts a real file_storage extension over dir.
func startFileStorage(t testing.TB, dir string) storageHost {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return storageHost{Host: componenttest.NewNopHost(), ext: ext}
}

func journaledProcessor(t testing.TB, host storageHost) (*chainProcessor, *consumertest.TracesSink) {
	t.Helper()
	cfg := testConfig()
	cfg.Storage = &storageID
	sink := new(consumertest.TracesSink)
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	return p, sink
}

// crash stops p as kill -9 would, as far as the journal can tell: nothing
// buffered is emitted and the journal is left as it is.
func crash(t testing.TB, p *chainProcessor, host storageHost) {
	t.Helper()
	close(p.done)
	p.wg.Wait()
	require.NoError(t, p.journal.close(context.Background()))
	require.NoError(t, p.tel.shutdown())
	require.NoError(t, host.ext.Shutdown(context.Background()))
}

// journalKeys counts the entries in the processor's journal: through p's
// client while p runs, else through a new client (nil p).
func journalKeys(t *testing.T, host storageHost, p *chainProcessor) int {
	t.Helper()
	var c storage.Client
	if p != nil {
		c = p.journal.client
	} else {
		var err error
		c, err = host.ext.(storage.Extension).GetClient(context.Background(), component.KindProcessor,
			processortest.NewNopSettings(componentType).ID, "")
		require.NoError(t, err)
		defer c.Close(context.Background())
	}
	n := 0
	require.NoError(t, c.(storage.Walker).Walk(context.Background(), func(string, []byte) ([]*storage.Operation, error) {
		n++
		return nil, nil
	}))
	return n
}

func spanIDsOf(sink *consumertest.TracesSink) map[string]int {
	out := map[string]int{}
	for _, td := range sink.AllTraces() {
		forEachSpan(td, func(s ptrace.Span) { out[s.TraceID().String()+"/"+s.SpanID().String()]++ })
	}
	return out
}

func forEachSpan(td ptrace.Traces, f func(ptrace.Span)) {
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		sss := td.ResourceSpans().At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				f(sss.At(j).Spans().At(k))
			}
		}
	}
}

// TestJournalReplaysBufferedSpansAfterCrash: spans acknowledged while
// buffered (the traces' windows had not closed) are emitted, annotated, by
// the next run after a crash; the journal is empty once they are.
func TestJournalReplaysBufferedSpansAfterCrash(t *testing.T) {
	dir := t.TempDir()
	host := startFileStorage(t, dir)
	p, sink := journaledProcessor(t, host)
	want := map[string]int{}
	for tr := 1; tr <= 20; tr++ {
		td := batch(tr, "agent",
			sp{id: 1, name: "agent run", start: 0, end: 100, attrs: agentAttrs("a")},
			sp{id: 2, parent: 1, name: "chat", start: 10, end: 40, attrs: llmAttrs(100, 10)},
			sp{id: 3, parent: 1, name: "tool", start: 50, end: 60, attrs: toolAttrs("search", `{"q":1}`)})
		forEachSpan(td, func(s ptrace.Span) { want[s.TraceID().String()+"/"+s.SpanID().String()] = 1 })
		consume(t, p, td)
	}
	require.Zero(t, sink.SpanCount(), "the completion window is an hour: nothing emitted yet")
	crash(t, p, host)

	host = startFileStorage(t, dir)
	p2, sink2 := journaledProcessor(t, host)
	require.NoError(t, p2.Shutdown(context.Background()))
	require.Equal(t, want, spanIDsOf(sink2), "every acknowledged span is emitted once after the restart")
	// Annotated like any other trace: the replay went through the chain.
	root := spanNamed(t, sink2, 7, "agent run")
	_, ok := root.Attributes().Get(canonical.AttrChainDepth)
	require.True(t, ok, "replayed traces are analysed")
	require.Zero(t, journalKeys(t, host, nil), "emitted traces leave nothing in the journal")
	require.NoError(t, host.ext.Shutdown(context.Background()))
}

// TestJournalEntriesDeletedWhenEmitted: with short windows, entries go as
// their traces are emitted; an entry feeding two traces stays until both are.
func TestJournalEntriesDeletedWhenEmitted(t *testing.T) {
	host := startFileStorage(t, t.TempDir())
	p, sink := journaledProcessor(t, host)
	td := batch(1, "agent", sp{id: 1, name: "root", start: 0, end: 10})
	addSpans(td, 2, "agent", sp{id: 2, parent: 1, name: "child", start: 0, end: 5})
	consume(t, p, td)
	require.Equal(t, 1, journalKeys(t, host, p))
	p.mu.Lock()
	out, seqs := p.collect(func(tb *traceBuffer) bool { return tb.id == traceID(1) }, reasonComplete)
	p.mu.Unlock()
	require.NoError(t, p.send(context.Background(), out))
	p.release(context.Background(), seqs)
	require.Equal(t, 1, journalKeys(t, host, p), "trace 2 still needs the entry")
	require.NoError(t, p.Shutdown(context.Background()))
	require.Equal(t, 2, sink.SpanCount())
	require.Zero(t, journalKeys(t, host, nil))
	require.NoError(t, host.ext.Shutdown(context.Background()))
}

// TestJournalWriteFailureRefusesBatch: when the journal cannot take a batch
// the batch is refused (retryable) and nothing of it is buffered.
func TestJournalWriteFailureRefusesBatch(t *testing.T) {
	host := startFileStorage(t, t.TempDir())
	p, sink := journaledProcessor(t, host)
	require.NoError(t, p.journal.client.Close(context.Background())) // writes now fail
	err := p.ConsumeTraces(context.Background(), batch(1, "agent", sp{id: 1, name: "root", start: 0, end: 10}))
	require.Error(t, err)
	require.Zero(t, p.buffered)
	p.journal = nil // already closed
	require.NoError(t, p.Shutdown(context.Background()))
	require.Zero(t, sink.SpanCount())
	require.NoError(t, host.ext.Shutdown(context.Background()))
}

func TestJournalStorageMissing(t *testing.T) {
	cfg := testConfig()
	cfg.Storage = &storageID
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, new(consumertest.TracesSink))
	require.NoError(t, err)
	err = p.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, `storage: extension "file_storage" not found`)
	require.NoError(t, p.Shutdown(context.Background()))
}

// BenchmarkReasoningChainJournal is BenchmarkReasoningChain with the
// journal on a real file_storage: one write per batch when it is buffered,
// one delete transaction when its traces are emitted.
func BenchmarkReasoningChainJournal(b *testing.B) {
	host := startFileStorage(b, b.TempDir())
	cfg := createDefaultConfig().(*Config)
	cfg.Storage = &storageID
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, consumertest.NewNop())
	require.NoError(b, err)
	require.NoError(b, p.Start(context.Background(), host))
	later := time.Now().Add(24 * time.Hour)
	benchLoop(b, func(td ptrace.Traces) {
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
		p.flushExpired(later)
	})
	b.StopTimer()
	require.NoError(b, p.Shutdown(context.Background()))
	require.NoError(b, host.ext.Shutdown(context.Background()))
}

// refusingSink refuses while refuse is set, with a retryable error (as a
// full exporter queue does) or a permanent one.
type refusingSink struct {
	consumertest.TracesSink
	refuse    atomic.Bool
	permanent bool
	calls     atomic.Int64
}

func (s *refusingSink) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	s.calls.Add(1)
	if s.refuse.Load() {
		if s.permanent {
			return consumererror.NewPermanent(errors.New("bad data"))
		}
		return errors.New("sending queue is full")
	}
	return s.TracesSink.ConsumeTraces(ctx, td)
}

// TestEmissionRetriedWhileRefused: emitted traces the next consumer refuses
// with a retryable error are retried until accepted, not dropped; while
// they wait they count against max_buffered_spans, so new spans pass
// through and get the refusal back (backpressure reaches the client).
func TestEmissionRetriedWhileRefused(t *testing.T) {
	cfg := testConfig()
	cfg.CompletionWindow, cfg.MaxHold = 10*time.Millisecond, 10*time.Millisecond
	cfg.MaxBufferedSpans = 3
	sink := &refusingSink{}
	sink.refuse.Store(true)
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	consume(t, p, batch(1, "agent", sp{id: 1, name: "root", start: 0, end: 10}, sp{id: 2, parent: 1, name: "a", start: 0, end: 5},
		sp{id: 3, parent: 1, name: "b", start: 0, end: 5}))
	require.Eventually(t, func() bool { return p.pending.Load() == 3 && sink.calls.Load() >= 3 }, 5*time.Second, time.Millisecond,
		"emitted, refused, retried")
	// The buffer is taken by the pending spans: this batch passes through
	// and meets the refusal.
	err = p.ConsumeTraces(context.Background(), batch(2, "agent", sp{id: 1, name: "root", start: 0, end: 10}))
	require.ErrorContains(t, err, "sending queue is full")
	sink.refuse.Store(false)
	require.Eventually(t, func() bool { return sink.SpanCount() == 3 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, p.Shutdown(context.Background()))
	require.Equal(t, 3, sink.SpanCount(), "every acknowledged span delivered once")
}

// TestEmissionRefusedAtShutdown: traces still refused when the processor
// stops are forwarded by Shutdown.
func TestEmissionRefusedAtShutdown(t *testing.T) {
	cfg := testConfig()
	cfg.CompletionWindow, cfg.MaxHold = 10*time.Millisecond, 10*time.Millisecond
	sink := &refusingSink{}
	sink.refuse.Store(true)
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	consume(t, p, batch(1, "agent", sp{id: 1, name: "root", start: 0, end: 10}))
	require.Eventually(t, func() bool { return sink.calls.Load() >= 2 }, 5*time.Second, time.Millisecond)
	sink.refuse.Store(false)
	require.NoError(t, p.Shutdown(context.Background()))
	require.Equal(t, 1, sink.SpanCount())
}

func TestEmissionPermanentErrorDropped(t *testing.T) {
	cfg := testConfig()
	cfg.CompletionWindow, cfg.MaxHold = 10*time.Millisecond, 10*time.Millisecond
	sink := &refusingSink{permanent: true}
	sink.refuse.Store(true)
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	consume(t, p, batch(1, "agent", sp{id: 1, name: "root", start: 0, end: 10}))
	require.Eventually(t, func() bool { return sink.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(100 * time.Millisecond) // a retry would come within 50ms
	sink.refuse.Store(false)
	require.NoError(t, p.Shutdown(context.Background()))
	require.EqualValues(t, 1, sink.calls.Load(), "a permanent refusal is not retried")
	require.Zero(t, sink.SpanCount())
}

// chunkSink records the span count of each call.
type chunkSink struct {
	consumertest.TracesSink
	mu    sync.Mutex
	sizes []int
}

func (s *chunkSink) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	s.mu.Lock()
	s.sizes = append(s.sizes, td.SpanCount())
	s.mu.Unlock()
	return s.TracesSink.ConsumeTraces(ctx, td)
}

// TestEmissionChunked: thousands of traces expiring in the same tick leave
// in chunks an exporter queue can take (a request larger than the queue is
// refused forever), and all of them arrive.
func TestEmissionChunked(t *testing.T) {
	cfg := testConfig()
	sink := &chunkSink{}
	p, err := newProcessor(processortest.NewNopSettings(componentType), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	td := ptrace.NewTraces()
	for tr := 1; tr <= 1500; tr++ {
		addSpans(td, tr, "agent", sp{id: 1, name: "root", start: 0, end: 10}, sp{id: 2, parent: 1, name: "c", start: 1, end: 2})
	}
	consume(t, p, td)
	p.flushExpired(time.Now().Add(2 * time.Hour))
	require.Equal(t, 3000, sink.SpanCount())
	for _, n := range sink.sizes {
		require.LessOrEqual(t, n, emitChunkSpans)
	}
	require.Len(t, sink.sizes, 3000/emitChunkSpans)
	require.NoError(t, p.Shutdown(context.Background()))
}
