package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	d "github.com/agenttrace/agenttrace/cli/display"
)

func (a *app) sessionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "sessions",
		Aliases: []string{"session"},
		Short:   "List, show and delete sessions (agent runs)",
	}
	cmd.AddCommand(a.sessionsListCommand(), a.sessionsShowCommand(), a.sessionsDeleteCommand())
	return cmd
}

func (a *app) sessionsListCommand() *cobra.Command {
	var (
		w             window
		agent, search string
		active, ended bool
		limit         int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List sessions, newest first",
		Example: "  agenttrace sessions list --since 24h\n  agenttrace sessions list --active -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			if err := w.apply(q); err != nil {
				return err
			}
			setIf(q, "agent", agent)
			setIf(q, "q", search)
			switch {
			case active && ended:
				return usageError("--active and --ended exclude each other")
			case active:
				q.Set("active", "true")
			case ended:
				q.Set("active", "false")
			}
			list, err := c.Sessions(cmd.Context(), q, limit)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return a.printJSON(rawList(list.Raw))
			}
			return a.renderSessions(list.Items, list.More)
		},
	}
	w.register(cmd, "only sessions started in this period: 24h, 7d, today …")
	cmd.Flags().StringVar(&agent, "agent", "", "only sessions of this agent")
	cmd.Flags().StringVarP(&search, "search", "q", "", "text in the session name")
	cmd.Flags().BoolVar(&active, "active", false, "only active sessions")
	cmd.Flags().BoolVar(&ended, "ended", false, "only ended sessions")
	cmd.Flags().IntVar(&limit, "limit", 50, "maximum number of sessions")
	return cmd
}

func (a *app) renderSessions(items []apiclient.Session, more bool) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(a.env.Stdout, "No sessions.")
		return err
	}
	t := newTable(column{name: "SESSION", max: 36}, column{name: "NAME", max: 32}, column{name: "AGENT", max: 20},
		column{name: "STARTED"}, column{name: "DURATION", right: true}, column{name: "STATUS"},
		column{name: "TRACES", right: true}, column{name: "SPANS", right: true}, column{name: "ERRORS", right: true},
		column{name: "TOKENS", right: true}, column{name: "COST", right: true})
	for _, s := range items {
		dur, status := "-", "● active"
		if !s.Active {
			dur, status = d.Duration(s.EndUnixNano-s.StartUnixNano), d.StatusIcon(s.Status)+" "+s.Status
		}
		t.add(s.SessionID, d.Dash(s.Name), d.Dash(s.AgentName), d.Time(s.StartUnixNano), dur, status, d.Int(s.TraceCount), d.Int(s.SpanCount), d.Int(s.ErrorCount),
			d.Int(s.Tokens.Total), d.Cost(s.CostUSD))
	}
	if err := t.render(a.env.Stdout); err != nil {
		return err
	}
	return a.moreHint(more)
}

func (a *app) moreHint(more bool) error {
	if !more {
		return nil
	}
	_, err := fmt.Fprintln(a.env.Stdout, "(more available: raise --limit or narrow the time range)")
	return err
}

func (a *app) sessionsShowCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:     "show SESSION_ID",
		Aliases: []string{"get"},
		Short:   "Show a session's totals and its traces",
		Example: "  agenttrace sessions show sess-42",
		Args:    exactArgs("SESSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id := args[0]
			s, raw, err := c.Session(cmd.Context(), id)
			if err != nil {
				return notFound(err, "session", id)
			}
			traces, err := c.SessionTraces(cmd.Context(), id, nil, limit)
			if err != nil {
				return notFound(err, "session", id)
			}
			if a.jsonOutput() {
				return a.printJSON(struct {
					Session json.RawMessage   `json:"session"`
					Traces  []json.RawMessage `json:"traces"`
				}{raw, rawList(traces.Raw)})
			}
			if err := sessionDetails(s).render(a.env.Stdout); err != nil {
				return err
			}
			fmt.Fprintln(a.env.Stdout)
			if err := a.renderTraces(traces.Items, false); err != nil {
				return err
			}
			return a.moreHint(traces.More)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "maximum number of traces listed")
	return cmd
}

