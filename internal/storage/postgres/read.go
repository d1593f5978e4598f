package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

var spanSelect = "SELECT seq, " + strings.Join(spanColumns, ", ") + " FROM spans"

func scanSpan(r pgx.Row) (storage.Span, error) {
	var s storage.Span
	c := &s.Span
	var typ, status string
	var start time.Time
	var dur *int64
	var flags int64
	err := r.Scan(&s.Seq,
		&c.TraceID, &c.SpanID, &start, &c.ParentSpanID, &c.SessionID, &c.Name, &typ, &status,
		&c.StatusMessage, &c.ErrorCode, &c.StartUnixNano, &c.EndUnixNano, &dur,
		&c.Model, &c.Provider, &c.Temperature, &c.MaxTokens, &c.TopP, &c.ThinkingEnabled, &c.StopReason,
		&c.Prompt, &c.Response, &c.ToolName, &c.ToolCallID, &c.ToolInput, &c.ToolOutput, &c.ToolSuccess,
		&c.FilePath, &c.FileOperation, &c.FileBytes, &c.FileLines,
		&c.Tokens.Input, &c.Tokens.CacheRead, &c.Tokens.CacheWrite5m, &c.Tokens.CacheWrite1h,
		&c.Tokens.Output, &c.Tokens.Reasoning, &c.Tokens.Present, &c.Tokens.Estimated,
		&c.Cost.Status, &c.Cost.Total, &c.Cost.Input, &c.Cost.CacheRead, &c.Cost.CacheWrite,
		&c.Cost.Output, &c.Cost.Reasoning, &c.Cost.PricingEntry, &c.Cost.PricingDate, &c.ReportedCost,
		&c.Framework, &c.FrameworkVersion, &c.SDKVersion, &c.Hostname, &c.ServiceName, &c.Tags,
		&c.AgentName, &c.UserID, &c.ChainStep, &c.ChainDepth, &c.ChainFollows, &c.ChainRequestedBy,
		&c.ChainAnswers, &flags, &s.Attributes, &s.Resource, &s.Events, &s.ScopeName, &c.Project, &s.ContentRefs)
	if err != nil {
		return s, err
	}
	// Content attributes stored only in their column go back into the
	// attributes (storage.FromTraces left them out).
	storage.RestoreContent(&s)
	c.Type, c.Status = canonical.SpanType(typ), canonical.Status(status)
	c.Flags = canonical.FlagNames(flags)
	return s, nil
}

