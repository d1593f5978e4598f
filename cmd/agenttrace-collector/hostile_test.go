package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/agenttrace/agenttrace/apiserver"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the hostile-input table in docs/reliability.md")

// Transports a hostile row is sent over.
const (
	tJSON  = "native HTTP JSON"
	tProto = "native HTTP protobuf"
	tGRPC  = "native gRPC"
	tUDP   = "native UDP"
	tOTLP  = "OTLP/HTTP protobuf"
)

// hostileRow is one line of the catalog: a hostile span sent in the same
// batch as a valid one, over each of its transports.
type hostileRow struct {
	input      string   // what is hostile (for the doc)
	transports []string // sent over each
	// Native rows: the batch is [valid, hostile...]. native builds the
	// hostile spans; raw, when set, builds the whole protobuf body instead
	// (for bytes proto.Marshal refuses to write); json builds the JSON body.
	native func(tid string) []*atv1.Span
	raw    func(tid string) []byte
	json   func(tid string) string
	otlp   func(tid pcommon.TraceID) ptrace.Traces
	// wantErr is the first per-span error ("spans[i].field: message"),
	// the same over HTTP and gRPC; "" means the whole batch is accepted.
	wantErr string
	stored  string // what is stored (for the doc)
	check   func(t *testing.T, st *sqlitestore.Store, tid string)
}

func validSpan(tid string) *atv1.Span {
	now := time.Now().UnixNano()
	return &atv1.Span{TraceId: tid, SpanId: "00000000000000a1", Name: "valid", Type: atv1.SpanType_SPAN_TYPE_LLM_CALL,
		Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: now - 5e6, EndTimeUnixNano: now,
		Model: "gpt-4o-mini", Provider: "openai", Usage: &atv1.TokenUsage{InputTokens: 10, OutputTokens: 2}}
}

func hostileSpan(tid string) *atv1.Span {
	s := validSpan(tid)
	s.SpanId, s.Name, s.Usage = "00000000000000b2", "hostile", nil
	return s
}

const validJSON = `{"trace_id":%q,"span_id":"00000000000000a1","name":"valid","type":"llm_call","status":"ok","start_time_unix_nano":%d,"end_time_unix_nano":%d}`

func jsonBatch(tid string, hostile ...string) string {
	now := time.Now().UnixNano()
	return `{"spans":[` + fmt.Sprintf(validJSON, tid, now-5e6, now) + "," + strings.Join(hostile, ",") + `]}`
}

// jsonSpan is the hostile span in JSON with extra fields spliced in.
func jsonSpan(tid, extra string) string {
	now := time.Now().UnixNano()
	return fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000b2","name":"hostile","type":"custom","status":"ok","start_time_unix_nano":%d,"end_time_unix_nano":%d%s}`,
		tid, now-5e6, now, extra)
}

func marshalBatch(spans ...*atv1.Span) []byte {
	b, err := proto.Marshal(&atv1.SpanBatch{ServiceName: "hostile", Spans: spans})
	if err != nil {
		panic(err)
	}
	return b
}

// withRawSpan appends raw span bytes as field 1 of a batch.
func withRawSpan(batch, span []byte) []byte {
	batch = protowire.AppendTag(batch, 1, protowire.BytesType)
	return protowire.AppendBytes(batch, span)
}

func storedSpan(t *testing.T, st *sqlitestore.Store, tid, sid string) storage.Span {
	t.Helper()
	sp, err := st.GetSpan(context.Background(), storage.AllProjects(), tid, sid)
	require.NoError(t, err, "span %s/%s stored", tid, sid)
	return sp
}

func notStored(t *testing.T, st *sqlitestore.Store, tid, sid string) {
	t.Helper()
	_, err := st.GetSpan(context.Background(), storage.AllProjects(), tid, sid)
	require.ErrorIs(t, err, storage.ErrNotFound, "span %s/%s must not be stored", tid, sid)
}

