package reasoningchainprocessor

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// Caps on what one trace's chainState remembers, so an emitted trace kept
// for late spans costs a bounded amount of memory.
const (
	maxRetainedNodes = 512  // container and parent spans, for late spans' depth
	maxRetainedKeys  = 256  // LLM-by-parent / LLM-by-scope entries
	maxCallIDs       = 1024 // tool-call ids, loop and retry signatures
	maxPendingTools  = 64   // tool results not yet seen consumed by an LLM
)

var sigSeed = maphash.MakeSeed()

// spanRec is what a buffered span keeps of its canonical view: what the
// chain analysis needs, plus the handle of the span it annotates.
type spanRec struct {
	span       ptrace.Span
	idHex      string
	id, parent pcommon.SpanID
	start, end int64
	typ        canonical.SpanType
	status     canonical.Status
	sessionID  string
	toolCallID string
	loopSig    uint64 // tool + arguments; 0 when not a tool call
	stepSig    uint64 // type + tool, model or name: "the same step" for retries
	inTokens   int64  // all input tokens, cached or not
	outTokens  int64
	cost       float64
	existing   int64 // flag mask already on the span
	hasTokens  bool
	unpriced   bool
}

func (s *spanRec) fill(v *canonical.Span, sp ptrace.Span) {
	*s = spanRec{
		span:       sp,
		idHex:      v.SpanID,
		id:         sp.SpanID(),
		parent:     sp.ParentSpanID(),
		start:      v.StartUnixNano,
		end:        v.EndUnixNano,
		typ:        v.Type,
		status:     v.Status,
		sessionID:  v.SessionID,
		toolCallID: v.ToolCallID,
		inTokens:   v.Tokens.InputTotal(),
		outTokens:  v.Tokens.OutputTotal(),
		hasTokens:  v.Tokens.Present,
		unpriced:   v.Cost.Status == canonical.CostStatusUnpriced,
	}
	if v.Cost.HasCost() {
		s.cost = v.Cost.Total
	}
	if len(v.Flags) > 0 {
		s.existing = canonical.FlagMask(v.Flags)
	}
	var h maphash.Hash
	h.SetSeed(sigSeed)
	h.WriteString(string(v.Type))
	h.WriteByte(0)
	switch v.Type {
	case canonical.TypeToolExecution:
		h.WriteString(v.ToolName)
		s.stepSig = h.Sum64()
		h.WriteByte(0)
		h.WriteString(strings.TrimSpace(v.ToolInput))
		s.loopSig = h.Sum64() | 1 // never 0
	case canonical.TypeLLMCall:
		h.WriteString(v.Model)
		s.stepSig = h.Sum64()
	default:
		h.WriteString(v.Name)
		s.stepSig = h.Sum64()
	}
}

// isStep reports whether a span is a step of the chain. Task and agent spans
// are containers: they get a depth but no step.
func isStep(t canonical.SpanType) bool {
	return t != canonical.TypeTask && t != canonical.TypeAgent
}

// node is one span during an analysis (scratch, reused between groups).
type node struct {
	*spanRec
	visit       uint8 // tree walk: 0 new, 1 in progress, 2 done
	hasChildren bool
	root        bool
	depth       int64
	scope       pcommon.SpanID // nearest agent ancestor; zero: the trace
	step        int64          // -1: not a step
	follows     string         // hex ids
	requestedBy string
	answers     []string
	requested   []string // tool-call ids this LLM asked for
	answered    []string // tool-call ids whose results this LLM was given
	flags       int64
}

type treeNode struct {
	depth int64
	scope pcommon.SpanID // scope of the node's children
}

type pendingTool struct {
	idHex  string
	scope  pcommon.SpanID
	end    int64
	callID string
}

type cascadeState struct {
	lastFailed bool
	retries    int
}

type traceTotals struct {
	spans, llmCalls, toolCalls, errors int64
	inTokens, outTokens                int64
	cost                               float64
	unpriced                           int64
	start, end                         int64
}

