package apiserver

import (
	"cmp"
	"slices"

	"github.com/agenttrace/agenttrace/internal/storage"
)

// spanForest is a trace's spans linked by parent id. Spans whose parent is
// missing are roots; spans caught in a parent cycle (bad data) are cut out
// of the cycle and become roots, so every span appears exactly once.
type spanForest struct {
	spans    []storage.Span
	roots    []int
	children [][]int
}

func newSpanForest(spans []storage.Span) *spanForest {
	// Deterministic order whatever the backend returned: start time, then id.
	slices.SortStableFunc(spans, func(a, b storage.Span) int {
		return cmp.Or(cmp.Compare(a.StartUnixNano, b.StartUnixNano), cmp.Compare(a.SpanID, b.SpanID))
	})
	f := &spanForest{spans: spans, children: make([][]int, len(spans))}
	index := make(map[string]int, len(spans))
	for i := range spans {
		index[spans[i].SpanID] = i
	}
	hasParent := make([]bool, len(spans))
	for i := range spans {
		if p, ok := index[spans[i].ParentSpanID]; ok && p != i {
			f.children[p] = append(f.children[p], i)
			hasParent[i] = true
		}
	}
	for i := range spans {
		if !hasParent[i] {
			f.roots = append(f.roots, i)
		}
	}
	// Spans not reachable from a root sit on a parent cycle.
	reached := make([]bool, len(spans))
	f.walk(func(i, _ int) { reached[i] = true })
	for i := range spans {
		if !reached[i] {
			p := index[spans[i].ParentSpanID]
			f.children[p] = slices.DeleteFunc(f.children[p], func(c int) bool { return c == i })
			f.roots = append(f.roots, i)
			f.walkFrom(i, 0, func(j, _ int) { reached[j] = true })
		}
	}
	return f
}

// walk visits every span reachable from the roots in depth-first pre-order
// (the order of a waterfall), iteratively so deep traces cannot overflow
// the stack.
func (f *spanForest) walk(visit func(i, depth int)) {
	for _, r := range f.roots {
		f.walkFrom(r, 0, visit)
	}
}

func (f *spanForest) walkFrom(root, depth int, visit func(i, depth int)) {
	type item struct{ i, depth int }
	stack := []item{{root, depth}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		visit(it.i, it.depth)
		kids := f.children[it.i]
		for k := len(kids) - 1; k >= 0; k-- {
			stack = append(stack, item{kids[k], it.depth + 1})
		}
	}
}

// bounds returns the trace's first start and last end (or start, for
// spans still running).
func (f *spanForest) bounds() (start, end int64) {
	for i := range f.spans {
		s := &f.spans[i]
		if start == 0 || s.StartUnixNano < start {
			start = s.StartUnixNano
		}
		end = max(end, s.StartUnixNano, s.EndUnixNano)
	}
	return start, end
}

// treeNodeView is a span with its children nested.
type treeNodeView struct {
	spanView
	Children []*treeNodeView `json:"children"`
}

type treeView struct {
	TraceID   string          `json:"trace_id"`
	SpanCount int             `json:"span_count"`
	Roots     []*treeNodeView `json:"roots" doc:"root spans (and spans whose parent is missing), ordered by start"`
}

func buildTree(traceID string, spans []storage.Span) treeView {
	f := newSpanForest(spans)
	nodes := make([]*treeNodeView, len(f.spans))
	for i := range f.spans {
		nodes[i] = &treeNodeView{spanView: viewSpan(&f.spans[i]), Children: make([]*treeNodeView, len(f.children[i]))}
	}
	for i, kids := range f.children {
		for k, c := range kids {
			nodes[i].Children[k] = nodes[c]
		}
	}
	out := treeView{TraceID: traceID, SpanCount: len(f.spans), Roots: make([]*treeNodeView, len(f.roots))}
	for k, r := range f.roots {
		out.Roots[k] = nodes[r]
	}
	return out
}

// waterfallRowView is one bar of a waterfall.
type waterfallRowView struct {
	SpanID        string   `json:"span_id"`
	ParentSpanID  string   `json:"parent_span_id,omitempty"`
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	Depth         int      `json:"depth"`
	OffsetNanos   int64    `json:"offset_ns" doc:"start relative to the trace start"`
	DurationNanos int64    `json:"duration_ns" doc:"0 while running"`
	StartUnixNano int64    `json:"start_unix_nano"`
	ChildCount    int      `json:"child_count"`
	Model         string   `json:"model,omitempty"`
	ToolName      string   `json:"tool_name,omitempty"`
	TokensTotal   int64    `json:"tokens_total"`
	CostUSD       *float64 `json:"cost_usd"`
	Flags         []string `json:"flags"`
}

type waterfallView struct {
	TraceID       string             `json:"trace_id"`
	StartUnixNano int64              `json:"start_unix_nano"`
	EndUnixNano   int64              `json:"end_unix_nano"`
	DurationNanos int64              `json:"duration_ns"`
	Rows          []waterfallRowView `json:"rows" doc:"depth-first, children ordered by start"`
}

