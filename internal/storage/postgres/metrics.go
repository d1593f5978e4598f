package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// Analytics read the raw spans, so they always agree with what was written
// (and deleted) — except CostBreakdown, which reads whole hours from the
// hourly rollup (kept exact by the writer's additive deltas) and only the
// partial hours at the range's edges from raw spans.

const (
	failed   = "status IN ('error', 'timeout')"
	hasCost  = "cost_status IN ('priced', 'estimated')"
	tokenSum = `coalesce(sum(tokens_input), 0), coalesce(sum(tokens_cache_read), 0), coalesce(sum(tokens_cache_write_5m), 0),
	coalesce(sum(tokens_cache_write_1h), 0), coalesce(sum(tokens_output), 0), coalesce(sum(tokens_reasoning), 0)`
)

// rangeWhere selects the spans of sc that started in r. The scope's
// project, when there is one, is always $1.
func rangeWhere(sc storage.Scope, r storage.TimeRange) *where {
	w := &where{}
	w.scope(sc)
	w.timeRange("start_ns", "start_time", r)
	return w
}

// Summary aggregates the spans that started in r.
func (s *Store) Summary(ctx context.Context, sc storage.Scope, r storage.TimeRange) (storage.Summary, error) {
	var sum storage.Summary
	if err := sc.Check(); err != nil {
		return sum, err
	}
	w := rangeWhere(sc, r)
	var p50, p95 *float64
	err := s.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (project, trace_id)),
		count(DISTINCT (project, nullif(session_id, ''))) FILTER (WHERE session_id <> ''),
		count(*) FILTER (WHERE type = 'llm_call'), count(*) FILTER (WHERE type = 'tool_execution'),
		count(*) FILTER (WHERE `+failed+`), `+tokenSum+`,
		coalesce(sum(cost_usd) FILTER (WHERE `+hasCost+`), 0), count(*) FILTER (WHERE cost_status = 'unpriced'),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns) FILTER (WHERE type = 'llm_call' AND status <> 'running') / 1e6,
		percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns) FILTER (WHERE type = 'llm_call' AND status <> 'running') / 1e6
		FROM spans`+w.sql(), w.args...).Scan(&sum.Spans, &sum.Traces, &sum.Sessions, &sum.LLMCalls, &sum.ToolCalls, &sum.Errors,
		&sum.Tokens.Input, &sum.Tokens.CacheRead, &sum.Tokens.CacheWrite5m, &sum.Tokens.CacheWrite1h, &sum.Tokens.Output, &sum.Tokens.Reasoning,
		&sum.CostUSD, &sum.UnpricedSpans, &p50, &p95)
	if err != nil {
		return sum, fmt.Errorf("postgres: summary: %w", err)
	}
	if sum.Spans > 0 {
		sum.ErrorRate = float64(sum.Errors) / float64(sum.Spans)
	}
	sum.LatencyP50Ms, sum.LatencyP95Ms = deref(p50), deref(p95)
	sum.Tokens.Present = sum.Tokens.Total() > 0
	return sum, nil
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// CostBreakdown groups cost and tokens by one of the storage.Group* keys.
func (s *Store) CostBreakdown(ctx context.Context, sc storage.Scope, r storage.TimeRange, groupBy string) ([]storage.CostRow, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	var key string
	timeGroup := true
	switch groupBy {
	case storage.GroupHour, storage.GroupDay, storage.GroupWeek:
		// The session time zone is UTC; date_trunc('week') starts on Monday.
		key = "date_trunc('" + groupBy + "', start_time)"
	case storage.GroupModel:
		key, timeGroup = "model", false
	case storage.GroupProvider:
		key, timeGroup = "provider", false
	case storage.GroupAgent:
		key, timeGroup = "agent_name", false
	case storage.GroupType:
		key, timeGroup = "type", false
	default:
		return nil, fmt.Errorf("postgres: cost breakdown by %q: %w", groupBy, storage.ErrInvalidQuery)
	}
	query, args := costBreakdownSQL(sc, key, r)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: cost breakdown: %w", err)
	}
	defer rows.Close()
	out := []storage.CostRow{}
	for rows.Next() {
		var row storage.CostRow
		var bucket time.Time
		dest := []any{&row.Key}
		if timeGroup {
			dest[0] = &bucket
		}
		dest = append(dest, &row.Spans, &row.Tokens.Input, &row.Tokens.CacheRead, &row.Tokens.CacheWrite5m,
			&row.Tokens.CacheWrite1h, &row.Tokens.Output, &row.Tokens.Reasoning, &row.CostUSD, &row.UnpricedSpans)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("postgres: cost breakdown: %w", err)
		}
		if timeGroup {
			row.Key = bucket.UTC().Format(time.RFC3339)
			row.BucketUnixNano = bucket.UnixNano()
		}
		row.Tokens.Present = row.Tokens.Total() > 0
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: cost breakdown: %w", err)
	}
	if !timeGroup {
		// Most expensive first.
		sortCostRows(out)
	}
	return out, nil
}

// costBreakdownSQL reads whole hours of r from the hourly rollup
// (span_metrics_hourly: a table the writer maintains, or a TimescaleDB
// continuous aggregate) and only the partial hours at its edges from raw
// spans, so a 30-day breakdown reads ~720 rollup rows per group instead of
// every span. The rollup's bucket is the hour of the span's start, so the
// parts never overlap. key groups both (its columns exist in both). The
// rollup has a project column, so a project's breakdown reads it too.
func costBreakdownSQL(sc storage.Scope, key string, r storage.TimeRange) (string, []any) {
	project, args := "", []any(nil)
	if !sc.All() {
		project, args = ` AND project = $1`, []any{sc.Project()}
	}
	const hour = int64(time.Hour)
	lo := r.From
	if lo != 0 && lo%hour != 0 {
		lo += hour - lo%hour
	}
	hi := r.To
	if hi != 0 {
		hi -= hi % hour
	}
	rawKey := key
	rollKey := strings.ReplaceAll(key, "start_time", "bucket")
	rawPart := func(from, to int64) string {
		return `SELECT ` + rawKey + ` AS k, count(*) AS n, ` + tokenSum + `,
			coalesce(sum(cost_usd) FILTER (WHERE ` + hasCost + `), 0) AS cost,
			count(*) FILTER (WHERE cost_status = 'unpriced') AS unpriced
			FROM spans WHERE start_ns >= ` + strconv.FormatInt(from, 10) + ` AND start_ns < ` + strconv.FormatInt(to, 10) +
			` AND start_time >= '` + startTime(from).Format(time.RFC3339Nano) + `' AND start_time <= '` +
			startTime(to).Format(time.RFC3339Nano) + `'` + project + ` GROUP BY 1`
	}
	if hi != 0 && hi <= lo { // within one hour: raw spans only
		w := rangeWhere(sc, r)
		return `SELECT ` + rawKey + ` AS k, count(*), ` + tokenSum + `,
			coalesce(sum(cost_usd) FILTER (WHERE ` + hasCost + `), 0), count(*) FILTER (WHERE cost_status = 'unpriced')
			FROM spans` + w.sql() + ` GROUP BY k ORDER BY k`, w.args
	}
	var parts []string
	if r.From != 0 && r.From < lo {
		parts = append(parts, rawPart(r.From, lo))
	}
	roll := `SELECT ` + rollKey + ` AS k, sum(spans)::bigint, sum(tokens_input)::bigint, sum(tokens_cache_read)::bigint,
		sum(tokens_cache_write_5m)::bigint, sum(tokens_cache_write_1h)::bigint, sum(tokens_output)::bigint,
		sum(tokens_reasoning)::bigint, sum(cost_usd), sum(unpriced_spans)::bigint FROM span_metrics_hourly`
	conds := []string{"true" + project}
	if lo != 0 {
		conds = append(conds, `bucket >= '`+startTime(lo).Format(time.RFC3339)+`'`)
	}
	if hi != 0 {
		conds = append(conds, `bucket < '`+startTime(hi).Format(time.RFC3339)+`'`)
	}
	roll += ` WHERE ` + strings.Join(conds, " AND ")
	parts = append(parts, roll+` GROUP BY 1`)
	if r.To != 0 && hi < r.To {
		parts = append(parts, rawPart(hi, r.To))
	}
	return `SELECT k, sum(n)::bigint, sum(ti)::bigint, sum(tcr)::bigint, sum(tw5)::bigint, sum(tw1)::bigint,
		sum(tout)::bigint, sum(tr)::bigint, coalesce(sum(cost), 0), sum(unpriced)::bigint
		FROM (` + strings.Join(parts, "\nUNION ALL\n") + `) AS p(k, n, ti, tcr, tw5, tw1, tout, tr, cost, unpriced)
		WHERE n > 0 GROUP BY k ORDER BY k`, args
}

