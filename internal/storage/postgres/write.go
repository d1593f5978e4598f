package postgres

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

// spanColumns is the column order of every COPY into and SELECT from spans.
var spanColumns = []string{
	"trace_id", "span_id", "start_time", "parent_span_id", "session_id", "name", "type", "status",
	"status_message", "error_code", "start_ns", "end_ns", "duration_ns",
	"model", "provider", "temperature", "max_tokens", "top_p", "thinking_enabled", "stop_reason",
	"prompt", "response", "tool_name", "tool_call_id", "tool_input", "tool_output", "tool_success",
	"file_path", "file_operation", "file_bytes", "file_lines",
	"tokens_input", "tokens_cache_read", "tokens_cache_write_5m", "tokens_cache_write_1h",
	"tokens_output", "tokens_reasoning", "tokens_present", "tokens_estimated",
	"cost_status", "cost_usd", "cost_input_usd", "cost_cache_read_usd", "cost_cache_write_usd",
	"cost_output_usd", "cost_reasoning_usd", "pricing_entry", "pricing_date", "reported_cost_usd",
	"framework", "framework_version", "sdk_version", "hostname", "service_name", "tags",
	"agent_name", "user_id", "chain_step", "chain_depth", "chain_follows", "chain_requested_by",
	"chain_answers", "flags", "attributes", "resource", "events", "scope_name", "project",
	"content_refs",
}

// spanRows adapts spans to pgx.CopyFromSource, reusing one value slice.
type spanRows struct {
	spans []storage.Span
	i     int
	vals  []any
}

func newSpanRows(spans []storage.Span) *spanRows {
	return &spanRows{spans: spans, i: -1, vals: make([]any, len(spanColumns))}
}

func (r *spanRows) Next() bool { r.i++; return r.i < len(r.spans) }
func (r *spanRows) Err() error { return nil }

func (r *spanRows) Values() ([]any, error) {
	s := &r.spans[r.i]
	c := &s.Span
	var dur any
	if finished(c) {
		dur = c.DurationNanos()
	}
	var tags any
	if len(c.Tags) > 0 {
		tags = c.Tags
	}
	v := r.vals[:0]
	v = append(v,
		c.TraceID, c.SpanID, startTime(c.StartUnixNano), c.ParentSpanID, c.SessionID, c.Name, string(c.Type), string(c.Status),
		c.StatusMessage, c.ErrorCode, c.StartUnixNano, c.EndUnixNano, dur,
		c.Model, c.Provider, c.Temperature, c.MaxTokens, c.TopP, c.ThinkingEnabled, c.StopReason,
		c.Prompt, c.Response, c.ToolName, c.ToolCallID, c.ToolInput, c.ToolOutput, c.ToolSuccess,
		c.FilePath, c.FileOperation, c.FileBytes, c.FileLines,
		c.Tokens.Input, c.Tokens.CacheRead, c.Tokens.CacheWrite5m, c.Tokens.CacheWrite1h,
		c.Tokens.Output, c.Tokens.Reasoning, c.Tokens.Present, c.Tokens.Estimated,
		c.Cost.Status, c.Cost.Total, c.Cost.Input, c.Cost.CacheRead, c.Cost.CacheWrite,
		c.Cost.Output, c.Cost.Reasoning, c.Cost.PricingEntry, c.Cost.PricingDate, c.ReportedCost,
		c.Framework, c.FrameworkVersion, c.SDKVersion, c.Hostname, c.ServiceName, tags,
		c.AgentName, c.UserID, c.ChainStep, c.ChainDepth, c.ChainFollows, c.ChainRequestedBy,
		c.ChainAnswers, canonical.FlagMask(c.Flags), jsonOr(s.Attributes, "{}"), jsonOr(s.Resource, "{}"),
		jsonOr(s.Events, "[]"), s.ScopeName, storage.NormProject(c.Project), s.ContentRefs,
	)
	return v, nil
}

func jsonOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// finished: the span ended (it has a duration).
func finished(c *canonical.Span) bool {
	return c.Status != canonical.StatusRunning && c.EndUnixNano > 0
}