// chainState is what is known about one trace's chain. It lives while the
// trace is analysed and afterwards in a bounded LRU, so late spans continue
// the chain instead of starting a new one. It never points into span data
// (hex id strings are immutable copies). Maps are made on first use.
type chainState struct {
	rootID     pcommon.SpanID
	rootStatus canonical.Status
	sessionID  string

	nextStep        int64
	lastStep        string
	nodes           map[pcommon.SpanID]treeNode
	lastLLMByParent map[pcommon.SpanID]string
	lastLLMByScope  map[pcommon.SpanID]string
	callRequester   map[string]string
	pending         []pendingTool
	parseToolCalls  bool

	loops    map[uint64]int
	cascades map[uint64]cascadeState
	growth   []int64 // input tokens of the current growing run of LLM calls (last steps-1)

	totals                           traceTotals
	flags                            int64
	overTraceCost, overTraceTokens   bool
	overSessionCost, overSessionToks bool
}

// sessionTotals is a session's running spend, for the session budgets.
type sessionTotals struct {
	cost   float64
	tokens int64
}

// analyzer runs the chain analysis. It is used under the processor's lock.
type analyzer struct {
	cfg      *Config
	sessions *lru[string, *sessionTotals]

	// scratch, reused between groups
	nodes   []node
	order   []*node
	dups    []*node // spans already in order under the same id
	index   map[pcommon.SpanID]*node
	cascRun map[uint64][]*node
	growRun []*node // aligned with chainState.growth; nil for calls of earlier groups
}

func newAnalyzer(cfg *Config) *analyzer {
	return &analyzer{
		cfg:      cfg,
		sessions: newLRU[string, *sessionTotals](cfg.MaxSessions),
		index:    make(map[pcommon.SpanID]*node),
		cascRun:  make(map[uint64][]*node),
	}
}

// analyze continues st's chain with group (spans of one trace not analysed
// before), annotates the group's spans and returns the flags newly raised
// for the trace.
func (a *analyzer) analyze(st *chainState, group []spanRec) (newFlags int64) {
	if len(group) == 0 {
		return 0
	}
	a.reset(len(group))
	for i := range group {
		n := &a.nodes[i]
		*n = node{spanRec: &group[i], step: -1}
		if _, dup := a.index[n.id]; dup {
			// The same span sent twice (an SDK retry): analysed once,
			// annotated alike.
			a.dups = append(a.dups, n)
			continue
		}
		a.order = append(a.order, n)
		a.index[n.id] = n
		if n.typ == canonical.TypeToolExecution && n.toolCallID != "" {
			st.parseToolCalls = true
		}
	}
	slices.SortFunc(a.order, func(x, y *node) int {
		if c := cmp.Compare(x.start, y.start); c != 0 {
			return c
		}
		if c := cmp.Compare(x.end, y.end); c != 0 {
			return c
		}
		return slices.Compare(x.id[:], y.id[:])
	})
	for _, n := range a.order {
		a.place(st, n)
	}
	for _, n := range a.order {
		if !isStep(n.typ) || n.hasChildren || n.parent.IsEmpty() {
			if st.nodes == nil {
				st.nodes = make(map[pcommon.SpanID]treeNode)
			}
			if len(st.nodes) < maxRetainedNodes {
				st.nodes[n.id] = treeNode{depth: n.depth, scope: childScope(n)}
			}
		}
	}
	sess := a.session(st)

	for range st.growth {
		a.growRun = append(a.growRun, nil)
	}
	for _, n := range a.order {
		a.count(st, n)
		a.budgets(st, sess, n)
		if !isStep(n.typ) {
			continue
		}
		n.step = st.nextStep
		st.nextStep++
		n.follows = st.lastStep
		st.lastStep = n.idHex
		switch n.typ {
		case canonical.TypeLLMCall:
			a.llmCall(st, n)
		case canonical.TypeToolExecution:
			a.toolCall(st, n)
		}
		a.cascade(st, n)
	}
	if r := a.cfg.Loop.Repeats; r > 0 && len(st.loops) > 0 {
		for _, n := range a.order {
			if n.loopSig != 0 && st.loops[n.loopSig] >= r {
				n.flags |= canonical.FlagLoop.Bit()
			}
		}
	}
	if keep := a.cfg.ContextGrowth.Steps - 1; keep > 0 && len(st.growth) > keep {
		st.growth = append(st.growth[:0], st.growth[len(st.growth)-keep:]...)
	}

	var raised int64
	for _, n := range a.order {
		raised |= n.flags | n.existing
	}
	newFlags = raised &^ st.flags
	st.flags |= raised
	for _, n := range a.order {
		if n.root {
			n.flags |= st.flags
		}
		annotate(n)
		if n.root {
			writeSummary(st, n.span.Attributes())
		}
	}
	for _, d := range a.dups {
		same := *a.index[d.id]
		same.spanRec = d.spanRec
		annotate(&same)
		if same.root {
			writeSummary(st, same.span.Attributes())
		}
	}
	clear(a.nodes) // drop references to span data until the next group
	return newFlags
}

