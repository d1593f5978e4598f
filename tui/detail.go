package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

// spanText is the detail pane for a span. Everything that came from an
// agent is escaped: it is shown as text, never as markup.
func spanText(s *apiclient.Span) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[::b]%s[::-]  %s %s  [%s]%s %s[-]\n", tview.Escape(s.Name), d.TypeIcon(s.Type), s.Type,
		statusColor(s.Status).String(), d.StatusIcon(s.Status), s.Status)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "[gray]%-9s[-] %s\n", k, tview.Escape(v))
		}
	}
	if s.StatusMessage != "" || s.ErrorCode != "" {
		line("error", strings.TrimSpace(s.StatusMessage+" "+paren(s.ErrorCode)))
	}
	line("trace", s.TraceID)
	line("span", s.SpanID)
	line("session", s.SessionID)
	line("agent", s.AgentName)
	line("duration", d.SpanDuration(s.Status, s.DurationNanos))
	if s.Model != "" {
		line("model", strings.TrimSpace(s.Model+" "+paren(s.Provider)))
	}
	if s.Tool != nil {
		line("tool", s.Tool.Name)
	}
	if s.File != nil {
		line("file", strings.TrimSpace(s.File.Operation+" "+s.File.Path))
	}
	if s.Tokens != nil {
		line("tokens", tokens(*s.Tokens))
	}
	if c := costText(s); c != "" {
		line("cost", c)
	}
	if s.Chain != nil {
		line("step", fmt.Sprintf("%d (depth %d)", s.Chain.Step, s.Chain.Depth))
	}
	if len(s.Flags) > 0 {
		line("flags", strings.Join(s.Flags, ", "))
	}
	section := func(title, text string) {
		if text != "" {
			fmt.Fprintf(&b, "\n[yellow]── %s ──[-]\n%s\n", title, tview.Escape(text))
		}
	}
	section("Prompt", s.Prompt)
	section("Response", s.Response)
	if s.Tool != nil {
		section("Tool input", s.Tool.Input)
		section("Tool output", s.Tool.Output)
	}
	return b.String()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func tokens(t apiclient.Tokens) string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int64
	}{{"in", t.Input}, {"cache read", t.CacheRead}, {"cache write", t.CacheWrite5m + t.CacheWrite1h},
		{"out", t.Output}, {"reasoning", t.Reasoning}} {
		if p.n != 0 {
			parts = append(parts, p.name+" "+d.Int(p.n))
		}
	}
	s := d.Int(t.Total)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, " · ") + ")"
	}
	return s
}

func costText(s *apiclient.Span) string {
	c := s.Cost
	switch {
	case c.TotalUSD != nil:
		out := d.USD(*c.TotalUSD)
		if c.PricingEntry != "" {
			out += " · " + c.PricingEntry
		}
		if c.ReportedUSD != nil {
			out += " · reported " + d.USD(*c.ReportedUSD)
		}
		return out
	case c.Status == "unpriced":
		return "unpriced (no price for " + d.Dash(s.Model) + ")"
	case c.ReportedUSD != nil:
		return "reported " + d.USD(*c.ReportedUSD)
	}
	return ""
}

// traceText is the detail pane for the trace's root line.
func traceText(t *apiclient.Trace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[::b]%s[::-]  [%s]%s %s[-]\n", tview.Escape(d.Dash(t.RootName)), statusColor(t.Status).String(),
		d.StatusIcon(t.Status), t.Status)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "[gray]%-9s[-] %s\n", k, tview.Escape(v))
		}
	}
	line("trace", t.TraceID)
	line("session", t.SessionID)
	line("agent", t.AgentName)
	line("started", d.Time(t.StartUnixNano))
	line("duration", d.SpanDuration(t.Status, t.DurationNanos))
	line("spans", fmt.Sprintf("%s (%s, %s, %s)", d.Int(t.SpanCount), d.Plural(t.LLMCalls, "LLM call", "LLM calls"),
		d.Plural(t.ToolCalls, "tool call", "tool calls"), d.Plural(t.ErrorCount, "error", "errors")))
	line("tokens", tokens(t.Tokens))
	cost := d.Cost(t.CostUSD)
	if t.UnpricedSpans > 0 {
		cost += fmt.Sprintf(" (+%d unpriced)", t.UnpricedSpans)
	}
	line("cost", cost)
	if len(t.Flags) > 0 {
		line("flags", strings.Join(t.Flags, ", "))
	}
	return b.String()
}