func sortCostRows(rows []storage.CostRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].CostUSD > rows[j-1].CostUSD; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// Performance returns latency percentiles of finished spans grouped by
// storage.GroupType or storage.GroupModel.
func (s *Store) Performance(ctx context.Context, sc storage.Scope, r storage.TimeRange, groupBy string) ([]storage.PerfRow, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	var key string
	switch groupBy {
	case storage.GroupType:
		key = "type"
	case storage.GroupModel:
		key = "model"
	default:
		return nil, fmt.Errorf("postgres: performance by %q: %w", groupBy, storage.ErrInvalidQuery)
	}
	w := rangeWhere(sc, r)
	w.add("duration_ns IS NOT NULL")
	rows, err := s.pool.Query(ctx, `SELECT `+key+`, count(*), count(*) FILTER (WHERE `+failed+`),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ns) / 1e6,
		percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ns) / 1e6,
		percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ns) / 1e6,
		avg(duration_ns) / 1e6, min(start_ns), max(end_ns)
		FROM spans`+w.sql()+` GROUP BY 1 ORDER BY 2 DESC, 1`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: performance: %w", err)
	}
	defer rows.Close()
	out := []storage.PerfRow{}
	for rows.Next() {
		var p storage.PerfRow
		var first, last int64
		if err := rows.Scan(&p.Key, &p.Count, &p.Errors, &p.P50Ms, &p.P95Ms, &p.P99Ms, &p.AvgMs, &first, &last); err != nil {
			return nil, fmt.Errorf("postgres: performance: %w", err)
		}
		p.PerSecond = r.PerSecond(p.Count, first, last)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: performance: %w", err)
	}
	return out, nil
}