func sessionDetails(s apiclient.Session) *keyValues {
	kv := &keyValues{}
	kv.add("Session", s.SessionID)
	kv.add("Name", d.Dash(s.Name))
	kv.add("Agent", d.Dash(s.AgentName))
	if s.Framework != "" {
		kv.add("Framework", s.Framework)
	}
	if s.UserID != "" {
		kv.add("User", s.UserID)
	}
	if len(s.Tags) > 0 {
		kv.add("Tags", strings.Join(s.Tags, ", "))
	}
	if len(s.Metadata) > 0 {
		kv.add("Metadata", sortedPairs(s.Metadata))
	}
	kv.add("Started", d.Time(s.StartUnixNano))
	if s.Active {
		kv.add("Ended", "- (active)")
	} else {
		kv.add("Ended", fmt.Sprintf("%s (%s)", d.Time(s.EndUnixNano), d.Duration(s.EndUnixNano-s.StartUnixNano)))
	}
	if s.Active {
		kv.add("Status", "● active")
	} else {
		kv.add("Status", d.StatusIcon(s.Status)+" "+s.Status)
	}
	kv.add("Traces", d.Int(s.TraceCount))
	kv.add("Spans", fmt.Sprintf("%s (%s, %s, %s)", d.Int(s.SpanCount), d.Plural(s.LLMCalls, "LLM call", "LLM calls"),
		d.Plural(s.ToolCalls, "tool call", "tool calls"), d.Plural(s.ErrorCount, "error", "errors")))
	kv.add("Tokens", tokenBreakdown(s.Tokens))
	kv.add("Cost", costLine(s.CostUSD, s.UnpricedSpans))
	if len(s.Flags) > 0 {
		kv.add("Flags", "⚑ "+strings.Join(s.Flags, ", "))
	}
	return kv
}

// tokenBreakdown prints a total with its non-empty buckets.
func tokenBreakdown(t apiclient.Tokens) string {
	var parts []string
	for _, b := range []struct {
		name string
		n    int64
	}{{"input", t.Input}, {"cache read", t.CacheRead}, {"cache write 5m", t.CacheWrite5m},
		{"cache write 1h", t.CacheWrite1h}, {"output", t.Output}, {"reasoning", t.Reasoning}} {
		if b.n != 0 {
			parts = append(parts, b.name+" "+d.Int(b.n))
		}
	}
	s := d.Int(t.Total)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, " · ") + ")"
	}
	if t.Estimated {
		s += " estimated"
	}
	return s
}

func costLine(cost *float64, unpriced int64) string {
	s := d.Cost(cost)
	if unpriced > 0 {
		s += " (" + d.Plural(unpriced, "unpriced span", "unpriced spans") + " not included)"
	}
	return s
}

func (a *app) sessionsDeleteCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:     "delete SESSION_ID",
		Aliases: []string{"rm"},
		Short:   "Delete a session with its traces and spans (needs an admin key)",
		Example: "  agenttrace sessions delete sess-42 --yes",
		Args:    exactArgs("SESSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id := args[0]
			if !yes {
				s, _, err := c.Session(cmd.Context(), id)
				if err != nil {
					return notFound(err, "session", id)
				}
				ok, err := confirm(a.env.Stdin, a.env.Stderr, fmt.Sprintf("Delete session %s (%s, %s)? [y/N] ",
					id, d.Plural(s.TraceCount, "trace", "traces"), d.Plural(s.SpanCount, "span", "spans")))
				if err != nil {
					return err
				}
				if !ok {
					return &exitError{code: ExitError, err: fmt.Errorf("not deleted")}
				}
			}
			_, raw, err := c.DeleteSession(cmd.Context(), id)
			if err != nil {
				return notFound(err, "session", id)
			}
			if a.jsonOutput() {
				return a.printJSON(raw)
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Deleted session %s.\n", id)
			return err
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// confirm asks a yes/no question on stdin; no answer (a script) is no.
func confirm(in io.Reader, out io.Writer, question string) (bool, error) {
	fmt.Fprint(out, question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(out)
		return false, usageError("no answer on stdin; pass --yes to delete without asking")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
