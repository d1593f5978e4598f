package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// spanColumns is the column order used by every insert and select of spans.
var spanColumns = []string{
	"trace_id", "span_id", "parent_span_id", "session_id", "name", "type", "status",
	"status_message", "error_code", "start_ns", "end_ns", "duration_ns",
	"model", "provider", "temperature", "max_tokens", "top_p", "thinking_enabled", "stop_reason",
	"prompt", "response", "tool_name", "tool_call_id", "tool_input", "tool_output", "tool_success",
	"file_path", "file_operation", "file_bytes", "file_lines",
	"tokens_input", "tokens_cache_read", "tokens_cache_write_5m", "tokens_cache_write_1h",
	"tokens_output", "tokens_reasoning", "tokens_total", "tokens_present", "tokens_estimated",
	"cost_status", "cost_usd", "cost_input_usd", "cost_cache_read_usd", "cost_cache_write_usd",
	"cost_output_usd", "cost_reasoning_usd", "pricing_entry", "pricing_date", "reported_cost_usd",
	"framework", "framework_version", "sdk_version", "hostname", "service_name", "tags",
	"agent_name", "user_id", "chain_step", "chain_depth", "chain_follows", "chain_requested_by",
	"chain_answers", "flags", "attributes", "resource", "events", "scope_name", "project",
	"content_refs",
}

// insertChunk keeps a multi-row insert under SQLite's bound-variable limit.
const insertChunk = 200

var spanColumnList = strings.Join(spanColumns, ", ")

func spanArgs(s *storage.Span, args []any) []any {
	c := &s.Span
	var costs [6]any
	if c.Cost.HasCost() {
		costs = [6]any{c.Cost.Total, c.Cost.Input, c.Cost.CacheRead, c.Cost.CacheWrite, c.Cost.Output, c.Cost.Reasoning}
	}
	return append(args,
		c.TraceID, c.SpanID, c.ParentSpanID, c.SessionID, c.Name, string(c.Type), string(c.Status),
		c.StatusMessage, c.ErrorCode, c.StartUnixNano, c.EndUnixNano, c.DurationNanos(),
		c.Model, c.Provider, nullable(c.Temperature), nullable(c.MaxTokens), nullable(c.TopP), nullable(c.ThinkingEnabled), c.StopReason,
		c.Prompt, c.Response, c.ToolName, c.ToolCallID, c.ToolInput, c.ToolOutput, nullable(c.ToolSuccess),
		c.FilePath, c.FileOperation, c.FileBytes, c.FileLines,
		c.Tokens.Input, c.Tokens.CacheRead, c.Tokens.CacheWrite5m, c.Tokens.CacheWrite1h,
		c.Tokens.Output, c.Tokens.Reasoning, c.Tokens.Total(), c.Tokens.Present, c.Tokens.Estimated,
		c.Cost.Status, costs[0], costs[1], costs[2], costs[3],
		costs[4], costs[5], c.Cost.PricingEntry, c.Cost.PricingDate, nullable(c.ReportedCost),
		c.Framework, c.FrameworkVersion, c.SDKVersion, c.Hostname, c.ServiceName, jsonText(c.Tags, "[]"),
		c.AgentName, c.UserID, c.ChainStep, c.ChainDepth, c.ChainFollows, c.ChainRequestedBy,
		c.ChainAnswers, canonical.FlagMask(c.Flags), orDefault(s.Attributes, "{}"), orDefault(s.Resource, "{}"),
		orDefault(s.Events, "[]"), s.ScopeName, storage.NormProject(c.Project), s.ContentRefs,
	)
}

