package agenttracereceiver

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// diffWire checks that the protobuf path (splitBatchProto, convertWire)
// does exactly what protobuf-go and convertProto do with the same bytes.
func diffWire(t *testing.T, data []byte) {
	t.Helper()
	now := time.Now()
	conv := &converter{limits: limits{maxContentBytes: 16, maxAttributes: 8, maxEvents: 4}, now: func() time.Time { return now }}
	b, oldErr := decodeBatchProto(data)
	wb, newErr := splitBatchProto(data)
	if fmt.Sprint(oldErr) != fmt.Sprint(newErr) {
		t.Fatalf("envelope error: protobuf-go %v, wire %v", oldErr, newErr)
	}
	if len(b.GetSpans()) != len(wb.spans) || b.GetServiceName() != wb.serviceName ||
		b.GetSdkVersion() != wb.sdkVersion || b.GetApiKey() != wb.apiKey {
		t.Fatalf("envelope: protobuf-go %d spans %q %q, wire %d spans %q %q", len(b.GetSpans()), b.GetServiceName(),
			b.GetSdkVersion(), len(wb.spans), wb.serviceName, wb.sdkVersion)
	}
	want := conv.convertProto(b, decodeErrors(b))
	got := conv.convertWire(wb)
	if !reflect.DeepEqual(want.errs, got.errs) {
		t.Fatalf("errors:\nprotobuf-go %v\nwire        %v", want.errs, got.errs)
	}
	if len(want.sessions) != len(got.sessions) {
		t.Fatalf("session spans: protobuf-go %d, wire %d", len(want.sessions), len(got.sessions))
	}
	for i := range want.sessions {
		w, g := want.sessions[i], got.sessions[i]
		if !bytes.Equal(w.traceID, g.traceID) {
			t.Fatalf("session span %d: trace ids %q, %q", i, w.traceID, g.traceID)
		}
		w.traceID, g.traceID = nil, nil
		if fmt.Sprint(w) != fmt.Sprint(g) {
			t.Fatalf("session span %d:\nprotobuf-go %+v\nwire        %+v", i, w, g)
		}
	}
	if !reflect.DeepEqual(normTraces(want.td), normTraces(got.td)) {
		t.Fatalf("resource or scope differ")
	}
	ws, gs := spansOf(want.td), spansOf(got.td)
	if ws.Len() != gs.Len() {
		t.Fatalf("spans: protobuf-go %d, wire %d", ws.Len(), gs.Len())
	}
	bad := map[int]bool{}
	for _, e := range want.errs {
		bad[e.index] = true
	}
	k := 0
	for i, sp := range b.GetSpans() {
		if bad[i] {
			continue
		}
		w, g := normSpan(ws.At(k)), normSpan(gs.At(k))
		k++
		if ambiguous(sp) {
			// protobuf-go's map order decides between keys that
			// sanitize to the same text or collide with a
			// ".truncated" flag: compare all but the attributes.
			w["attributes"], g["attributes"], w["events"], g["events"] = nil, nil, nil, nil
		}
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("span %d:\nprotobuf-go %v\nwire        %v", i, w, g)
		}
	}
}

// ambiguous reports whether a span's output depends on map iteration order.
func ambiguous(sp *atv1.Span) bool {
	amb := false
	var walk func(*structpb.Value)
	key := func(k string) {
		if strings.Contains(k, "\x00") || strings.HasSuffix(k, ".truncated") {
			amb = true
		}
	}
	walk = func(v *structpb.Value) {
		for k, e := range v.GetStructValue().GetFields() {
			key(k)
			walk(e)
		}
		for _, e := range v.GetListValue().GetValues() {
			walk(e)
		}
	}
	for k, v := range sp.GetAttributes() {
		key(k)
		walk(v)
	}
	for _, ev := range sp.GetEvents() {
		for k := range ev.GetAttributes() {
			key(k)
		}
	}
	return amb
}

func spansOf(td ptrace.Traces) ptrace.SpanSlice {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
}

