// Package storage defines AgentTrace's storage model and the small
// interfaces every backend implements (SQLite, PostgreSQL/TimescaleDB).
// Every backend passes the one conformance suite in storagetest.
//
// Summaries (traces, sessions) are maintained by the backends as additive,
// idempotent upserts: writing the same span twice, or a running span followed
// by its final version, changes each total by the difference only, so
// summaries stay right when a trace arrives in several batches or through
// several collectors.
package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// Sentinel errors. Backends wrap them with %w.
var (
	// ErrNotFound: the requested trace, span or session does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidQuery: a query parameter is out of range or malformed.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrNoScope: a read or delete was called with the zero Scope. Backends
	// refuse it rather than guess, so a forgotten scope fails closed.
	ErrNoScope = errors.New("no project scope")
)

// Scope says which projects a read or delete may see. The zero Scope is
// invalid (ErrNoScope). Data outside the scope behaves as if it did not
// exist: lists and metrics leave it out, and getting or deleting one of its
// ids is ErrNotFound, so a scope cannot probe another project's ids.
type Scope struct {
	project string // canonical.DefaultProject etc., or allProjects
}

const allProjects = "*"

// AllProjects is the scope of local mode and of keys for project "*".
func AllProjects() Scope { return Scope{project: allProjects} }

// ProjectScope is the scope of one project.
func ProjectScope(project string) Scope { return Scope{project: project} }

// Check returns ErrNoScope for the zero Scope and ErrInvalidQuery for a
// project name canonical.ValidProject rejects.
func (s Scope) Check() error {
	switch {
	case s.project == "":
		return ErrNoScope
	case s.project != allProjects && !canonical.ValidProject(s.project):
		return fmt.Errorf("%w: invalid project %q", ErrInvalidQuery, s.project)
	}
	return nil
}

// All reports whether the scope covers every project.
func (s Scope) All() bool { return s.project == allProjects }

// Project is the scope's one project ("" for AllProjects or the zero Scope).
func (s Scope) Project() string {
	if s.All() {
		return ""
	}
	return s.project
}

// Allows reports whether data of project p is inside the scope.
func (s Scope) Allows(p string) bool {
	return s.project != "" && (s.All() || s.project == NormProject(p))
}

// String names the scope for logs and errors.
func (s Scope) String() string {
	if s.project == "" {
		return "(no scope)"
	}
	return s.project
}

// NormProject maps the empty project (spans not built by canonical.Read,
// e.g. in tests) to canonical.DefaultProject, as every backend stores it.
func NormProject(p string) string {
	if p == "" {
		return canonical.DefaultProject
	}
	return p
}

// Span is a stored span: the canonical view plus the raw data kept beside it.
type Span struct {
	canonical.Span
	// Attributes is the span's raw attributes as a JSON object (all of them,
	// canonical and convention-specific). Spans read from a store always
	// carry all of them; in a span built by FromTraces, the content
	// attributes named by ContentRefs are left out.
	Attributes string
	// ContentRefs names the content attributes left out of Attributes
	// because their value is exactly the text of a canonical column (Prompt,
	// Response, ToolInput, ToolOutput), so an LLM call's prompt is stored
	// once, not twice. Stores write it as it is and call RestoreContent on
	// every span they read, which puts the attributes back and clears it.
	// Empty for spans not built by FromTraces.
	ContentRefs string
	// Resource is the resource attributes as a JSON object.
	Resource string
	// Events is a JSON array of {"name","time_unix_nano","attributes"}.
	Events string
	// ScopeName is the instrumentation scope.
	ScopeName string
	// Seq is the backend's insertion sequence (assigned on write, increasing);
	// readers use it to follow new spans.
	Seq int64
}

// SessionEvent is a session start or end reported by an SDK.
type SessionEvent struct {
	// Project is the project of the session marker's resource (see
	// canonical.Span.Project); "" means canonical.DefaultProject.
	Project      string
	SessionID    string
	Start        bool // true: start event; false: end event
	Name         string
	Framework    string
	AgentName    string
	UserID       string
	Tags         []string
	Metadata     map[string]string
	TimeUnixNano int64
	Status       canonical.Status // end events
}

// Batch is one write: spans plus session events.
type Batch struct {
	Spans    []Span
	Sessions []SessionEvent
}

// TraceSummary is one row per trace.
type TraceSummary struct {
	Project       string
	TraceID       string
	RootSpanID    string
	RootName      string
	SessionID     string
	AgentName     string
	StartUnixNano int64
	EndUnixNano   int64
	// DurationNanos is End-Start of a trace whose status is not running,
	// 0 while it runs.
	DurationNanos int64
	// Status: error when any span failed (even while the root still runs);
	// otherwise running while the root span runs or is unknown; otherwise
	// the root's status (a running child does not change it).
	Status        canonical.Status
	SpanCount     int64
	LLMCalls      int64
	ToolCalls     int64
	ErrorCount    int64
	Tokens        canonical.Tokens
	CostUSD       float64
	PricedSpans   int64
	UnpricedSpans int64
	ChainLength   int64
	Flags         []string
}

// Session is an agent run with its totals.
type Session struct {
	Project       string
	ID            string
	Name          string
	Framework     string
	AgentName     string
	UserID        string
	Tags          []string
	Metadata      map[string]string
	StartUnixNano int64
	EndUnixNano   int64 // 0 while active
	Status        canonical.Status
	SpanCount     int64
	TraceCount    int64
	LLMCalls      int64
	ToolCalls     int64
	ErrorCount    int64
	Tokens        canonical.Tokens
	CostUSD       float64
	PricedSpans   int64
	UnpricedSpans int64
	Flags         []string
}