func (a *analyzer) reset(n int) {
	if cap(a.nodes) < n {
		a.nodes = make([]node, n)
	}
	a.nodes = a.nodes[:n]
	a.order = a.order[:0]
	a.dups = a.dups[:0]
	clear(a.index)
	clear(a.cascRun)
	a.growRun = a.growRun[:0]
}

// place sets a span's depth and agent scope from its parent: in the group,
// else remembered from an earlier group, else unknown (depth 1: the parent
// exists but is not known here).
func (a *analyzer) place(st *chainState, n *node) {
	if n.visit == 2 {
		return
	}
	n.visit = 1
	switch p, ok := a.index[n.parent]; {
	case n.parent.IsEmpty():
		n.depth = 0
		if st.rootID.IsEmpty() {
			st.rootID = n.id
			st.rootStatus = n.status
		}
		n.root = st.rootID == n.id
	case ok && p.visit != 1:
		a.place(st, p)
		p.hasChildren = true
		n.depth = p.depth + 1
		n.scope = childScope(p)
	default:
		if t, ok := st.nodes[n.parent]; ok {
			n.depth = t.depth + 1
			n.scope = t.scope
		} else {
			n.depth = 1
		}
	}
	n.visit = 2
}

// childScope is the agent scope of a span's children.
func childScope(n *node) pcommon.SpanID {
	if n.typ == canonical.TypeAgent {
		return n.id
	}
	return n.scope
}

// session returns the running totals of the trace's session (the root's
// session, else the first span's that has one).
func (a *analyzer) session(st *chainState) *sessionTotals {
	if st.sessionID == "" {
		for _, n := range a.order {
			if n.sessionID != "" && (n.root || st.sessionID == "") {
				st.sessionID = n.sessionID
			}
		}
	}
	if st.sessionID == "" {
		return nil
	}
	sess, ok := a.sessions.get(st.sessionID)
	if !ok {
		sess = &sessionTotals{}
		a.sessions.put(st.sessionID, sess)
	}
	return sess
}

func (a *analyzer) count(st *chainState, n *node) {
	t := &st.totals
	t.spans++
	switch n.typ {
	case canonical.TypeLLMCall:
		t.llmCalls++
	case canonical.TypeToolExecution:
		t.toolCalls++
	}
	if n.status.IsFailure() {
		t.errors++
	}
	t.inTokens += n.inTokens
	t.outTokens += n.outTokens
	t.cost += n.cost
	if n.unpriced {
		t.unpriced++
	}
	if t.start == 0 || n.start < t.start {
		t.start = n.start
	}
	t.end = max(t.end, n.end)
}