func normTraces(td ptrace.Traces) []any {
	rs := td.ResourceSpans().At(0)
	return []any{norm(rs.Resource().Attributes().AsRaw()), rs.ScopeSpans().At(0).Scope().Name()}
}

func normSpan(s ptrace.Span) map[string]any {
	var events []any
	for i := 0; i < s.Events().Len(); i++ {
		e := s.Events().At(i)
		events = append(events, []any{e.Name(), e.Timestamp(), norm(e.Attributes().AsRaw())})
	}
	return map[string]any{
		"ids":        []any{s.TraceID(), s.SpanID(), s.ParentSpanID()},
		"name":       s.Name(),
		"times":      []any{s.StartTimestamp(), s.EndTimestamp()},
		"kind":       s.Kind(),
		"status":     []any{s.Status().Code(), s.Status().Message()},
		"attributes": norm(s.Attributes().AsRaw()),
		"events":     events,
	}
}

// norm makes NaN comparable.
func norm(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = norm(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = norm(e)
		}
		return out
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
	}
	return v
}

// wireCases are hand-made bodies for the corners of the wire format.
func wireCases() [][]byte {
	tag := protowire.AppendTag
	bytesField := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(tag(b, num, protowire.BytesType), v)
	}
	strField := func(b []byte, num protowire.Number, v string) []byte { return bytesField(b, num, []byte(v)) }
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(tag(b, num, protowire.VarintType), v)
	}
	batch := func(spans ...[]byte) []byte {
		var b []byte
		for _, sp := range spans {
			b = bytesField(b, fieldSpans, sp)
		}
		return b
	}
	now := uint64(time.Now().UnixNano())
	base := func() []byte {
		var sp []byte
		sp = strField(sp, 1, traceID)
		sp = strField(sp, 2, "00000000000000a1")
		sp = varint(sp, 6, 3)
		sp = varint(sp, 7, 2)
		sp = varint(sp, 10, now-1e6)
		sp = varint(sp, 11, now)
		return sp
	}
	entry := func(key string, value []byte) []byte {
		e := strField(nil, 1, key)
		return bytesField(e, 2, value)
	}
	strValue := func(s string) []byte { return strField(nil, 3, s) }
	long := strings.Repeat("é", 9) // beyond maxContentBytes in diffWire

	full := &atv1.Span{
		TraceId: traceID, SpanId: "00000000000000a2", ParentSpanId: "00000000000000a1", SessionId: "s\x00x",
		Name: "n", Type: atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION, Status: atv1.SpanStatus_SPAN_STATUS_ERROR,
		StatusMessage: "boom", ErrorCode: "E", StartTimeUnixNano: int64(now - 1e6), EndTimeUnixNano: int64(now),
		Model: "m", Provider: "p", Prompt: long, Response: "r",
		Request: &atv1.LLMRequest{Temperature: proto.Float64(0.5), MaxTokens: proto.Int64(9), TopP: proto.Float64(1),
			ThinkingEnabled: proto.Bool(true), ThinkingBudgetTokens: proto.Int64(3), StopReason: "stop"},
		Tool:            &atv1.ToolCall{Name: "t", CallId: "c", Input: long, Output: "o", Success: proto.Bool(false)},
		File:            &atv1.FileOp{Path: "/x", Operation: "read", Bytes: 4, Lines: 1},
		Events:          []*atv1.Event{{Name: "e", TimeUnixNano: 5, Attributes: map[string]string{"a": long, "b": "c"}}, {}},
		Usage:           &atv1.TokenUsage{InputTokens: 1, OutputTokens: 2, CacheReadTokens: 3, CacheWriteTokens: 4, CacheWrite_1HTokens: 5, ReasoningTokens: 6},
		ReportedCostUsd: proto.Float64(0.25), Framework: "f", FrameworkVersion: "1", SdkVersion: "2", Hostname: "h",
		Tags: []string{"x", "y\x00"}, AgentName: "a", UserId: "u",
		Attributes: map[string]*structpb.Value{
			"s": structpb.NewStringValue(long), "n": structpb.NewNumberValue(3), "d": structpb.NewNumberValue(1.5),
			"nan": structpb.NewNumberValue(math.NaN()), "b": structpb.NewBoolValue(true), "null": structpb.NewNullValue(),
			"unset": {},
			"l":     structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue(long), structpb.NewNumberValue(1)}}),
			"st":    structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue("v")}}),
		},
	}
	fullBytes, _ := proto.Marshal(full)
	deep := structpb.NewStringValue("leaf")
	for range 12 {
		deep = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{deep}})
	}
	deepSpan := &atv1.Span{TraceId: traceID, SpanId: "00000000000000a3", StartTimeUnixNano: int64(now - 1), EndTimeUnixNano: int64(now),
		Attributes: map[string]*structpb.Value{"deep": deep}}
	deepBytes, _ := proto.Marshal(deepSpan)
	tooDeep := strValue("x")
	for range 5100 {
		tooDeep = bytesField(nil, 6, bytesField(nil, 1, tooDeep))
	}
	// Struct members merge; a different member in between starts over.
	merged := base()
	st1 := bytesField(nil, 5, bytesField(nil, 1, entry("a", strValue("1"))))
	st2 := bytesField(nil, 5, bytesField(nil, 1, entry("b", strValue(long))))
	merged = bytesField(merged, 29, entry("m", append(append([]byte(nil), st1...), st2...)))
	merged = bytesField(merged, 29, entry("r", append(append(append([]byte(nil), st1...), varint(nil, 4, 1)...), st2...)))
	merged = bytesField(merged, 29, entry("l", append(bytesField(nil, 6, bytesField(nil, 1, strValue("x"))), bytesField(nil, 6, bytesField(nil, 1, strValue("y")))...)))
	// Duplicate keys: the last wins, and only its truncation counts.
	merged = bytesField(merged, 29, entry("dup", strValue(long)))
	merged = bytesField(merged, 29, entry("dup", strValue("short")))
	// Two value fields in one entry merge into one Value.
	merged = bytesField(merged, 29, append(entry("two", strValue("a")), bytesField(nil, 2, varint(nil, 4, 1))...))
	// Sub-messages merge; wrong wire types are unknown fields.
	merged = bytesField(merged, 20, varint(nil, 1, 7))
	merged = bytesField(merged, 20, varint(nil, 2, 8))
	merged = varint(merged, 5, 1)  // name as a varint
	merged = varint(merged, 29, 1) // attributes as a varint
	merged = bytesField(merged, 6, []byte("x"))
	merged = protowire.AppendFixed32(tag(merged, 99, protowire.Fixed32Type), 1)
	merged = tag(merged, 98, protowire.StartGroupType)
	merged = tag(merged, 98, protowire.EndGroupType)
	many := base()
	for i := range 20 {
		many = bytesField(many, 29, entry(fmt.Sprint("k", i%6), strValue("v")))
	}
	tooMany := base()
	for i := range 10 {
		tooMany = bytesField(tooMany, 29, entry(fmt.Sprint("k", i), strValue("v")))
	}
	badUTF8 := func(num protowire.Number) []byte { return strField(base(), num, "\xff") }
	return [][]byte{
		batch(fullBytes, deepBytes),
		batch(base(), bytesField(base(), 29, entry("deep", tooDeep))),
		batch(merged, many, tooMany),
		batch(badUTF8(1), badUTF8(5), badUTF8(26), bytesField(base(), 29, entry("\xff", nil)),
			bytesField(base(), 29, entry("k", strValue("\xff"))), bytesField(base(), 19, strField(nil, 1, "\xff")),
			bytesField(base(), 14, strField(nil, 6, "\xff"))),
		batch(append(base(), 0x00), append(base(), 0x0c), append(base(), 0x80), append(base(), 0xf8, 0xff, 0xff, 0xff, 0x7f)),
		append(batch(base()), 0x0a, 0x05, 0x01),
		append(batch(base()), 0x12, 0x05, 0x01),
		append(batch(base()), 0x1f),
		strField(strField(strField(batch(base()), 2, "svc\x00"), 3, "1.0"), 4, "key"),
	}
}