// Page is one page of a list with the cursor of the next one ("" at the end).
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// TimeRange bounds a query by span/trace start time in Unix nanoseconds;
// zero means unbounded.
type TimeRange struct {
	From int64
	To   int64
}

// TraceQuery filters and pages trace summaries, newest first.
type TraceQuery struct {
	TimeRange
	SessionID        string
	AgentName        string
	Model            string // traces with at least one span of this model
	Status           canonical.Status
	MinCostUSD       float64
	MinDurationNanos int64
	Text             string // substring of span names, prompts, responses, tool I/O
	Limit            int    // 1..MaxLimit; 0 means DefaultLimit
	Cursor           string
}

// SpanQuery filters and pages spans, newest first (or by Seq when AfterSeq
// is set: oldest first, for following new spans).
type SpanQuery struct {
	TimeRange
	SessionID string
	TraceID   string
	Type      canonical.SpanType
	Model     string
	Status    canonical.Status
	AfterSeq  int64
	Limit     int
	Cursor    string
}

// SessionQuery filters and pages sessions, newest first.
type SessionQuery struct {
	TimeRange
	AgentName string
	Text      string // substring of the name
	Active    *bool  // only active (true) or ended (false) sessions
	Limit     int
	Cursor    string
}

// Limits on page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Summary aggregates spans in a time range.
type Summary struct {
	Spans         int64
	Traces        int64
	Sessions      int64
	LLMCalls      int64
	ToolCalls     int64
	Errors        int64
	ErrorRate     float64 // Errors / Spans
	Tokens        canonical.Tokens
	CostUSD       float64
	UnpricedSpans int64
	// Latency of finished LLM calls, milliseconds.
	LatencyP50Ms float64
	LatencyP95Ms float64
}

// Cost groupings accepted by CostBreakdown.
const (
	GroupHour     = "hour"
	GroupDay      = "day"
	GroupWeek     = "week"
	GroupModel    = "model"
	GroupProvider = "provider"
	GroupAgent    = "agent"
	GroupType     = "type"
)

// CostRow is one group of a cost breakdown. Time groups have Key set to the
// bucket start in RFC 3339 (UTC) and BucketUnixNano set.
type CostRow struct {
	Key            string
	BucketUnixNano int64
	Spans          int64
	Tokens         canonical.Tokens
	CostUSD        float64
	UnpricedSpans  int64
}

// PerfRow is latency statistics for one group of finished spans.
type PerfRow struct {
	Key       string
	Count     int64
	Errors    int64
	P50Ms     float64
	P95Ms     float64
	P99Ms     float64
	AvgMs     float64
	PerSecond float64 // Count / range length
}

// ErrorRow is one distinct error message with its count.
type ErrorRow struct {
	Message string
	Code    string
	Type    canonical.SpanType
	Count   int64
}

// ErrorStats is the error rate and the most frequent errors.
type ErrorStats struct {
	Spans  int64
	Errors int64
	Rate   float64
	Top    []ErrorRow
}

// Writer stores spans and session events.
type Writer interface {
	// Write stores a batch atomically where the backend allows: either all
	// of it is stored (and the summaries updated) or an error is returned.
	// Spans, traces and sessions are keyed by project and id: a span of
	// another project with the same ids never changes them.
	Write(ctx context.Context, b Batch) error
}

// Reader answers the queries of the API, CLI and TUI. Every method takes
// the Scope of the caller and sees only the projects it allows; the zero
// Scope is ErrNoScope. An id that exists only in another project is
// ErrNotFound, and within AllProjects an id used by several projects
// resolves to the first of them by project name (scope to one project to
// choose).
type Reader interface {
	// GetTrace returns a trace's summary, ErrNotFound when unknown.
	GetTrace(ctx context.Context, sc Scope, traceID string) (TraceSummary, error)
	// ListTraces returns trace summaries matching q, newest first.
	ListTraces(ctx context.Context, sc Scope, q TraceQuery) (Page[TraceSummary], error)
	// TraceSpans returns every span of a trace ordered by start time,
	// ErrNotFound when the trace has none.
	TraceSpans(ctx context.Context, sc Scope, traceID string) ([]Span, error)
	// GetSpan returns one span, ErrNotFound when unknown.
	GetSpan(ctx context.Context, sc Scope, traceID, spanID string) (Span, error)
	// QuerySpans returns spans matching q.
	QuerySpans(ctx context.Context, sc Scope, q SpanQuery) (Page[Span], error)
	// GetSession returns a session with its totals, ErrNotFound when unknown.
	GetSession(ctx context.Context, sc Scope, id string) (Session, error)
	// ListSessions returns sessions matching q, newest first.
	ListSessions(ctx context.Context, sc Scope, q SessionQuery) (Page[Session], error)
	// Summary aggregates the spans that started in r.
	Summary(ctx context.Context, sc Scope, r TimeRange) (Summary, error)
	// CostBreakdown groups cost and tokens by one of the Group* keys.
	CostBreakdown(ctx context.Context, sc Scope, r TimeRange, groupBy string) ([]CostRow, error)
	// Performance returns latency percentiles of finished spans grouped by
	// GroupType or GroupModel.
	Performance(ctx context.Context, sc Scope, r TimeRange, groupBy string) ([]PerfRow, error)
	// Errors returns the error rate and the top error messages.
	Errors(ctx context.Context, sc Scope, r TimeRange, limit int) (ErrorStats, error)
}

// Deleter removes data.
type Deleter interface {
	// DeleteSession deletes a session with its traces and spans in every
	// project sc allows, ErrNotFound when it has none there.
	DeleteSession(ctx context.Context, sc Scope, id string) error
}

// Store is a full backend.
type Store interface {
	Writer
	Reader
	Deleter
	// Close releases the backend's resources. It is safe to call twice.
	Close() error
}
