package storage

import (
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// FromTraces converts pdata into a storage batch through the canonical view.
// Session markers become SessionEvents; every other span becomes a Span.
func FromTraces(td ptrace.Traces) Batch {
	var b Batch
	b.Spans = make([]Span, 0, td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		resJSON := mapJSON(rs.Resource().Attributes())
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				var s Span
				canonical.Read(&s.Span, sp, rs.Resource())
				if s.SessionRecord {
					if s.SessionID != "" {
						b.Sessions = append(b.Sessions, sessionEvent(&s.Span, sp))
					}
					continue
				}
				s.Attributes = mapJSON(sp.Attributes())
				s.Resource = resJSON
				s.Events = eventsJSON(sp.Events())
				s.ScopeName = ss.Scope().Name()
				b.Spans = append(b.Spans, s)
			}
		}
	}
	return b
}

func sessionEvent(s *canonical.Span, sp ptrace.Span) SessionEvent {
	ev := SessionEvent{
		SessionID: s.SessionID,
		Start:     s.SessionEvent != "end",
		Name:      s.SessionName,
		Framework: s.Framework,
		AgentName: s.AgentName,
		UserID:    s.UserID,
		Tags:      s.Tags,
		Status:    s.Status,
	}
	if ev.Start {
		ev.TimeUnixNano = s.StartUnixNano
	} else {
		ev.TimeUnixNano = s.EndUnixNano
	}
	sp.Attributes().Range(func(k string, v pcommon.Value) bool {
		if strings.HasPrefix(k, canonical.AttrSessionMetadata) {
			if ev.Metadata == nil {
				ev.Metadata = map[string]string{}
			}
			ev.Metadata[k[len(canonical.AttrSessionMetadata):]] = v.AsString()
		}
		return true
	})
	return ev
}

func mapJSON(m pcommon.Map) string {
	if m.Len() == 0 {
		return "{}"
	}
	b, err := json.Marshal(m.AsRaw())
	if err != nil {
		return "{}"
	}
	return string(b)
}

type eventJSON struct {
	Name         string         `json:"name"`
	TimeUnixNano uint64         `json:"time_unix_nano"`
	Attributes   map[string]any `json:"attributes,omitempty"`
}

func eventsJSON(evs ptrace.SpanEventSlice) string {
	if evs.Len() == 0 {
		return "[]"
	}
	out := make([]eventJSON, evs.Len())
	for i := 0; i < evs.Len(); i++ {
		e := evs.At(i)
		out[i] = eventJSON{Name: e.Name(), TimeUnixNano: uint64(e.Timestamp())}
		if e.Attributes().Len() > 0 {
			out[i].Attributes = e.Attributes().AsRaw()
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "[]"
	}
	return string(b)
}
