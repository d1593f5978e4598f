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

	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

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

// laxCodec is the gRPC server codec: the standard proto codec, except that
// a SpanBatch is only split into its spans (splitBatchProto, into a
// grpcBatch), so that one bad span does not fail the whole call and the
// spans are decoded straight into pdata by convertWire.
type laxCodec struct {
	encoding.CodecV2
}

func newLaxCodec() laxCodec {
	return laxCodec{CodecV2: encoding.GetCodecV2(grpcproto.Name)}
}

// Unmarshal decodes data into v.
func (c laxCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*grpcBatch)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	// The buffer is kept (a reference, not a copy) until the spans that
	// alias it are converted; grpcBatch.free releases it.
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	wb, err := splitBatchProto(buf.ReadOnlyData())
	if err != nil {
		buf.Free()
		return err
	}
	b.wireBatch, b.buf = wb, buf
	return nil
}

// grpcBatch is a SpanBatch as laxCodec hands it to the SendSpans and
// StreamSpans handlers.
type grpcBatch struct {
	*wireBatch
	buf mem.Buffer
}

// free releases the request buffer the spans alias; they must not be used
// after.
func (b *grpcBatch) free() {
	if b.buf != nil {
		b.buf.Free()
		b.buf = nil
	}
}