// startTime is the span's start as stored in start_time (microseconds, the
// resolution of timestamptz).
func startTime(ns int64) time.Time { return time.UnixMicro(floorDiv(ns, 1000)).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

type spanKey struct {
	project, trace, span string
	startUs              int64
}

func keyOf(c *canonical.Span) spanKey {
	return spanKey{storage.NormProject(c.Project), c.TraceID, c.SpanID, floorDiv(c.StartUnixNano, 1000)}
}

// ref names a trace or session: ids are unique only within a project.
type ref struct{ project, id string }

func compareRefs(a, b ref) int {
	return cmp.Or(cmp.Compare(a.project, b.project), cmp.Compare(a.id, b.id))
}

func traceRef(c *canonical.Span) ref { return ref{storage.NormProject(c.Project), c.TraceID} }

// dedupe keeps one version of each span in a batch: a finished version
// over a running one, otherwise the later one. Without duplicates it
// returns in itself.
func dedupe(in []storage.Span) []storage.Span {
	idx := make(map[spanKey]int, len(in))
	for i := range in {
		idx[keyOf(&in[i].Span)] = i
	}
	if len(idx) == len(in) {
		return in
	}
	clear(idx)
	out := make([]storage.Span, 0, len(in))
	for _, s := range in {
		k := keyOf(&s.Span)
		if i, ok := idx[k]; ok {
			if s.Status == canonical.StatusRunning && out[i].Status != canonical.StatusRunning {
				continue
			}
			out[i] = s
			continue
		}
		idx[k] = len(out)
		out = append(out, s)
	}
	return out
}

// contrib is what one span adds to the totals of its trace, session and
// rollup bucket.
type contrib struct {
	spans, llm, tool, errors int64
	finished, durationNs     int64
	tokens                   [6]int64
	cost                     float64
	priced, unpriced         int64
}

func contribOf(c *canonical.Span) contrib {
	k := contrib{spans: 1, tokens: [6]int64{c.Tokens.Input, c.Tokens.CacheRead, c.Tokens.CacheWrite5m,
		c.Tokens.CacheWrite1h, c.Tokens.Output, c.Tokens.Reasoning}}
	switch c.Type {
	case canonical.TypeLLMCall:
		k.llm = 1
	case canonical.TypeToolExecution:
		k.tool = 1
	}
	if c.Status.IsFailure() {
		k.errors = 1
	}
	if finished(c) {
		k.finished, k.durationNs = 1, c.DurationNanos()
	}
	switch {
	case c.Cost.HasCost():
		k.cost, k.priced = c.Cost.Total, 1
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
	a.finished += sign * b.finished
	a.durationNs += sign * b.durationNs
	for i := range a.tokens {
		a.tokens[i] += sign * b.tokens[i]
	}
	a.cost += float64(sign) * b.cost
	a.priced += sign * b.priced
	a.unpriced += sign * b.unpriced
}

type traceDelta struct {
	contrib
	rootSpanID, rootName, rootStatus string
	rootStart                        int64
	sessionID, agentName             string
	startNs, endNs                   int64
	chainMax, flags                  int64
}

type sessionDelta struct {
	contrib
	agentName, framework, userID string
	startNs                      int64
	flags                        int64
}

type rollupKey struct {
	bucket                                   time.Time
	project, typ, model, provider, agentName string
}

// oldSpan is what a replaced span contributed.
type oldSpan struct {
	session ref
	rollup  rollupKey
	c       contrib
}

// deltas accumulates the summary changes of one write.
type deltas struct {
	traces   map[ref]*traceDelta
	sessions map[ref]*sessionDelta
	rollups  map[rollupKey]*contrib
	// pendingOld are replaced spans, subtracted once the new versions
	// have been added.
	pendingOld []replacedSpan
	// known are the traces that existed before this write.
	known map[ref]bool
}

type replacedSpan struct {
	trace ref
	oldSpan
}

func newDeltas() *deltas {
	return &deltas{traces: map[ref]*traceDelta{}, sessions: map[ref]*sessionDelta{}, rollups: map[rollupKey]*contrib{}}
}

func rollupKeyOf(c *canonical.Span) rollupKey {
	return rollupKey{startTime(c.StartUnixNano).Truncate(time.Hour), storage.NormProject(c.Project),
		string(c.Type), c.Model, c.Provider, c.AgentName}
}

func (d *deltas) addNew(c *canonical.Span) {
	k := contribOf(c)
	t := d.traces[traceRef(c)]
	if t == nil {
		t = &traceDelta{startNs: c.StartUnixNano, chainMax: -1}
		d.traces[traceRef(c)] = t
	}
	t.add(k, 1)
	t.startNs = min(t.startNs, c.StartUnixNano)
	t.endNs = max(t.endNs, c.EndUnixNano)
	t.chainMax = max(t.chainMax, c.ChainStep)
	t.flags |= canonical.FlagMask(c.Flags)
	if t.sessionID == "" {
		t.sessionID = c.SessionID
	}
	if t.agentName == "" {
		t.agentName = c.AgentName
	}
	if c.ParentSpanID == "" && (t.rootSpanID == "" || c.StartUnixNano < t.rootStart) {
		t.rootSpanID, t.rootName, t.rootStatus, t.rootStart = c.SpanID, c.Name, string(c.Status), c.StartUnixNano
	}
	if c.SessionID != "" {
		s := d.session(ref{storage.NormProject(c.Project), c.SessionID})
		s.add(k, 1)
		s.flags |= canonical.FlagMask(c.Flags)
		if s.startNs == 0 || c.StartUnixNano < s.startNs {
			s.startNs = c.StartUnixNano
		}
		if s.agentName == "" {
			s.agentName = c.AgentName
		}
		if s.framework == "" {
			s.framework = c.Framework
		}
		if s.userID == "" {
			s.userID = c.UserID
		}
	}
	r := d.rollup(rollupKeyOf(c))
	r.add(k, 1)
}

func (d *deltas) subtractOld(trace ref, o oldSpan) {
	t := d.traces[trace]
	if t == nil { // cannot happen: every replaced span has a new version
		return
	}
	t.add(o.c, -1)
	if o.session.id != "" {
		d.session(o.session).add(o.c, -1)
	}
	d.rollup(o.rollup).add(o.c, -1)
}

func (d *deltas) session(id ref) *sessionDelta {
	s := d.sessions[id]
	if s == nil {
		s = &sessionDelta{}
		d.sessions[id] = s
	}
	return s
}

func (d *deltas) rollup(k rollupKey) *contrib {
	r := d.rollups[k]
	if r == nil {
		r = &contrib{}
		d.rollups[k] = r
	}
	return r
}

// lockClass namespaces this store's advisory locks ("AGTR").
const lockClass = 0x41475452

// traceLockKey maps a trace id to the second key of its advisory lock.
func traceLockKey(traceID string) int32 {
	h := fnv.New32a()
	h.Write([]byte(traceID))
	return int32(h.Sum32())
}

// lockKeys returns the sorted, distinct lock keys of the traces. Taking
// them in one global order keeps concurrent writers free of deadlocks.
func lockKeys(traceIDs []string) []int32 {
	keys := make([]int32, 0, len(traceIDs))
	for _, t := range traceIDs {
		keys = append(keys, traceLockKey(t))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

const lockTracesSQL = `SELECT count(pg_advisory_xact_lock($1::int4, k)) FROM unnest($2::int4[]) AS k`

// Write stores a batch atomically.
func (s *Store) Write(ctx context.Context, b storage.Batch) error {
	if len(b.Spans) == 0 && len(b.Sessions) == 0 {
		return nil
	}
	// The caller's batch is never modified: spans and events are copied
	// only when duplicates or text must be repaired (rarely).
	spans, events := dedupe(b.Spans), b.Sessions
	if batchNeedsSanitizing(spans, events) {
		if len(spans) > 0 && &spans[0] == &b.Spans[0] {
			spans = slices.Clone(spans)
		}
		events = slices.Clone(events)
		s.sanitized.Add(int64(sanitizeBatch(spans, events)))
	}
	// Session events lock session rows; sorting them (stably, so a start
	// still precedes its end) narrows the room for deadlocks.
	slices.SortStableFunc(events, func(a, b storage.SessionEvent) int { return cmp.Compare(a.SessionID, b.SessionID) })
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.write(ctx, tx, spans, events) })
		if err == nil || !isRetryableTx(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: write %d spans, %d session events: %w", len(spans), len(events), err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, tx pgx.Tx, spans []storage.Span, events []storage.SessionEvent) error {
	d := newDeltas()
	if len(spans) > 0 {
		traceIDs := make([]string, 0, len(spans))
		seen := make(map[string]struct{}, len(spans)/4+1)
		for i := range spans {
			if _, ok := seen[spans[i].TraceID]; !ok {
				seen[spans[i].TraceID] = struct{}{}
				traceIDs = append(traceIDs, spans[i].TraceID)
			}
		}
		// Lock the traces, then see which of them exist. A span can only
		// exist if its trace row does (both are written, and deleted, in
		// one transaction), so spans of new traces are COPYed straight in;
		// only spans of known traces may replace stored versions.
		var pre pgx.Batch
		pre.Queue(lockTracesSQL, int32(lockClass), lockKeys(traceIDs))
		want := make(map[ref]bool, len(traceIDs))
		for i := range spans {
			want[traceRef(&spans[i].Span)] = true
		}
		known := map[ref]bool{}
		pre.Queue("SELECT project, trace_id FROM traces WHERE trace_id = ANY($1)", traceIDs).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var r ref
				if err := rows.Scan(&r.project, &r.id); err != nil {
					return err
				}
				// The same trace id in another project is another trace.
				if want[r] {
					known[r] = true
				}
			}
			return rows.Err()
		})
		if err := tx.SendBatch(ctx, &pre).Close(); err != nil {
			return err
		}
		d.known = known
		if len(known) > 0 {
			var err error
			if spans, err = s.replace(ctx, tx, spans, known, d); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"spans"}, spanColumns, newSpanRows(spans)); err != nil {
			return err
		}
		for i := range spans {
			d.addNew(&spans[i].Span)
		}
		// replace recorded the old versions; subtract them now that every
		// trace has its delta.
		for _, o := range d.pendingOld {
			d.subtractOld(o.trace, o.oldSpan)
		}
	}
	// Traces that did not exist are still ours alone (their locks are
	// held): COPY them in rather than upserting.
	if newTraces := d.takeNewTraces(); newTraces != nil {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"traces"}, traceCopyColumns, newTraces); err != nil {
			return err
		}
	}
	var post pgx.Batch
	queueTraceUpsert(&post, d.traces)
	queueSessionUpsert(&post, d.sessions)
	if !s.timescale {
		queueRollupUpsert(&post, d.rollups)
	}
	queueSessionEvents(&post, events)
	if post.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &post).Close()
}

