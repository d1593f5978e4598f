package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

func (a *app) tracesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "traces",
		Aliases: []string{"trace"},
		Short:   "Search traces, show one, or print its reasoning chain as a tree",
	}
	cmd.AddCommand(a.tracesListCommand(), a.tracesShowCommand(), a.tracesTreeCommand())
	return cmd
}

func (a *app) tracesListCommand() *cobra.Command {
	var (
		w                                   window
		session, agent, model, status, text string
		minCost                             float64
		minDuration                         string
		limit                               int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls", "search"},
		Short:   "Search traces, newest first",
		Example: "  agenttrace traces list --since 24h --status error\n  agenttrace traces list --session sess-42 --min-cost 0.10\n  agenttrace traces list -q \"rate limit\" -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := checkEnum("status", status, statusNames()); err != nil {
				return err
			}
			q := url.Values{}
			if err := w.apply(q); err != nil {
				return err
			}
			setIf(q, "session", session)
			setIf(q, "agent", agent)
			setIf(q, "model", model)
			setIf(q, "status", strings.ToLower(status))
			setIf(q, "q", text)
			setIf(q, "min_duration", minDuration)
			if minCost > 0 {
				q.Set("min_cost", strconv.FormatFloat(minCost, 'f', -1, 64))
			}
			list, err := c.Traces(cmd.Context(), q, limit)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(rawList(list.Raw))
			}
			if err := a.renderTraces(list.Items, true); err != nil {
				return err
			}
			return a.moreHint(list.More)
		},
	}
	w.register(cmd, "only traces started in this period: 24h, 7d, today …")
	f := cmd.Flags()
	f.StringVar(&session, "session", "", "only traces of this session")
	f.StringVar(&agent, "agent", "", "only traces of this agent")
	f.StringVar(&model, "model", "", "only traces with a span of this model")
	f.StringVar(&status, "status", "", "only traces with this status: "+strings.Join(statusNames(), ", "))
	f.StringVarP(&text, "search", "q", "", "text in span names, prompts, responses or tool input/output")
	f.Float64Var(&minCost, "min-cost", 0, "only traces that cost at least this many USD")
	f.StringVar(&minDuration, "min-duration", "", "only traces that took at least this long (250ms, 2m)")
	f.IntVar(&limit, "limit", 50, "maximum number of traces")
	return cmd
}

func (a *app) renderTraces(items []apiclient.Trace, withSession bool) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(a.env.Stdout, "No traces.")
		return err
	}
	cols := []column{{name: "TRACE"}, {name: "NAME", max: 32}}
	if withSession {
		cols = append(cols, column{name: "SESSION", max: 24})
	}
	cols = append(cols, column{name: "AGENT", max: 20}, column{name: "STARTED"}, column{name: "DURATION", right: true},
		column{name: "STATUS"}, column{name: "SPANS", right: true}, column{name: "LLM", right: true},
		column{name: "TOOLS", right: true}, column{name: "TOKENS", right: true}, column{name: "COST", right: true},
		column{name: "FLAGS"})
	t := newTable(cols...)
	for _, tr := range items {
		row := []string{tr.TraceID, d.Dash(tr.RootName)}
		if withSession {
			row = append(row, d.Dash(tr.SessionID))
		}
		row = append(row, d.Dash(tr.AgentName), d.Time(tr.StartUnixNano), d.SpanDuration(tr.Status, tr.DurationNanos),
			d.StatusIcon(tr.Status)+" "+tr.Status, d.Int(tr.SpanCount), d.Int(tr.LLMCalls), d.Int(tr.ToolCalls),
			d.Int(tr.Tokens.Total), d.Cost(tr.CostUSD), flagList(tr.Flags))
		t.add(row...)
	}
	return t.render(a.env.Stdout)
}

func flagList(flags []string) string {
	if len(flags) == 0 {
		return ""
	}
	return "⚑ " + strings.Join(flags, ",")
}

func (a *app) tracesShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "show TRACE_ID",
		Aliases: []string{"get"},
		Short:   "Show a trace's summary and its spans on a timeline",
		Example: "  agenttrace traces show 4bf92f3577b34da6a3ce929d0e0e4736",
		Args:    exactArgs("TRACE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkTraceID(id); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			tr, rawTrace, err := c.Trace(cmd.Context(), id)
			if err != nil {
				return notFound(err, "trace", id)
			}
			tree, rawTree, err := c.TraceTree(cmd.Context(), id)
			if err != nil {
				return notFound(err, "trace", id)
			}
			if a.jsonOutput() {
				return a.printJSON(struct {
					Trace json.RawMessage `json:"trace"`
					Tree  json.RawMessage `json:"tree"`
				}{rawTrace, rawTree})
			}
			if err := traceDetails(tr).render(a.env.Stdout); err != nil {
				return err
			}
			fmt.Fprintln(a.env.Stdout)
			return renderTimeline(a, tree)
		},
	}
}

