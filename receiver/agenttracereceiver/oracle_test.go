package agenttracereceiver

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// The protobuf path as it was before convertWire: protobuf-go decodes each
// span into an atv1.Span, convertBatch converts those. The tests use it as
// the oracle convertWire must agree with.

// decodeBatchProto decodes a protobuf SpanBatch span by span, so one
// undecodable span (bad UTF-8, truncated field) does not lose the others: it
// becomes a placeholder whose decode error decodeErrors reports. The
// envelope is split by splitBatchProto, as in production (its errors are
// the same); only the spans are decoded the old way, by protobuf-go.
func decodeBatchProto(data []byte) (*atv1.SpanBatch, error) {
	wb, err := splitBatchProto(data)
	b := &atv1.SpanBatch{ServiceName: wb.serviceName, SdkVersion: wb.sdkVersion, ApiKey: wb.apiKey}
	for _, raw := range wb.spans {
		sp := &atv1.Span{}
		if proto.Unmarshal(raw, sp) != nil {
			sp = &atv1.Span{}
			sp.ProtoReflect().SetUnknown(append([]byte(nil), raw...))
		}
		b.Spans = append(b.Spans, sp)
	}
	return b, err
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