func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func jsonText(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

// contrib is what one span adds to its trace's and session's totals.
type contrib struct {
	spans, llm, tool, errors, running int64
	tokens                            canonical.Tokens
	cost                              float64
	priced, unpriced                  int64
}

func contribOf(c *canonical.Span) contrib {
	k := contrib{spans: 1, tokens: c.Tokens}
	switch c.Type {
	case canonical.TypeLLMCall:
		k.llm = 1
	case canonical.TypeToolExecution:
		k.tool = 1
	}
	if c.Status.IsFailure() {
		k.errors = 1
	}
	if c.Status == canonical.StatusRunning {
		k.running = 1
	}
	switch {
	case c.Cost.HasCost():
		k.cost = c.Cost.Total
		k.priced = 1
	case c.Cost.Status == canonical.CostStatusUnpriced:
		k.unpriced = 1
	}
	return k
}

func (a *contrib) add(b contrib, sign int64) {
	a.spans += sign * b.spans
	a.llm += sign * b.llm
	a.tool += sign * b.tool
	a.errors += sign * b.errors
	a.running += sign * b.running
	a.tokens.Input += sign * b.tokens.Input
	a.tokens.CacheRead += sign * b.tokens.CacheRead
	a.tokens.CacheWrite5m += sign * b.tokens.CacheWrite5m
	a.tokens.CacheWrite1h += sign * b.tokens.CacheWrite1h
	a.tokens.Output += sign * b.tokens.Output
	a.tokens.Reasoning += sign * b.tokens.Reasoning
	a.cost += float64(sign) * b.cost
	a.priced += sign * b.priced
	a.unpriced += sign * b.unpriced
}

// traceDelta is a batch's change to one trace summary.
type traceDelta struct {
	contrib
	rootSpanID, rootName, rootStatus string
	sessionID, agentName             string
	start, end                       int64
	chainLength, flags               int64
}

type sessionDelta struct {
	contrib
	agentName string
	start     int64
	flags     int64
	newTraces int64
}

type spanKey struct{ project, trace, span string }

// ref names a trace or session: ids are unique only within a project.
type ref struct{ project, id string }

func traceRef(c *canonical.Span) ref   { return ref{storage.NormProject(c.Project), c.TraceID} }
func sessionRef(c *canonical.Span) ref { return ref{storage.NormProject(c.Project), c.SessionID} }

func keyOf(c *canonical.Span) spanKey {
	return spanKey{storage.NormProject(c.Project), c.TraceID, c.SpanID}
}

// existingSpan is what the store already holds for a span being written.
type existingSpan struct {
	status canonical.Status
	c      canonical.Span
}

// Write stores a batch in one transaction: spans are inserted or replace an
// earlier version (a running span is never allowed to replace a finished
// one), and the trace and session summaries change by the difference.
func (s *Store) Write(ctx context.Context, b storage.Batch) error {
	if len(b.Spans) == 0 && len(b.Sessions) == 0 {
		return nil
	}
	spans := dedupe(b.Spans)
	// Prepared before the transaction takes the only writer connection.
	insFull, insOne, err := s.insertStmts(ctx)
	if err != nil {
		return err
	}
	s.ckpt.sync(ctx) // an opened store always has its checkpointer
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()

	traceSessions, err := loadTraceSessions(ctx, tx, spans)
	if err != nil {
		return err
	}
	// Only a trace that already has a summary can hold spans this batch
	// replaces; spans of new traces need no lookup.
	existing, err := loadExisting(ctx, tx, spans, traceSessions)
	if err != nil {
		return err
	}
	// A span without a session inherits its trace's session, so session
	// totals include every span of the session's traces.
	for i := range spans {
		c := &spans[i].Span
		if c.SessionID != "" {
			if cur, ok := traceSessions[traceRef(c)]; !ok || cur.session == "" {
				traceSessions[traceRef(c)] = traceSession{session: c.SessionID, known: ok && cur.known}
			}
		}
	}
	for i := range spans {
		c := &spans[i].Span
		if c.SessionID == "" {
			c.SessionID = traceSessions[traceRef(c)].session
		}
	}

	traces := map[ref]*traceDelta{}
	sessions := map[ref]*sessionDelta{}
	toInsert := spans[:0:0]
	for i := range spans {
		sp := &spans[i]
		c := &sp.Span
		old, replaced := existing[keyOf(c)]
		if replaced && old.status != canonical.StatusRunning && c.Status == canonical.StatusRunning {
			continue // a late start event never replaces the finished span
		}
		toInsert = append(toInsert, *sp)
		d := contribOf(c)
		td := traces[traceRef(c)]
		if td == nil {
			td = &traceDelta{start: c.StartUnixNano}
			traces[traceRef(c)] = td
		}
		td.add(d, 1)
		if replaced {
			td.add(contribOf(&old.c), -1)
		}
		td.start = min(td.start, c.StartUnixNano)
		td.end = max(td.end, c.EndUnixNano)
		if c.ParentSpanID == "" {
			td.rootSpanID, td.rootName, td.rootStatus = c.SpanID, c.Name, string(c.Status)
			if c.AgentName != "" {
				td.agentName = c.AgentName
			}
		}
		if td.agentName == "" {
			td.agentName = c.AgentName
		}
		if td.sessionID == "" {
			td.sessionID = c.SessionID
		}
		td.chainLength = max(td.chainLength, c.ChainStep+1)
		mask := canonical.FlagMask(c.Flags)
		td.flags |= mask
		if c.SessionID == "" {
			continue
		}
		sd := sessions[sessionRef(c)]
		if sd == nil {
			sd = &sessionDelta{start: c.StartUnixNano}
			sessions[sessionRef(c)] = sd
		}
		sd.add(d, 1)
		if replaced && old.c.SessionID == c.SessionID {
			sd.add(contribOf(&old.c), -1)
		}
		sd.start = min(sd.start, c.StartUnixNano)
		sd.flags |= mask
		if sd.agentName == "" {
			sd.agentName = c.AgentName
		}
	}
	// A trace counts once for its session: when its summary first gets it.
	for id, td := range traces {
		if ts := traceSessions[id]; td.sessionID != "" && !ts.known {
			if sd := sessions[ref{id.project, td.sessionID}]; sd != nil {
				sd.newTraces++
			}
		}
	}

	if err := insertSpans(ctx, tx, insFull, insOne, toInsert); err != nil {
		return err
	}
	if err := upsertTraces(ctx, tx, traces); err != nil {
		return err
	}
	if err := upsertSessions(ctx, tx, sessions); err != nil {
		return err
	}
	if err := applySessionEvents(ctx, tx, b.Sessions); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	s.ckpt.wake()
	return nil
}

// dedupe keeps one version of each span of a batch: a finished version wins
// over a running one, otherwise the later one in the batch.
func dedupe(in []storage.Span) []storage.Span {
	idx := make(map[spanKey]int, len(in))
	out := make([]storage.Span, 0, len(in))
	for _, sp := range in {
		sp.Project = storage.NormProject(sp.Project)
		k := keyOf(&sp.Span)
		if i, ok := idx[k]; ok {
			if out[i].Status != canonical.StatusRunning && sp.Status == canonical.StatusRunning {
				continue
			}
			out[i] = sp
			continue
		}
		idx[k] = len(out)
		out = append(out, sp)
	}
	return out
}

// contribColumns are the span columns contribOf needs from a stored row.
const contribColumns = "project, trace_id, span_id, session_id, type, status, tokens_input, tokens_cache_read, " +
	"tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning, cost_status, coalesce(cost_usd, 0)"

func loadExisting(ctx context.Context, tx *sql.Tx, spans []storage.Span, known map[ref]traceSession) (map[spanKey]existingSpan, error) {
	out := map[spanKey]existingSpan{}
	var keys []spanKey
	for i := range spans {
		if _, ok := known[traceRef(&spans[i].Span)]; ok {
			keys = append(keys, keyOf(&spans[i].Span))
		}
	}
	const chunk = 300
	args := make([]any, 0, 3*chunk)
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		args = args[:0]
		for _, k := range part {
			args = append(args, k.trace, k.span, k.project)
		}
		// In the order of the unique index (trace_id, span_id, project).
		q := "SELECT " + contribColumns + " FROM spans WHERE (trace_id, span_id, project) IN (VALUES " +
			strings.TrimSuffix(strings.Repeat("(?,?,?),", len(part)), ",") + ")"
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read existing spans: %w", err)
		}
		for rows.Next() {
			var e existingSpan
			var typ, status string
			c := &e.c
			if err := rows.Scan(&c.Project, &c.TraceID, &c.SpanID, &c.SessionID, &typ, &status, &c.Tokens.Input, &c.Tokens.CacheRead,
				&c.Tokens.CacheWrite5m, &c.Tokens.CacheWrite1h, &c.Tokens.Output, &c.Tokens.Reasoning,
				&c.Cost.Status, &c.Cost.Total); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: scan existing span: %w", err)
			}
			c.Type, c.Status = canonical.SpanType(typ), canonical.Status(status)
			e.status = c.Status
			out[keyOf(c)] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: read existing spans: %w", err)
		}
	}
	return out, nil
}

