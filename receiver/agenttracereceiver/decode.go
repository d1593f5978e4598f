package agenttracereceiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// SpanBatch field numbers (see agenttrace.proto).
const (
	fieldSpans       = 1
	fieldServiceName = 2
	fieldSDKVersion  = 3
	fieldAPIKey      = 4
)

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
			// A span cut off at the end of the payload: keep the spans
			// before it and report this one by its index. Its bytes, from
			// the tag on, can never decode as a Span (trace_id is field 1
			// too, and its length overruns them), so decodeErrors reports
			// it.
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
			b.ApiKey = string(v) // compared as is; never logged
		}
	}
	return b, nil
}

// decodeErrors finds the placeholders decodeBatchProto (or the gRPC codec)
// left for undecodable spans and returns their decode errors by index.
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

// jsonBatch is the JSON envelope; both snake_case and camelCase are accepted.
type jsonBatch struct {
	Spans        []json.RawMessage `json:"spans"`
	ServiceName  string            `json:"service_name"`
	ServiceName2 string            `json:"serviceName"`
	SDKVersion   string            `json:"sdk_version"`
	SDKVersion2  string            `json:"sdkVersion"`
}

var jsonOpts = protojson.UnmarshalOptions{}

// decodeBatchJSON decodes a JSON SpanBatch (or a bare JSON array of spans)
// span by span. Span types and statuses may be given as canonical names
// ("llm_call", "ok") as well as enum names ("SPAN_TYPE_LLM_CALL").
func decodeBatchJSON(data []byte) (*atv1.SpanBatch, map[int]error, error) {
	var env jsonBatch
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &env.Spans); err != nil {
			return nil, nil, fmt.Errorf("malformed JSON: %w", err)
		}
	} else if err := json.Unmarshal(data, &env); err != nil {
		return nil, nil, fmt.Errorf("malformed JSON: %w", err)
	}
	b := &atv1.SpanBatch{
		ServiceName: sanitize(firstNonEmpty(env.ServiceName, env.ServiceName2)),
		SdkVersion:  sanitize(firstNonEmpty(env.SDKVersion, env.SDKVersion2)),
		Spans:       make([]*atv1.Span, len(env.Spans)),
	}
	var errs map[int]error
	for i, raw := range env.Spans {
		sp := &atv1.Span{}
		if err := unmarshalSpanJSON(raw, sp); err != nil {
			if errs == nil {
				errs = map[int]error{}
			}
			errs[i] = err
		}
		b.Spans[i] = sp
	}
	return b, errs, nil
}

func unmarshalSpanJSON(raw []byte, sp *atv1.Span) error {
	err := jsonOpts.Unmarshal(raw, sp)
	if err == nil {
		return nil
	}
	// Slow path: canonical enum names need rewriting to the proto names.
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return cleanProtoJSONError(err)
	}
	changed := false
	for key, prefix := range map[string]string{"type": "SPAN_TYPE_", "status": "SPAN_STATUS_"} {
		v, ok := fields[key]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			continue
		}
		var name string
		if key == "type" {
			if t, ok := canonical.ParseSpanType(s); ok {
				name = string(t)
			}
		} else if st, ok := canonical.ParseStatus(s); ok {
			name = string(st)
		}
		if name == "" {
			return fmt.Errorf("%s: unknown value %q", key, clip(s))
		}
		fields[key], _ = json.Marshal(prefix + strings.ToUpper(name))
		changed = true
	}
	if !changed {
		return cleanProtoJSONError(err)
	}
	fixed, mErr := json.Marshal(fields)
	if mErr != nil {
		return cleanProtoJSONError(err)
	}
	sp.Reset()
	if err := jsonOpts.Unmarshal(fixed, sp); err != nil {
		return cleanProtoJSONError(err)
	}
	return nil
}

// cleanProtoJSONError drops protojson's unstable "proto: (line 1:2):" prefix
// spacing quirks so messages read the same everywhere.
func cleanProtoJSONError(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\u00a0", " ")
	return errors.New(strings.TrimPrefix(msg, "proto: "))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// laxCodec is the gRPC server codec: like the standard proto codec, but a
// SpanBatch is decoded span by span (decodeBatchProto), so one bad span does
// not fail the whole call.
type laxCodec struct {
	encoding.CodecV2
}

func newLaxCodec() laxCodec {
	return laxCodec{CodecV2: encoding.GetCodecV2(grpcproto.Name)}
}

// Unmarshal decodes data into v.
func (c laxCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*atv1.SpanBatch)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	decoded, err := decodeBatchProto(buf.ReadOnlyData())
	if err != nil {
		return err
	}
	b.Spans, b.ServiceName, b.SdkVersion = decoded.Spans, decoded.ServiceName, decoded.SdkVersion
	return nil
}
