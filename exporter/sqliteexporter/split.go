package sqliteexporter

import (
	"context"

	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// splitter hands the exporterhelper queue requests it can hold. The queue
// refuses a request larger than its whole capacity, every time ("element
// size too large"), so a client sending one big batch would retry it
// forever; splitting it first makes it storable. Requests that fit — nearly
// all — pass through after one size computation.
type splitter struct {
	exporter.Traces
	sizer exporterhelper.RequestSizerType
	max   int // largest part, in the queue's unit; 0: never split
}

var _ exporter.Traces = splitter{}

var marshaler ptrace.ProtoMarshaler

// newSplitter wraps next for a queue of queueSize in sizer's unit. Parts
// are at most a quarter of the queue, so one always fits beside other
// waiting data.
func newSplitter(next exporter.Traces, sizer exporterhelper.RequestSizerType, queueSize int64) exporter.Traces {
	if sizer == exporterhelper.RequestSizerTypeRequests || queueSize < 4 {
		return next
	}
	return splitter{Traces: next, sizer: sizer, max: int(queueSize / 4)}
}

func (s splitter) size(td ptrace.Traces) int {
	if s.sizer == exporterhelper.RequestSizerTypeBytes {
		return marshaler.TracesSize(td)
	}
	return td.SpanCount()
}

func (s splitter) spanSize(sp ptrace.Span) int {
	if s.sizer == exporterhelper.RequestSizerTypeBytes {
		return marshaler.SpanSize(sp)
	}
	return 1
}

// ConsumeTraces forwards td whole when it fits, else in parts. td is
// shared with other consumers (this exporter does not mutate data), so
// parts are copies. When a part is refused the error is returned and the
// client retries the whole request; parts already queued are then stored
// again, which the store's span-id keys make idempotent.
func (s splitter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if s.size(td) <= s.max {
		return s.Traces.ConsumeTraces(ctx, td)
	}
	for _, part := range s.split(td) {
		if err := s.Traces.ConsumeTraces(ctx, part); err != nil {
			return err
		}
	}
	return nil
}

// split copies td into parts of at most s.max (a single span larger than
// that is a part of its own; the queue still takes it if it fits at all).
func (s splitter) split(td ptrace.Traces) []ptrace.Traces {
	var parts []ptrace.Traces
	cur, n := ptrace.NewTraces(), 0
	var curRS ptrace.ResourceSpans
	var curSS ptrace.ScopeSpans
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		curRS = ptrace.ResourceSpans{}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			curSS = ptrace.ScopeSpans{}
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				sz := s.spanSize(sp)
				if n > 0 && n+sz > s.max {
					parts = append(parts, cur)
					cur, n = ptrace.NewTraces(), 0
					curRS, curSS = ptrace.ResourceSpans{}, ptrace.ScopeSpans{}
				}
				if curRS == (ptrace.ResourceSpans{}) {
					curRS = cur.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(curRS.Resource())
					curRS.SetSchemaUrl(rs.SchemaUrl())
				}
				if curSS == (ptrace.ScopeSpans{}) {
					curSS = curRS.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(curSS.Scope())
					curSS.SetSchemaUrl(ss.SchemaUrl())
				}
				sp.CopyTo(curSS.Spans().AppendEmpty())
				n += sz
			}
		}
	}
	if n > 0 {
		parts = append(parts, cur)
	}
	return parts
}
