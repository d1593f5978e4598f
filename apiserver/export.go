package apiserver

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/parquet-go/parquet-go"
	"go.uber.org/zap"

	"github.com/agenttrace/agenttrace/internal/storage"
)

// Export formats and their content types.
const (
	formatNDJSON  = "ndjson"
	formatJSON    = "json"
	formatCSV     = "csv"
	formatParquet = "parquet"

	mimeJSON    = "application/json"
	mimeNDJSON  = "application/x-ndjson"
	mimeCSV     = "text/csv; charset=utf-8"
	mimeParquet = "application/vnd.apache.parquet"

	maxExportRows = 100_000_000
)

var exportFormats = []string{formatNDJSON, formatJSON, formatCSV, formatParquet}

func (s *Server) exportSpans(c *gin.Context, a *args) {
	q := spanQuery(a)
	next := func(ctx context.Context, cursor string, limit int) (storage.Page[storage.Span], error) {
		q.Cursor, q.Limit = cursor, limit
		return s.store.QuerySpans(ctx, a.scope, q)
	}
	sink := func(format string, w io.Writer) rowSink[storage.Span] {
		return newSink(format, w, func(s *storage.Span) any { return viewSpan(s) }, spanRecordOf)
	}
	streamExport(s, c, a, "spans", next, sink)
}

func (s *Server) exportTraces(c *gin.Context, a *args) {
	q := traceQuery(a)
	next := func(ctx context.Context, cursor string, limit int) (storage.Page[storage.TraceSummary], error) {
		q.Cursor, q.Limit = cursor, limit
		return s.store.ListTraces(ctx, a.scope, q)
	}
	sink := func(format string, w io.Writer) rowSink[storage.TraceSummary] {
		return newSink(format, w, func(t *storage.TraceSummary) any { return viewTrace(t) }, traceRecordOf)
	}
	streamExport(s, c, a, "traces", next, sink)
}

// rowSink writes one export document page by page.
type rowSink[T any] interface {
	write(items []T) error
	// close finishes the document (JSON array end, CSV flush, Parquet footer).
	close() error
}

// streamExport pages through the store and writes each page as it comes,
// so an export of any size holds one page in memory. The first page is
// read before anything is written, so a bad cursor or query still gets a
// proper error status; a failure later aborts the connection, which
// clients see as a truncated transfer instead of a short but valid file.
func streamExport[T any](s *Server, c *gin.Context, a *args, what string,
	next func(ctx context.Context, cursor string, limit int) (storage.Page[T], error),
	newSink func(format string, w io.Writer) rowSink[T],
) {
	ctx := c.Request.Context()
	format := a.text("format")
	if format == "" {
		format = formatNDJSON
	}
	remaining := a.int("limit", maxExportRows)
	pageSize := func() int { return int(min(remaining, storage.MaxLimit)) }
	page, err := next(ctx, "", pageSize())
	if err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", contentType(format))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="agenttrace-%s-%s.%s"`,
		what, s.now().UTC().Format("20060102T150405Z"), format))
	h.Set("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	bw := bufio.NewWriterSize(c.Writer, 64<<10)
	sink := newSink(format, bw)
	abort := func(err error) {
		if ctx.Err() == nil {
			s.logger.Error("export failed mid-stream", zap.String("export", what), zap.Error(err))
		}
		panic(http.ErrAbortHandler)
	}
	for {
		if int64(len(page.Items)) > remaining {
			page.Items = page.Items[:remaining]
		}
		if err := sink.write(page.Items); err != nil {
			abort(err)
		}
		if err := bw.Flush(); err != nil {
			abort(err)
		}
		c.Writer.Flush()
		remaining -= int64(len(page.Items))
		if page.NextCursor == "" || remaining <= 0 {
			break
		}
		if page, err = next(ctx, page.NextCursor, pageSize()); err != nil {
			abort(err)
		}
	}
	if err := sink.close(); err != nil {
		abort(err)
	}
	if err := bw.Flush(); err != nil {
		abort(err)
	}
}

