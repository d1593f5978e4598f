package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

func (a *app) spansCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "spans",
		Aliases: []string{"span"},
		Short:   "Query spans, show one, or stream new spans live",
	}
	cmd.AddCommand(a.spansQueryCommand(), a.spansShowCommand(), a.spansStreamCommand())
	return cmd
}

// spanFilters are the filters shared by query and stream.
type spanFilters struct {
	session, trace, typ, model, status string
}

func (f *spanFilters) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.session, "session", "", "only spans of this session")
	fl.StringVar(&f.trace, "trace", "", "only spans of this trace")
	fl.StringVar(&f.typ, "type", "", "only spans of this type: "+strings.Join(spanTypeNames(), ", "))
	fl.StringVar(&f.model, "model", "", "only spans of this model")
	fl.StringVar(&f.status, "status", "", "only spans with this status: "+strings.Join(statusNames(), ", "))
}

func (f *spanFilters) check() error {
	if f.trace != "" {
		if err := checkTraceID(f.trace); err != nil {
			return err
		}
	}
	if err := checkEnum("type", f.typ, spanTypeNames()); err != nil {
		return err
	}
	return checkEnum("status", f.status, statusNames())
}

func (f *spanFilters) apply(q url.Values) {
	setIf(q, "session", f.session)
	setIf(q, "trace", f.trace)
	setIf(q, "type", strings.ToLower(f.typ))
	setIf(q, "model", f.model)
	setIf(q, "status", strings.ToLower(f.status))
}

func (a *app) spansQueryCommand() *cobra.Command {
	var (
		w     window
		f     spanFilters
		limit int
	)
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"list", "ls"},
		Short:   "Query spans, newest first",
		Example: "  agenttrace spans query --type llm_call --model gpt-4o --since 1h\n  agenttrace spans query --status error -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if err := w.apply(q); err != nil {
				return err
			}
			f.apply(q)
			list, err := c.Spans(cmd.Context(), q, limit)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(rawList(list.Raw))
			}
			if len(list.Items) == 0 {
				_, err := fmt.Fprintln(a.env.Stdout, "No spans.")
				return err
			}
			t := spanTable()
			for i := range list.Items {
				t.add(spanRow(&list.Items[i])...)
			}
			if err := t.render(a.env.Stdout); err != nil {
				return err
			}
			return a.moreHint(list.More)
		},
	}
	w.register(cmd, "only spans started in this period: 1h, 24h, today …")
	f.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 50, "maximum number of spans")
	return cmd
}

func spanTable() *table {
	return newTable(column{name: "STARTED"}, column{name: "TRACE"}, column{name: "SPAN"}, column{name: "TYPE"},
		column{name: "NAME", max: 40}, column{name: "STATUS"}, column{name: "DURATION", right: true},
		column{name: "MODEL/TOOL", max: 28}, column{name: "TOKENS", right: true}, column{name: "COST", right: true})
}

func spanRow(s *apiclient.Span) []string {
	tokens := "-"
	if s.Tokens != nil {
		tokens = d.Int(s.Tokens.Total)
	}
	return []string{d.Time(s.StartUnixNano), s.TraceID, s.SpanID, d.TypeIcon(s.Type) + " " + s.Type, s.Name,
		d.StatusIcon(s.Status) + " " + s.Status, d.SpanDuration(s.Status, s.DurationNanos), modelOrTool(s), tokens,
		d.SpanCost(s.CostUSD, s.Cost.Status)}
}

func (a *app) spansShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "show TRACE_ID SPAN_ID",
		Aliases: []string{"get"},
		Short:   "Show one span: prompt, response, tool I/O, tokens and cost",
		Example: "  agenttrace spans show 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7",
		Args:    exactArgs("TRACE_ID", "SPAN_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTraceID(args[0]); err != nil {
				return err
			}
			if err := checkSpanID(args[1]); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			s, raw, err := c.Span(cmd.Context(), args[0], args[1])
			if err != nil {
				return notFound(err, "span", args[0]+"/"+args[1])
			}
			if a.jsonOutput() {
				return a.printJSON(raw)
			}
			return spanDetails(a, &s)
		},
	}
}

func spanDetails(a *app, s *apiclient.Span) error {
	kv := &keyValues{}
	kv.add("Span", s.SpanID)
	kv.add("Trace", s.TraceID)
	if s.ParentSpanID != "" {
		kv.add("Parent", s.ParentSpanID)
	}
	if s.SessionID != "" {
		kv.add("Session", s.SessionID)
	}
	kv.add("Name", s.Name)
	kv.add("Type", d.TypeIcon(s.Type)+" "+s.Type)
	status := d.StatusIcon(s.Status) + " " + s.Status
	if s.StatusMessage != "" {
		status += ": " + s.StatusMessage
	}
	if s.ErrorCode != "" {
		status += " (" + s.ErrorCode + ")"
	}
	kv.add("Status", status)
	kv.add("Started", d.Time(s.StartUnixNano))
	kv.add("Duration", d.SpanDuration(s.Status, s.DurationNanos))
	if s.AgentName != "" {
		kv.add("Agent", s.AgentName)
	}
	if s.Model != "" {
		m := s.Model
		if s.Provider != "" {
			m += " (" + s.Provider + ")"
		}
		kv.add("Model", m)
	}
	if s.Tool != nil {
		kv.add("Tool", s.Tool.Name)
	}
	if s.File != nil {
		kv.add("File", strings.TrimSpace(s.File.Operation+" "+s.File.Path))
	}
	if s.Tokens != nil {
		kv.add("Tokens", tokenBreakdown(*s.Tokens))
	}
	if cost := spanCostLine(s); cost != "" {
		kv.add("Cost", cost)
	}
	if s.Chain != nil {
		kv.add("Chain step", fmt.Sprintf("%d (depth %d)", s.Chain.Step, s.Chain.Depth))
	}
	if len(s.Flags) > 0 {
		kv.add("Flags", flagList(s.Flags))
	}
	if err := kv.render(a.env.Stdout); err != nil {
		return err
	}
	for _, sec := range []struct{ title, text string }{
		{"Prompt", s.Prompt}, {"Response", s.Response}, {"Tool input", toolField(s, true)}, {"Tool output", toolField(s, false)},
	} {
		if sec.text != "" {
			fmt.Fprintf(a.env.Stdout, "\n── %s ──\n%s\n", sec.title, sec.text)
		}
	}
	return nil
}

