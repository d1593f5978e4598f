package agenttrace

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// SpanContext identifies a span; pass one with WithParent to continue a
// trace started elsewhere (another goroutine without the context, another
// process).
type SpanContext struct {
	TraceID TraceID
	SpanID  SpanID
}

// IsValid reports whether both ids are set.
func (sc SpanContext) IsValid() bool { return !sc.TraceID.IsZero() && !sc.SpanID.IsZero() }

// spanHeader is what a span-start event carries. It is fixed when StartSpan
// returns, so the exporter goroutine may read it while the agent still
// mutates the span.
type spanHeader struct {
	traceID   TraceID
	spanID    SpanID
	parentID  SpanID
	sessionID string
	name      string
	typ       SpanType
	start     int64
	model     string
	provider  string
	tool      string
}

// LLMRequest holds an LLM call's request parameters; nil pointers are unset.
type LLMRequest struct {
	Temperature          *float64
	MaxTokens            *int64
	TopP                 *float64
	ThinkingEnabled      *bool
	ThinkingBudgetTokens *int64
	StopReason           string
}

type event struct {
	name  string
	time  int64
	attrs []Attr
}

// Span is one step of an agent run. Its methods are safe for concurrent use
// and never fail; after End they do nothing. A nil *Span (from a disabled
// client) is valid and does nothing either.
type Span struct {
	client *Client
	sess   *Session
	hdr    spanHeader
	opts   startOptions

	mu       sync.Mutex
	ended    bool
	end      int64
	status   Status
	model    string
	provider string
	prompt   string
	response string
	toolName string
	usage    TokenUsage
	attrs    []Attr
	events   []event
	// x holds what few spans set; allocated on first use, so the common
	// span stays small (allocation size is most of StartSpan's cost).
	x *spanExtra
}

type spanExtra struct {
	statusMsg  string
	errorCode  string
	request    *LLMRequest
	toolCallID string
	toolInput  string
	toolOutput string
	toolOK     *bool
	filePath   string
	fileOp     string
	fileBytes  int64
	fileLines  int64
	cost       *float64
	agentName  string
	userID     string
	tags       []string
}

// extra returns the span's extra fields, allocating them; call with mu held.
func (s *Span) extra() *spanExtra {
	if s.x == nil {
		s.x = &spanExtra{}
	}
	return s.x
}

// SpanOption configures a span at start.
type SpanOption func(*Span)

// startOptions are StartSpan's inputs that are not part of the span itself.
// They live in the span (not in a separate struct) so that applying options
// costs no allocation.
type startOptions struct {
	parent    SpanContext
	sessionID string
	newTrace  bool
}

// WithType sets the span's type (default TypeCustom).
func WithType(t SpanType) SpanOption { return func(s *Span) { s.hdr.typ = t } }

// WithParent makes the span a child of sc instead of the context's span.
func WithParent(sc SpanContext) SpanOption { return func(s *Span) { s.opts.parent = sc } }

// WithNewTrace starts a new trace even when the context holds a span.
func WithNewTrace() SpanOption { return func(s *Span) { s.opts.newTrace = true } }

// WithSessionID sets the span's session instead of the context's.
func WithSessionID(id string) SpanOption { return func(s *Span) { s.opts.sessionID = id } }

// WithStartTime sets the start time (default now).
func WithStartTime(t time.Time) SpanOption {
	return func(s *Span) {
		if !t.IsZero() {
			s.hdr.start = t.UnixNano()
		}
	}
}

// WithModel sets the model and provider of an LLM call; the span-start event
// carries them too.
func WithModel(model, provider string) SpanOption {
	return func(s *Span) { s.hdr.model, s.hdr.provider = model, provider }
}

// WithTool names the tool of a tool execution; the span-start event carries it.
func WithTool(name string) SpanOption { return func(s *Span) { s.hdr.tool = name } }

// WithAttributes sets free attributes at start.
func WithAttributes(attrs ...Attr) SpanOption {
	return func(s *Span) { s.attrs = append(s.attrs, attrs...) }
}

type spanKey struct{}
type sessionKey struct{}

// SpanFromContext returns the context's current span, or nil.
func SpanFromContext(ctx context.Context) *Span {
	s, _ := ctx.Value(spanKey{}).(*Span)
	return s
}