func attrsOf(t *testing.T, sp storage.Span) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(sp.Attributes), &m))
	return m
}

// deepValue is a structpb.Value nested depth lists deep, as raw protobuf
// (proto.Marshal is not asked to write it).
func deepValue(depth int) []byte {
	v := protowire.AppendTag(nil, 3, protowire.BytesType) // string_value
	v = protowire.AppendString(v, "bottom")
	for i := 0; i < depth; i++ {
		list := protowire.AppendTag(nil, 1, protowire.BytesType) // ListValue.values
		list = protowire.AppendBytes(list, v)
		v = protowire.AppendTag(nil, 6, protowire.BytesType) // Value.list_value
		v = protowire.AppendBytes(v, list)
	}
	return v
}

func hostileRows() []hostileRow {
	bigValue := strings.Repeat("é", 5<<20) // 10 MB of 2-byte runes
	return []hostileRow{
		{
			input:      "truncated protobuf: a batch whose second span is cut off mid-field",
			transports: []string{tProto, tGRPC, tUDP},
			raw: func(tid string) []byte {
				full, _ := proto.Marshal(&atv1.SpanBatch{Spans: []*atv1.Span{validSpan(tid), hostileSpan(tid)}})
				return full[:len(full)-7]
			},
			wantErr: "spans[1].span: undecodable: cannot parse invalid wire-format data",
			stored:  "the valid span; the cut span is reported (HTTP/gRPC) or counted (UDP, `agenttrace_receiver_rejected_spans{reason=\"malformed\"}`)",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "wrong JSON types: `\"start_time_unix_nano\": {\"x\": 1}`, `\"name\": 7`",
			transports: []string{tJSON},
			json: func(tid string) string {
				return jsonBatch(tid, fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000b2","name":7,"start_time_unix_nano":{"x":1}}`, tid))
			},
			wantErr: "spans[1].span: undecodable: (line 1:84): invalid value for string field name: 7",
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "wrong enum: `\"type\": \"teleport\"`",
			transports: []string{tJSON},
			json: func(tid string) string {
				return jsonBatch(tid, strings.Replace(jsonSpan(tid, ""), `"type":"custom"`, `"type":"teleport"`, 1))
			},
			wantErr: `spans[1].span: undecodable: type: unknown value "teleport"`,
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "10 MB string attribute value",
			transports: []string{tJSON, tProto, tGRPC},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.Attributes = map[string]*structpbValue{"blob": strValue(bigValue)}
				return []*atv1.Span{s}
			},
			json: func(tid string) string {
				return jsonBatch(tid, jsonSpan(tid, fmt.Sprintf(`,"attributes":{"blob":%q}`, bigValue)))
			},
			stored: "both spans; the value cut to `max_content_bytes` (64 KiB) on a rune boundary, `blob.truncated: true`",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				a := attrsOf(t, storedSpan(t, st, tid, "00000000000000b2"))
				assert.Len(t, a["blob"], 65536)
				assert.Equal(t, true, a["blob.truncated"])
			},
		},
		{
			input:      "10 MB prompt",
			transports: []string{tProto, tGRPC},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.Prompt = bigValue
				return []*atv1.Span{s}
			},
			stored: "both spans; prompt cut to 64 KiB, `agenttrace.prompt.truncated: true`, `agenttrace.prompt.original_bytes: 10485760`",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				sp := storedSpan(t, st, tid, "00000000000000b2")
				assert.Len(t, sp.Prompt, 65536)
				a := attrsOf(t, sp)
				assert.Equal(t, true, a["agenttrace.prompt.truncated"])
				assert.EqualValues(t, 10<<20, a["agenttrace.prompt.original_bytes"])
			},
		},
		{
			input:      "100,000 attributes on one span",
			transports: []string{tJSON, tProto, tGRPC},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.Attributes = map[string]*structpbValue{}
				for i := 0; i < 100_000; i++ {
					s.Attributes[fmt.Sprintf("k%d", i)] = strValue("v")
				}
				return []*atv1.Span{s}
			},
			json: func(tid string) string {
				var b strings.Builder
				for i := 0; i < 100_000; i++ {
					if i > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `"k%d":"v"`, i)
				}
				return jsonBatch(tid, jsonSpan(tid, `,"attributes":{`+b.String()+`}`))
			},
			wantErr: "spans[1].attributes: 100000 entries exceed the limit of 1024",
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "deep nesting: an attribute value of lists 100 deep",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			raw: func(tid string) []byte {
				span, _ := proto.Marshal(hostileSpan(tid))
				entry := protowire.AppendTag(nil, 1, protowire.BytesType)
				entry = protowire.AppendString(entry, "deep")
				entry = protowire.AppendTag(entry, 2, protowire.BytesType)
				entry = protowire.AppendBytes(entry, deepValue(100))
				span = protowire.AppendTag(span, spanAttributesField, protowire.BytesType)
				span = protowire.AppendBytes(span, entry)
				return withRawSpan(marshalBatch(validSpan(tid)), span)
			},
			json: func(tid string) string {
				return jsonBatch(tid, jsonSpan(tid, `,"attributes":{"deep":`+strings.Repeat("[", 100)+`"bottom"`+strings.Repeat("]", 100)+`}`))
			},
			stored: "both spans; nesting kept to depth 8, below that the value reads `[nested too deep]`",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				sp := storedSpan(t, st, tid, "00000000000000b2")
				assert.Contains(t, sp.Attributes, `"[nested too deep]"`)
			},
		},
		{
			input:      "deep nesting: 20,000 levels (beyond the protobuf decoder's recursion limit)",
			transports: []string{tProto, tGRPC},
			raw: func(tid string) []byte {
				span, _ := proto.Marshal(hostileSpan(tid))
				entry := protowire.AppendTag(nil, 1, protowire.BytesType)
				entry = protowire.AppendString(entry, "deep")
				entry = protowire.AppendTag(entry, 2, protowire.BytesType)
				entry = protowire.AppendBytes(entry, deepValue(20_000))
				span = protowire.AppendTag(span, spanAttributesField, protowire.BytesType)
				span = protowire.AppendBytes(span, entry)
				return withRawSpan(marshalBatch(validSpan(tid)), span)
			},
			wantErr: "spans[1].span: undecodable: exceeded maximum recursion depth",
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "invalid UTF-8 in a protobuf string field (name = `\\xff\\xfe`)",
			transports: []string{tProto, tGRPC, tUDP},
			raw: func(tid string) []byte {
				s := hostileSpan(tid)
				s.Name = "NAME"
				b, _ := proto.Marshal(s)
				b = bytes.Replace(b, []byte("NAME"), []byte("\xff\xfeok"), 1)
				return withRawSpan(marshalBatch(validSpan(tid)), b)
			},
			wantErr: "spans[1].span: undecodable: string field contains invalid UTF-8",
			stored:  "the valid span only (proto3 strings must be UTF-8: the span is rejected, not guessed at)",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "invalid UTF-8 and NUL bytes over OTLP (name, attribute key and value)",
			transports: []string{tOTLP},
			otlp: func(tid pcommon.TraceID) ptrace.Traces {
				td := otlpValid(tid)
				s := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
				s.SetTraceID(tid)
				s.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 0xb2})
				s.SetName("bad\xff\xfe name\x00!")
				s.SetStartTimestamp(pcommon.Timestamp(time.Now().UnixNano() - 1e6))
				s.SetEndTimestamp(pcommon.Timestamp(time.Now().UnixNano()))
				s.Attributes().PutStr("k\x00ey\xff", "v\x00al\xfe")
				return td
			},
			stored: "both spans; SQLite keeps the bytes as sent and the API serves them as valid JSON (invalid bytes → U+FFFD); PostgreSQL replaces NUL and invalid bytes with U+FFFD when writing, counted (`TestBadTextAndTimesAreRepaired`)",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				sp := storedSpan(t, st, tid, "00000000000000b2")
				assert.Equal(t, "bad\xff\xfe name\x00!", sp.Name)
				body := apiGet(t, st, "/api/v1/traces/"+tid+"/spans")
				require.True(t, json.Valid([]byte(body)), body)
				assert.Contains(t, body, `"name":"bad\ufffd\ufffd name\u0000!"`)
			},
		},
		{
			input:      "NUL bytes in native text (`\"name\": \"a\\u0000b\"`, prompt)",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.Name, s.Prompt = "a\x00b", "p\x00q"
				return []*atv1.Span{s}
			},
			json: func(tid string) string {
				return jsonBatch(tid, strings.Replace(jsonSpan(tid, `,"prompt":"p\u0000q"`), `"name":"hostile"`, `"name":"a\u0000b"`, 1))
			},
			stored: "both spans; NUL removed: name `ab`, prompt `pq`",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				sp := storedSpan(t, st, tid, "00000000000000b2")
				assert.Equal(t, "ab", sp.Name)
				assert.Equal(t, "pq", sp.Prompt)
			},
		},
		{
			input:      "timestamp in year 1 (−62135596800 s as ns overflows int64)",
			transports: []string{tJSON},
			json: func(tid string) string {
				return jsonBatch(tid, fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000b2","start_time_unix_nano":"-62135596800000000000"}`, tid))
			},
			wantErr: `spans[1].span: undecodable: (line 1:100): invalid value for int64 field startTimeUnixNano: "-62135596800000000000"`,
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "timestamp in year 1970 (seconds sent as nanoseconds) and in year 2262 (int64 max)",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				a, b := hostileSpan(tid), hostileSpan(tid)
				a.StartTimeUnixNano, a.EndTimeUnixNano = 1_700_000_000, 1_700_000_001
				b.SpanId, b.StartTimeUnixNano, b.EndTimeUnixNano = "00000000000000b3", 1<<63-2, 1<<63-1
				return []*atv1.Span{a, b}
			},
			json: func(tid string) string {
				return jsonBatch(tid,
					fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000b2","start_time_unix_nano":1700000000,"end_time_unix_nano":1700000001}`, tid),
					fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000b3","start_time_unix_nano":"9223372036854775806","end_time_unix_nano":"9223372036854775807"}`, tid))
			},
			wantErr: "spans[1].start_time_unix_nano: 1700000000 is not a plausible time in Unix nanoseconds (want 2000-01-01 to now+24h)",
			stored:  "the valid span only; the year-2262 span gets the same error as `spans[2]`",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
				notStored(t, st, tid, "00000000000000b3")
			},
		},
		{
			input:      "timestamp in year 9999 (253402300799 s as ns overflows int64)",
			transports: []string{tJSON},
			json: func(tid string) string {
				return jsonBatch(tid, fmt.Sprintf(`{"trace_id":%q,"span_id":"00000000000000b2","start_time_unix_nano":"253402300799000000000"}`, tid))
			},
			wantErr: `spans[1].span: undecodable: (line 1:100): invalid value for int64 field startTimeUnixNano: "253402300799000000000"`,
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "negative token count (`input_tokens: -5`)",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.Usage = &atv1.TokenUsage{InputTokens: -5}
				return []*atv1.Span{s}
			},
			json: func(tid string) string {
				return jsonBatch(tid, jsonSpan(tid, `,"usage":{"input_tokens":-5}`))
			},
			wantErr: "spans[1].usage.input_tokens: negative count -5",
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "overflowing token count (`output_tokens: 2^62`)",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.Usage = &atv1.TokenUsage{OutputTokens: 1 << 62}
				return []*atv1.Span{s}
			},
			json: func(tid string) string {
				return jsonBatch(tid, jsonSpan(tid, `,"usage":{"output_tokens":"4611686018427387904"}`))
			},
			wantErr: "spans[1].usage.output_tokens: 4611686018427387904 is beyond any real token count",
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "negative and overflowing token counts over OTLP (`gen_ai.usage.input_tokens: -5`, `output_tokens: 2^63-1`)",
			transports: []string{tOTLP},
			otlp: func(tid pcommon.TraceID) ptrace.Traces {
				td := otlpValid(tid)
				s := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
				s.SetTraceID(tid)
				s.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 0xb2})
				s.SetName("chat")
				s.SetStartTimestamp(pcommon.Timestamp(time.Now().UnixNano() - 1e6))
				s.SetEndTimestamp(pcommon.Timestamp(time.Now().UnixNano()))
				s.Attributes().PutStr("gen_ai.operation.name", "chat")
				s.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
				s.Attributes().PutInt("gen_ai.usage.input_tokens", -5)
				s.Attributes().PutInt("gen_ai.usage.output_tokens", 1<<63-1)
				return td
			},
			stored: "both spans (OTLP has no per-span errors); the bad counts are not used: no negative bucket, no overflowed or infinite cost",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				sp := storedSpan(t, st, tid, "00000000000000b2")
				for name, v := range map[string]int64{"input": sp.Tokens.Input, "output": sp.Tokens.Output,
					"cache_read": sp.Tokens.CacheRead, "reasoning": sp.Tokens.Reasoning} {
					assert.GreaterOrEqual(t, v, int64(0), name)
					assert.LessOrEqual(t, v, int64(1)<<50, name)
				}
				assert.False(t, sp.Cost.Total < 0 || sp.Cost.Total > 1e12, "cost %v", sp.Cost.Total)
			},
		},
		{
			input:      "duplicate span ids in one batch (same trace and span id, names `first` and `second`)",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				a, b := hostileSpan(tid), hostileSpan(tid)
				a.Name, b.Name = "first", "second"
				return []*atv1.Span{a, b}
			},
			json: func(tid string) string {
				return jsonBatch(tid,
					strings.Replace(jsonSpan(tid, ""), `"name":"hostile"`, `"name":"first"`, 1),
					strings.Replace(jsonSpan(tid, ""), `"name":"hostile"`, `"name":"second"`, 1))
			},
			stored: "stored once, the later one (`second`); the trace counts 2 spans",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				assert.Equal(t, "second", storedSpan(t, st, tid, "00000000000000b2").Name)
				tr, err := st.GetTrace(context.Background(), storage.AllProjects(), tid)
				require.NoError(t, err)
				assert.EqualValues(t, 2, tr.SpanCount)
			},
		},
		{
			input:      "a span that is its own parent",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				s := hostileSpan(tid)
				s.ParentSpanId = s.SpanId
				return []*atv1.Span{s}
			},
			json: func(tid string) string {
				return jsonBatch(tid, jsonSpan(tid, `,"parent_span_id":"00000000000000b2"`))
			},
			wantErr: "spans[1].parent_span_id: a span cannot be its own parent",
			stored:  "the valid span only",
			check: func(t *testing.T, st *sqlitestore.Store, tid string) {
				notStored(t, st, tid, "00000000000000b2")
			},
		},
		{
			input:      "cyclic parent links (b2 → b3 → b2), beside a valid root",
			transports: []string{tJSON, tProto, tGRPC, tUDP},
			native: func(tid string) []*atv1.Span {
				a, b := hostileSpan(tid), hostileSpan(tid)
				b.SpanId = "00000000000000b3"
				a.ParentSpanId, b.ParentSpanId = b.SpanId, a.SpanId
				return []*atv1.Span{a, b}
			},
			json: func(tid string) string {
				return jsonBatch(tid, jsonSpan(tid, `,"parent_span_id":"00000000000000b3"`),
					strings.Replace(jsonSpan(tid, `,"parent_span_id":"00000000000000b2"`), `"span_id":"00000000000000b2"`, `"span_id":"00000000000000b3"`, 1))
			},
			stored: "all three; the API's tree and waterfall cut the cycle (each span once) and the reasoning chain emits the trace",
			check:  checkCycle,
		},
		{
			input:      "cyclic parent links over OTLP",
			transports: []string{tOTLP},
			otlp: func(tid pcommon.TraceID) ptrace.Traces {
				td := otlpValid(tid)
				spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
				for i, pair := range [][2]byte{{0xb2, 0xb3}, {0xb3, 0xb2}} {
					s := spans.AppendEmpty()
					s.SetTraceID(tid)
					s.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, pair[0]})
					s.SetParentSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, pair[1]})
					s.SetName(fmt.Sprintf("cycle %d", i))
					s.SetStartTimestamp(pcommon.Timestamp(time.Now().UnixNano() - 1e6))
					s.SetEndTimestamp(pcommon.Timestamp(time.Now().UnixNano()))
				}
				return td
			},
			stored: "all three; tree and waterfall cut the cycle",
			check:  checkCycle,
		},
	}
}

