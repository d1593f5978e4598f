package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

var spanSelect = "SELECT seq, " + spanColumnList + " FROM spans"

type scanner interface{ Scan(dest ...any) error }

func scanSpan(r scanner) (storage.Span, error) {
	var s storage.Span
	c := &s.Span
	var typ, status, tags string
	var temp, topP, cost, costIn, costCR, costCW, costOut, costReason, reported sql.NullFloat64
	var maxTok sql.NullInt64
	var thinking, toolOK sql.NullBool
	var flags, totalTokens, duration int64
	err := r.Scan(&s.Seq,
		&c.TraceID, &c.SpanID, &c.ParentSpanID, &c.SessionID, &c.Name, &typ, &status,
		&c.StatusMessage, &c.ErrorCode, &c.StartUnixNano, &c.EndUnixNano, &duration,
		&c.Model, &c.Provider, &temp, &maxTok, &topP, &thinking, &c.StopReason,
		&c.Prompt, &c.Response, &c.ToolName, &c.ToolCallID, &c.ToolInput, &c.ToolOutput, &toolOK,
		&c.FilePath, &c.FileOperation, &c.FileBytes, &c.FileLines,
		&c.Tokens.Input, &c.Tokens.CacheRead, &c.Tokens.CacheWrite5m, &c.Tokens.CacheWrite1h,
		&c.Tokens.Output, &c.Tokens.Reasoning, &totalTokens, &c.Tokens.Present, &c.Tokens.Estimated,
		&c.Cost.Status, &cost, &costIn, &costCR, &costCW,
		&costOut, &costReason, &c.Cost.PricingEntry, &c.Cost.PricingDate, &reported,
		&c.Framework, &c.FrameworkVersion, &c.SDKVersion, &c.Hostname, &c.ServiceName, &tags,
		&c.AgentName, &c.UserID, &c.ChainStep, &c.ChainDepth, &c.ChainFollows, &c.ChainRequestedBy,
		&c.ChainAnswers, &flags, &s.Attributes, &s.Resource, &s.Events, &s.ScopeName, &c.Project, &s.ContentRefs)
	if err != nil {
		return s, err
	}
	// Content attributes stored only in their column go back into the
	// attributes (storage.FromTraces left them out).
	storage.RestoreContent(&s)
	c.Type, c.Status = canonical.SpanType(typ), canonical.Status(status)
	c.Temperature, c.TopP, c.ReportedCost = ptrFloat(temp), ptrFloat(topP), ptrFloat(reported)
	if maxTok.Valid {
		c.MaxTokens = &maxTok.Int64
	}
	if thinking.Valid {
		c.ThinkingEnabled = &thinking.Bool
	}
	if toolOK.Valid {
		c.ToolSuccess = &toolOK.Bool
	}
	c.Cost.Total, c.Cost.Input, c.Cost.CacheRead = cost.Float64, costIn.Float64, costCR.Float64
	c.Cost.CacheWrite, c.Cost.Output, c.Cost.Reasoning = costCW.Float64, costOut.Float64, costReason.Float64
	c.Tags = decodeStrings(tags)
	c.Flags = canonical.FlagNames(flags)
	return s, nil
}