func contentType(format string) string {
	switch format {
	case formatJSON:
		return mimeJSON
	case formatCSV:
		return mimeCSV
	case formatParquet:
		return mimeParquet
	}
	return mimeNDJSON
}

func newSink[T, R any](format string, w io.Writer, view func(*T) any, record func(*T) R) rowSink[T] {
	switch format {
	case formatJSON:
		return &jsonArraySink[T]{w: w, enc: json.NewEncoder(w), view: view}
	case formatCSV:
		return newCSVSink(w, record)
	case formatParquet:
		return &parquetSink[T, R]{w: parquet.NewGenericWriter[R](w, parquet.Compression(&parquet.Snappy),
			parquet.CreatedBy("agenttrace", "", "")), record: record}
	}
	return &ndjsonSink[T]{enc: json.NewEncoder(w), view: view}
}

type ndjsonSink[T any] struct {
	enc  *json.Encoder
	view func(*T) any
}

func (s *ndjsonSink[T]) write(items []T) error {
	for i := range items {
		if err := s.enc.Encode(s.view(&items[i])); err != nil {
			return err
		}
	}
	return nil
}

func (s *ndjsonSink[T]) close() error { return nil }

type jsonArraySink[T any] struct {
	w       io.Writer
	enc     *json.Encoder
	view    func(*T) any
	started bool
}

func (s *jsonArraySink[T]) write(items []T) error {
	for i := range items {
		sep := ","
		if !s.started {
			sep, s.started = "[", true
		}
		if _, err := io.WriteString(s.w, sep); err != nil {
			return err
		}
		if err := s.enc.Encode(s.view(&items[i])); err != nil {
			return err
		}
	}
	return nil
}

func (s *jsonArraySink[T]) close() error {
	end := "]\n"
	if !s.started {
		end = "[]\n"
	}
	_, err := io.WriteString(s.w, end)
	return err
}

type parquetSink[T, R any] struct {
	w      *parquet.GenericWriter[R]
	record func(*T) R
	rows   []R
}

func (s *parquetSink[T, R]) write(items []T) error {
	s.rows = s.rows[:0]
	for i := range items {
		s.rows = append(s.rows, s.record(&items[i]))
	}
	if _, err := s.w.Write(s.rows); err != nil {
		return err
	}
	// One row group a page keeps memory bounded.
	return s.w.Flush()
}

func (s *parquetSink[T, R]) close() error { return s.w.Close() }

// csvSink writes the fields of the record type R, named by their parquet
// tags, so CSV and Parquet exports have the same columns.
type csvSink[T, R any] struct {
	w      *csv.Writer
	record func(*T) R
	header []string
	wrote  bool
	row    []string
}

func newCSVSink[T, R any](w io.Writer, record func(*T) R) *csvSink[T, R] {
	s := &csvSink[T, R]{w: csv.NewWriter(w), record: record}
	rt := reflect.TypeFor[R]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("parquet"), ",")
		s.header = append(s.header, name)
	}
	s.row = make([]string, len(s.header))
	return s
}

func (s *csvSink[T, R]) write(items []T) error {
	if err := s.writeHeader(); err != nil {
		return err
	}
	for i := range items {
		rv := reflect.ValueOf(s.record(&items[i]))
		for k := range s.row {
			s.row[k] = csvCell(rv.Field(k))
		}
		if err := s.w.Write(s.row); err != nil {
			return err
		}
	}
	s.w.Flush()
	return s.w.Error()
}

func (s *csvSink[T, R]) close() error {
	if err := s.writeHeader(); err != nil {
		return err
	}
	s.w.Flush()
	return s.w.Error()
}

func (s *csvSink[T, R]) writeHeader() error {
	if s.wrote {
		return nil
	}
	s.wrote = true
	return s.w.Write(s.header)
}