// checkCycle reads a trace with a parent cycle through the API: tree and
// waterfall answer, and hold every span exactly once.
func checkCycle(t *testing.T, st *sqlitestore.Store, tid string) {
	storedSpan(t, st, tid, "00000000000000b2")
	storedSpan(t, st, tid, "00000000000000b3")
	srv, err := apiserver.New(apiserver.DefaultConfig(), st)
	require.NoError(t, err)
	for _, view := range []string{"spans", "waterfall", "chain"} {
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/traces/"+tid+"/"+view, nil)
			req.Host = "127.0.0.1:8080" // local mode answers local hosts only
			srv.Handler().ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s of a cyclic trace did not answer", view)
		}
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		for _, id := range []string{"00000000000000a1", "00000000000000b2", "00000000000000b3"} {
			assert.Equal(t, 1, strings.Count(rec.Body.String(), `"span_id":"`+id+`"`), "%s holds %s once", view, id)
		}
	}
}

// apiGet answers a GET through the API server over st (local mode).
func apiGet(t *testing.T, st *sqlitestore.Store, path string) string {
	t.Helper()
	srv, err := apiserver.New(apiserver.DefaultConfig(), st)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "127.0.0.1:8080" // local mode answers local hosts only
	srv.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Body.String()
}

func otlpValid(tid pcommon.TraceID) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "hostile-otlp")
	s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(tid)
	s.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 0xa1})
	s.SetName("valid")
	s.SetStartTimestamp(pcommon.Timestamp(time.Now().UnixNano() - 5e6))
	s.SetEndTimestamp(pcommon.Timestamp(time.Now().UnixNano()))
	return td
}