func collectSpans(rows pgx.Rows) ([]storage.Span, error) {
	defer rows.Close()
	var out []storage.Span
	for rows.Next() {
		s, err := scanSpan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const traceColumns = `project, trace_id, root_span_id, root_name, session_id, agent_name, start_ns, end_ns, duration_ns, status,
	span_count, llm_calls, tool_calls, error_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, chain_max, flags`

func scanTrace(r pgx.Row) (storage.TraceSummary, error) {
	var t storage.TraceSummary
	var status string
	var chainMax, flags int64
	err := r.Scan(&t.Project, &t.TraceID, &t.RootSpanID, &t.RootName, &t.SessionID, &t.AgentName, &t.StartUnixNano, &t.EndUnixNano,
		&t.DurationNanos, &status, &t.SpanCount, &t.LLMCalls, &t.ToolCalls, &t.ErrorCount,
		&t.Tokens.Input, &t.Tokens.CacheRead, &t.Tokens.CacheWrite5m, &t.Tokens.CacheWrite1h, &t.Tokens.Output, &t.Tokens.Reasoning,
		&t.CostUSD, &t.PricedSpans, &t.UnpricedSpans, &chainMax, &flags)
	if err != nil {
		return t, err
	}
	t.Status = canonical.Status(status)
	t.ChainLength = chainMax + 1
	t.Flags = canonical.FlagNames(flags)
	t.Tokens.Present = t.Tokens.Total() > 0
	return t, nil
}

const sessionColumns = `project, session_id, name, framework, agent_name, user_id, tags, metadata, start_ns, end_ns, status,
	span_count, (SELECT count(*) FROM traces t WHERE t.project = sessions.project AND t.session_id = sessions.session_id), llm_calls, tool_calls, error_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, flags`

func scanSession(r pgx.Row) (storage.Session, error) {
	var s storage.Session
	var status string
	var flags int64
	err := r.Scan(&s.Project, &s.ID, &s.Name, &s.Framework, &s.AgentName, &s.UserID, &s.Tags, &s.Metadata, &s.StartUnixNano,
		&s.EndUnixNano, &status, &s.SpanCount, &s.TraceCount, &s.LLMCalls, &s.ToolCalls, &s.ErrorCount,
		&s.Tokens.Input, &s.Tokens.CacheRead, &s.Tokens.CacheWrite5m, &s.Tokens.CacheWrite1h, &s.Tokens.Output, &s.Tokens.Reasoning,
		&s.CostUSD, &s.PricedSpans, &s.UnpricedSpans, &flags)
	if err != nil {
		return s, err
	}
	s.Status = canonical.Status(status)
	s.Flags = canonical.FlagNames(flags)
	s.Tokens.Present = s.Tokens.Total() > 0
	return s, nil
}

func notFound(err error, what, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s %q: %w", what, id, storage.ErrNotFound)
	}
	return fmt.Errorf("postgres: get %s %q: %w", what, id, err)
}

// GetTrace returns a trace's summary, ErrNotFound when unknown.
func (s *Store) GetTrace(ctx context.Context, sc storage.Scope, traceID string) (storage.TraceSummary, error) {
	if err := sc.Check(); err != nil {
		return storage.TraceSummary{}, err
	}
	var w where
	w.add("trace_id = " + w.arg(traceID))
	w.scope(sc)
	t, err := scanTrace(s.pool.QueryRow(ctx, "SELECT "+traceColumns+" FROM traces"+w.sql()+" ORDER BY project LIMIT 1", w.args...))
	if err != nil {
		return t, notFound(err, "trace", traceID)
	}
	return t, nil
}

// cursor is a decoded page cursor: the sort key of the last item returned.
type cursor struct {
	ns  int64
	ids []string
}

func encodeCursor(ns int64, ids ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ns, 10) + "\x1f" + strings.Join(ids, "\x1f")))
}

func decodeCursor(s string, nIDs int) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("postgres: cursor: %w", storage.ErrInvalidQuery)
	}
	parts := strings.Split(string(raw), "\x1f")
	if len(parts) != nIDs+1 {
		return nil, fmt.Errorf("postgres: cursor: %w", storage.ErrInvalidQuery)
	}
	ns, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("postgres: cursor: %w", storage.ErrInvalidQuery)
	}
	return &cursor{ns: ns, ids: parts[1:]}, nil
}