func csvCell(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return csvText(v.String())
	case reflect.Int64, reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			return ""
		}
		return csvCell(v.Elem())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = v.Index(i).String()
		}
		return csvText(strings.Join(parts, ","))
	}
	return ""
}

// csvText defuses spreadsheet formulas: trace text is untrusted (model
// output), and a cell starting with = + - @ would run as a formula when the
// file is opened in a spreadsheet. Such cells get a leading apostrophe.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// spanRecord is the flat row of span CSV and Parquet exports.
type spanRecord struct {
	TraceID            string   `parquet:"trace_id"`
	SpanID             string   `parquet:"span_id"`
	ParentSpanID       string   `parquet:"parent_span_id"`
	SessionID          string   `parquet:"session_id"`
	Name               string   `parquet:"name"`
	Type               string   `parquet:"type"`
	Status             string   `parquet:"status"`
	StatusMessage      string   `parquet:"status_message"`
	ErrorCode          string   `parquet:"error_code"`
	StartTime          string   `parquet:"start_time"`
	StartUnixNano      int64    `parquet:"start_unix_nano"`
	EndUnixNano        int64    `parquet:"end_unix_nano"`
	DurationNanos      int64    `parquet:"duration_ns"`
	Model              string   `parquet:"model"`
	Provider           string   `parquet:"provider"`
	AgentName          string   `parquet:"agent_name"`
	UserID             string   `parquet:"user_id"`
	ToolName           string   `parquet:"tool_name"`
	ToolCallID         string   `parquet:"tool_call_id"`
	ToolSuccess        *bool    `parquet:"tool_success,optional"`
	TokensInput        int64    `parquet:"tokens_input"`
	TokensCacheRead    int64    `parquet:"tokens_cache_read"`
	TokensCacheWrite5m int64    `parquet:"tokens_cache_write_5m"`
	TokensCacheWrite1h int64    `parquet:"tokens_cache_write_1h"`
	TokensOutput       int64    `parquet:"tokens_output"`
	TokensReasoning    int64    `parquet:"tokens_reasoning"`
	TokensTotal        int64    `parquet:"tokens_total"`
	CostUSD            *float64 `parquet:"cost_usd,optional"`
	CostStatus         string   `parquet:"cost_status"`
	PricingEntry       string   `parquet:"pricing_entry"`
	ReportedCostUSD    *float64 `parquet:"reported_cost_usd,optional"`
	ChainStep          *int64   `parquet:"chain_step,optional"`
	Flags              []string `parquet:"flags,list"`
	Tags               []string `parquet:"tags,list"`
	Framework          string   `parquet:"framework"`
	ServiceName        string   `parquet:"service_name"`
	Prompt             string   `parquet:"prompt"`
	Response           string   `parquet:"response"`
	ToolInput          string   `parquet:"tool_input"`
	ToolOutput         string   `parquet:"tool_output"`
	Attributes         string   `parquet:"attributes"`
	Seq                int64    `parquet:"seq"`
	Project            string   `parquet:"project"` // last, so existing column positions stay
}

func spanRecordOf(s *storage.Span) spanRecord {
	r := spanRecord{
		Project: storage.NormProject(s.Project),
		TraceID: s.TraceID, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, SessionID: s.SessionID, Name: s.Name,
		Type: string(s.Type), Status: string(s.Status), StatusMessage: s.StatusMessage, ErrorCode: s.ErrorCode,
		StartTime: rfc3339(s.StartUnixNano), StartUnixNano: s.StartUnixNano, EndUnixNano: s.EndUnixNano,
		DurationNanos: s.DurationNanos(), Model: s.Model, Provider: s.Provider, AgentName: s.AgentName,
		UserID: s.UserID, ToolName: s.ToolName, ToolCallID: s.ToolCallID, ToolSuccess: s.ToolSuccess,
		TokensInput: s.Tokens.Input, TokensCacheRead: s.Tokens.CacheRead, TokensCacheWrite5m: s.Tokens.CacheWrite5m,
		TokensCacheWrite1h: s.Tokens.CacheWrite1h, TokensOutput: s.Tokens.Output, TokensReasoning: s.Tokens.Reasoning,
		TokensTotal: s.Tokens.Total(), CostUSD: spanCost(&s.Span), CostStatus: s.Cost.Status,
		PricingEntry: s.Cost.PricingEntry, ReportedCostUSD: s.ReportedCost, Flags: nonNil(s.Flags), Tags: nonNil(s.Tags),
		Framework: s.Framework, ServiceName: s.ServiceName, Prompt: s.Prompt, Response: s.Response,
		ToolInput: s.ToolInput, ToolOutput: s.ToolOutput, Attributes: s.Attributes, Seq: s.Seq,
	}
	if s.ChainStep >= 0 {
		step := s.ChainStep
		r.ChainStep = &step
	}
	return r
}