// answer is what one transport said: an HTTP status or gRPC code, and the
// first per-span error as "spans[i].field: message".
type answer struct {
	code     string
	firstErr string
}

// rawCodec sends pre-encoded bytes as a gRPC request (for payloads
// proto.Marshal will not write) and decodes the answer as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(rawBytes); ok {
		return b, nil
	}
	return proto.Marshal(v.(proto.Message))
}
func (rawCodec) Unmarshal(data []byte, v any) error { return proto.Unmarshal(data, v.(proto.Message)) }
func (rawCodec) Name() string                       { return "proto" }

type rawBytes []byte

func firstError(resp *atv1.SendSpansResponse) string {
	if len(resp.GetErrors()) == 0 {
		return ""
	}
	e := resp.GetErrors()[0]
	return fmt.Sprintf("spans[%d].%s: %s", e.GetIndex(), e.GetField(), e.GetMessage())
}

type hostileEnv struct {
	http, otlp string
	grpc       *grpc.ClientConn
	udp        net.Conn
}

func (env *hostileEnv) send(t *testing.T, row hostileRow, transport, tid string) answer {
	t.Helper()
	var body []byte
	switch {
	case transport == tJSON:
		body = []byte(row.json(tid))
	case transport == tOTLP:
		var traceID pcommon.TraceID
		raw, err := hex.DecodeString(tid)
		require.NoError(t, err)
		copy(traceID[:], raw)
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(row.otlp(traceID))
		require.NoError(t, err)
		resp, err := http.Post("http://"+env.otlp+"/v1/traces", "application/x-protobuf", bytes.NewReader(b))
		require.NoError(t, err)
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return answer{code: fmt.Sprint(resp.StatusCode), firstErr: string(out)}
	case row.raw != nil:
		body = row.raw(tid)
	default:
		body = marshalBatch(append([]*atv1.Span{validSpan(tid)}, row.native(tid)...)...)
	}
	switch transport {
	case tJSON, tProto:
		ct := "application/json"
		if transport == tProto {
			ct = "application/x-protobuf"
		}
		resp, err := http.Post("http://"+env.http+"/v1/spans", ct, bytes.NewReader(body))
		require.NoError(t, err)
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := &atv1.SendSpansResponse{}
		if transport == tProto {
			require.NoError(t, proto.Unmarshal(out, r), "%d %q", resp.StatusCode, out)
		} else {
			var e struct {
				Errors []struct {
					Index   int    `json:"index"`
					Field   string `json:"field"`
					Message string `json:"message"`
				} `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(out, &e), "%d %s", resp.StatusCode, out)
			for _, x := range e.Errors {
				r.Errors = append(r.Errors, &atv1.SpanError{Index: int32(x.Index), Field: x.Field, Message: x.Message})
			}
		}
		return answer{code: fmt.Sprint(resp.StatusCode), firstErr: firstError(r)}
	case tGRPC:
		out := &atv1.SendSpansResponse{}
		err := env.grpc.Invoke(context.Background(), "/agenttrace.v1.AgentTraceCollector/SendSpans", rawBytes(body), out,
			grpc.ForceCodec(rawCodec{}))
		st := status.Convert(err)
		for _, d := range st.Details() {
			if r, ok := d.(*atv1.SendSpansResponse); ok {
				out = r
			}
		}
		return answer{code: st.Code().String(), firstErr: firstError(out)}
	case tUDP:
		_, err := env.udp.Write(body)
		require.NoError(t, err)
		return answer{code: "none (fire and forget)"}
	}
	t.Fatalf("unknown transport %q", transport)
	return answer{}
}

// TestHostileInputs sends every row of the hostile-input catalog, each
// beside a valid span, over each of its transports to the real collector
// (all receivers, the default processors, SQLite), then checks the answers,
// that every valid span was stored, and what was stored of the hostile
// ones. The table in docs/reliability.md is generated from the rows and
// compared, so the two cannot drift (-update-docs rewrites it).
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "agenttrace.db")
	env := &hostileEnv{
		http: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		otlp: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
	}
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	udpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp"))
	s := startStackConfig(t, fmt.Sprintf(`
receivers:
  agenttrace:
    grpc: {endpoint: %q, max_recv_msg_size_mib: 64}
    http: {endpoint: %q}
    udp: {endpoint: %q}
  otlp:
    protocols:
      http: {endpoint: %q}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: 1024, spike_limit_mib: 256}
  tokencost:
  reasoningchain:
    completion_window: 100ms
exporters:
  sqlite: {path: %q}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace, otlp]
      processors: [memory_limiter, tokencost, reasoningchain]
      exporters: [sqlite]
`, grpcAddr, env.http, udpAddr, env.otlp, db))
	var err error
	env.grpc, err = grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	require.NoError(t, err)
	defer env.grpc.Close()
	env.udp, err = net.Dial("udp", udpAddr)
	require.NoError(t, err)
	defer env.udp.Close()

	rows := hostileRows()
	type sent struct {
		row       int
		transport string
		tid       string
	}
	var all []sent
	inputs := 0
	for i, row := range rows {
		for k, tr := range row.transports {
			tid := fmt.Sprintf("4057%04x%04x%020x", i+1, k+1, 0xabc)
			a := env.send(t, row, tr, tid)
			t.Logf("row %d %s: %s %.200s", i+1, tr, a.code, a.firstErr)
			inputs++
			all = append(all, sent{i, tr, tid})
			switch tr {
			case tUDP:
			case tOTLP:
				assert.Equal(t, "200", a.code, "row %d %s: %s", i+1, tr, a.firstErr)
			case tGRPC:
				want := codes.OK.String()
				if row.wantErr != "" {
					want = codes.InvalidArgument.String()
				}
				assert.Equal(t, want, a.code, "row %d %s", i+1, tr)
				assert.Equal(t, row.wantErr, a.firstErr, "row %d %s", i+1, tr)
			default:
				want := "200"
				if row.wantErr != "" {
					want = "400"
				}
				assert.Equal(t, want, a.code, "row %d %s: %s", i+1, tr, a.firstErr)
				assert.Equal(t, row.wantErr, a.firstErr, "row %d %s", i+1, tr)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // UDP datagrams are handed over asynchronously
	s.stop(t)                          // must not hang: the chain processor emits cyclic traces too

	st, err := sqlitestore.Open(context.Background(), db)
	require.NoError(t, err)
	defer st.Close()
	for _, x := range all {
		t.Run(fmt.Sprintf("row%02d/%s", x.row+1, x.transport), func(t *testing.T) {
			storedSpan(t, st, x.tid, "00000000000000a1") // the valid span beside it
			rows[x.row].check(t, st, x.tid)
		})
	}
	t.Logf("hostile inputs: %d rows, %d inputs sent (row × transport), every valid span beside them stored", len(rows), inputs)
	checkCatalogDoc(t, rows, inputs)
}

// catalogTable renders the rows as the markdown table of docs/reliability.md.
func catalogTable(rows []hostileRow, inputs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows, %d inputs (row × transport), each beside a valid span that is stored.\n\n", len(rows), inputs)
	b.WriteString("| # | hostile input | transports | answer | stored |\n|---|---|---|---|---|\n")
	for i, r := range rows {
		ans := "accepted: HTTP 200 / gRPC OK"
		if r.wantErr != "" {
			ans = fmt.Sprintf("HTTP 400 / gRPC InvalidArgument: `%s`", r.wantErr)
		}
		if len(r.transports) == 1 && r.transports[0] == tOTLP {
			ans = "accepted: HTTP 200"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", i+1, r.input, strings.Join(r.transports, ", "), ans, r.stored)
	}
	return b.String()
}

const (
	catalogBegin = "<!-- hostile-inputs:begin (generated by TestHostileInputs -update-docs) -->\n"
	catalogEnd   = "<!-- hostile-inputs:end -->"
)

func checkCatalogDoc(t *testing.T, rows []hostileRow, inputs int) {
	t.Helper()
	path := filepath.Join("..", "..", "docs", "reliability.md")
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(doc)
	i, j := strings.Index(text, catalogBegin), strings.Index(text, catalogEnd)
	require.True(t, i >= 0 && j > i, "docs/reliability.md lacks the hostile-inputs markers")
	want := catalogTable(rows, inputs)
	got := text[i+len(catalogBegin) : j]
	if *updateDocs {
		require.NoError(t, os.WriteFile(path, []byte(text[:i+len(catalogBegin)]+want+text[j:]), 0o644))
		return
	}
	assert.Equal(t, want, got, "docs/reliability.md's catalog differs from the test's rows: run go test ./cmd/agenttrace-collector -run TestHostileInputs -update-docs")
}

// spanAttributesField is Span.attributes (map<string, Value>) in
// agenttrace.proto.
const spanAttributesField = 29

type structpbValue = structpb.Value

func strValue(s string) *structpb.Value { return structpb.NewStringValue(s) }
