package storage

import (
	"strconv"
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
				s.Attributes, s.ContentRefs = attributesJSON(sp.Attributes(), &s.Span)
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
		Project:   s.Project,
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
	return string(appendMapJSON(make([]byte, 0, 64*m.Len()), m))
}

// eventsJSON encodes events as [{"name","time_unix_nano","attributes"}].
func eventsJSON(evs ptrace.SpanEventSlice) string {
	if evs.Len() == 0 {
		return "[]"
	}
	b := make([]byte, 0, 96*evs.Len())
	b = append(b, '[')
	for i := 0; i < evs.Len(); i++ {
		e := evs.At(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, e.Name())
		b = append(b, `,"time_unix_nano":`...)
		b = strconv.AppendUint(b, uint64(e.Timestamp()), 10)
		if e.Attributes().Len() > 0 {
			b = append(b, `,"attributes":`...)
			b = appendMapJSON(b, e.Attributes())
		}
		b = append(b, '}')
	}
	return string(append(b, ']'))
}
