package agenttracereceiver

import (
	"bytes"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
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
// bodies, UDP datagrams, the gRPC codec) and checks that it does what
// protobuf-go followed by convertProto does (diffWire).
func FuzzDecodeProto(f *testing.F) {
	good, _ := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000a1"), {TraceId: "x"}}})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{})
	for _, c := range wireCases() {
		if len(c) < 1024 { // not the 35 KB nesting: slow to minimize
			f.Add(c)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _ := decodeBatchProto(data)
		checkBatch(t, b, decodeErrors(b))
		diffWire(t, data)
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

// FuzzUDPDatagram feeds arbitrary datagrams to handleDatagram, the function
// the UDP workers call: never a panic, and the pipeline gets at most the
// spans the datagram decodes to, all valid.
func FuzzUDPDatagram(f *testing.F) {
	good, _ := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000a1")}})
	bad := validSpan("00000000000000b2")
	bad.Usage = &atv1.TokenUsage{InputTokens: -5, OutputTokens: 1 << 62}
	bad.ParentSpanId = bad.SpanId
	mixed, _ := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan("00000000000000a1"), bad}})
	f.Add(good)
	f.Add(mixed)
	f.Add(mixed[:len(mixed)-7]) // truncated
	nameless := validSpan("00000000000000c3")
	nameless.Name = "NAME"
	utf, _ := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{nameless}})
	f.Add(bytes.Replace(utf, []byte("NAME"), []byte("\xff\xfe\x00k"), 1)) // invalid UTF-8
	f.Add([]byte{0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	sink := new(consumertest.TracesSink)
	cfg := createDefaultConfig().(*Config)
	cfg.MaxContentBytes, cfg.MaxAttributes, cfg.MaxEvents = 4096, 64, 64
	r, err := newReceiver(cfg, receivertest.NewNopSettings(Type), sink)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		sink.Reset()
		b, _ := decodeBatchProto(d)
		r.handleDatagram(d)
		if got, max := sink.SpanCount(), len(b.GetSpans()); got > max {
			t.Fatalf("%d spans ingested from a datagram of %d", got, max)
		}
		for _, td := range sink.AllTraces() {
			spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
			for i := 0; i < spans.Len(); i++ {
				s := spans.At(i)
				if s.TraceID().IsEmpty() || s.SpanID().IsEmpty() || s.ParentSpanID() == s.SpanID() {
					t.Fatalf("invalid span ingested: %v/%v parent %v", s.TraceID(), s.SpanID(), s.ParentSpanID())
				}
			}
		}
	})
}