type traceSession struct {
	session string
	known   bool // the trace summary already has this session
}

func loadTraceSessions(ctx context.Context, tx *sql.Tx, spans []storage.Span) (map[ref]traceSession, error) {
	ids := map[string]struct{}{}
	want := map[ref]bool{}
	for i := range spans {
		ids[spans[i].TraceID] = struct{}{}
		want[traceRef(&spans[i].Span)] = true
	}
	out := make(map[ref]traceSession, len(ids))
	all := keys(ids)
	for i := 0; i < len(all); i += 500 {
		chunk := all[i:min(i+500, len(all))]
		args := make([]any, len(chunk))
		for j, id := range chunk {
			args[j] = id
		}
		rows, err := tx.QueryContext(ctx, "SELECT project, trace_id, session_id FROM traces WHERE trace_id IN ("+placeholders(len(chunk))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read trace sessions: %w", err)
		}
		for rows.Next() {
			var r ref
			var sess string
			if err := rows.Scan(&r.project, &r.id, &sess); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: scan trace session: %w", err)
			}
			// The same trace id in another project is another trace.
			if want[r] {
				out[r] = traceSession{session: sess, known: sess != ""}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertSpans writes the rows through two statements prepared once per store
// and reused by every batch: one of insertChunk rows and one of a single row
// for the remainder. Parsing a fresh 14,000-placeholder statement per chunk
// was a quarter of the writer's CPU (the SQL parser in the profile).
func insertSpans(ctx context.Context, tx *sql.Tx, full, one *sql.Stmt, spans []storage.Span) error {
	if len(spans) == 0 {
		return nil
	}
	args := make([]any, 0, min(len(spans), insertChunk)*len(spanColumns))
	i := 0
	if len(spans) >= insertChunk {
		st := tx.StmtContext(ctx, full)
		defer st.Close()
		for ; i+insertChunk <= len(spans); i += insertChunk {
			args = args[:0]
			for j := i; j < i+insertChunk; j++ {
				args = spanArgs(&spans[j], args)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("sqlite: insert %d spans: %w", insertChunk, err)
			}
		}
	}
	if i == len(spans) {
		return nil
	}
	st := tx.StmtContext(ctx, one)
	defer st.Close()
	for ; i < len(spans); i++ {
		args = spanArgs(&spans[i], args[:0])
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlite: insert span %s/%s: %w", spans[i].TraceID, spans[i].SpanID, err)
		}
	}
	return nil
}

// insertStmts prepares (once) the multi-row and the single-row span insert
// on the writer connection. Call it outside a transaction: the writer pool
// has one connection, which a transaction holds.
func (s *Store) insertStmts(ctx context.Context) (full, one *sql.Stmt, err error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.insertFull == nil {
		st, err := s.write.PrepareContext(ctx, insertSQL(insertChunk))
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: prepare span insert: %w", err)
		}
		s.insertFull = st
	}
	if s.insertOne == nil {
		st, err := s.write.PrepareContext(ctx, insertSQL(1))
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: prepare span insert: %w", err)
		}
		s.insertOne = st
	}
	return s.insertFull, s.insertOne, nil
}

