package cli

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// window is the --since / --from / --to flags, and --project (the
// commands that take a time window are the ones the API scopes by project).
type window struct {
	since, from, to string
	project         string
	now             func() time.Time
}

func (w *window) register(cmd *cobra.Command, sinceHelp string) {
	f := cmd.Flags()
	f.StringVar(&w.since, "since", "", sinceHelp)
	f.StringVar(&w.from, "from", "", "start of the time range: RFC 3339 time, a duration before now (30m, 24h, 7d) or today")
	f.StringVar(&w.to, "to", "", "end of the time range (same forms as --from, or now)")
	cmd.MarkFlagsMutuallyExclusive("since", "from")
	f.StringVar(&w.project, "project", "", "only this project's data (a key bound to one project may only name its own)")
}

// apply adds from/to to q. "today" becomes local midnight; the rest is
// passed to the API, which accepts RFC 3339 times and durations before now.
func (w *window) apply(q url.Values) error {
	if w.project != "" {
		if !canonical.ValidProject(w.project) {
			return usageError("--project %q: want 1–%d characters of a-z, 0-9, '-', '_', '.', starting with a letter or digit",
				w.project, canonical.MaxProjectLen)
		}
		q.Set("project", w.project)
	}
	from := w.from
	if w.since != "" {
		from = w.since
	}
	for name, v := range map[string]string{"from": from, "to": w.to} {
		if v == "" {
			continue
		}
		resolved, err := w.resolve(v)
		if err != nil {
			flag := "--" + name
			if name == "from" && w.since != "" {
				flag = "--since"
			}
			return usageError("%s %q: %v", flag, v, err)
		}
		q.Set(name, resolved)
	}
	return nil
}

func (w *window) resolve(v string) (string, error) {
	now := time.Now
	if w.now != nil {
		now = w.now
	}
	switch strings.ToLower(v) {
	case "today":
		t := now().Local()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local).Format(time.RFC3339), nil
	case "yesterday":
		t := now().Local()
		return time.Date(t.Year(), t.Month(), t.Day()-1, 0, 0, 0, 0, time.Local).Format(time.RFC3339), nil
	case "now":
		return "now", nil
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return v, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, time.Local); err == nil {
		return t.Format(time.RFC3339), nil
	}
	if isLookback(v) {
		return v, nil
	}
	return "", fmt.Errorf("want 24h, 7d, 2w, today, a date (2025-01-31) or an RFC 3339 time")
}

// isLookback accepts what the API takes as a duration before now: a Go
// duration or whole days or weeks.
func isLookback(v string) bool {
	if n := len(v); n > 1 && (v[n-1] == 'd' || v[n-1] == 'w') {
		_, err := strconv.ParseUint(v[:n-1], 10, 32)
		return err == nil
	}
	d, err := time.ParseDuration(v)
	return err == nil && d >= 0
}

// setIf adds a query parameter when v is set.
func setIf(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}

// checkTraceID rejects what cannot be a trace id before asking the API.
func checkTraceID(id string) error {
	if _, err := canonical.ParseTraceID(id); err != nil {
		return usageError("invalid trace id %q: %v", id, err)
	}
	return nil
}

func checkSpanID(id string) error {
	if _, err := canonical.ParseSpanID(id); err != nil {
		return usageError("invalid span id %q: %v", id, err)
	}
	return nil
}

func checkEnum(flag, v string, allowed []string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return nil
		}
	}
	return usageError("--%s %q: want one of %s", flag, v, strings.Join(allowed, ", "))
}

func spanTypeNames() []string {
	out := make([]string, len(canonical.SpanTypes))
	for i, t := range canonical.SpanTypes {
		out[i] = string(t)
	}
	return out
}

func statusNames() []string {
	out := make([]string, len(canonical.Statuses))
	for i, s := range canonical.Statuses {
		out[i] = string(s)
	}
	return out
}

// allTime is a --from that covers everything stored (the API reads an
// exact 0 as "not given").
const allTime = "1970-01-02T00:00:00Z"
