package storagetest

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memStore is a deliberately naive reference store: it recomputes every
// summary from the stored spans on each read. It exists to check that the
// suite's expectations are consistent with the storage contract.
type memStore struct {
	mu       sync.Mutex
	seq      int64
	spans    map[[3]string]storage.Span // project, trace, span
	sessions map[[2]string]*storage.Session
}

func proj(p string) string { return storage.NormProject(p) }

// firstProject is the project an id resolves to in scope sc: the first by
// name among those that have it (the backends' rule for AllProjects).
func firstProject(sc storage.Scope, has func(project string) bool, projects []string) (string, bool) {
	slices.Sort(projects)
	for _, p := range projects {
		if sc.Allows(p) && has(p) {
			return p, true
		}
	}
	return "", false
}

func (m *memStore) projects() []string {
	set := map[string]bool{}
	for k := range m.spans {
		set[k[0]] = true
	}
	for k := range m.sessions {
		set[k[0]] = true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}

var _ storage.Store = (*memStore)(nil)

func TestMemStore(t *testing.T) {
	Run(t, func(t *testing.T) storage.Store {
		return &memStore{spans: map[[3]string]storage.Span{}, sessions: map[[2]string]*storage.Session{}}
	})
}

func (m *memStore) Close() error { return nil }

func (m *memStore) Write(_ context.Context, b storage.Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range b.Spans {
		s.Project = proj(s.Project)
		k := [3]string{s.Project, s.TraceID, s.SpanID}
		if old, ok := m.spans[k]; ok && old.Status != canonical.StatusRunning && s.Status == canonical.StatusRunning {
			continue
		}
		m.seq++
		s.Seq = m.seq
		storage.RestoreContent(&s)
		m.spans[k] = s
	}
	for _, e := range b.Sessions {
		k := [2]string{proj(e.Project), e.SessionID}
		ss := m.sessions[k]
		if ss == nil {
			ss = &storage.Session{Project: k[0], ID: e.SessionID, Status: canonical.StatusRunning}
			m.sessions[k] = ss
		}
		if e.Start {
			ss.Name, ss.Framework, ss.AgentName, ss.UserID = e.Name, e.Framework, e.AgentName, e.UserID
			ss.Tags, ss.Metadata, ss.StartUnixNano = e.Tags, e.Metadata, e.TimeUnixNano
		} else {
			ss.EndUnixNano, ss.Status = e.TimeUnixNano, e.Status
		}
	}
	return nil
}

func (m *memStore) traceSummary(project, id string) (storage.TraceSummary, bool) {
	tr := storage.TraceSummary{Project: project, TraceID: id}
	var root *storage.Span
	found := false
	var mask int64
	for _, s := range m.spans {
		if s.TraceID != id || s.Project != project {
			continue
		}
		if !found || s.StartUnixNano < tr.StartUnixNano {
			tr.StartUnixNano = s.StartUnixNano
		}
		found = true
		tr.EndUnixNano = max(tr.EndUnixNano, s.EndUnixNano)
		if s.ParentSpanID == "" {
			r := s
			root = &r
		}
		if tr.SessionID == "" {
			tr.SessionID = s.SessionID
		}
		if tr.AgentName == "" {
			tr.AgentName = s.AgentName
		}
		tr.SpanCount++
		countInto(&tr.LLMCalls, &tr.ToolCalls, &tr.ErrorCount, &tr.Tokens, &tr.CostUSD, &tr.PricedSpans, &tr.UnpricedSpans, s)
		if s.ChainStep >= 0 {
			tr.ChainLength = max(tr.ChainLength, s.ChainStep+1)
		}
		mask |= canonical.FlagMask(s.Flags)
	}
	tr.Flags = canonical.FlagNames(mask)
	switch {
	case tr.ErrorCount > 0:
		tr.Status = canonical.StatusError
	case root == nil || root.Status == canonical.StatusRunning:
		tr.Status = canonical.StatusRunning
	default:
		tr.Status = root.Status
	}
	if root != nil {
		tr.RootSpanID, tr.RootName = root.SpanID, root.Name
		tr.StartUnixNano = root.StartUnixNano
	}
	if tr.Status != canonical.StatusRunning && tr.EndUnixNano > tr.StartUnixNano {
		tr.DurationNanos = tr.EndUnixNano - tr.StartUnixNano
	}
	return tr, found
}

func countInto(llm, tool, errs *int64, tok *canonical.Tokens, cost *float64, priced, unpriced *int64, s storage.Span) {
	switch s.Type {
	case canonical.TypeLLMCall:
		*llm++
	case canonical.TypeToolExecution:
		*tool++
	}
	if s.Status.IsFailure() {
		*errs++
	}
	tok.Input += s.Tokens.Input
	tok.CacheRead += s.Tokens.CacheRead
	tok.CacheWrite5m += s.Tokens.CacheWrite5m
	tok.CacheWrite1h += s.Tokens.CacheWrite1h
	tok.Output += s.Tokens.Output
	tok.Reasoning += s.Tokens.Reasoning
	if s.Cost.HasCost() {
		*cost += s.Cost.Total
		*priced++
	} else if s.Cost.Status == canonical.CostStatusUnpriced {
		*unpriced++
	}
}

func (m *memStore) traceProject(sc storage.Scope, id string) (string, bool) {
	return firstProject(sc, func(p string) bool { _, ok := m.traceSummary(p, id); return ok }, m.projects())
}

func (m *memStore) GetTrace(_ context.Context, sc storage.Scope, id string) (storage.TraceSummary, error) {
	if err := sc.Check(); err != nil {
		return storage.TraceSummary{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.traceProject(sc, id)
	if !ok {
		return storage.TraceSummary{}, storage.ErrNotFound
	}
	tr, _ := m.traceSummary(p, id)
	return tr, nil
}

func page[T any](items []T, limit int, cursor string) (storage.Page[T], error) {
	limit, err := storage.CheckLimit(limit)
	if err != nil {
		return storage.Page[T]{}, err
	}
	off := 0
	if cursor != "" {
		off, err = strconv.Atoi(strings.TrimPrefix(cursor, "o"))
		if err != nil || !strings.HasPrefix(cursor, "o") {
			return storage.Page[T]{}, storage.ErrInvalidQuery
		}
	}
	off = min(off, len(items))
	end := min(off+limit, len(items))
	p := storage.Page[T]{Items: items[off:end]}
	if end < len(items) {
		p.NextCursor = "o" + strconv.Itoa(end)
	}
	return p, nil
}

func inRange(r storage.TimeRange, ts int64) bool {
	return (r.From == 0 || ts >= r.From) && (r.To == 0 || ts < r.To)
}

func (m *memStore) ListTraces(_ context.Context, sc storage.Scope, q storage.TraceQuery) (storage.Page[storage.TraceSummary], error) {
	if err := sc.Check(); err != nil {
		return storage.Page[storage.TraceSummary]{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := map[[2]string]bool{}
	for k := range m.spans {
		if sc.Allows(k[0]) {
			ids[[2]string{k[0], k[1]}] = true
		}
	}
	var out []storage.TraceSummary
	for pid := range ids {
		id := pid[1]
		tr, _ := m.traceSummary(pid[0], id)
		if !inRange(q.TimeRange, tr.StartUnixNano) || (q.SessionID != "" && tr.SessionID != q.SessionID) ||
			(q.AgentName != "" && tr.AgentName != q.AgentName) || (q.Status != "" && tr.Status != q.Status) ||
			tr.CostUSD < q.MinCostUSD || tr.DurationNanos < q.MinDurationNanos {
			continue
		}
		if q.Model != "" || q.Text != "" {
			mOK, tOK := q.Model == "", q.Text == ""
			for _, s := range m.spans {
				if s.TraceID != id || s.Project != pid[0] {
					continue
				}
				mOK = mOK || s.Model == q.Model
				tOK = tOK || strings.Contains(s.Name+"\x00"+s.Prompt+"\x00"+s.Response+"\x00"+s.ToolInput+"\x00"+s.ToolOutput, q.Text)
			}
			if !mOK || !tOK {
				continue
			}
		}
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b storage.TraceSummary) int {
		return cmp.Or(cmp.Compare(b.StartUnixNano, a.StartUnixNano), cmp.Compare(b.TraceID, a.TraceID),
			cmp.Compare(b.Project, a.Project))
	})
	return page(out, q.Limit, q.Cursor)
}

func (m *memStore) sortedSpans(keep func(storage.Span) bool) []storage.Span {
	var out []storage.Span
	for _, s := range m.spans {
		if keep(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b storage.Span) int {
		return cmp.Or(cmp.Compare(a.StartUnixNano, b.StartUnixNano), cmp.Compare(a.SpanID, b.SpanID), cmp.Compare(a.Project, b.Project))
	})
	return out
}

func (m *memStore) TraceSpans(_ context.Context, sc storage.Scope, id string) ([]storage.Span, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.traceProject(sc, id)
	if !ok {
		return nil, storage.ErrNotFound
	}
	return m.sortedSpans(func(s storage.Span) bool { return s.TraceID == id && s.Project == p }), nil
}

func (m *memStore) GetSpan(_ context.Context, sc storage.Scope, tr, sp string) (storage.Span, error) {
	if err := sc.Check(); err != nil {
		return storage.Span{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := firstProject(sc, func(p string) bool { _, ok := m.spans[[3]string{p, tr, sp}]; return ok }, m.projects())
	if !ok {
		return storage.Span{}, storage.ErrNotFound
	}
	return m.spans[[3]string{p, tr, sp}], nil
}

func (m *memStore) QuerySpans(_ context.Context, sc storage.Scope, q storage.SpanQuery) (storage.Page[storage.Span], error) {
	if err := sc.Check(); err != nil {
		return storage.Page[storage.Span]{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.sortedSpans(func(s storage.Span) bool {
		return sc.Allows(s.Project) && inRange(q.TimeRange, s.StartUnixNano) && (q.SessionID == "" || s.SessionID == q.SessionID) &&
			(q.TraceID == "" || s.TraceID == q.TraceID) && (q.Type == "" || s.Type == q.Type) &&
			(q.Model == "" || s.Model == q.Model) && (q.Status == "" || s.Status == q.Status) && s.Seq > q.AfterSeq
	})
	if q.AfterSeq > 0 {
		slices.SortFunc(out, func(a, b storage.Span) int { return cmp.Compare(a.Seq, b.Seq) })
	} else {
		slices.Reverse(out)
	}
	return page(out, q.Limit, q.Cursor)
}

func (m *memStore) session(project, id string) (storage.Session, bool) {
	p := m.sessions[[2]string{project, id}]
	if p == nil {
		return storage.Session{}, false
	}
	ss := *p
	traces := map[string]bool{}
	var mask int64
	for _, s := range m.spans {
		if s.SessionID != id || s.Project != project {
			continue
		}
		ss.SpanCount++
		traces[s.TraceID] = true
		countInto(&ss.LLMCalls, &ss.ToolCalls, &ss.ErrorCount, &ss.Tokens, &ss.CostUSD, &ss.PricedSpans, &ss.UnpricedSpans, s)
		mask |= canonical.FlagMask(s.Flags)
	}
	ss.TraceCount = int64(len(traces))
	ss.Flags = canonical.FlagNames(mask)
	return ss, true
}

func (m *memStore) GetSession(_ context.Context, sc storage.Scope, id string) (storage.Session, error) {
	if err := sc.Check(); err != nil {
		return storage.Session{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := firstProject(sc, func(p string) bool { return m.sessions[[2]string{p, id}] != nil }, m.projects())
	if !ok {
		return storage.Session{}, storage.ErrNotFound
	}
	ss, _ := m.session(p, id)
	return ss, nil
}

func (m *memStore) ListSessions(_ context.Context, sc storage.Scope, q storage.SessionQuery) (storage.Page[storage.Session], error) {
	if err := sc.Check(); err != nil {
		return storage.Page[storage.Session]{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.Session
	for k := range m.sessions {
		if !sc.Allows(k[0]) {
			continue
		}
		ss, _ := m.session(k[0], k[1])
		if !inRange(q.TimeRange, ss.StartUnixNano) || (q.AgentName != "" && ss.AgentName != q.AgentName) ||
			!strings.Contains(ss.Name, q.Text) || (q.Active != nil && *q.Active != (ss.EndUnixNano == 0)) {
			continue
		}
		out = append(out, ss)
	}
	slices.SortFunc(out, func(a, b storage.Session) int {
		return cmp.Or(cmp.Compare(b.StartUnixNano, a.StartUnixNano), cmp.Compare(b.ID, a.ID), cmp.Compare(b.Project, a.Project))
	})
	return page(out, q.Limit, q.Cursor)
}

func (m *memStore) DeleteSession(_ context.Context, sc storage.Scope, id string) error {
	if err := sc.Check(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	found := false
	for k := range m.sessions {
		if k[1] != id || !sc.Allows(k[0]) {
			continue
		}
		found = true
		delete(m.sessions, k)
		for sk, s := range m.spans {
			if s.SessionID == id && s.Project == k[0] {
				delete(m.spans, sk)
			}
		}
	}
	if !found {
		return storage.ErrNotFound
	}
	return nil
}

func (m *memStore) inRangeSpans(sc storage.Scope, r storage.TimeRange) []storage.Span {
	return m.sortedSpans(func(s storage.Span) bool { return sc.Allows(s.Project) && inRange(r, s.StartUnixNano) })
}

func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	pos := p * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(v)-1)
	return v[lo] + (pos-float64(lo))*(v[hi]-v[lo])
}

func finished(s storage.Span) bool { return s.Status != canonical.StatusRunning && s.EndUnixNano > 0 }

func durMs(s storage.Span) float64 { return float64(s.DurationNanos()) / 1e6 }

func (m *memStore) Summary(_ context.Context, sc storage.Scope, r storage.TimeRange) (storage.Summary, error) {
	if err := sc.Check(); err != nil {
		return storage.Summary{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum storage.Summary
	traces, sessions := map[string]bool{}, map[string]bool{}
	var lat []float64
	var priced int64
	for _, s := range m.inRangeSpans(sc, r) {
		sum.Spans++
		traces[s.Project+" "+s.TraceID] = true
		if s.SessionID != "" {
			sessions[s.Project+" "+s.SessionID] = true
		}
		countInto(&sum.LLMCalls, &sum.ToolCalls, &sum.Errors, &sum.Tokens, &sum.CostUSD, &priced, &sum.UnpricedSpans, s)
		if s.Type == canonical.TypeLLMCall && finished(s) {
			lat = append(lat, durMs(s))
		}
	}
	sum.Traces, sum.Sessions = int64(len(traces)), int64(len(sessions))
	if sum.Spans > 0 {
		sum.ErrorRate = float64(sum.Errors) / float64(sum.Spans)
	}
	sum.LatencyP50Ms, sum.LatencyP95Ms = percentile(lat, 0.5), percentile(lat, 0.95)
	return sum, nil
}

func (m *memStore) CostBreakdown(_ context.Context, sc storage.Scope, r storage.TimeRange, groupBy string) ([]storage.CostRow, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := func(s storage.Span) (string, int64) {
		ts := time.Unix(0, s.StartUnixNano).UTC()
		var b time.Time
		switch groupBy {
		case storage.GroupHour:
			b = ts.Truncate(time.Hour)
		case storage.GroupDay:
			b = time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC)
		case storage.GroupWeek:
			d := time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC)
			b = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		case storage.GroupModel:
			return s.Model, 0
		case storage.GroupProvider:
			return s.Provider, 0
		case storage.GroupAgent:
			return s.AgentName, 0
		case storage.GroupType:
			return string(s.Type), 0
		}
		return b.Format(time.RFC3339), b.UnixNano()
	}
	switch groupBy {
	case storage.GroupHour, storage.GroupDay, storage.GroupWeek, storage.GroupModel, storage.GroupProvider, storage.GroupAgent, storage.GroupType:
	default:
		return nil, storage.ErrInvalidQuery
	}
	rows := map[string]*storage.CostRow{}
	var order []string
	for _, s := range m.inRangeSpans(sc, r) {
		k, b := key(s)
		row := rows[k]
		if row == nil {
			row = &storage.CostRow{Key: k, BucketUnixNano: b}
			rows[k] = row
			order = append(order, k)
		}
		row.Spans++
		var a, c, e, p int64
		countInto(&a, &c, &e, &row.Tokens, &row.CostUSD, &p, &row.UnpricedSpans, s)
	}
	out := []storage.CostRow{}
	for _, k := range order {
		out = append(out, *rows[k])
	}
	return out, nil
}

func (m *memStore) Performance(_ context.Context, sc storage.Scope, r storage.TimeRange, groupBy string) ([]storage.PerfRow, error) {
	if err := sc.Check(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if groupBy != storage.GroupType && groupBy != storage.GroupModel {
		return nil, storage.ErrInvalidQuery
	}
	groups := map[string][]storage.Span{}
	for _, s := range m.inRangeSpans(sc, r) {
		if !finished(s) {
			continue
		}
		k := string(s.Type)
		if groupBy == storage.GroupModel {
			k = s.Model
		}
		groups[k] = append(groups[k], s)
	}
	secs := float64(r.To-r.From) / 1e9
	var out []storage.PerfRow
	for k, ss := range groups {
		row := storage.PerfRow{Key: k, Count: int64(len(ss))}
		var d []float64
		var total float64
		for _, s := range ss {
			if s.Status.IsFailure() {
				row.Errors++
			}
			d = append(d, durMs(s))
			total += durMs(s)
		}
		row.P50Ms, row.P95Ms, row.P99Ms = percentile(d, 0.5), percentile(d, 0.95), percentile(d, 0.99)
		row.AvgMs = total / float64(len(ss))
		if secs > 0 {
			row.PerSecond = float64(row.Count) / secs
		}
		out = append(out, row)
	}
	return out, nil
}

func (m *memStore) Errors(_ context.Context, sc storage.Scope, r storage.TimeRange, limit int) (storage.ErrorStats, error) {
	if err := sc.Check(); err != nil {
		return storage.ErrorStats{}, err
	}
	limit, err := storage.CheckLimit(limit)
	if err != nil {
		return storage.ErrorStats{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var st storage.ErrorStats
	counts := map[storage.ErrorRow]int64{}
	for _, s := range m.inRangeSpans(sc, r) {
		st.Spans++
		if s.Status.IsFailure() {
			st.Errors++
			counts[storage.ErrorRow{Message: s.StatusMessage, Code: s.ErrorCode, Type: s.Type}]++
		}
	}
	if st.Spans > 0 {
		st.Rate = float64(st.Errors) / float64(st.Spans)
	}
	for row, n := range counts {
		row.Count = n
		st.Top = append(st.Top, row)
	}
	slices.SortFunc(st.Top, func(a, b storage.ErrorRow) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message))
	})
	if len(st.Top) > limit {
		st.Top = st.Top[:limit]
	}
	return st, nil
}
