package agenttrace

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// ErrShutdown is returned by calls made after Shutdown.
var ErrShutdown = errors.New("agenttrace: client is shut down")

var defaultClient atomic.Pointer[Client]

// SetDefault makes c the client of the package-level StartSpan when the
// context holds no span.
func SetDefault(c *Client) { defaultClient.Store(c) }

// record is one queue entry: a span's start event, its final version, or a
// session start (sent in order with the spans).
type record struct {
	span    *Span
	running bool
	session *Session
}

// Client records spans and sessions and exports them in the background.
type Client struct {
	cfg      *config
	exporter Exporter
	hostname string

	queue   chan record
	arena   []atv1.Span // export goroutine only
	ptrs    []*atv1.Span
	flushes chan chan struct{}
	stop    chan struct{}
	done    chan struct{}
	closed  atomic.Bool

	sent, dropped, failed atomic.Int64

	warned   sync.Map // warning kind → struct{}: each kind is logged once
	shutOnce sync.Once
	shutErr  error

	defaultSession atomic.Pointer[Session]
}

// New returns a client and starts its export goroutine. It does no network
// I/O: connections are made lazily by the exporter.
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	envErr := cfg.exporterErr
	for _, o := range opts {
		o(cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg}
	c.hostname, _ = os.Hostname()
	if envErr != nil {
		cfg.logger.Printf("tracing disabled: %v", envErr)
		cfg.disabled = true
	}
	if cfg.disabled {
		return c, nil
	}
	c.exporter = cfg.exporter
	if c.exporter == nil {
		e, err := exporterFromEnv(cfg.timeout, cfg.apiKey)
		if err != nil {
			cfg.logger.Printf("tracing disabled: %v", err)
			cfg.disabled = true
			return c, nil
		}
		c.exporter = e
	}
	c.queue = make(chan record, cfg.queueSize)
	c.flushes = make(chan chan struct{})
	c.stop = make(chan struct{})
	c.done = make(chan struct{})
	go c.run()
	return c, nil
}

// Enabled reports whether the client sends anything.
func (c *Client) Enabled() bool { return c != nil && !c.cfg.disabled }

// Stats returns the delivery counters.
func (c *Client) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	return Stats{Sent: c.sent.Load(), Dropped: c.dropped.Load(), Failed: c.failed.Load(), Queued: int64(len(c.queue))}
}

func (c *Client) warnOnce(kind, format string, args ...any) {
	if _, loaded := c.warned.LoadOrStore(kind, struct{}{}); !loaded {
		c.cfg.logger.Printf(format, args...)
	}
}

// enqueue never blocks: a full queue drops the record and counts it.
func (c *Client) enqueue(r record) {
	if c.queue == nil {
		return
	}
	if c.closed.Load() {
		if r.session == nil {
			c.dropped.Add(1)
		}
		return
	}
	select {
	case c.queue <- r:
	default:
		if r.session == nil {
			c.dropped.Add(1)
		}
		c.warnOnce("queue", "queue full (%d records): dropping spans; see Client.Stats (further drops are not logged)", c.cfg.queueSize)
	}
}

// StartSession starts an agent run and returns ctx carrying it; spans
// started in that context (or, lacking one there, any span until the
// session ends) carry its id. The collector is told in the background.
func (c *Client) StartSession(ctx context.Context, name string, opts ...SessionOption) (context.Context, *Session) {
	s := &Session{Name: name, Start: time.Now()}
	for _, o := range opts {
		o(s)
	}
	if s.ID == "" {
		s.ID = newUUID()
	}
	if c == nil || c.cfg.disabled {
		return ContextWithSession(ctx, s), s
	}
	if s.Framework == "" {
		s.Framework = c.cfg.framework
	}
	if s.AgentName == "" {
		s.AgentName = c.cfg.agentName
	}
	if s.UserID == "" {
		s.UserID = c.cfg.userID
	}
	c.defaultSession.Store(s)
	c.enqueue(record{session: s})
	return ContextWithSession(ctx, s), s
}

// EndSession ends sess (the context's session when nil), flushes queued
// spans so the collector's totals include them, and returns the collector's
// summary. When the collector cannot answer within the client's timeout (or
// ctx's deadline) it returns the SDK's own totals (Source "sdk") and the
// error. Ending a session twice returns its local totals.
func (c *Client) EndSession(ctx context.Context, sess *Session, status Status) (SessionSummary, error) {
	if sess == nil {
		sess = SessionFromContext(ctx)
	}
	if sess == nil {
		return SessionSummary{}, errors.New("agenttrace: no session to end")
	}
	if !sess.ended.CompareAndSwap(false, true) || c == nil || c.cfg.disabled {
		return sess.LocalSummary(), nil
	}
	c.defaultSession.CompareAndSwap(sess, nil)
	if status == 0 {
		status = StatusOK
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		return sess.LocalSummary(), err
	}
	sum, err := c.exporter.EndSession(ctx, &atv1.EndSessionRequest{
		SessionId: sess.ID, EndTimeUnixNano: time.Now().UnixNano(), Status: status})
	if err != nil {
		c.warnOnce("end_session", "end session %s: %v (using the SDK's own totals)", sess.ID, err)
		return sess.LocalSummary(), err
	}
	return summaryFromProto(sum), nil
}