func TestWireMatchesProto(t *testing.T) {
	for i, data := range wireCases() {
		t.Run(fmt.Sprint(i), func(t *testing.T) { diffWire(t, data) })
	}
}

// TestWireRecursionLimit nests attribute values right up to protobuf-go's
// recursion limit and one level beyond it, through lists (two messages a
// level) and structs (three: Struct, map entry, Value).
func TestWireRecursionLimit(t *testing.T) {
	bytesField := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
	}
	now := uint64(time.Now().UnixNano())
	span := func(value []byte) []byte {
		sp := bytesField(nil, 1, []byte(traceID))
		sp = bytesField(sp, 2, []byte("00000000000000a1"))
		sp = protowire.AppendVarint(protowire.AppendTag(sp, 10, protowire.VarintType), now-1)
		sp = bytesField(sp, 29, bytesField(bytesField(nil, 1, []byte("k")), 2, value))
		return bytesField(nil, fieldSpans, sp)
	}
	check := func(t *testing.T, body []byte, over bool) {
		diffWire(t, body)
		wb, _ := splitBatchProto(body)
		errs := fuzzConverter().convertWire(wb).errs
		if over != (len(errs) == 1 && errs[0].message == "undecodable: exceeded maximum recursion depth") || !over && len(errs) > 0 {
			t.Fatalf("over the limit %v: %v", over, errs)
		}
	}
	leaf := bytesField(nil, 3, []byte("x"))
	for _, levels := range []int{4998, 4999} {
		v := leaf
		for range levels {
			v = bytesField(nil, 6, bytesField(nil, 1, v))
		}
		t.Run(fmt.Sprint("lists ", levels), func(t *testing.T) { check(t, span(v), levels == 4999) })
	}
	for _, levels := range []int{3332, 3333} {
		v := leaf
		for range levels {
			v = bytesField(nil, 5, bytesField(nil, 1, bytesField(bytesField(nil, 1, []byte("k")), 2, v)))
		}
		t.Run(fmt.Sprint("structs ", levels), func(t *testing.T) { check(t, span(v), levels == 3333) })
	}
}