// budgets flags the span at which the trace's or the session's spend first
// goes over a budget. Within a session over budget, the first spending span
// of every later trace is flagged too.
func (a *analyzer) budgets(st *chainState, sess *sessionTotals, n *node) {
	b := &a.cfg.Budget
	tokens := n.inTokens + n.outTokens
	if b.TraceCostUSD > 0 && !st.overTraceCost && st.totals.cost > b.TraceCostUSD {
		st.overTraceCost = true
		n.flags |= canonical.FlagCostBudget.Bit()
	}
	if b.TraceTokens > 0 && !st.overTraceTokens && st.totals.inTokens+st.totals.outTokens > b.TraceTokens {
		st.overTraceTokens = true
		n.flags |= canonical.FlagTokenBudget.Bit()
	}
	if sess == nil {
		return
	}
	sess.cost += n.cost
	sess.tokens += tokens
	if b.SessionCostUSD > 0 && n.cost > 0 && !st.overSessionCost && sess.cost > b.SessionCostUSD {
		st.overSessionCost = true
		n.flags |= canonical.FlagCostBudget.Bit()
	}
	if b.SessionTokens > 0 && tokens > 0 && !st.overSessionToks && sess.tokens > b.SessionTokens {
		st.overSessionToks = true
		n.flags |= canonical.FlagTokenBudget.Bit()
	}
}

// llmCall links the tool results this LLM call consumed (matching tool-call
// ids where both sides carry them, else the finished tool calls of the same
// agent scope), remembers the calls it requested and checks context growth.
func (a *analyzer) llmCall(st *chainState, n *node) {
	if st.parseToolCalls {
		n.requested, n.answered = canonical.ToolCallIDs(n.span.Attributes())
	}
	if n.toolCallID != "" {
		n.requested = append(n.requested, n.toolCallID)
	}
	kept := st.pending[:0]
	for _, t := range st.pending {
		var consumed bool
		if t.callID != "" && len(n.answered) > 0 {
			consumed = slices.Contains(n.answered, t.callID)
		} else {
			consumed = t.scope == n.scope && t.end <= n.start
		}
		if consumed {
			n.answers = append(n.answers, t.idHex)
		} else {
			kept = append(kept, t)
		}
	}
	st.pending = kept
	for _, id := range n.requested {
		if st.callRequester == nil {
			st.callRequester = make(map[string]string)
		}
		if len(st.callRequester) < maxCallIDs {
			st.callRequester[id] = n.idHex
		}
	}
	st.lastLLMByParent = putBounded(st.lastLLMByParent, n.parent, n.idHex)
	st.lastLLMByScope = putBounded(st.lastLLMByScope, n.scope, n.idHex)
	a.contextGrowth(st, n)
}

func putBounded(m map[pcommon.SpanID]string, k pcommon.SpanID, v string) map[pcommon.SpanID]string {
	if m == nil {
		m = make(map[pcommon.SpanID]string)
	}
	if _, ok := m[k]; ok || len(m) < maxRetainedKeys {
		m[k] = v
	}
	return m
}

// toolCall links a tool call to the LLM call that requested it: by tool-call
// id, else the nearest preceding LLM call with the same parent, else the
// nearest preceding one in the same agent scope. Equal tool+arguments calls
// are counted for loop detection.
func (a *analyzer) toolCall(st *chainState, n *node) {
	if n.toolCallID != "" {
		n.requestedBy = st.callRequester[n.toolCallID]
	}
	if n.requestedBy == "" {
		n.requestedBy = st.lastLLMByParent[n.parent]
	}
	if n.requestedBy == "" {
		n.requestedBy = st.lastLLMByScope[n.scope]
	}
	if len(st.pending) == maxPendingTools {
		st.pending = append(st.pending[:0], st.pending[1:]...)
	}
	st.pending = append(st.pending, pendingTool{idHex: n.idHex, scope: n.scope, end: n.end, callID: n.toolCallID})
	if a.cfg.Loop.Repeats > 0 {
		if st.loops == nil {
			st.loops = make(map[uint64]int)
		}
		if _, ok := st.loops[n.loopSig]; ok || len(st.loops) < maxCallIDs {
			st.loops[n.loopSig]++
		}
	}
}

// cascade tracks runs of the same step where each occurrence follows a
// failed one: a failure followed by Retries retries flags the whole run.
func (a *analyzer) cascade(st *chainState, n *node) {
	r := a.cfg.ErrorCascade.Retries
	if r == 0 {
		return
	}
	c, seen := st.cascades[n.stepSig]
	if !seen && (!n.status.IsFailure() || len(st.cascades) >= maxCallIDs) {
		return // only steps that failed at least once are tracked
	}
	if c.lastFailed {
		c.retries++
		a.cascRun[n.stepSig] = append(a.cascRun[n.stepSig], n)
	} else {
		c.retries = 0
		a.cascRun[n.stepSig] = append(a.cascRun[n.stepSig][:0], n)
	}
	c.lastFailed = n.status.IsFailure()
	if st.cascades == nil {
		st.cascades = make(map[uint64]cascadeState)
	}
	st.cascades[n.stepSig] = c
	if c.retries >= r {
		for _, m := range a.cascRun[n.stepSig] {
			m.flags |= canonical.FlagErrorCascade.Bit()
		}
	}
}