// StartSpan starts a span as a child of the context's span (or of
// WithParent's), in the context's session, and returns ctx carrying it.
// When span-start events are on, a "running" copy is queued now; End queues
// the final span with the same ids.
func (c *Client) StartSpan(ctx context.Context, name string, opts ...SpanOption) (context.Context, *Span) {
	if c == nil || c.cfg.disabled {
		return ctx, nil
	}
	s := &Span{client: c}
	for _, o := range opts {
		o(s)
	}
	h := &s.hdr
	h.name = name
	if h.typ == 0 {
		h.typ = TypeCustom
	}
	if h.start == 0 {
		h.start = time.Now().UnixNano()
	}
	parent := SpanFromContext(ctx)
	switch {
	case s.opts.parent.IsValid():
		h.traceID, h.parentID = s.opts.parent.TraceID, s.opts.parent.SpanID
	case parent != nil && !s.opts.newTrace:
		h.traceID, h.parentID = parent.hdr.traceID, parent.hdr.spanID
	default:
		h.traceID = newTraceID()
	}
	h.spanID = newSpanID()
	s.sess = SessionFromContext(ctx)
	if s.sess == nil && parent != nil {
		s.sess = parent.sess
	}
	if s.sess == nil {
		s.sess = c.defaultSession.Load()
	}
	switch {
	case s.opts.sessionID != "":
		h.sessionID = s.opts.sessionID
		if s.sess != nil && s.sess.ID != s.opts.sessionID {
			s.sess = nil
		}
	case s.sess != nil:
		h.sessionID = s.sess.ID
	case parent != nil:
		h.sessionID = parent.hdr.sessionID
	}
	s.model, s.provider, s.toolName = h.model, h.provider, h.tool
	if c.cfg.spanStart {
		c.enqueue(record{span: s, running: true})
	}
	return context.WithValue(ctx, spanKey{}, s), s
}

// Flush exports everything queued so far and waits until it is delivered
// (or failed), or ctx is done.
func (c *Client) Flush(ctx context.Context) error {
	if c == nil || c.queue == nil {
		return nil
	}
	done := make(chan struct{})
	select {
	case c.flushes <- done:
	case <-c.done:
		return ErrShutdown
	case <-ctx.Done():
		return fmt.Errorf("agenttrace: flush: %w", ctx.Err())
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("agenttrace: flush: %w", ctx.Err())
	}
}

// Shutdown flushes, stops the export goroutine and closes the exporter.
// Spans ended afterwards are dropped and counted. It is safe to call twice.
func (c *Client) Shutdown(ctx context.Context) error {
	if c == nil || c.queue == nil {
		return nil
	}
	c.shutOnce.Do(func() {
		err := c.Flush(ctx)
		c.closed.Store(true)
		close(c.stop)
		select {
		case <-c.done:
		case <-ctx.Done():
			err = errors.Join(err, fmt.Errorf("agenttrace: shutdown: %w", ctx.Err()))
		}
		// Records that raced with the shutdown are never exported: count them.
		for len(c.queue) > 0 {
			if r := <-c.queue; r.session == nil {
				c.dropped.Add(1)
			}
		}
		c.shutErr = errors.Join(err, c.exporter.Shutdown(ctx))
		defaultClient.CompareAndSwap(c, nil)
	})
	return c.shutErr
}

// run is the export goroutine: it batches records and exports them when the
// batch is full, every flush interval, on Flush and at shutdown.
func (c *Client) run() {
	defer close(c.done)
	ticker := time.NewTicker(c.cfg.flushInterval)
	defer ticker.Stop()
	batch := make([]record, 0, min(c.cfg.batchSize, c.cfg.queueSize))
	send := func() {
		if len(batch) > 0 {
			c.export(batch)
			clear(batch)
			batch = batch[:0]
		}
	}
	add := func(r record) {
		if r.session != nil {
			send() // keep order: the session starts before the spans after it
			c.startSession(r.session)
			return
		}
		batch = append(batch, r)
		if len(batch) >= c.cfg.batchSize {
			send()
		}
	}
	drain := func() {
		for {
			select {
			case r := <-c.queue:
				add(r)
			default:
				send()
				return
			}
		}
	}
	for {
		select {
		case r := <-c.queue:
			add(r)
		case <-ticker.C:
			send()
		case done := <-c.flushes:
			drain()
			close(done)
		case <-c.stop:
			drain()
			return
		}
	}
}

func (c *Client) startSession(s *Session) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.timeout)
	defer cancel()
	if err := c.exporter.StartSession(ctx, s.startRequest()); err != nil {
		c.warnOnce("start_session", "start session %s: %v", s.ID, err)
	}
}