func ptrFloat(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

func decodeStrings(s string) []string {
	var out []string
	if s == "" || s == "[]" {
		return nil
	}
	if json.Unmarshal([]byte(s), &out) != nil {
		return nil
	}
	return out
}

func decodeMap(s string) map[string]string {
	var out map[string]string
	if s == "" || s == "{}" {
		return nil
	}
	if json.Unmarshal([]byte(s), &out) != nil {
		return nil
	}
	return out
}

const traceColumns = `project, trace_id, root_span_id, root_name, root_status, session_id, agent_name, start_ns, end_ns,
	span_count, llm_calls, tool_calls, error_count, running_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, chain_length, flags`

func scanTrace(r scanner) (storage.TraceSummary, error) {
	var t storage.TraceSummary
	var rootStatus string
	var running, flags int64
	err := r.Scan(&t.Project, &t.TraceID, &t.RootSpanID, &t.RootName, &rootStatus, &t.SessionID, &t.AgentName,
		&t.StartUnixNano, &t.EndUnixNano, &t.SpanCount, &t.LLMCalls, &t.ToolCalls, &t.ErrorCount, &running,
		&t.Tokens.Input, &t.Tokens.CacheRead, &t.Tokens.CacheWrite5m, &t.Tokens.CacheWrite1h, &t.Tokens.Output,
		&t.Tokens.Reasoning, &t.CostUSD, &t.PricedSpans, &t.UnpricedSpans, &t.ChainLength, &flags)
	if err != nil {
		return t, err
	}
	t.Tokens.Present = t.Tokens.Total() > 0
	t.Flags = canonical.FlagNames(flags)
	t.Status = traceStatus(t.ErrorCount, running, rootStatus, t.RootSpanID)
	if t.Status != canonical.StatusRunning && t.EndUnixNano > t.StartUnixNano {
		t.DurationNanos = t.EndUnixNano - t.StartUnixNano
	}
	return t, nil
}

// traceStatus derives a trace's status: error when any span failed,
// running while the root runs or is still unknown, otherwise the root's
// status. traceStatusSQL is the same rule for queries.
func traceStatus(errors, _ int64, rootStatus, rootSpanID string) canonical.Status {
	switch {
	case errors > 0:
		return canonical.StatusError
	case rootSpanID == "" || rootStatus == "" || rootStatus == string(canonical.StatusRunning):
		return canonical.StatusRunning
	}
	return canonical.Status(rootStatus)
}

const traceStatusSQL = `(CASE WHEN t.error_count > 0 THEN 'error'
	WHEN t.root_span_id = '' OR t.root_status IN ('', 'running') THEN 'running' ELSE t.root_status END)`

const sessionColumns = `project, session_id, name, framework, agent_name, user_id, tags, metadata, start_ns, end_ns, status,
	span_count, trace_count, llm_calls, tool_calls, error_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, flags`

func scanSession(r scanner) (storage.Session, error) {
	var s storage.Session
	var tags, meta, status string
	var flags int64
	err := r.Scan(&s.Project, &s.ID, &s.Name, &s.Framework, &s.AgentName, &s.UserID, &tags, &meta, &s.StartUnixNano,
		&s.EndUnixNano, &status, &s.SpanCount, &s.TraceCount, &s.LLMCalls, &s.ToolCalls, &s.ErrorCount,
		&s.Tokens.Input, &s.Tokens.CacheRead, &s.Tokens.CacheWrite5m, &s.Tokens.CacheWrite1h, &s.Tokens.Output,
		&s.Tokens.Reasoning, &s.CostUSD, &s.PricedSpans, &s.UnpricedSpans, &flags)
	if err != nil {
		return s, err
	}
	s.Tags, s.Metadata = decodeStrings(tags), decodeMap(meta)
	s.Status = canonical.Status(status)
	if s.Status == "" {
		s.Status = canonical.StatusRunning
	}
	s.Tokens.Present = s.Tokens.Total() > 0
	s.Flags = canonical.FlagNames(flags)
	return s, nil
}

// GetTrace returns a trace's summary.
func (s *Store) GetTrace(ctx context.Context, sc storage.Scope, traceID string) (storage.TraceSummary, error) {
	if err := sc.Check(); err != nil {
		return storage.TraceSummary{}, err
	}
	var w where
	w.add("trace_id = ?", traceID)
	w.scope("project", sc)
	t, err := scanTrace(s.read.QueryRowContext(ctx, "SELECT "+traceColumns+" FROM traces"+w.sql()+
		" ORDER BY project LIMIT 1", w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("trace %s: %w", traceID, storage.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("sqlite: get trace %s: %w", traceID, err)
	}
	return t, nil
}

// cursor is a keyset position: the last row's start time and id.
type cursor struct {
	start int64
	id    string
}

func encodeCursor(start int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(start, 10) + ":" + id))
}

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed cursor", storage.ErrInvalidQuery)
	}
	num, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf("%w: malformed cursor", storage.ErrInvalidQuery)
	}
	return &cursor{start: n, id: id}, nil
}

// where accumulates SQL conditions with their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// scope limits the rows to the projects sc allows.
func (w *where) scope(col string, sc storage.Scope) {
	if !sc.All() {
		w.add(col+" = ?", sc.Project())
	}
}

func (w *where) timeRange(col string, r storage.TimeRange) {
	if r.From > 0 {
		w.add(col+" >= ?", r.From)
	}
	if r.To > 0 {
		w.add(col+" < ?", r.To)
	}
}