// ContextWithSpan returns ctx with s as its current span.
func ContextWithSpan(ctx context.Context, s *Span) context.Context {
	return context.WithValue(ctx, spanKey{}, s)
}

// SessionFromContext returns the context's session, or nil.
func SessionFromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// ContextWithSession returns ctx with sess as its session.
func ContextWithSession(ctx context.Context, sess *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, sess)
}

// StartSpan starts a span with the client of the context's current span, or
// the default client (SetDefault). With neither, it returns ctx unchanged and
// a nil span, whose methods do nothing.
func StartSpan(ctx context.Context, name string, opts ...SpanOption) (context.Context, *Span) {
	c := defaultClient.Load()
	if p := SpanFromContext(ctx); p != nil && p.client != nil {
		c = p.client
	}
	if c == nil {
		return ctx, nil
	}
	return c.StartSpan(ctx, name, opts...)
}

// SpanContext returns the span's ids.
func (s *Span) SpanContext() SpanContext {
	if s == nil {
		return SpanContext{}
	}
	return SpanContext{TraceID: s.hdr.traceID, SpanID: s.hdr.spanID}
}

// TraceID returns the span's trace id.
func (s *Span) TraceID() TraceID { return s.SpanContext().TraceID }

// SpanID returns the span's id.
func (s *Span) SpanID() SpanID { return s.SpanContext().SpanID }

// Name returns the span's name.
func (s *Span) Name() string {
	if s == nil {
		return ""
	}
	return s.hdr.name
}

// lock takes the span's lock unless it has ended; callers unlock only when
// it returns true.
func (s *Span) lock() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	return true
}

