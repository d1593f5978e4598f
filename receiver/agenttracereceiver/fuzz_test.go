package agenttracereceiver

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

func fuzzConverter() *converter {
	return &converter{limits: limits{maxContentBytes: 4096, maxAttributes: 64, maxEvents: 64}, now: time.Now}
}

// checkBatch converts a decoded batch and checks the invariant every
// transport relies on: each span is either accepted or named in an error.
func checkBatch(t *testing.T, b *atv1.SpanBatch, decodeErrs map[int]error) {
	td, errs := fuzzConverter().convertBatch(b, decodeErrs)
	if got, want := td.SpanCount()+len(errs), len(b.GetSpans()); got != want {
		t.Fatalf("accepted %d + rejected %d != %d spans", td.SpanCount(), len(errs), want)
	}
}

// FuzzDecodeProto feeds arbitrary bytes to the protobuf path (HTTP protobuf
// bodies, UDP datagrams, the gRPC codec).
func FuzzDecodeProto(f *testing.F) {
	good, _ := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000a1"), {TraceId: "x"}}})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _ := decodeBatchProto(data)
		checkBatch(t, b, decodeErrors(b))
	})
}

// FuzzDecodeJSON feeds arbitrary bytes to the JSON path.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"spans":[{"trace_id":"0123456789abcdef0123456789abcdef","span_id":"00000000000000a1","type":"llm_call","start_time_unix_nano":1700000000000000000,"usage":{"input_tokens":1}}]}`))
	f.Add([]byte(`[{"trace_id":"a","status":"ok","attributes":{"a":{"b":[1,2,{"c":null}]}}}]`))
	f.Add([]byte(`{"spans":[{"type":7},{"status":"nope"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, errs, err := decodeBatchJSON(data)
		if err != nil {
			return
		}
		checkBatch(t, b, errs)
	})
}