// insertSQL is the span insert of n rows. A span's later version (running →
// finished) replaces the earlier row.
func insertSQL(n int) string {
	row := "(" + placeholders(len(spanColumns)) + ")"
	var q strings.Builder
	q.Grow(64 + len(spanColumnList) + n*(len(row)+1))
	q.WriteString("INSERT OR REPLACE INTO spans (")
	q.WriteString(spanColumnList)
	q.WriteString(") VALUES ")
	for j := range n {
		if j > 0 {
			q.WriteByte(',')
		}
		q.WriteString(row)
	}
	return q.String()
}

const upsertTraceSQL = `INSERT INTO traces (trace_id, root_span_id, root_name, root_status, session_id, agent_name,
	start_ns, end_ns, span_count, llm_calls, tool_calls, error_count, running_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, chain_length, flags, project)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (project, trace_id) DO UPDATE SET
	root_span_id = CASE WHEN excluded.root_span_id <> '' THEN excluded.root_span_id ELSE traces.root_span_id END,
	root_name    = CASE WHEN excluded.root_span_id <> '' THEN excluded.root_name ELSE traces.root_name END,
	root_status  = CASE WHEN excluded.root_span_id <> '' THEN excluded.root_status ELSE traces.root_status END,
	session_id   = CASE WHEN traces.session_id = '' THEN excluded.session_id ELSE traces.session_id END,
	agent_name   = CASE WHEN traces.agent_name = '' OR (excluded.root_span_id <> '' AND excluded.agent_name <> '')
	               THEN excluded.agent_name ELSE traces.agent_name END,
	start_ns     = min(traces.start_ns, excluded.start_ns),
	end_ns       = max(traces.end_ns, excluded.end_ns),
	span_count   = traces.span_count + excluded.span_count,
	llm_calls    = traces.llm_calls + excluded.llm_calls,
	tool_calls   = traces.tool_calls + excluded.tool_calls,
	error_count  = traces.error_count + excluded.error_count,
	running_count = traces.running_count + excluded.running_count,
	tokens_input = traces.tokens_input + excluded.tokens_input,
	tokens_cache_read = traces.tokens_cache_read + excluded.tokens_cache_read,
	tokens_cache_write_5m = traces.tokens_cache_write_5m + excluded.tokens_cache_write_5m,
	tokens_cache_write_1h = traces.tokens_cache_write_1h + excluded.tokens_cache_write_1h,
	tokens_output = traces.tokens_output + excluded.tokens_output,
	tokens_reasoning = traces.tokens_reasoning + excluded.tokens_reasoning,
	cost_usd     = traces.cost_usd + excluded.cost_usd,
	priced_spans = traces.priced_spans + excluded.priced_spans,
	unpriced_spans = traces.unpriced_spans + excluded.unpriced_spans,
	chain_length = max(traces.chain_length, excluded.chain_length),
	flags        = traces.flags | excluded.flags`