// replace deletes the stored versions that spans replace, recording what
// they contributed, and returns the spans to insert: a running span never
// replaces a finished one, so those are dropped.
func (s *Store) replace(ctx context.Context, tx pgx.Tx, spans []storage.Span, known map[ref]bool, d *deltas) ([]storage.Span, error) {
	var projects, traces, ids []string
	var starts []time.Time
	var running []bool
	var lo, hi time.Time
	anyRunning := false
	for i := range spans {
		c := &spans[i].Span
		if !known[traceRef(c)] {
			continue
		}
		st := startTime(c.StartUnixNano)
		if len(traces) == 0 {
			lo, hi = st, st
		}
		traces, ids, starts = append(traces, c.TraceID), append(ids, c.SpanID), append(starts, st)
		projects = append(projects, storage.NormProject(c.Project))
		running = append(running, c.Status == canonical.StatusRunning)
		anyRunning = anyRunning || c.Status == canonical.StatusRunning
		lo, hi = minTime(lo, st), maxTime(hi, st)
	}
	// The start_time range lets TimescaleDB exclude chunks at plan time.
	rows, err := tx.Query(ctx, `DELETE FROM spans sp
		USING unnest($1::text[], $2::text[], $3::timestamptz[], $4::bool[], $7::text[]) AS u(trace_id, span_id, start_time, running, project)
		WHERE sp.project = u.project AND sp.trace_id = u.trace_id AND sp.span_id = u.span_id AND sp.start_time = u.start_time
		  AND sp.start_time BETWEEN $5 AND $6
		  AND NOT (u.running AND sp.status <> 'running')
		RETURNING sp.project, sp.trace_id, sp.session_id, sp.type, sp.status, sp.model, sp.provider, sp.agent_name,
		  sp.start_ns, sp.end_ns, sp.tokens_input, sp.tokens_cache_read, sp.tokens_cache_write_5m,
		  sp.tokens_cache_write_1h, sp.tokens_output, sp.tokens_reasoning, sp.cost_status, sp.cost_usd`,
		traces, ids, starts, running, lo, hi, projects)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c canonical.Span
		var typ, status string
		if err := rows.Scan(&c.Project, &c.TraceID, &c.SessionID, &typ, &status, &c.Model, &c.Provider, &c.AgentName,
			&c.StartUnixNano, &c.EndUnixNano, &c.Tokens.Input, &c.Tokens.CacheRead, &c.Tokens.CacheWrite5m,
			&c.Tokens.CacheWrite1h, &c.Tokens.Output, &c.Tokens.Reasoning, &c.Cost.Status, &c.Cost.Total); err != nil {
			rows.Close()
			return nil, err
		}
		c.Type, c.Status = canonical.SpanType(typ), canonical.Status(status)
		d.pendingOld = append(d.pendingOld, replacedSpan{traceRef(&c), oldSpan{ref{c.Project, c.SessionID}, rollupKeyOf(&c), contribOf(&c)}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !anyRunning {
		return spans, nil
	}
	// Whatever still matches a running span's key is a finished version
	// that stays.
	rows, err = tx.Query(ctx, `SELECT sp.project, sp.trace_id, sp.span_id, sp.start_time FROM spans sp
		JOIN unnest($1::text[], $2::text[], $3::timestamptz[], $4::bool[], $7::text[]) AS u(trace_id, span_id, start_time, running, project)
		  ON sp.project = u.project AND sp.trace_id = u.trace_id AND sp.span_id = u.span_id AND sp.start_time = u.start_time
		WHERE u.running AND sp.start_time BETWEEN $5 AND $6`, traces, ids, starts, running, lo, hi, projects)
	if err != nil {
		return nil, err
	}
	kept := map[spanKey]bool{}
	for rows.Next() {
		var k spanKey
		var st time.Time
		if err := rows.Scan(&k.project, &k.trace, &k.span, &st); err != nil {
			rows.Close()
			return nil, err
		}
		k.startUs = st.UnixMicro()
		kept[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(kept) == 0 {
		return spans, nil
	}
	out := make([]storage.Span, 0, len(spans))
	for _, sp := range spans {
		if sp.Status == canonical.StatusRunning && kept[keyOf(&sp.Span)] {
			continue
		}
		out = append(out, sp)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

const upsertTracesSQL = `INSERT INTO traces AS t (trace_id, root_span_id, root_name, root_status, session_id, agent_name,
	start_ns, end_ns, span_count, llm_calls, tool_calls, error_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, chain_max, flags, project)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
	$7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[],
	$13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[],
	$19::float8[], $20::bigint[], $21::bigint[], $22::bigint[], $23::bigint[], $24::text[])
ON CONFLICT (project, trace_id) DO UPDATE SET
	root_span_id = CASE WHEN EXCLUDED.root_span_id <> '' THEN EXCLUDED.root_span_id ELSE t.root_span_id END,
	root_name    = CASE WHEN EXCLUDED.root_span_id <> '' THEN EXCLUDED.root_name ELSE t.root_name END,
	root_status  = CASE WHEN EXCLUDED.root_span_id <> '' THEN EXCLUDED.root_status ELSE t.root_status END,
	session_id   = CASE WHEN t.session_id = '' THEN EXCLUDED.session_id ELSE t.session_id END,
	agent_name   = CASE WHEN t.agent_name = '' THEN EXCLUDED.agent_name ELSE t.agent_name END,
	start_ns     = LEAST(t.start_ns, EXCLUDED.start_ns),
	end_ns       = GREATEST(t.end_ns, EXCLUDED.end_ns),
	span_count   = t.span_count + EXCLUDED.span_count,
	llm_calls    = t.llm_calls + EXCLUDED.llm_calls,
	tool_calls   = t.tool_calls + EXCLUDED.tool_calls,
	error_count  = t.error_count + EXCLUDED.error_count,
	tokens_input          = t.tokens_input + EXCLUDED.tokens_input,
	tokens_cache_read     = t.tokens_cache_read + EXCLUDED.tokens_cache_read,
	tokens_cache_write_5m = t.tokens_cache_write_5m + EXCLUDED.tokens_cache_write_5m,
	tokens_cache_write_1h = t.tokens_cache_write_1h + EXCLUDED.tokens_cache_write_1h,
	tokens_output         = t.tokens_output + EXCLUDED.tokens_output,
	tokens_reasoning      = t.tokens_reasoning + EXCLUDED.tokens_reasoning,
	cost_usd       = t.cost_usd + EXCLUDED.cost_usd,
	priced_spans   = t.priced_spans + EXCLUDED.priced_spans,
	unpriced_spans = t.unpriced_spans + EXCLUDED.unpriced_spans,
	chain_max      = GREATEST(t.chain_max, EXCLUDED.chain_max),
	flags          = t.flags | EXCLUDED.flags`

// sortedRefs returns m's keys in one global order (lock order for the
// upserts' row locks).
func sortedRefs[V any](m map[ref]V) []ref {
	keys := make([]ref, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareRefs)
	return keys
}

// split returns the projects and ids of refs as two column arrays.
func split(refs []ref) (projects, ids []string) {
	projects, ids = make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		projects[i], ids[i] = r.project, r.id
	}
	return projects, ids
}

// tokenColumns splits per-row token buckets into six column arrays.
type tokenColumns [6][]int64

func (tc *tokenColumns) append(t [6]int64) {
	for i := range tc {
		tc[i] = append(tc[i], t[i])
	}
}

func queueTraceUpsert(b *pgx.Batch, traces map[ref]*traceDelta) {
	if len(traces) == 0 {
		return
	}
	refs := sortedRefs(traces)
	projects, ids := split(refs)
	n := len(ids)
	rootID, rootName, rootStatus, sess, agent := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	start, end, spans, llm, tool, errs := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	cost, priced, unpriced, chain, flags := make([]float64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	var tok tokenColumns
	for _, id := range refs {
		t := traces[id]
		rootID, rootName, rootStatus = append(rootID, t.rootSpanID), append(rootName, t.rootName), append(rootStatus, t.rootStatus)
		sess, agent = append(sess, t.sessionID), append(agent, t.agentName)
		start, end = append(start, t.startNs), append(end, t.endNs)
		spans, llm, tool, errs = append(spans, t.spans), append(llm, t.llm), append(tool, t.tool), append(errs, t.errors)
		tok.append(t.tokens)
		cost, priced, unpriced = append(cost, t.cost), append(priced, t.priced), append(unpriced, t.unpriced)
		chain, flags = append(chain, t.chainMax), append(flags, t.flags)
	}
	b.Queue(upsertTracesSQL, ids, rootID, rootName, rootStatus, sess, agent, start, end, spans, llm, tool, errs,
		tok[0], tok[1], tok[2], tok[3], tok[4], tok[5], cost, priced, unpriced, chain, flags, projects)
}

const upsertSessionTotalsSQL = `INSERT INTO sessions AS s (session_id, agent_name, framework, user_id, start_ns,
	span_count, llm_calls, tool_calls, error_count,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, flags, project)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
	$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],
	$10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],
	$16::float8[], $17::bigint[], $18::bigint[], $19::bigint[], $20::text[])
ON CONFLICT (project, session_id) DO UPDATE SET
	agent_name = CASE WHEN s.agent_name = '' THEN EXCLUDED.agent_name ELSE s.agent_name END,
	framework  = CASE WHEN s.framework = '' THEN EXCLUDED.framework ELSE s.framework END,
	user_id    = CASE WHEN s.user_id = '' THEN EXCLUDED.user_id ELSE s.user_id END,
	start_ns   = CASE WHEN s.started OR EXCLUDED.start_ns = 0 OR (s.start_ns <> 0 AND s.start_ns <= EXCLUDED.start_ns) THEN s.start_ns
	                  ELSE EXCLUDED.start_ns END,
	span_count  = s.span_count + EXCLUDED.span_count,
	llm_calls   = s.llm_calls + EXCLUDED.llm_calls,
	tool_calls  = s.tool_calls + EXCLUDED.tool_calls,
	error_count = s.error_count + EXCLUDED.error_count,
	tokens_input          = s.tokens_input + EXCLUDED.tokens_input,
	tokens_cache_read     = s.tokens_cache_read + EXCLUDED.tokens_cache_read,
	tokens_cache_write_5m = s.tokens_cache_write_5m + EXCLUDED.tokens_cache_write_5m,
	tokens_cache_write_1h = s.tokens_cache_write_1h + EXCLUDED.tokens_cache_write_1h,
	tokens_output         = s.tokens_output + EXCLUDED.tokens_output,
	tokens_reasoning      = s.tokens_reasoning + EXCLUDED.tokens_reasoning,
	cost_usd       = s.cost_usd + EXCLUDED.cost_usd,
	priced_spans   = s.priced_spans + EXCLUDED.priced_spans,
	unpriced_spans = s.unpriced_spans + EXCLUDED.unpriced_spans,
	flags          = s.flags | EXCLUDED.flags`

func queueSessionUpsert(b *pgx.Batch, sessions map[ref]*sessionDelta) {
	if len(sessions) == 0 {
		return
	}
	refs := sortedRefs(sessions)
	projects, ids := split(refs)
	n := len(ids)
	agent, fw, user := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	start, spans, llm, tool, errs := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	cost, priced, unpriced, flags := make([]float64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	var tok tokenColumns
	for _, id := range refs {
		s := sessions[id]
		agent, fw, user, start = append(agent, s.agentName), append(fw, s.framework), append(user, s.userID), append(start, s.startNs)
		spans, llm, tool, errs = append(spans, s.spans), append(llm, s.llm), append(tool, s.tool), append(errs, s.errors)
		tok.append(s.tokens)
		cost, priced, unpriced, flags = append(cost, s.cost), append(priced, s.priced), append(unpriced, s.unpriced), append(flags, s.flags)
	}
	b.Queue(upsertSessionTotalsSQL, ids, agent, fw, user, start, spans, llm, tool, errs,
		tok[0], tok[1], tok[2], tok[3], tok[4], tok[5], cost, priced, unpriced, flags, projects)
}

const upsertRollupSQL = `INSERT INTO span_metrics_hourly AS m (bucket, type, model, provider, agent_name,
	spans, errors, finished, duration_sum_ns,
	tokens_input, tokens_cache_read, tokens_cache_write_5m, tokens_cache_write_1h, tokens_output, tokens_reasoning,
	cost_usd, priced_spans, unpriced_spans, project)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
	$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],
	$10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],
	$16::float8[], $17::bigint[], $18::bigint[], $19::text[])
ON CONFLICT (bucket, project, type, model, provider, agent_name) DO UPDATE SET
	spans           = m.spans + EXCLUDED.spans,
	errors          = m.errors + EXCLUDED.errors,
	finished        = m.finished + EXCLUDED.finished,
	duration_sum_ns = m.duration_sum_ns + EXCLUDED.duration_sum_ns,
	tokens_input          = m.tokens_input + EXCLUDED.tokens_input,
	tokens_cache_read     = m.tokens_cache_read + EXCLUDED.tokens_cache_read,
	tokens_cache_write_5m = m.tokens_cache_write_5m + EXCLUDED.tokens_cache_write_5m,
	tokens_cache_write_1h = m.tokens_cache_write_1h + EXCLUDED.tokens_cache_write_1h,
	tokens_output         = m.tokens_output + EXCLUDED.tokens_output,
	tokens_reasoning      = m.tokens_reasoning + EXCLUDED.tokens_reasoning,
	cost_usd       = m.cost_usd + EXCLUDED.cost_usd,
	priced_spans   = m.priced_spans + EXCLUDED.priced_spans,
	unpriced_spans = m.unpriced_spans + EXCLUDED.unpriced_spans`

func compareRollupKeys(a, b rollupKey) int {
	return cmp.Or(a.bucket.Compare(b.bucket), cmp.Compare(a.project, b.project), cmp.Compare(a.typ, b.typ), cmp.Compare(a.model, b.model),
		cmp.Compare(a.provider, b.provider), cmp.Compare(a.agentName, b.agentName))
}

func queueRollupUpsert(b *pgx.Batch, rollups map[rollupKey]*contrib) {
	keys := make([]rollupKey, 0, len(rollups))
	for k, r := range rollups {
		if *r != (contrib{}) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortFunc(keys, compareRollupKeys)
	n := len(keys)
	bucket := make([]time.Time, 0, n)
	typ, model, provider, agent := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	projects := make([]string, 0, n)
	spans, errs, fin, dur := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	cost, priced, unpriced := make([]float64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	var tok tokenColumns
	for _, k := range keys {
		r := rollups[k]
		bucket, typ, model, provider, agent = append(bucket, k.bucket), append(typ, k.typ), append(model, k.model), append(provider, k.provider), append(agent, k.agentName)
		projects = append(projects, k.project)
		spans, errs, fin, dur = append(spans, r.spans), append(errs, r.errors), append(fin, r.finished), append(dur, r.durationNs)
		tok.append(r.tokens)
		cost, priced, unpriced = append(cost, r.cost), append(priced, r.priced), append(unpriced, r.unpriced)
	}
	b.Queue(upsertRollupSQL, bucket, typ, model, provider, agent, spans, errs, fin, dur,
		tok[0], tok[1], tok[2], tok[3], tok[4], tok[5], cost, priced, unpriced, projects)
}

const (
	sessionStartSQL = `INSERT INTO sessions AS s (session_id, name, framework, agent_name, user_id, tags, metadata, started, start_ns, project)
VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $9)
ON CONFLICT (project, session_id) DO UPDATE SET
	name       = EXCLUDED.name,
	framework  = CASE WHEN EXCLUDED.framework <> '' THEN EXCLUDED.framework ELSE s.framework END,
	agent_name = CASE WHEN EXCLUDED.agent_name <> '' THEN EXCLUDED.agent_name ELSE s.agent_name END,
	user_id    = CASE WHEN EXCLUDED.user_id <> '' THEN EXCLUDED.user_id ELSE s.user_id END,
	tags       = EXCLUDED.tags,
	metadata   = EXCLUDED.metadata,
	started    = true,
	start_ns   = EXCLUDED.start_ns`
	sessionEndSQL = `INSERT INTO sessions AS s (session_id, end_ns, status, project) VALUES ($1, $2, $3, $4)
ON CONFLICT (project, session_id) DO UPDATE SET end_ns = EXCLUDED.end_ns, status = EXCLUDED.status`
)

func queueSessionEvents(b *pgx.Batch, events []storage.SessionEvent) {
	for _, e := range events {
		if e.SessionID == "" {
			continue
		}
		if e.Start {
			var tags, meta any
			if len(e.Tags) > 0 {
				tags = e.Tags
			}
			if len(e.Metadata) > 0 {
				meta = e.Metadata
			}
			b.Queue(sessionStartSQL, e.SessionID, e.Name, e.Framework, e.AgentName, e.UserID, tags, meta, e.TimeUnixNano,
				storage.NormProject(e.Project))
			continue
		}
		status := e.Status
		if status == "" {
			status = canonical.StatusOK
		}
		b.Queue(sessionEndSQL, e.SessionID, e.TimeUnixNano, string(status), storage.NormProject(e.Project))
	}
}

var traceCopyColumns = []string{"trace_id", "root_span_id", "root_name", "root_status", "session_id", "agent_name",
	"start_ns", "end_ns", "span_count", "llm_calls", "tool_calls", "error_count",
	"tokens_input", "tokens_cache_read", "tokens_cache_write_5m", "tokens_cache_write_1h", "tokens_output", "tokens_reasoning",
	"cost_usd", "priced_spans", "unpriced_spans", "chain_max", "flags", "project"}

// takeNewTraces removes the traces that did not exist before this write
// from d.traces and returns them as COPY rows.
func (d *deltas) takeNewTraces() pgx.CopyFromSource {
	var rows [][]any
	for id, t := range d.traces {
		if d.known[id] {
			continue
		}
		rows = append(rows, []any{id.id, t.rootSpanID, t.rootName, t.rootStatus, t.sessionID, t.agentName,
			t.startNs, t.endNs, t.spans, t.llm, t.tool, t.errors,
			t.tokens[0], t.tokens[1], t.tokens[2], t.tokens[3], t.tokens[4], t.tokens[5],
			t.cost, t.priced, t.unpriced, t.chainMax, t.flags, id.project})
		delete(d.traces, id)
	}
	if len(rows) == 0 {
		return nil
	}
	return pgx.CopyFromRows(rows)
}