// ListTraces returns trace summaries matching q, newest first.
func (s *Store) ListTraces(ctx context.Context, sc storage.Scope, q storage.TraceQuery) (storage.Page[storage.TraceSummary], error) {
	var page storage.Page[storage.TraceSummary]
	if err := sc.Check(); err != nil {
		return page, err
	}
	limit, err := storage.CheckLimit(q.Limit)
	if err != nil {
		return page, err
	}
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return page, err
	}
	var w where
	w.scope("t.project", sc)
	w.timeRange("t.start_ns", q.TimeRange)
	if q.SessionID != "" {
		w.add("t.session_id = ?", q.SessionID)
	}
	if q.AgentName != "" {
		w.add("t.agent_name = ?", q.AgentName)
	}
	if q.Model != "" {
		w.add("EXISTS (SELECT 1 FROM spans s WHERE s.project = t.project AND s.trace_id = t.trace_id AND s.model = ?)", q.Model)
	}
	if q.Status != "" {
		w.add(traceStatusSQL+" = ?", string(q.Status))
	}
	if q.MinCostUSD > 0 {
		w.add("t.cost_usd >= ?", q.MinCostUSD)
	}
	if q.MinDurationNanos > 0 {
		w.add(traceStatusSQL+" <> 'running' AND t.end_ns - t.start_ns >= ?", q.MinDurationNanos)
	}
	if q.Text != "" {
		p := likePattern(q.Text)
		w.add(`(t.root_name LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM spans s WHERE s.project = t.project AND s.trace_id = t.trace_id AND
			(s.name LIKE ? ESCAPE '\' OR s.prompt LIKE ? ESCAPE '\' OR s.response LIKE ? ESCAPE '\'
			 OR s.tool_input LIKE ? ESCAPE '\' OR s.tool_output LIKE ? ESCAPE '\')))`, p, p, p, p, p, p)
	}
	if cur != nil {
		// The same trace id may start at the same time in two projects.
		id, project, _ := strings.Cut(cur.id, " ")
		w.add("(t.start_ns < ? OR (t.start_ns = ? AND (t.trace_id < ? OR (t.trace_id = ? AND t.project < ?))))",
			cur.start, cur.start, id, id, project)
	}
	query := "SELECT " + traceColumns + " FROM traces t" + w.sql() +
		" ORDER BY t.start_ns DESC, t.trace_id DESC, t.project DESC LIMIT ?"
	rows, err := s.read.QueryContext(ctx, query, append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTrace(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: scan trace: %w", err)
		}
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list traces: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.StartUnixNano, last.TraceID+" "+last.Project)
	}
	return page, nil
}

// TraceSpans returns every span of a trace ordered by start time.
func (s *Store) TraceSpans(ctx context.Context, sc storage.Scope, traceID string) ([]storage.Span, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	var w where
	w.add("trace_id = ?", traceID)
	if sc.All() {
		// One trace: the same id in several projects is several traces.
		w.add("project = (SELECT min(project) FROM traces WHERE trace_id = ?)", traceID)
	} else {
		w.scope("project", sc)
	}
	rows, err := s.read.QueryContext(ctx, spanSelect+w.sql()+" ORDER BY start_ns, end_ns, span_id", w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: trace spans %s: %w", traceID, err)
	}
	defer rows.Close()
	var out []storage.Span
	for rows.Next() {
		sp, err := scanSpan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: scan span: %w", err)
		}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: trace spans %s: %w", traceID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("trace %s: %w", traceID, storage.ErrNotFound)
	}
	return out, nil
}