// TestWireOutcomes pins the outcomes that matter most, so the differential
// test cannot agree with protobuf-go on the wrong thing unnoticed.
func TestWireOutcomes(t *testing.T) {
	cases := wireCases()
	conv := fuzzConverter()
	wb, _ := splitBatchProto(cases[1])
	out := conv.convertWire(wb)
	if len(out.errs) != 1 || out.errs[0].Error() != "spans[1].span: undecodable: exceeded maximum recursion depth" {
		t.Fatalf("deep nesting: %v", out.errs)
	}
	wb, _ = splitBatchProto(cases[3])
	out = conv.convertWire(wb)
	if len(out.errs) != 7 || out.errs[6].Error() != "spans[6].span: undecodable: string field contains invalid UTF-8" {
		t.Fatalf("invalid UTF-8: %v", out.errs)
	}
	wb, _ = splitBatchProto(cases[2])
	conv.limits.maxAttributes = 8
	out = conv.convertWire(wb)
	if len(out.errs) != 1 || out.errs[0].Error() != "spans[2].attributes: 10 entries exceed the limit of 8" {
		t.Fatalf("attributes: %v", out.errs)
	}
	attrs := spansOf(out.td).At(0).Attributes()
	if v, _ := attrs.Get("m"); v.Map().Len() != 2 {
		t.Fatalf("merged struct: %v", v.AsRaw())
	}
	if v, _ := attrs.Get("r"); v.Map().Len() != 1 {
		t.Fatalf("restarted struct: %v", v.AsRaw())
	}
	if _, ok := attrs.Get("dup.truncated"); ok {
		t.Fatalf("a replaced value's truncation counted")
	}
}