func (s *Span) bound(text string) string {
	max := s.client.cfg.maxContentBytes
	if !s.client.cfg.captureContent {
		return ""
	}
	if len(text) <= max {
		return text
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

// SetModel sets the model and provider of an LLM call.
func (s *Span) SetModel(model, provider string) {
	if s.lock() {
		s.model, s.provider = model, provider
		s.mu.Unlock()
	}
}

// SetRequest sets an LLM call's request parameters and stop reason.
func (s *Span) SetRequest(r LLMRequest) {
	if s.lock() {
		s.extra().request = &r
		s.mu.Unlock()
	}
}

// SetTokenUsage sets the span's token usage in exclusive buckets.
func (s *Span) SetTokenUsage(u TokenUsage) {
	if s.lock() {
		s.usage = u
		s.mu.Unlock()
	}
}

// AddTokenUsage adds to the span's token usage (e.g. streaming chunks).
func (s *Span) AddTokenUsage(u TokenUsage) {
	if s.lock() {
		s.usage = s.usage.add(u)
		s.mu.Unlock()
	}
}

// SetReportedCost records a cost in USD reported by the provider or
// framework (the collector computes its own beside it).
func (s *Span) SetReportedCost(usd float64) {
	if s.lock() {
		s.extra().cost = &usd
		s.mu.Unlock()
	}
}

// SetPrompt records the prompt (bounded by WithMaxContentBytes; skipped when
// content capture is off).
func (s *Span) SetPrompt(text string) {
	if s.lock() {
		s.prompt = s.bound(text)
		s.mu.Unlock()
	}
}

// SetResponse records the response (bounded like SetPrompt).
func (s *Span) SetResponse(text string) {
	if s.lock() {
		s.response = s.bound(text)
		s.mu.Unlock()
	}
}

// SetTool records a tool execution: its name, the provider's tool-call id
// (links the call to the LLM output that asked for it) and its input.
func (s *Span) SetTool(name, callID, input string) {
	if s.lock() {
		x := s.extra()
		s.toolName, x.toolCallID, x.toolInput = name, callID, s.bound(input)
		s.mu.Unlock()
	}
}

// SetToolResult records a tool's output and whether it succeeded.
func (s *Span) SetToolResult(output string, success bool) {
	if s.lock() {
		x := s.extra()
		x.toolOutput, x.toolOK = s.bound(output), &success
		s.mu.Unlock()
	}
}

// SetFile records a file operation.
func (s *Span) SetFile(path, operation string, bytes, lines int64) {
	if s.lock() {
		x := s.extra()
		x.filePath, x.fileOp, x.fileBytes, x.fileLines = path, operation, bytes, lines
		s.mu.Unlock()
	}
}

// SetAgent sets the agent name and user id (default: the session's or the
// client's).
func (s *Span) SetAgent(agentName, userID string) {
	if s.lock() {
		x := s.extra()
		x.agentName, x.userID = agentName, userID
		s.mu.Unlock()
	}
}

// AddTags adds tags to the span.
func (s *Span) AddTags(tags ...string) {
	if s.lock() {
		x := s.extra()
		x.tags = append(x.tags, tags...)
		s.mu.Unlock()
	}
}

// SetAttributes sets free attributes; a later value for a key wins.
func (s *Span) SetAttributes(attrs ...Attr) {
	if s.lock() {
		s.attrs = append(s.attrs, attrs...)
		s.mu.Unlock()
	}
}

// SetAttribute sets one free attribute from a Go value: strings, integers,
// floats and bools keep their type, anything else is formatted with %v.
func (s *Span) SetAttribute(key string, value any) {
	if s == nil {
		return
	}
	var a Attr
	switch v := value.(type) {
	case string:
		a = String(key, v)
	case int:
		a = Int(key, int64(v))
	case int64:
		a = Int(key, v)
	case int32:
		a = Int(key, int64(v))
	case uint32:
		a = Int(key, int64(v))
	case float64:
		a = Float(key, v)
	case float32:
		a = Float(key, float64(v))
	case bool:
		a = Bool(key, v)
	case fmt.Stringer:
		a = String(key, v.String())
	default:
		a = String(key, fmt.Sprint(v))
	}
	s.SetAttributes(a)
}

// AddEvent records a point in time inside the span.
func (s *Span) AddEvent(name string, attrs ...Attr) {
	if s.lock() {
		s.events = append(s.events, event{name: name, time: time.Now().UnixNano(), attrs: attrs})
		s.mu.Unlock()
	}
}

// SetStatus sets the outcome; End sets StatusOK when none was set.
func (s *Span) SetStatus(st Status, message string) {
	if s.lock() {
		s.status, s.extra().statusMsg = st, message
		s.mu.Unlock()
	}
}

// ErrorCoder is implemented by errors that carry a code (e.g. a provider's
// "rate_limit_error"); RecordError records it as the span's error code.
type ErrorCoder interface {
	ErrorCode() string
}

// RecordError marks the span failed: status error (timeout for
// context.DeadlineExceeded, cancelled for context.Canceled), the message,
// and an error code (ErrorCoder's, else the error's Go type). A nil err does
// nothing.
func (s *Span) RecordError(err error) {
	if err == nil || !s.lock() {
		return
	}
	defer s.mu.Unlock()
	x := s.extra()
	s.status = StatusError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		s.status = StatusTimeout
	case errors.Is(err, context.Canceled):
		s.status = StatusCancelled
	}
	x.statusMsg = err.Error()
	var coder ErrorCoder
	if errors.As(err, &coder) {
		x.errorCode = coder.ErrorCode()
	} else {
		x.errorCode = fmt.Sprintf("%T", err)
	}
	s.events = append(s.events, event{name: "exception", time: time.Now().UnixNano(),
		attrs: []Attr{String("exception.type", x.errorCode), String("exception.message", x.statusMsg)}})
}

// End ends the span now and queues it for export. Later calls do nothing.
func (s *Span) End() { s.EndAt(time.Time{}) }

// EndAt ends the span at t (now when zero).
func (s *Span) EndAt(t time.Time) {
	if !s.lock() {
		return
	}
	if t.IsZero() {
		s.end = time.Now().UnixNano()
	} else {
		s.end = t.UnixNano()
	}
	if s.end < s.hdr.start {
		s.end = s.hdr.start
	}
	if s.status == 0 || s.status == StatusRunning {
		s.status = StatusOK
	}
	s.ended = true
	usage, typ, status := s.usage, s.hdr.typ, s.status
	var cost *float64
	if s.x != nil {
		cost = s.x.cost
	}
	s.mu.Unlock()
	if s.sess != nil {
		s.sess.record(typ, status, usage, s.hdr.parentID.IsZero(), cost)
	}
	s.client.enqueue(record{span: s})
}