// Errors returns the error rate and the most frequent error messages.
func (s *Store) Errors(ctx context.Context, sc storage.Scope, r storage.TimeRange, limit int) (storage.ErrorStats, error) {
	var st storage.ErrorStats
	if err := sc.Check(); err != nil {
		return st, err
	}
	limit, err := storage.CheckLimit(limit)
	if err != nil {
		return st, err
	}
	w := rangeWhere(sc, r)
	if err := s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE `+failed+`) FROM spans`+w.sql(), w.args...).
		Scan(&st.Spans, &st.Errors); err != nil {
		return st, fmt.Errorf("postgres: errors: %w", err)
	}
	if st.Spans > 0 {
		st.Rate = float64(st.Errors) / float64(st.Spans)
	}
	if st.Errors == 0 {
		return st, nil
	}
	w.add(failed)
	rows, err := s.pool.Query(ctx, `SELECT status_message, error_code, type, count(*) FROM spans`+w.sql()+
		` GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3 LIMIT `+strconv.Itoa(limit), w.args...)
	if err != nil {
		return st, fmt.Errorf("postgres: errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e storage.ErrorRow
		var typ string
		if err := rows.Scan(&e.Message, &e.Code, &typ, &e.Count); err != nil {
			return st, fmt.Errorf("postgres: errors: %w", err)
		}
		e.Type = canonical.SpanType(typ)
		st.Top = append(st.Top, e)
	}
	return st, rows.Err()
}