// where builds a WHERE clause with numbered arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// scope limits the rows to the projects sc allows.
func (w *where) scope(sc storage.Scope) {
	if !sc.All() {
		w.add("project = " + w.arg(sc.Project()))
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// timeRange filters col (Unix ns) by r: From inclusive, To exclusive. With
// timeCol (a timestamptz mirror of col) it adds the implied bounds that let
// TimescaleDB skip chunks.
func (w *where) timeRange(col, timeCol string, r storage.TimeRange) {
	if r.From != 0 {
		w.add(col + " >= " + w.arg(r.From))
		if timeCol != "" {
			w.add(timeCol + " >= " + w.arg(startTime(r.From)))
		}
	}
	if r.To != 0 {
		w.add(col + " < " + w.arg(r.To))
		if timeCol != "" {
			w.add(timeCol + " <= " + w.arg(startTime(r.To)))
		}
	}
}

// likePattern escapes text for a case-insensitive substring ILIKE.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
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
	cur, err := decodeCursor(q.Cursor, 2)
	if err != nil {
		return page, err
	}
	var w where
	w.scope(sc)
	w.timeRange("start_ns", "", q.TimeRange)
	if q.SessionID != "" {
		w.add("session_id = " + w.arg(q.SessionID))
	}
	if q.AgentName != "" {
		w.add("agent_name = " + w.arg(q.AgentName))
	}
	if q.Status != "" {
		w.add("status = " + w.arg(string(q.Status)))
	}
	if q.MinCostUSD > 0 {
		w.add("cost_usd >= " + w.arg(q.MinCostUSD))
	}
	if q.MinDurationNanos > 0 {
		w.add("duration_ns >= " + w.arg(q.MinDurationNanos))
	}
	if q.Model != "" {
		w.add("EXISTS (SELECT 1 FROM spans sp WHERE sp.project = traces.project AND sp.trace_id = traces.trace_id AND sp.model = " + w.arg(q.Model) + ")")
	}
	if q.Text != "" {
		p := w.arg(likePattern(q.Text))
		w.add("EXISTS (SELECT 1 FROM spans sp WHERE sp.project = traces.project AND sp.trace_id = traces.trace_id AND (sp.name ILIKE " + p +
			" OR sp.prompt ILIKE " + p + " OR sp.response ILIKE " + p + " OR sp.tool_input ILIKE " + p +
			" OR sp.tool_output ILIKE " + p + "))")
	}
	if cur != nil {
		// The same trace id may start at the same time in two projects.
		w.add("(start_ns, trace_id, project) < (" + w.arg(cur.ns) + ", " + w.arg(cur.ids[0]) + ", " + w.arg(cur.ids[1]) + ")")
	}
	sql := "SELECT " + traceColumns + " FROM traces" + w.sql() +
		" ORDER BY start_ns DESC, trace_id DESC, project DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := s.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return page, fmt.Errorf("postgres: list traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTrace(rows)
		if err != nil {
			return page, fmt.Errorf("postgres: list traces: %w", err)
		}
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("postgres: list traces: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.StartUnixNano, last.TraceID, last.Project)
	}
	return page, nil
}

// TraceSpans returns every span of a trace ordered by start time.
func (s *Store) TraceSpans(ctx context.Context, sc storage.Scope, traceID string) ([]storage.Span, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	var w where
	w.add("trace_id = " + w.arg(traceID))
	if sc.All() {
		// One trace: the same id in several projects is several traces.
		w.add("project = (SELECT min(project) FROM traces WHERE trace_id = $1)")
	} else {
		w.scope(sc)
	}
	rows, err := s.pool.Query(ctx, spanSelect+w.sql()+" ORDER BY start_ns, span_id", w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: trace spans %q: %w", traceID, err)
	}
	out, err := collectSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: trace spans %q: %w", traceID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("postgres: trace %q: %w", traceID, storage.ErrNotFound)
	}
	return out, nil
}

// GetSpan returns one span, ErrNotFound when unknown. When a span was
// stored under two start times, the latest write wins.
func (s *Store) GetSpan(ctx context.Context, sc storage.Scope, traceID, spanID string) (storage.Span, error) {
	if err := sc.Check(); err != nil {
		return storage.Span{}, err
	}
	var w where
	w.add("trace_id = " + w.arg(traceID))
	w.add("span_id = " + w.arg(spanID))
	w.scope(sc)
	sp, err := scanSpan(s.pool.QueryRow(ctx, spanSelect+w.sql()+" ORDER BY project, seq DESC LIMIT 1", w.args...))
	if err != nil {
		return sp, notFound(err, "span", traceID+"/"+spanID)
	}
	return sp, nil
}

