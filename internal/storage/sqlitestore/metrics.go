package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

const (
	hourNs = int64(time.Hour)
	dayNs  = 24 * hourNs
	weekNs = 7 * dayNs
	// mondayOffset aligns week buckets on Mondays: the Unix epoch was a Thursday.
	mondayOffset = 4 * dayNs
)

const failureCond = "status IN ('error', 'timeout')"

// Summary aggregates the spans that started in r.
func (s *Store) Summary(ctx context.Context, sc storage.Scope, r storage.TimeRange) (storage.Summary, error) {
	var out storage.Summary
	if err := sc.Check(); err != nil {
		return out, err
	}
	var w where
	w.scope("project", sc)
	w.timeRange("start_ns", r)
	err := s.read.QueryRowContext(ctx, `SELECT count(*),
		count(DISTINCT project || ' ' || trace_id),
		count(DISTINCT CASE WHEN session_id <> '' THEN project || ' ' || session_id END),
		coalesce(sum(type = 'llm_call'), 0), coalesce(sum(type = 'tool_execution'), 0),
		coalesce(sum(`+failureCond+`), 0),
		coalesce(sum(tokens_input), 0), coalesce(sum(tokens_cache_read), 0), coalesce(sum(tokens_cache_write_5m), 0),
		coalesce(sum(tokens_cache_write_1h), 0), coalesce(sum(tokens_output), 0), coalesce(sum(tokens_reasoning), 0),
		coalesce(sum(cost_usd), 0), coalesce(sum(cost_status = 'unpriced'), 0)
		FROM spans`+w.sql(), w.args...).Scan(&out.Spans, &out.Traces, &out.Sessions, &out.LLMCalls, &out.ToolCalls,
		&out.Errors, &out.Tokens.Input, &out.Tokens.CacheRead, &out.Tokens.CacheWrite5m, &out.Tokens.CacheWrite1h,
		&out.Tokens.Output, &out.Tokens.Reasoning, &out.CostUSD, &out.UnpricedSpans)
	if err != nil {
		return out, fmt.Errorf("sqlite: summary: %w", err)
	}
	out.Tokens.Present = out.Tokens.Total() > 0
	if out.Spans > 0 {
		out.ErrorRate = float64(out.Errors) / float64(out.Spans)
	}
	w.add("type = 'llm_call' AND status <> 'running'")
	ps, err := s.percentiles(ctx, w, []float64{0.5, 0.95})
	if err != nil {
		return out, err
	}
	out.LatencyP50Ms, out.LatencyP95Ms = ps[0], ps[1]
	return out, nil
}

// percentiles returns continuous percentiles (linear interpolation between
// the two nearest ranks, like PostgreSQL's percentile_cont) of duration_ns,
// in milliseconds, over the spans selected by w.
func (s *Store) percentiles(ctx context.Context, w where, ps []float64) ([]float64, error) {
	out := make([]float64, len(ps))
	var n int64
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM spans"+w.sql(), w.args...).Scan(&n); err != nil {
		return nil, fmt.Errorf("sqlite: percentile count: %w", err)
	}
	if n == 0 {
		return out, nil
	}
	for i, p := range ps {
		pos := p * float64(n-1)
		lo := int64(math.Floor(pos))
		rows, err := s.read.QueryContext(ctx, "SELECT duration_ns FROM spans"+w.sql()+
			" ORDER BY duration_ns LIMIT 2 OFFSET ?", append(append([]any{}, w.args...), lo)...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: percentile: %w", err)
		}
		var vals []float64
		for rows.Next() {
			var d int64
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: percentile: %w", err)
			}
			vals = append(vals, float64(d))
		}
		rows.Close()
		if len(vals) == 0 {
			continue
		}
		v := vals[0]
		if len(vals) == 2 {
			v += (vals[1] - vals[0]) * (pos - float64(lo))
		}
		out[i] = v / 1e6
	}
	return out, nil
}