func buildWaterfall(traceID string, spans []storage.Span) waterfallView {
	f := newSpanForest(spans)
	start, end := f.bounds()
	out := waterfallView{TraceID: traceID, StartUnixNano: start, EndUnixNano: end, DurationNanos: end - start,
		Rows: make([]waterfallRowView, 0, len(f.spans))}
	f.walk(func(i, depth int) {
		s := &f.spans[i]
		out.Rows = append(out.Rows, waterfallRowView{
			SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, Name: s.Name, Type: string(s.Type),
			Status: string(s.Status), Depth: depth, OffsetNanos: s.StartUnixNano - start,
			DurationNanos: s.DurationNanos(), StartUnixNano: s.StartUnixNano, ChildCount: len(f.children[i]),
			Model: s.Model, ToolName: s.ToolName, TokensTotal: s.Tokens.Total(), CostUSD: spanCost(&s.Span),
			Flags: nonNil(s.Flags),
		})
	})
	return out
}

// chainStepView is one step of a reasoning chain.
type chainStepView struct {
	Step          int64    `json:"step"`
	Depth         int64    `json:"depth"`
	SpanID        string   `json:"span_id"`
	ParentSpanID  string   `json:"parent_span_id,omitempty"`
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	StartUnixNano int64    `json:"start_unix_nano"`
	DurationNanos int64    `json:"duration_ns"`
	Model         string   `json:"model,omitempty"`
	ToolName      string   `json:"tool_name,omitempty"`
	TokensTotal   int64    `json:"tokens_total"`
	CostUSD       *float64 `json:"cost_usd"`
	Follows       string   `json:"follows,omitempty"`
	RequestedBy   string   `json:"requested_by,omitempty"`
	ObservationOf string   `json:"observation_of,omitempty"`
	Flags         []string `json:"flags"`
}

// chainLinkView is an edge of the chain graph between two steps.
type chainLinkView struct {
	From string `json:"from" doc:"span id of the later step"`
	To   string `json:"to" doc:"span id of the step it refers to"`
	Kind string `json:"kind" doc:"follows, requested_by or observation_of"`
}

type chainResponseView struct {
	TraceID     string          `json:"trace_id"`
	Status      string          `json:"status"`
	ChainLength int64           `json:"chain_length"`
	Flags       []string        `json:"flags" doc:"the trace's anomaly flags"`
	Source      string          `json:"source" doc:"chain when the reasoningchain processor ordered the steps, start_time when the steps are the spans in tree order"`
	Steps       []chainStepView `json:"steps"`
	Links       []chainLinkView `json:"links" doc:"links whose both ends are steps of this trace"`
}

// buildChain orders the steps by the chain step the reasoningchain
// processor assigned. Without it (a pipeline without the processor) the
// steps are the spans in tree order, with tree depth.
func buildChain(sum *storage.TraceSummary, spans []storage.Span) chainResponseView {
	out := chainResponseView{TraceID: sum.TraceID, Status: string(sum.Status), ChainLength: sum.ChainLength,
		Flags: nonNil(sum.Flags), Source: "chain", Steps: []chainStepView{}, Links: []chainLinkView{}}
	f := newSpanForest(spans)
	step := func(s *storage.Span, n, depth int64) chainStepView {
		return chainStepView{Step: n, Depth: depth, SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, Name: s.Name,
			Type: string(s.Type), Status: string(s.Status), StartUnixNano: s.StartUnixNano, DurationNanos: s.DurationNanos(),
			Model: s.Model, ToolName: s.ToolName, TokensTotal: s.Tokens.Total(), CostUSD: spanCost(&s.Span),
			Follows: s.ChainFollows, RequestedBy: s.ChainRequestedBy, ObservationOf: s.ChainAnswers, Flags: nonNil(s.Flags)}
	}
	for i := range f.spans {
		if s := &f.spans[i]; s.ChainStep >= 0 {
			out.Steps = append(out.Steps, step(s, s.ChainStep, s.ChainDepth))
		}
	}
	if len(out.Steps) == 0 {
		out.Source = "start_time"
		f.walk(func(i, depth int) {
			out.Steps = append(out.Steps, step(&f.spans[i], int64(len(out.Steps)), int64(depth)))
		})
	}
	slices.SortStableFunc(out.Steps, func(a, b chainStepView) int { return cmp.Compare(a.Step, b.Step) })
	inChain := make(map[string]bool, len(out.Steps))
	for _, s := range out.Steps {
		inChain[s.SpanID] = true
	}
	for _, s := range out.Steps {
		for _, l := range []chainLinkView{{s.SpanID, s.Follows, "follows"}, {s.SpanID, s.RequestedBy, "requested_by"},
			{s.SpanID, s.ObservationOf, "observation_of"}} {
			if l.To != "" && inChain[l.To] {
				out.Links = append(out.Links, l)
			}
		}
	}
	return out
}