func toolField(s *apiclient.Span, input bool) string {
	if s.Tool == nil {
		return ""
	}
	if input {
		return s.Tool.Input
	}
	return s.Tool.Output
}

// spanCostLine is a span's cost with its breakdown and pricing source.
func spanCostLine(s *apiclient.Span) string {
	c := s.Cost
	switch {
	case c.TotalUSD == nil && c.Status == "unpriced":
		line := "unpriced (no price for " + d.Dash(s.Model) + ")"
		if c.ReportedUSD != nil {
			line += "; reported " + d.USD(*c.ReportedUSD)
		}
		return line
	case c.TotalUSD == nil:
		if c.ReportedUSD != nil {
			return "reported " + d.USD(*c.ReportedUSD)
		}
		return ""
	}
	var parts []string
	for _, p := range []struct {
		name string
		v    *float64
	}{{"input", c.InputUSD}, {"cache read", c.CacheReadUSD}, {"cache write", c.CacheWriteUSD},
		{"output", c.OutputUSD}, {"reasoning", c.ReasoningUSD}} {
		if p.v != nil && *p.v != 0 {
			parts = append(parts, p.name+" "+d.USD(*p.v))
		}
	}
	line := d.USD(*c.TotalUSD)
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, " · ") + ")"
	}
	if c.Status == "estimated" {
		line += " estimated"
	}
	if c.PricingEntry != "" {
		line += " · price " + c.PricingEntry
		if c.PricingDate != "" {
			line += " of " + c.PricingDate
		}
	}
	if c.ReportedUSD != nil {
		line += " · reported " + d.USD(*c.ReportedUSD)
	}
	return line
}

// errStreamDone stops a stream after --count spans.
var errStreamDone = errors.New("enough spans")

func (a *app) spansStreamCommand() *cobra.Command {
	var (
		f        spanFilters
		count    int
		afterSeq int64
	)
	cmd := &cobra.Command{
		Use:     "stream",
		Aliases: []string{"tail", "follow"},
		Short:   "Stream new spans live (running spans first, then their final version)",
		Long: `Stream new spans as the collector stores them, over the API's WebSocket
(/api/v1/live). A running span is printed when it starts and again when it
finishes. The stream reconnects by itself and resumes where it stopped; stop
it with Ctrl-C. With --output json each span is one JSON object per line;
its seq field, given to --after-seq, resumes a stream without gaps.`,
		Example: "  agenttrace spans stream\n  agenttrace spans stream --type llm_call --status error\n  agenttrace spans stream --session sess-42 -o json | jq .cost_usd",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			filter := apiclient.LiveFilter{Session: f.session, Trace: f.trace, Type: strings.ToLower(f.typ),
				Model: f.model, Status: strings.ToLower(f.status)}
			if !a.jsonOutput() {
				fmt.Fprintf(a.env.Stderr, "Streaming spans from %s (Ctrl-C stops)…\n", c.URL())
			}
			seen := 0
			opts := apiclient.FollowOptions{
				AfterSeq: afterSeq,
				FailFast: true,
				OnState: func(connected bool, err error, retry time.Duration) {
					if !connected && err != nil {
						fmt.Fprintf(a.env.Stderr, "stream dropped (%v); reconnecting in %s\n", err, retry)
					}
				},
			}
			err = c.Follow(cmd.Context(), filter, opts, func(spans []apiclient.Span) error {
				for i := range spans {
					if err := a.printStreamed(&spans[i]); err != nil {
						return err
					}
					seen++
					if count > 0 && seen >= count {
						return errStreamDone
					}
				}
				return nil
			})
			if errors.Is(err, errStreamDone) {
				return nil
			}
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&count, "count", 0, "exit after this many spans (0: run until stopped)")
	cmd.Flags().Int64Var(&afterSeq, "after-seq", 0, "resume after this sequence number (the seq field of -o json) instead of starting now")
	return cmd
}

func (a *app) printStreamed(s *apiclient.Span) error {
	if a.jsonOutput() {
		var buf bytes.Buffer
		if err := json.Compact(&buf, s.Raw); err != nil {
			return err
		}
		buf.WriteByte('\n')
		_, err := a.env.Stdout.Write(buf.Bytes())
		return err
	}
	tokens, cost := "", ""
	if s.Tokens != nil {
		tokens = d.Int(s.Tokens.Total) + " tok"
	}
	if c := d.SpanCost(s.CostUSD, s.Cost.Status); c != "-" {
		cost = c
	}
	name := s.Name
	if mt := modelOrTool(s); mt != "" && mt != s.Name {
		name += " (" + mt + ")"
	}
	_, err := fmt.Fprintf(a.env.Stdout, "%s  %s %-9s  %s %-16s  %s  %8s  %10s  %9s  %s\n",
		time.Unix(0, s.StartUnixNano).Local().Format("15:04:05.000"), d.StatusIcon(s.Status), s.Status,
		d.TypeIcon(s.Type), s.Type, padRight(truncate(oneLine(name), 40), 40), d.SpanDuration(s.Status, s.DurationNanos),
		tokens, cost, s.TraceID)
	return err
}