func upsertTraces(ctx context.Context, tx *sql.Tx, traces map[ref]*traceDelta) error {
	if len(traces) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, upsertTraceSQL)
	if err != nil {
		return fmt.Errorf("sqlite: prepare trace upsert: %w", err)
	}
	defer stmt.Close()
	for id, d := range traces {
		t := d.tokens
		if _, err := stmt.ExecContext(ctx, id.id, d.rootSpanID, d.rootName, d.rootStatus, d.sessionID, d.agentName,
			d.start, d.end, d.spans, d.llm, d.tool, d.errors, d.running,
			t.Input, t.CacheRead, t.CacheWrite5m, t.CacheWrite1h, t.Output, t.Reasoning,
			d.cost, d.priced, d.unpriced, d.chainLength, d.flags, id.project); err != nil {
			return fmt.Errorf("sqlite: upsert trace %s: %w", id.id, err)
		}
	}
	return nil
}

const upsertSessionSQL = `INSERT INTO sessions (session_id, agent_name, start_ns, status, span_count, trace_count,
	llm_calls, tool_calls, error_count, tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h,
	tokens_output, tokens_reasoning, cost_usd, priced_spans, unpriced_spans, flags, project)
VALUES (?,?,?,'running',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (project, session_id) DO UPDATE SET
	agent_name  = CASE WHEN sessions.agent_name = '' THEN excluded.agent_name ELSE sessions.agent_name END,
	start_ns    = CASE WHEN sessions.start_ns = 0 THEN excluded.start_ns ELSE min(sessions.start_ns, excluded.start_ns) END,
	span_count  = sessions.span_count + excluded.span_count,
	trace_count = sessions.trace_count + excluded.trace_count,
	llm_calls   = sessions.llm_calls + excluded.llm_calls,
	tool_calls  = sessions.tool_calls + excluded.tool_calls,
	error_count = sessions.error_count + excluded.error_count,
	tokens_input = sessions.tokens_input + excluded.tokens_input,
	tokens_cache_read = sessions.tokens_cache_read + excluded.tokens_cache_read,
	tokens_cache_write_5m = sessions.tokens_cache_write_5m + excluded.tokens_cache_write_5m,
	tokens_cache_write_1h = sessions.tokens_cache_write_1h + excluded.tokens_cache_write_1h,
	tokens_output = sessions.tokens_output + excluded.tokens_output,
	tokens_reasoning = sessions.tokens_reasoning + excluded.tokens_reasoning,
	cost_usd    = sessions.cost_usd + excluded.cost_usd,
	priced_spans = sessions.priced_spans + excluded.priced_spans,
	unpriced_spans = sessions.unpriced_spans + excluded.unpriced_spans,
	flags       = sessions.flags | excluded.flags`