func (c *Client) export(recs []record) {
	// The wire spans live in an arena reused by every batch: exporters
	// encode synchronously, so nothing refers to them after Export returns,
	// and the export goroutine makes less garbage for the agent's GC.
	if cap(c.arena) < len(recs) {
		c.arena = make([]atv1.Span, len(recs))
		c.ptrs = make([]*atv1.Span, len(recs))
	}
	b := &atv1.SpanBatch{ServiceName: c.cfg.serviceName, SdkVersion: Version, Spans: c.ptrs[:len(recs)]}
	for i, r := range recs {
		p := &c.arena[i]
		c.fillProto(p, r)
		b.Spans[i] = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.timeout)
	defer cancel()
	err := c.exporter.Export(ctx, b)
	n := int64(len(recs))
	var pe *PartialError
	switch {
	case err == nil:
		c.sent.Add(n)
	case errors.As(err, &pe):
		c.sent.Add(pe.Accepted)
		c.failed.Add(n - pe.Accepted)
		c.warnOnce("rejected", "the collector rejected %d of %d spans: %v", n-pe.Accepted, n, err)
	default:
		c.failed.Add(n)
		c.warnOnce("delivery", "cannot deliver spans (dropping and counting them; see Client.Stats; further failures are not logged): %v", err)
	}
}

// toProto builds the wire span of r.
func (c *Client) toProto(r record) *atv1.Span {
	p := &atv1.Span{}
	c.fillProto(p, r)
	return p
}

// fillProto overwrites p with the wire span of r. Running copies read only
// the header, which is immutable; final records are read after End froze
// the span.
func (c *Client) fillProto(p *atv1.Span, r record) {
	s := r.span
	h := &s.hdr
	*p = atv1.Span{
		TraceId: h.traceID.String(), SpanId: h.spanID.String(), SessionId: h.sessionID,
		Name: h.name, Type: h.typ, StartTimeUnixNano: h.start,
		Framework: c.cfg.framework, FrameworkVersion: c.cfg.frameworkVer, SdkVersion: Version,
		Hostname: c.hostname, AgentName: c.cfg.agentName, UserId: c.cfg.userID,
	}
	if !h.parentID.IsZero() {
		p.ParentSpanId = h.parentID.String()
	}
	if sess := s.sess; sess != nil {
		if sess.Framework != "" {
			p.Framework = sess.Framework
		}
		if sess.AgentName != "" {
			p.AgentName = sess.AgentName
		}
		if sess.UserID != "" {
			p.UserId = sess.UserID
		}
	}
	if r.running {
		p.Status = StatusRunning
		p.Model, p.Provider = h.model, h.provider
		if h.tool != "" {
			p.Tool = &atv1.ToolCall{Name: h.tool}
		}
		return
	}
	p.Status, p.EndTimeUnixNano = s.status, s.end
	p.Model, p.Provider, p.Prompt, p.Response = s.model, s.provider, s.prompt, s.response
	if !s.usage.isZero() {
		p.Usage = s.usage.proto()
	}
	x := s.x
	if x == nil {
		if s.toolName != "" {
			p.Tool = &atv1.ToolCall{Name: s.toolName}
		}
	} else {
		p.StatusMessage, p.ErrorCode = x.statusMsg, x.errorCode
		if x.agentName != "" {
			p.AgentName = x.agentName
		}
		if x.userID != "" {
			p.UserId = x.userID
		}
		if rq := x.request; rq != nil {
			p.Request = &atv1.LLMRequest{Temperature: rq.Temperature, MaxTokens: rq.MaxTokens, TopP: rq.TopP,
				ThinkingEnabled: rq.ThinkingEnabled, ThinkingBudgetTokens: rq.ThinkingBudgetTokens, StopReason: rq.StopReason}
		}
		if s.toolName != "" || x.toolCallID != "" || x.toolInput != "" || x.toolOutput != "" || x.toolOK != nil {
			p.Tool = &atv1.ToolCall{Name: s.toolName, CallId: x.toolCallID, Input: x.toolInput, Output: x.toolOutput, Success: x.toolOK}
		}
		if x.filePath != "" || x.fileOp != "" {
			p.File = &atv1.FileOp{Path: x.filePath, Operation: x.fileOp, Bytes: x.fileBytes, Lines: x.fileLines}
		}
		p.ReportedCostUsd = x.cost
		p.Tags = x.tags
	}
	if len(s.events) > 0 {
		p.Events = make([]*atv1.Event, len(s.events))
		for i, e := range s.events {
			pe := &atv1.Event{Name: e.name, TimeUnixNano: e.time}
			if len(e.attrs) > 0 {
				pe.Attributes = make(map[string]string, len(e.attrs))
				for _, a := range e.attrs {
					pe.Attributes[a.Key] = fmt.Sprint(a.Value())
				}
			}
			p.Events[i] = pe
		}
	}
	if len(s.attrs) > 0 {
		p.Attributes = protoAttributes(s.attrs)
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