// CostBreakdown groups cost and tokens of the spans in r.
func (s *Store) CostBreakdown(ctx context.Context, sc storage.Scope, r storage.TimeRange, groupBy string) ([]storage.CostRow, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	var key string
	timeGroup := true
	switch groupBy {
	case storage.GroupHour:
		key = fmt.Sprintf("(start_ns / %d) * %d", hourNs, hourNs)
	case storage.GroupDay:
		key = fmt.Sprintf("(start_ns / %d) * %d", dayNs, dayNs)
	case storage.GroupWeek:
		key = fmt.Sprintf("((start_ns - %d) / %d) * %d + %d", mondayOffset, weekNs, weekNs, mondayOffset)
	case storage.GroupModel:
		key, timeGroup = "model", false
	case storage.GroupProvider:
		key, timeGroup = "provider", false
	case storage.GroupAgent:
		key, timeGroup = "agent_name", false
	case storage.GroupType:
		key, timeGroup = "type", false
	default:
		return nil, fmt.Errorf("%w: unknown group_by %q", storage.ErrInvalidQuery, groupBy)
	}
	var w where
	w.scope("project", sc)
	w.timeRange("start_ns", r)
	order := "k"
	if !timeGroup {
		order = "cost DESC, k"
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+key+` AS k, count(*),
		coalesce(sum(tokens_input), 0), coalesce(sum(tokens_cache_read), 0), coalesce(sum(tokens_cache_write_5m), 0),
		coalesce(sum(tokens_cache_write_1h), 0), coalesce(sum(tokens_output), 0), coalesce(sum(tokens_reasoning), 0),
		coalesce(sum(cost_usd), 0) AS cost, coalesce(sum(cost_status = 'unpriced'), 0)
		FROM spans`+w.sql()+" GROUP BY k ORDER BY "+order, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: cost breakdown: %w", err)
	}
	defer rows.Close()
	out := []storage.CostRow{}
	for rows.Next() {
		var row storage.CostRow
		var k any
		if err := rows.Scan(&k, &row.Spans, &row.Tokens.Input, &row.Tokens.CacheRead, &row.Tokens.CacheWrite5m,
			&row.Tokens.CacheWrite1h, &row.Tokens.Output, &row.Tokens.Reasoning, &row.CostUSD, &row.UnpricedSpans); err != nil {
			return nil, fmt.Errorf("sqlite: cost breakdown: %w", err)
		}
		row.Tokens.Present = row.Tokens.Total() > 0
		if timeGroup {
			ns, _ := k.(int64)
			row.BucketUnixNano = ns
			row.Key = time.Unix(0, ns).UTC().Format(time.RFC3339)
		} else {
			row.Key = fmt.Sprint(k)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// Performance returns latency percentiles of finished spans in r, grouped
// by span type or model.
func (s *Store) Performance(ctx context.Context, sc storage.Scope, r storage.TimeRange, groupBy string) ([]storage.PerfRow, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	var col string
	switch groupBy {
	case storage.GroupType:
		col = "type"
	case storage.GroupModel:
		col = "model"
	default:
		return nil, fmt.Errorf("%w: unknown group_by %q for performance", storage.ErrInvalidQuery, groupBy)
	}
	var w where
	w.scope("project", sc)
	w.timeRange("start_ns", r)
	w.add("status <> 'running'")
	rows, err := s.read.QueryContext(ctx, "SELECT "+col+", count(*), coalesce(sum("+failureCond+`), 0),
		avg(duration_ns), min(start_ns), max(end_ns) FROM spans`+w.sql()+" GROUP BY "+col+" ORDER BY count(*) DESC, "+col, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: performance: %w", err)
	}
	type group struct {
		row        storage.PerfRow
		first, end int64
	}
	var groups []group
	for rows.Next() {
		var g group
		var avg sql.NullFloat64
		if err := rows.Scan(&g.row.Key, &g.row.Count, &g.row.Errors, &avg, &g.first, &g.end); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: performance: %w", err)
		}
		g.row.AvgMs = avg.Float64 / 1e6
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: performance: %w", err)
	}
	out := make([]storage.PerfRow, 0, len(groups))
	for _, g := range groups {
		gw := where{conds: append([]string{}, w.conds...), args: append([]any{}, w.args...)}
		gw.add(col+" = ?", g.row.Key)
		ps, err := s.percentiles(ctx, gw, []float64{0.5, 0.95, 0.99})
		if err != nil {
			return nil, err
		}
		g.row.P50Ms, g.row.P95Ms, g.row.P99Ms = ps[0], ps[1], ps[2]
		g.row.PerSecond = r.PerSecond(g.row.Count, g.first, g.end)
		out = append(out, g.row)
	}
	return out, nil
}

// Errors returns the error rate and the most frequent error messages.
func (s *Store) Errors(ctx context.Context, sc storage.Scope, r storage.TimeRange, limit int) (storage.ErrorStats, error) {
	var out storage.ErrorStats
	if err := sc.Check(); err != nil {
		return out, err
	}
	if limit == 0 {
		limit = 10
	}
	if limit < 0 || limit > storage.MaxLimit {
		return out, fmt.Errorf("%w: limit must be between 1 and %d", storage.ErrInvalidQuery, storage.MaxLimit)
	}
	var w where
	w.scope("project", sc)
	w.timeRange("start_ns", r)
	if err := s.read.QueryRowContext(ctx, "SELECT count(*), coalesce(sum("+failureCond+"), 0) FROM spans"+w.sql(),
		w.args...).Scan(&out.Spans, &out.Errors); err != nil {
		return out, fmt.Errorf("sqlite: errors: %w", err)
	}
	if out.Spans > 0 {
		out.Rate = float64(out.Errors) / float64(out.Spans)
	}
	w.add(failureCond)
	rows, err := s.read.QueryContext(ctx, "SELECT status_message, error_code, type, count(*) AS n FROM spans"+w.sql()+
		" GROUP BY status_message, error_code, type ORDER BY n DESC, status_message, error_code, type LIMIT ?",
		append(w.args, limit)...)
	if err != nil {
		return out, fmt.Errorf("sqlite: errors: %w", err)
	}
	defer rows.Close()
	out.Top = []storage.ErrorRow{}
	for rows.Next() {
		var e storage.ErrorRow
		var typ string
		if err := rows.Scan(&e.Message, &e.Code, &typ, &e.Count); err != nil {
			return out, fmt.Errorf("sqlite: errors: %w", err)
		}
		e.Type = canonical.SpanType(typ)
		out.Top = append(out.Top, e)
	}
	return out, rows.Err()
}