func traceDetails(tr apiclient.Trace) *keyValues {
	kv := &keyValues{}
	kv.add("Trace", tr.TraceID)
	kv.add("Name", d.Dash(tr.RootName))
	kv.add("Session", d.Dash(tr.SessionID))
	kv.add("Agent", d.Dash(tr.AgentName))
	kv.add("Started", d.Time(tr.StartUnixNano))
	kv.add("Duration", d.SpanDuration(tr.Status, tr.DurationNanos))
	kv.add("Status", d.StatusIcon(tr.Status)+" "+tr.Status)
	kv.add("Spans", fmt.Sprintf("%s (%s, %s, %s)", d.Int(tr.SpanCount), d.Plural(tr.LLMCalls, "LLM call", "LLM calls"),
		d.Plural(tr.ToolCalls, "tool call", "tool calls"), d.Plural(tr.ErrorCount, "error", "errors")))
	if tr.ChainLength > 0 {
		kv.add("Chain", d.Plural(tr.ChainLength, "step", "steps"))
	}
	kv.add("Tokens", tokenBreakdown(tr.Tokens))
	kv.add("Cost", costLine(tr.CostUSD, tr.UnpricedSpans))
	if len(tr.Flags) > 0 {
		kv.add("Flags", flagList(tr.Flags))
	}
	return kv
}

// flatNode is a tree node in depth-first order with its depth.
type flatNode struct {
	*apiclient.TreeNode
	depth int
	// prefix is the tree drawing before the node ("│  ├─ ").
	prefix string
}

// flatten walks the tree depth-first (iteratively: deep traces cannot
// overflow the stack) and draws the branch lines.
func flatten(roots []*apiclient.TreeNode) []flatNode {
	type item struct {
		n      *apiclient.TreeNode
		depth  int
		indent string // drawing inherited from the ancestors
		last   bool
	}
	var out []flatNode
	stack := make([]item, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, item{roots[i], 0, "", i == len(roots)-1})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		prefix, childIndent := "", ""
		if it.depth > 0 {
			branch, cont := "├─ ", "│  "
			if it.last {
				branch, cont = "└─ ", "   "
			}
			prefix, childIndent = it.indent+branch, it.indent+cont
		}
		out = append(out, flatNode{TreeNode: it.n, depth: it.depth, prefix: prefix})
		kids := it.n.Children
		for k := len(kids) - 1; k >= 0; k-- {
			stack = append(stack, item{kids[k], it.depth + 1, childIndent, k == len(kids)-1})
		}
	}
	return out
}

// timelineWidth is the width of the waterfall bars in `traces show`.
const timelineWidth = 24

func renderTimeline(a *app, tree apiclient.Tree) error {
	nodes := flatten(tree.Roots)
	var start, end int64
	for _, n := range nodes {
		if start == 0 || n.StartUnixNano < start {
			start = n.StartUnixNano
		}
		end = max(end, n.StartUnixNano, n.EndUnixNano)
	}
	t := newTable(column{name: "SPAN"}, column{name: "NAME", max: 48}, column{name: "TYPE"}, column{name: "STATUS"},
		column{name: "START", right: true}, column{name: "DURATION", right: true}, column{name: "TIMELINE"},
		column{name: "MODEL/TOOL", max: 28}, column{name: "TOKENS", right: true}, column{name: "COST", right: true})
	for _, n := range nodes {
		tokens := d.Tokens(0, false)
		if n.Tokens != nil {
			tokens = d.Int(n.Tokens.Total)
		}
		t.add(n.SpanID, n.prefix+n.Name, n.Type, d.StatusIcon(n.Status)+" "+n.Status,
			"+"+d.Duration(n.StartUnixNano-start), d.SpanDuration(n.Status, n.DurationNanos),
			timelineBar(n.StartUnixNano-start, n.EndUnixNano, n.StartUnixNano, end-start), modelOrTool(&n.Span),
			tokens, d.SpanCost(n.CostUSD, n.Cost.Status))
	}
	return t.render(a.env.Stdout)
}