func upsertSessions(ctx context.Context, tx *sql.Tx, sessions map[ref]*sessionDelta) error {
	if len(sessions) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, upsertSessionSQL)
	if err != nil {
		return fmt.Errorf("sqlite: prepare session upsert: %w", err)
	}
	defer stmt.Close()
	for id, d := range sessions {
		t := d.tokens
		if _, err := stmt.ExecContext(ctx, id.id, d.agentName, d.start, d.spans, d.newTraces,
			d.llm, d.tool, d.errors, t.Input, t.CacheRead, t.CacheWrite5m, t.CacheWrite1h,
			t.Output, t.Reasoning, d.cost, d.priced, d.unpriced, d.flags, id.project); err != nil {
			return fmt.Errorf("sqlite: upsert session %s: %w", id.id, err)
		}
	}
	return nil
}

const sessionStartSQL = `INSERT INTO sessions (session_id, name, framework, agent_name, user_id, tags, metadata, start_ns, status, project)
VALUES (?,?,?,?,?,?,?,?,'running',?)
ON CONFLICT (project, session_id) DO UPDATE SET
	name       = CASE WHEN excluded.name <> '' THEN excluded.name ELSE sessions.name END,
	framework  = CASE WHEN excluded.framework <> '' THEN excluded.framework ELSE sessions.framework END,
	agent_name = CASE WHEN excluded.agent_name <> '' THEN excluded.agent_name ELSE sessions.agent_name END,
	user_id    = CASE WHEN excluded.user_id <> '' THEN excluded.user_id ELSE sessions.user_id END,
	tags       = CASE WHEN excluded.tags <> '[]' THEN excluded.tags ELSE sessions.tags END,
	metadata   = CASE WHEN excluded.metadata <> '{}' THEN excluded.metadata ELSE sessions.metadata END,
	start_ns   = CASE WHEN sessions.start_ns = 0 OR (excluded.start_ns > 0 AND excluded.start_ns < sessions.start_ns)
	             THEN excluded.start_ns ELSE sessions.start_ns END,
	status     = CASE WHEN sessions.end_ns = 0 THEN 'running' ELSE sessions.status END`

const sessionEndSQL = `INSERT INTO sessions (session_id, start_ns, end_ns, status, project) VALUES (?,?,?,?,?)
ON CONFLICT (project, session_id) DO UPDATE SET
	end_ns = excluded.end_ns,
	status = excluded.status,
	start_ns = CASE WHEN sessions.start_ns = 0 THEN excluded.start_ns ELSE sessions.start_ns END`

func applySessionEvents(ctx context.Context, tx *sql.Tx, events []storage.SessionEvent) error {
	for _, ev := range events {
		var err error
		if ev.Start {
			_, err = tx.ExecContext(ctx, sessionStartSQL, ev.SessionID, ev.Name, ev.Framework, ev.AgentName, ev.UserID,
				jsonText(ev.Tags, "[]"), jsonText(ev.Metadata, "{}"), ev.TimeUnixNano, storage.NormProject(ev.Project))
		} else {
			status := ev.Status
			if status == "" || status == canonical.StatusRunning {
				status = canonical.StatusOK
			}
			_, err = tx.ExecContext(ctx, sessionEndSQL, ev.SessionID, ev.TimeUnixNano, ev.TimeUnixNano, string(status),
				storage.NormProject(ev.Project))
		}
		if err != nil {
			return fmt.Errorf("sqlite: session event for %s: %w", ev.SessionID, err)
		}
	}
	return nil
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func keys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