// contextGrowth flags Steps consecutive LLM calls whose input grows at every
// call and ends at least Factor times where it started.
func (a *analyzer) contextGrowth(st *chainState, n *node) {
	k := a.cfg.ContextGrowth.Steps
	if k == 0 || !n.hasTokens || n.inTokens <= 0 {
		return
	}
	if l := len(st.growth); l == 0 || n.inTokens <= st.growth[l-1] {
		st.growth = st.growth[:0]
		a.growRun = a.growRun[:0]
	}
	st.growth = append(st.growth, n.inTokens)
	a.growRun = append(a.growRun, n)
	l := len(st.growth)
	if l < k || float64(st.growth[l-1]) < a.cfg.ContextGrowth.Factor*float64(st.growth[l-k]) {
		return
	}
	for _, g := range a.growRun[len(a.growRun)-k:] {
		if g != nil {
			g.flags |= canonical.FlagContextGrowth.Bit()
		}
	}
}

// annotate writes the chain attributes of one span.
func annotate(n *node) {
	attrs := n.span.Attributes()
	attrs.EnsureCapacity(attrs.Len() + 6)
	attrs.PutInt(canonical.AttrChainDepth, n.depth)
	if n.step >= 0 {
		attrs.PutInt(canonical.AttrChainStep, n.step)
		if n.follows != "" {
			attrs.PutStr(canonical.AttrChainPrevStep, n.follows)
		}
	}
	if n.requestedBy != "" {
		attrs.PutStr(canonical.AttrChainCausedBy, n.requestedBy)
	}
	if len(n.answers) > 0 {
		attrs.PutStr(canonical.AttrChainAnswers, strings.Join(n.answers, ","))
	}
	if mask := n.flags | n.existing; mask != 0 {
		putFlags(attrs, canonical.AttrChainFlags, mask)
	}
}

func putFlags(attrs pcommon.Map, key string, mask int64) {
	sl := attrs.PutEmptySlice(key)
	for i, f := range canonical.Flags {
		if mask&(1<<i) != 0 {
			sl.AppendEmpty().SetStr(string(f))
		}
	}
}

// writeSummary writes the trace summary known so far on the root span.
func writeSummary(st *chainState, attrs pcommon.Map) {
	t := &st.totals
	attrs.EnsureCapacity(attrs.Len() + 13)
	attrs.PutInt(canonical.AttrTraceSpanCount, t.spans)
	attrs.PutInt(canonical.AttrTraceLLMCalls, t.llmCalls)
	attrs.PutInt(canonical.AttrTraceToolCalls, t.toolCalls)
	attrs.PutInt(canonical.AttrTraceErrorCount, t.errors)
	attrs.PutInt(canonical.AttrTraceTokensInput, t.inTokens)
	attrs.PutInt(canonical.AttrTraceTokensOutput, t.outTokens)
	attrs.PutInt(canonical.AttrTraceTokensTotal, t.inTokens+t.outTokens)
	attrs.PutDouble(canonical.AttrTraceCostUSD, t.cost)
	attrs.PutInt(canonical.AttrTraceUnpricedSpans, t.unpriced)
	attrs.PutInt(canonical.AttrTraceChainLength, st.nextStep)
	status := st.rootStatus
	if t.errors > 0 {
		status = canonical.StatusError
	}
	attrs.PutStr(canonical.AttrTraceStatus, string(status))
	if t.end > t.start {
		attrs.PutInt(canonical.AttrTraceDurationNanos, t.end-t.start)
	}
	putFlags(attrs, canonical.AttrTraceFlags, st.flags)
}