// QuerySpans returns spans matching q: newest first, or in Seq order after
// q.AfterSeq. Seq comes from a sequence, so with several concurrent writers
// a span may commit after one with a higher Seq; a follower that must not
// miss any re-reads a short window behind its last Seq.
func (s *Store) QuerySpans(ctx context.Context, sc storage.Scope, q storage.SpanQuery) (storage.Page[storage.Span], error) {
	var page storage.Page[storage.Span]
	if err := sc.Check(); err != nil {
		return page, err
	}
	limit, err := storage.CheckLimit(q.Limit)
	if err != nil {
		return page, err
	}
	follow := q.AfterSeq > 0
	nIDs := 3
	if follow {
		nIDs = 0
	}
	cur, err := decodeCursor(q.Cursor, nIDs)
	if err != nil {
		return page, err
	}
	var w where
	w.scope(sc)
	w.timeRange("start_ns", "start_time", q.TimeRange)
	if q.SessionID != "" {
		w.add("session_id = " + w.arg(q.SessionID))
	}
	if q.TraceID != "" {
		w.add("trace_id = " + w.arg(q.TraceID))
	}
	if q.Type != "" {
		w.add("type = " + w.arg(string(q.Type)))
	}
	if q.Model != "" {
		w.add("model = " + w.arg(q.Model))
	}
	if q.Status != "" {
		w.add("status = " + w.arg(string(q.Status)))
	}
	order := " ORDER BY start_ns DESC, trace_id DESC, span_id DESC, project DESC"
	if follow {
		after := q.AfterSeq
		if cur != nil && cur.ns > after {
			after = cur.ns
		}
		w.add("seq > " + w.arg(after))
		order = " ORDER BY seq"
	} else if cur != nil {
		w.add("(start_ns, trace_id, span_id, project) < (" + w.arg(cur.ns) + ", " + w.arg(cur.ids[0]) + ", " +
			w.arg(cur.ids[1]) + ", " + w.arg(cur.ids[2]) + ")")
	}
	rows, err := s.pool.Query(ctx, spanSelect+w.sql()+order+" LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, fmt.Errorf("postgres: query spans: %w", err)
	}
	page.Items, err = collectSpans(rows)
	if err != nil {
		return page, fmt.Errorf("postgres: query spans: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		if follow {
			page.NextCursor = encodeCursor(last.Seq)
		} else {
			page.NextCursor = encodeCursor(last.StartUnixNano, last.TraceID, last.SpanID, last.Project)
		}
	}
	return page, nil
}

