package cli

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

func (a *app) metricsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "metrics",
		Aliases: []string{"metric"},
		Short:   "Totals, costs and latency over a time range",
	}
	cmd.AddCommand(a.metricsSummaryCommand(), a.metricsCostsCommand(), a.metricsPerformanceCommand())
	return cmd
}

const sinceHelp = "time range ending now: 1h, 24h, 7d, today … (default 24h)"

func (a *app) metricsSummaryCommand() *cobra.Command {
	var w window
	cmd := &cobra.Command{
		Use:     "summary",
		Short:   "Spans, traces, tokens, cost, errors and latency, against the previous period",
		Example: "  agenttrace metrics summary\n  agenttrace metrics summary --since 7d -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, q, err := a.metricsQuery(&w, "", nil)
			if err != nil {
				return err
			}
			s, raw, err := c.Summary(cmd.Context(), q)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(raw)
			}
			fmt.Fprintf(a.env.Stdout, "%s (previous: %s)\n\n", windowLabel(s.Window), windowLabel(s.PreviousWindow))
			cur, prev := s.Current, s.Previous
			t := newTable(column{name: "METRIC"}, column{name: "CURRENT", right: true}, column{name: "PREVIOUS", right: true},
				column{name: "CHANGE", right: true})
			ints := []struct {
				name, key string
				cur, prev int64
			}{
				{"spans", "spans", cur.Spans, prev.Spans}, {"traces", "traces", cur.Traces, prev.Traces},
				{"sessions", "sessions", cur.Sessions, prev.Sessions}, {"LLM calls", "llm_calls", cur.LLMCalls, prev.LLMCalls},
				{"tool calls", "tool_calls", cur.ToolCalls, prev.ToolCalls}, {"errors", "errors", cur.Errors, prev.Errors},
				{"tokens", "tokens_total", cur.Tokens.Total, prev.Tokens.Total},
			}
			for _, r := range ints {
				t.add(r.name, d.Int(r.cur), d.Int(r.prev), changeLabel(s.Change[r.key]))
			}
			t.add("error rate", percent(cur.ErrorRate), percent(prev.ErrorRate), changeLabel(s.Change["error_rate"]))
			t.add("cost", d.Cost(cur.CostUSD), d.Cost(prev.CostUSD), changeLabel(s.Change["cost_usd"]))
			t.add("LLM latency p50", d.Millis(cur.LatencyP50Ms), d.Millis(prev.LatencyP50Ms), changeLabel(s.Change["latency_p50_ms"]))
			t.add("LLM latency p95", d.Millis(cur.LatencyP95Ms), d.Millis(prev.LatencyP95Ms), changeLabel(s.Change["latency_p95_ms"]))
			if err := t.render(a.env.Stdout); err != nil {
				return err
			}
			if cur.UnpricedSpans > 0 {
				fmt.Fprintf(a.env.Stdout, "\n%s no price and %s not in the cost.\n",
					d.Plural(cur.UnpricedSpans, "span has", "spans have"), map[bool]string{true: "is", false: "are"}[cur.UnpricedSpans == 1])
			}
			return nil
		},
	}
	w.register(cmd, sinceHelp)
	return cmd
}

func windowLabel(w apiclient.Window) string {
	return fmt.Sprintf("%s → %s", d.Time(w.FromUnixNano), d.Time(w.ToUnixNano))
}