// GetSpan returns one span.
func (s *Store) GetSpan(ctx context.Context, sc storage.Scope, traceID, spanID string) (storage.Span, error) {
	if err := sc.Check(); err != nil {
		return storage.Span{}, err
	}
	var w where
	w.add("trace_id = ? AND span_id = ?", traceID, spanID)
	w.scope("project", sc)
	sp, err := scanSpan(s.read.QueryRowContext(ctx, spanSelect+w.sql()+" ORDER BY project LIMIT 1", w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return sp, fmt.Errorf("span %s/%s: %w", traceID, spanID, storage.ErrNotFound)
	}
	if err != nil {
		return sp, fmt.Errorf("sqlite: get span: %w", err)
	}
	return sp, nil
}

// QuerySpans returns spans matching q: newest first, or oldest first after
// q.AfterSeq when following new spans.
func (s *Store) QuerySpans(ctx context.Context, sc storage.Scope, q storage.SpanQuery) (storage.Page[storage.Span], error) {
	var page storage.Page[storage.Span]
	if err := sc.Check(); err != nil {
		return page, err
	}
	limit, err := storage.CheckLimit(q.Limit)
	if err != nil {
		return page, err
	}
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return page, err
	}
	var w where
	w.scope("project", sc)
	w.timeRange("start_ns", q.TimeRange)
	if q.SessionID != "" {
		w.add("session_id = ?", q.SessionID)
	}
	if q.TraceID != "" {
		w.add("trace_id = ?", q.TraceID)
	}
	if q.Type != "" {
		w.add("type = ?", string(q.Type))
	}
	if q.Model != "" {
		w.add("model = ?", q.Model)
	}
	if q.Status != "" {
		w.add("status = ?", string(q.Status))
	}
	follow := q.AfterSeq > 0
	order := " ORDER BY start_ns DESC, seq DESC"
	if q.AfterSeq > 0 {
		w.add("seq > ?", q.AfterSeq)
		order = " ORDER BY seq"
	} else if cur != nil {
		seq, _ := strconv.ParseInt(cur.id, 10, 64)
		w.add("(start_ns < ? OR (start_ns = ? AND seq < ?))", cur.start, cur.start, seq)
	}
	rows, err := s.read.QueryContext(ctx, spanSelect+w.sql()+order+" LIMIT ?", append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite: query spans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sp, err := scanSpan(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: scan span: %w", err)
		}
		page.Items = append(page.Items, sp)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: query spans: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		if !follow {
			page.NextCursor = encodeCursor(last.StartUnixNano, strconv.FormatInt(last.Seq, 10))
		}
	}
	return page, nil
}

// GetSession returns a session with its totals.
func (s *Store) GetSession(ctx context.Context, sc storage.Scope, id string) (storage.Session, error) {
	if err := sc.Check(); err != nil {
		return storage.Session{}, err
	}
	var w where
	w.add("session_id = ?", id)
	w.scope("project", sc)
	sess, err := scanSession(s.read.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions"+w.sql()+
		" ORDER BY project LIMIT 1", w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return sess, fmt.Errorf("session %s: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return sess, fmt.Errorf("sqlite: get session %s: %w", id, err)
	}
	return sess, nil
}

// ListSessions returns sessions matching q, newest first.
func (s *Store) ListSessions(ctx context.Context, sc storage.Scope, q storage.SessionQuery) (storage.Page[storage.Session], error) {
	var page storage.Page[storage.Session]
	if err := sc.Check(); err != nil {
		return page, err
	}
	limit, err := storage.CheckLimit(q.Limit)
	if err != nil {
		return page, err
	}
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return page, err
	}
	var w where
	w.scope("project", sc)
	w.timeRange("start_ns", q.TimeRange)
	if q.AgentName != "" {
		w.add("agent_name = ?", q.AgentName)
	}
	if q.Text != "" {
		w.add(`name LIKE ? ESCAPE '\'`, likePattern(q.Text))
	}
	if q.Active != nil {
		if *q.Active {
			w.add("end_ns = 0")
		} else {
			w.add("end_ns <> 0")
		}
	}
	if cur != nil {
		id, project, _ := strings.Cut(cur.id, " ")
		w.add("(start_ns < ? OR (start_ns = ? AND (session_id < ? OR (session_id = ? AND project < ?))))",
			cur.start, cur.start, id, id, project)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions"+w.sql()+
		" ORDER BY start_ns DESC, session_id DESC, project DESC LIMIT ?", append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: scan session: %w", err)
		}
		page.Items = append(page.Items, sess)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.StartUnixNano, last.ID+" "+last.Project)
	}
	return page, nil
}

// DeleteSession deletes a session with its traces and spans in the
// projects sc allows.
func (s *Store) DeleteSession(ctx context.Context, sc storage.Scope, id string) error {
	if err := sc.Check(); err != nil {
		return err
	}
	var w where
	w.add("session_id = ?", id)
	w.scope("project", sc)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "DELETE FROM sessions"+w.sql(), w.args...)
	if err != nil {
		return fmt.Errorf("sqlite: delete session %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	for _, q := range []string{
		"DELETE FROM spans WHERE (project, trace_id) IN (SELECT project, trace_id FROM traces" + w.sql() + ")",
		"DELETE FROM spans" + w.sql(),
		"DELETE FROM traces" + w.sql(),
	} {
		r, err := tx.ExecContext(ctx, q, w.args...)
		if err != nil {
			return fmt.Errorf("sqlite: delete session %s: %w", id, err)
		}
		m, _ := r.RowsAffected()
		n += m
	}
	if n == 0 {
		return fmt.Errorf("session %s: %w", id, storage.ErrNotFound)
	}
	return tx.Commit()
}
