package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agenttrace/agenttrace/cli/apiclient"
	"github.com/agenttrace/agenttrace/internal/canonical"
)

// filter selects the spans the live feed shows: key=value terms (type,
// status, model, session, trace, agent) and words that must appear in the
// span's name, model or tool (case-insensitive).
type filter struct {
	raw                                       string
	typ, status, model, session, trace, agent string
	words                                     []string
}

var filterKeys = []string{"type", "status", "model", "session", "trace", "agent"}

func parseFilter(s string) (filter, error) {
	f := filter{raw: strings.TrimSpace(s)}
	for _, term := range strings.Fields(s) {
		key, value, ok := strings.Cut(term, "=")
		if !ok {
			f.words = append(f.words, strings.ToLower(term))
			continue
		}
		key = strings.ToLower(key)
		switch key {
		case "type":
			t, ok := canonical.ParseSpanType(value)
			if !ok {
				return f, fmt.Errorf("type %q: want one of %s", value, joinTypes())
			}
			f.typ = string(t)
		case "status":
			st, ok := canonical.ParseStatus(value)
			if !ok {
				return f, fmt.Errorf("status %q: want running, ok, error, cancelled or timeout", value)
			}
			f.status = string(st)
		case "model":
			f.model = value
		case "session":
			f.session = value
		case "trace":
			f.trace = strings.ToLower(value)
		case "agent":
			f.agent = value
		default:
			return f, fmt.Errorf("unknown filter %q; use %s=… or plain words", key, strings.Join(filterKeys, "=…, "))
		}
	}
	return f, nil
}

func joinTypes() string {
	names := make([]string, len(canonical.SpanTypes))
	for i, t := range canonical.SpanTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func (f *filter) empty() bool { return f.raw == "" }

func (f *filter) match(s *apiclient.Span) bool {
	if (f.typ != "" && s.Type != f.typ) || (f.status != "" && s.Status != f.status) ||
		(f.model != "" && s.Model != f.model) || (f.session != "" && s.SessionID != f.session) ||
		(f.trace != "" && s.TraceID != f.trace) || (f.agent != "" && s.AgentName != f.agent) {
		return false
	}
	if len(f.words) == 0 {
		return true
	}
	hay := strings.ToLower(s.Name + " " + s.Model + " " + s.AgentName)
	if s.Tool != nil {
		hay += " " + strings.ToLower(s.Tool.Name)
	}
	return !slices.ContainsFunc(f.words, func(w string) bool { return !strings.Contains(hay, w) })
}