func percent(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

// changeLabel prints a change as +12.5%, or "new" when the previous value
// was 0.
func changeLabel(c apiclient.Change) string {
	switch {
	case c.Percent != nil:
		return fmt.Sprintf("%+.1f%%", *c.Percent)
	case c.Delta != nil && *c.Delta != 0:
		return "new"
	case c.Delta != nil:
		return "="
	}
	return "-"
}

var costGroups = []string{"hour", "day", "week", "model", "provider", "agent", "type"}

func (a *app) metricsCostsCommand() *cobra.Command {
	var (
		w       window
		groupBy string
	)
	cmd := &cobra.Command{
		Use:     "costs",
		Aliases: []string{"cost"},
		Short:   "Cost and tokens grouped by time or by model, provider, agent or span type",
		Example: "  agenttrace metrics costs --since 7d --group-by day\n  agenttrace metrics costs --since today --group-by model",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, q, err := a.metricsQuery(&w, groupBy, costGroups)
			if err != nil {
				return err
			}
			s, raw, err := c.Costs(cmd.Context(), q)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(raw)
			}
			fmt.Fprintf(a.env.Stdout, "Costs by %s, %s\n\n", s.GroupBy, windowLabel(s.Window))
			if len(s.Rows) == 0 {
				_, err := fmt.Fprintln(a.env.Stdout, "No spans in this period.")
				return err
			}
			t := newTable(column{name: strings.ToUpper(s.GroupBy), max: 40}, column{name: "SPANS", right: true},
				column{name: "INPUT", right: true}, column{name: "CACHED", right: true}, column{name: "OUTPUT", right: true},
				column{name: "REASONING", right: true}, column{name: "TOKENS", right: true}, column{name: "COST", right: true},
				column{name: "UNPRICED", right: true})
			var total float64
			var spans, tokens, unpriced int64
			anyPriced := false
			for _, r := range s.Rows {
				t.add(costKey(r), d.Int(r.Spans), d.Int(r.Tokens.Input),
					d.Int(r.Tokens.CacheRead+r.Tokens.CacheWrite5m+r.Tokens.CacheWrite1h), d.Int(r.Tokens.Output),
					d.Int(r.Tokens.Reasoning), d.Int(r.Tokens.Total), d.Cost(r.CostUSD), d.Int(r.UnpricedSpans))
				if r.CostUSD != nil {
					total += *r.CostUSD
					anyPriced = true
				}
				spans, tokens, unpriced = spans+r.Spans, tokens+r.Tokens.Total, unpriced+r.UnpricedSpans
			}
			totalCost := "unpriced"
			if anyPriced {
				totalCost = d.USD(total)
			}
			t.add("total", d.Int(spans), "", "", "", "", d.Int(tokens), totalCost, d.Int(unpriced))
			return t.render(a.env.Stdout)
		},
	}
	w.register(cmd, sinceHelp)
	cmd.Flags().StringVar(&groupBy, "group-by", "", "group by "+strings.Join(costGroups, ", ")+" (default day)")
	return cmd
}

// metricsQuery checks --group-by against groups (when given) and returns
// the API client and the query of a metrics command: its time range and
// group_by.
func (a *app) metricsQuery(w *window, groupBy string, groups []string) (*apiclient.Client, url.Values, error) {
	if groups != nil {
		if err := checkEnum("group-by", groupBy, groups); err != nil {
			return nil, nil, err
		}
	}
	c, err := a.client()
	if err != nil {
		return nil, nil, err
	}
	q := url.Values{}
	if err := w.apply(q); err != nil {
		return nil, nil, err
	}
	setIf(q, "group_by", strings.ToLower(groupBy))
	return c, q, nil
}

// costKey prints a time bucket in local time, other keys as they are.
func costKey(r apiclient.CostRow) string {
	if r.BucketUnixNano != nil {
		return time.Unix(0, *r.BucketUnixNano).Local().Format("2006-01-02 15:04")
	}
	if r.Key == "" {
		return "(none)"
	}
	return r.Key
}

func (a *app) metricsPerformanceCommand() *cobra.Command {
	var (
		w       window
		groupBy string
	)
	cmd := &cobra.Command{
		Use:     "performance",
		Aliases: []string{"perf", "latency"},
		Short:   "Latency percentiles and throughput of finished spans by span type or model",
		Example: "  agenttrace metrics performance --since 24h\n  agenttrace metrics performance --group-by model",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, q, err := a.metricsQuery(&w, groupBy, []string{"type", "model"})
			if err != nil {
				return err
			}
			s, raw, err := c.Performance(cmd.Context(), q)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(raw)
			}
			fmt.Fprintf(a.env.Stdout, "Latency by %s, %s\n\n", s.GroupBy, windowLabel(s.Window))
			if len(s.Rows) == 0 {
				_, err := fmt.Fprintln(a.env.Stdout, "No finished spans in this period.")
				return err
			}
			t := newTable(column{name: strings.ToUpper(s.GroupBy), max: 40}, column{name: "COUNT", right: true},
				column{name: "ERRORS", right: true}, column{name: "P50", right: true}, column{name: "P95", right: true},
				column{name: "P99", right: true}, column{name: "AVG", right: true}, column{name: "PER SEC", right: true})
			for _, r := range s.Rows {
				label := r.Key
				if s.GroupBy == "type" {
					label = d.TypeIcon(r.Key) + " " + r.Key
				}
				perSec := "-"
				if r.PerSecond != nil {
					perSec = fmt.Sprintf("%.3f", *r.PerSecond)
				}
				t.add(d.Dash(label), d.Int(r.Count), d.Int(r.Errors), d.Millis(r.P50Ms), d.Millis(r.P95Ms),
					d.Millis(r.P99Ms), d.Millis(r.AvgMs), perSec)
			}
			return t.render(a.env.Stdout)
		},
	}
	w.register(cmd, sinceHelp)
	cmd.Flags().StringVar(&groupBy, "group-by", "", "group by type or model (default type)")
	return cmd
}