// timelineBar draws a span's place in the trace: ░ before it, █ while it
// ran, ▒ to the end when it is still running.
func timelineBar(offset, endNs, startNs, total int64) string {
	if total <= 0 {
		return strings.Repeat("█", timelineWidth)
	}
	from := int(offset * timelineWidth / total)
	running := endNs == 0
	to := timelineWidth
	if !running {
		to = int((endNs - startNs + offset) * timelineWidth / total)
	}
	from = min(max(from, 0), timelineWidth-1)
	to = min(max(to, from+1), timelineWidth)
	fill := "█"
	if running {
		fill = "▒"
	}
	return strings.Repeat("░", from) + strings.Repeat(fill, to-from) + strings.Repeat("░", timelineWidth-to)
}

func modelOrTool(s *apiclient.Span) string {
	switch {
	case s.Model != "":
		return s.Model
	case s.Tool != nil && s.Tool.Name != "":
		return s.Tool.Name
	case s.File != nil:
		return s.File.Path
	}
	return ""
}

func (a *app) tracesTreeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "tree TRACE_ID",
		Short: "Print a trace's reasoning chain as an indented tree with costs",
		Long: `Print a trace as an indented tree: each step with its type icon, chain step,
duration, tokens and cost, and the links between thoughts, actions and observations.

Icons: ` + iconLegend(),
		Example: "  agenttrace traces tree 4bf92f3577b34da6a3ce929d0e0e4736",
		Args:    exactArgs("TRACE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkTraceID(id); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			tr, _, err := c.Trace(cmd.Context(), id)
			if err != nil {
				return notFound(err, "trace", id)
			}
			tree, rawTree, err := c.TraceTree(cmd.Context(), id)
			if err != nil {
				return notFound(err, "trace", id)
			}
			if a.jsonOutput() {
				return a.printJSON(rawTree)
			}
			return renderTree(a, tr, tree)
		},
	}
}

func iconLegend() string {
	names := make([]string, 0, len(spanTypeNames()))
	for _, t := range spanTypeNames() {
		names = append(names, d.TypeIcon(t)+" "+t)
	}
	return strings.Join(names, "  ")
}

func renderTree(a *app, tr apiclient.Trace, tree apiclient.Tree) error {
	head := []string{d.Dash(tr.RootName), d.StatusIcon(tr.Status) + " " + tr.Status,
		d.SpanDuration(tr.Status, tr.DurationNanos), d.Plural(tr.SpanCount, "span", "spans"),
		d.Int(tr.Tokens.Total) + " tokens", costLine(tr.CostUSD, tr.UnpricedSpans)}
	if len(tr.Flags) > 0 {
		head = append(head, flagList(tr.Flags))
	}
	fmt.Fprintf(a.env.Stdout, "Trace %s: %s\n\n", tr.TraceID, strings.Join(head, " · "))
	nodes := flatten(tree.Roots)
	names := make(map[string]string, len(nodes))
	for _, n := range nodes {
		names[n.SpanID] = n.Name
	}
	t := newTable(column{name: "STEP", right: true}, column{name: "SPAN", max: 64}, column{name: "MODEL/TOOL", max: 28},
		column{name: "STATUS"}, column{name: "DURATION", right: true}, column{name: "TOKENS", right: true},
		column{name: "COST", right: true}, column{name: "LINKS"})
	for _, n := range nodes {
		step := ""
		var links []string
		if n.Chain != nil {
			step = strconv.FormatInt(n.Chain.Step, 10)
			if n.Chain.RequestedBy != "" {
				links = append(links, "requested by "+linkName(names, n.Chain.RequestedBy))
			}
			if n.Chain.ObservationOf != "" {
				links = append(links, "observes "+linkName(names, n.Chain.ObservationOf))
			}
		}
		if len(n.Flags) > 0 {
			links = append(links, flagList(n.Flags))
		}
		if n.Status != "ok" && n.StatusMessage != "" {
			links = append(links, n.StatusMessage)
		}
		tokens := "-"
		if n.Tokens != nil {
			tokens = d.Int(n.Tokens.Total)
		}
		t.add(step, n.prefix+d.TypeIcon(n.Type)+" "+n.Name, modelOrTool(&n.Span), d.StatusIcon(n.Status)+" "+n.Status,
			d.SpanDuration(n.Status, n.DurationNanos), tokens, d.SpanCost(n.CostUSD, n.Cost.Status), strings.Join(links, "; "))
	}
	return t.render(a.env.Stdout)
}

func linkName(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// sortedPairs prints a map as "k=v, k=v" in key order.
func sortedPairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}
