package agenttracereceiver

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// The protobuf path as it was before convertWire: protobuf-go decodes each
// span into an atv1.Span, convertBatch converts those. The tests use it as
// the oracle convertWire must agree with.

// decodeBatchProto decodes a protobuf SpanBatch span by span, so one
// undecodable span (bad UTF-8, truncated field) does not lose the others: it
// becomes a placeholder whose decode error decodeErrors reports. An error is
// returned when the envelope itself is malformed; the spans decoded before
// the fault are still returned.
func decodeBatchProto(data []byte) (*atv1.SpanBatch, error) {
	b := &atv1.SpanBatch{}
	for len(data) > 0 {
		tagged := data
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return b, fmt.Errorf("malformed protobuf: %w", protowire.ParseError(n))
		}
		data = data[n:]
		if typ != protowire.BytesType || num < fieldSpans || num > fieldAPIKey {
			n = protowire.ConsumeFieldValue(num, typ, data)
			if n < 0 {
				return b, fmt.Errorf("malformed protobuf in field %d: %w", num, protowire.ParseError(n))
			}
			data = data[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(data)
		if n < 0 && num == fieldSpans {
			sp := &atv1.Span{}
			sp.ProtoReflect().SetUnknown(append([]byte(nil), tagged...))
			b.Spans = append(b.Spans, sp)
			return b, nil
		}
		if n < 0 {
			return b, fmt.Errorf("malformed protobuf: field %d truncated after %d spans: %w",
				num, len(b.Spans), protowire.ParseError(n))
		}
		data = data[n:]
		switch num {
		case fieldSpans:
			sp := &atv1.Span{}
			if err := proto.Unmarshal(v, sp); err != nil {
				sp = &atv1.Span{}
				sp.ProtoReflect().SetUnknown(append([]byte(nil), v...))
			}
			b.Spans = append(b.Spans, sp)
		case fieldServiceName:
			b.ServiceName = sanitize(string(v))
		case fieldSDKVersion:
			b.SdkVersion = sanitize(string(v))
		case fieldAPIKey:
			b.ApiKey = string(v)
		}
	}
	return b, nil
}

// decodeErrors finds the placeholders decodeBatchProto left for undecodable
// spans and returns their decode errors by index.
func decodeErrors(b *atv1.SpanBatch) map[int]error {
	var out map[int]error
	for i, sp := range b.GetSpans() {
		if sp.GetTraceId() != "" || sp.GetSpanId() != "" {
			continue
		}
		unknown := sp.ProtoReflect().GetUnknown()
		if len(unknown) == 0 {
			continue
		}
		if err := proto.Unmarshal(unknown, &atv1.Span{}); err != nil {
			if out == nil {
				out = map[int]error{}
			}
			out[i] = err
		}
	}
	return out
}

// convertBatch converts an unmarshalled batch (convertProto without the
// session counts).
func (c *converter) convertBatch(b *atv1.SpanBatch, decodeErrs map[int]error) (ptrace.Traces, []spanError) {
	out := c.convertProto(b, decodeErrs)
	return out.td, out.errs
}