// GetSession returns a session with its totals, ErrNotFound when unknown.
func (s *Store) GetSession(ctx context.Context, sc storage.Scope, id string) (storage.Session, error) {
	if err := sc.Check(); err != nil {
		return storage.Session{}, err
	}
	var w where
	w.add("session_id = " + w.arg(id))
	w.scope(sc)
	ss, err := scanSession(s.pool.QueryRow(ctx, "SELECT "+sessionColumns+" FROM sessions"+w.sql()+" ORDER BY project LIMIT 1", w.args...))
	if err != nil {
		return ss, notFound(err, "session", id)
	}
	return ss, nil
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
	cur, err := decodeCursor(q.Cursor, 2)
	if err != nil {
		return page, err
	}
	var w where
	w.scope(sc)
	w.timeRange("start_ns", "", q.TimeRange)
	if q.AgentName != "" {
		w.add("agent_name = " + w.arg(q.AgentName))
	}
	if q.Text != "" {
		w.add("name ILIKE " + w.arg(likePattern(q.Text)))
	}
	if q.Active != nil {
		if *q.Active {
			w.add("end_ns = 0")
		} else {
			w.add("end_ns <> 0")
		}
	}
	if cur != nil {
		w.add("(start_ns, session_id, project) < (" + w.arg(cur.ns) + ", " + w.arg(cur.ids[0]) + ", " + w.arg(cur.ids[1]) + ")")
	}
	rows, err := s.pool.Query(ctx, "SELECT "+sessionColumns+" FROM sessions"+w.sql()+
		" ORDER BY start_ns DESC, session_id DESC, project DESC LIMIT "+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return page, fmt.Errorf("postgres: list sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return page, fmt.Errorf("postgres: list sessions: %w", err)
		}
		page.Items = append(page.Items, ss)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("postgres: list sessions: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.StartUnixNano, last.ID, last.Project)
	}
	return page, nil
}

// DeleteSession deletes a session with its traces and spans in the
// projects sc allows.
func (s *Store) DeleteSession(ctx context.Context, sc storage.Scope, id string) error {
	if err := sc.Check(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var w where
		w.add("session_id = " + w.arg(id))
		w.scope(sc)
		rows, err := tx.Query(ctx, "SELECT project, trace_id FROM traces"+w.sql(), w.args...)
		if err != nil {
			return err
		}
		var projects, traces []string
		for rows.Next() {
			var p, t string
			if err := rows.Scan(&p, &t); err != nil {
				rows.Close()
				return err
			}
			projects, traces = append(projects, p), append(traces, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The same trace locks as writers, taken first, in the same order.
		if _, err := tx.Exec(ctx, lockTracesSQL, int32(lockClass), lockKeys(traces)); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, "SELECT project FROM sessions"+w.sql()+" ORDER BY project FOR UPDATE", w.args...)
		if err != nil {
			return err
		}
		sessProjects, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(sessProjects) == 0 {
			return notFound(pgx.ErrNoRows, "session", id)
		}
		match := `(project, trace_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
			OR (session_id = $3 AND project = ANY($4))`
		del := "DELETE FROM spans WHERE " + match
		if !s.timescale {
			// Subtract the deleted spans from the hourly rollup.
			del = `WITH d AS (DELETE FROM spans WHERE ` + match + `
				RETURNING start_time, project, type, model, provider, agent_name, status, duration_ns, tokens_input, tokens_cache_read,
				  tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, cost_status, cost_usd)
			UPDATE span_metrics_hourly m SET
				spans = m.spans - x.spans, errors = m.errors - x.errors, finished = m.finished - x.finished,
				duration_sum_ns = m.duration_sum_ns - x.dur,
				tokens_input = m.tokens_input - x.ti, tokens_cache_read = m.tokens_cache_read - x.tcr,
				tokens_cache_write_5m = m.tokens_cache_write_5m - x.tcw5, tokens_cache_write_1h = m.tokens_cache_write_1h - x.tcw1,
				tokens_output = m.tokens_output - x.tout, tokens_reasoning = m.tokens_reasoning - x.treas,
				cost_usd = m.cost_usd - x.cost, priced_spans = m.priced_spans - x.priced, unpriced_spans = m.unpriced_spans - x.unpriced
			FROM (SELECT date_trunc('hour', start_time) AS bucket, project, type, model, provider, agent_name,
				count(*) AS spans, count(*) FILTER (WHERE status IN ('error', 'timeout')) AS errors,
				count(duration_ns) AS finished, coalesce(sum(duration_ns), 0) AS dur,
				sum(tokens_input) AS ti, sum(tokens_cache_read) AS tcr, sum(tokens_cache_write_5m) AS tcw5,
				sum(tokens_cache_write_1h) AS tcw1, sum(tokens_output) AS tout, sum(tokens_reasoning) AS treas,
				coalesce(sum(cost_usd) FILTER (WHERE cost_status IN ('priced', 'estimated')), 0) AS cost,
				count(*) FILTER (WHERE cost_status IN ('priced', 'estimated')) AS priced,
				count(*) FILTER (WHERE cost_status = 'unpriced') AS unpriced
			      FROM d GROUP BY 1, 2, 3, 4, 5, 6) x
			WHERE m.bucket = x.bucket AND m.project = x.project AND m.type = x.type AND m.model = x.model
			  AND m.provider = x.provider AND m.agent_name = x.agent_name`
		}
		if _, err := tx.Exec(ctx, del, projects, traces, id, sessProjects); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM traces WHERE "+match, projects, traces, id, sessProjects); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM sessions WHERE session_id = $1 AND project = ANY($2)", id, sessProjects)
		return err
	})
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return fmt.Errorf("postgres: delete session %q: %w", id, err)
	}
	return nil
}