// traceRecord is the flat row of trace CSV and Parquet exports.
type traceRecord struct {
	TraceID            string   `parquet:"trace_id"`
	RootSpanID         string   `parquet:"root_span_id"`
	RootName           string   `parquet:"root_name"`
	SessionID          string   `parquet:"session_id"`
	AgentName          string   `parquet:"agent_name"`
	StartTime          string   `parquet:"start_time"`
	StartUnixNano      int64    `parquet:"start_unix_nano"`
	EndUnixNano        int64    `parquet:"end_unix_nano"`
	DurationNanos      int64    `parquet:"duration_ns"`
	Status             string   `parquet:"status"`
	SpanCount          int64    `parquet:"span_count"`
	LLMCalls           int64    `parquet:"llm_calls"`
	ToolCalls          int64    `parquet:"tool_calls"`
	ErrorCount         int64    `parquet:"error_count"`
	TokensInput        int64    `parquet:"tokens_input"`
	TokensCacheRead    int64    `parquet:"tokens_cache_read"`
	TokensCacheWrite5m int64    `parquet:"tokens_cache_write_5m"`
	TokensCacheWrite1h int64    `parquet:"tokens_cache_write_1h"`
	TokensOutput       int64    `parquet:"tokens_output"`
	TokensReasoning    int64    `parquet:"tokens_reasoning"`
	TokensTotal        int64    `parquet:"tokens_total"`
	CostUSD            *float64 `parquet:"cost_usd,optional"`
	PricedSpans        int64    `parquet:"priced_spans"`
	UnpricedSpans      int64    `parquet:"unpriced_spans"`
	ChainLength        int64    `parquet:"chain_length"`
	Flags              []string `parquet:"flags,list"`
	Project            string   `parquet:"project"` // last, so existing column positions stay
}

func traceRecordOf(t *storage.TraceSummary) traceRecord {
	return traceRecord{
		Project: storage.NormProject(t.Project),
		TraceID: t.TraceID, RootSpanID: t.RootSpanID, RootName: t.RootName, SessionID: t.SessionID,
		AgentName: t.AgentName, StartTime: rfc3339(t.StartUnixNano), StartUnixNano: t.StartUnixNano,
		EndUnixNano: t.EndUnixNano, DurationNanos: t.DurationNanos, Status: string(t.Status), SpanCount: t.SpanCount,
		LLMCalls: t.LLMCalls, ToolCalls: t.ToolCalls, ErrorCount: t.ErrorCount, TokensInput: t.Tokens.Input,
		TokensCacheRead: t.Tokens.CacheRead, TokensCacheWrite5m: t.Tokens.CacheWrite5m,
		TokensCacheWrite1h: t.Tokens.CacheWrite1h, TokensOutput: t.Tokens.Output, TokensReasoning: t.Tokens.Reasoning,
		TokensTotal: t.Tokens.Total(), CostUSD: aggregateCost(t.CostUSD, t.PricedSpans > 0, t.UnpricedSpans),
		PricedSpans: t.PricedSpans, UnpricedSpans: t.UnpricedSpans, ChainLength: t.ChainLength, Flags: nonNil(t.Flags),
	}
}
