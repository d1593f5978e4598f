package agenttracereceiver

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf path decodes the wire format straight into pdata, without
// the generated atv1 messages. It accepts and rejects exactly what
// protobuf-go's proto.Unmarshal of an atv1.Span does, with the same error
// texts: a known field with the wrong wire type is skipped as unknown, the
// last of repeated scalars wins, repeated sub-messages merge, proto3 strings
// must be valid UTF-8, and nesting is bounded by protobuf-go's recursion
// limit, counted the same way (every message and every map entry is a level).

// SpanBatch field numbers (see agenttrace.proto).
const (
	fieldSpans       = 1
	fieldServiceName = 2
	fieldSDKVersion  = 3
	fieldAPIKey      = 4
)

// The errors protobuf-go reports (as cleaned by cleanProtoJSONError).
var (
	errWireDecode = errors.New("cannot parse invalid wire-format data")
	errWireUTF8   = errors.New("string field contains invalid UTF-8")
	errWireDepth  = errors.New("exceeded maximum recursion depth")
)

// wireBatch is a protobuf SpanBatch split into its spans' undecoded bytes.
// The span bytes alias the request buffer; they are decoded (and their
// strings copied) by convertWire while the buffer is still the caller's.
type wireBatch struct {
	spans                           [][]byte
	serviceName, sdkVersion, apiKey string
}

// splitBatchProto splits a protobuf SpanBatch into its spans, so one
// undecodable span (bad UTF-8, truncated field) does not lose the others:
// convertWire reports it by its index. An error is returned when the
// envelope itself is malformed; the spans before the fault are still
// returned.
func splitBatchProto(data []byte) (*wireBatch, error) {
	b := &wireBatch{}
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
			// too, and its length overruns them).
			b.spans = append(b.spans, tagged)
			return b, nil
		}
		if n < 0 {
			return b, fmt.Errorf("malformed protobuf: field %d truncated after %d spans: %w",
				num, len(b.spans), protowire.ParseError(n))
		}
		data = data[n:]
		switch num {
		case fieldSpans:
			b.spans = append(b.spans, v)
		case fieldServiceName:
			b.serviceName = sanitize(string(v))
		case fieldSDKVersion:
			b.sdkVersion = sanitize(string(v))
		case fieldAPIKey:
			b.apiKey = string(v) // compared as is; never logged
		}
	}
	return b, nil
}

// convertWire is convertProto for a protobuf batch: each span is decoded
// from its bytes straight into spanFields and pdata.
func (c *converter) convertWire(b *wireBatch) converted {
	td, spans := c.newBatch(b.serviceName, b.sdkVersion, len(b.spans))
	out := converted{td: td}
	now := c.now().UnixNano()
	d := &wireDecoder{}
	var sf spanFields
	for i, raw := range b.spans {
		sf = spanFields{wire: d}
		if err := d.decodeSpan(raw, &sf); err != nil {
			out.errs = append(out.errs, spanError{index: i, field: "span", message: "undecodable: " + err.Error()})
			continue
		}
		c.add(&out, spans, i, &sf, now)
	}
	return out
}

// wireDecoder decodes spans of one batch; it keeps a span's bytes and the
// scratch space its maps are deduplicated in.
type wireDecoder struct {
	raw []byte
	// attrs are the entries of the span's attributes map in wire order;
	// last marks, when there are many, the last entry of each key.
	attrs []wireEntry
	last  map[string]int
	// stack holds the entries of nested Structs being filled.
	stack []wireEntry
	arena strings.Builder // see text
}

// wireEntry is one map entry: its key and its whole entry bytes.
type wireEntry struct {
	key, entry []byte
}

// field reads a tag the way protobuf-go's message decoder does.
func field(b []byte) (protowire.Number, protowire.Type, int, error) {
	tag, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, 0, errWireDecode
	}
	num := tag >> 3
	if num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) {
		return 0, 0, 0, errWireDecode
	}
	typ := protowire.Type(tag & 7)
	if typ == protowire.EndGroupType {
		return 0, 0, 0, errWireDecode
	}
	return protowire.Number(num), typ, n, nil
}

// skip consumes an unknown field (or a known one with the wrong wire type).
func skip(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, errWireDecode
	}
	return n, nil
}

// wireValue reads one field's value: ok is false when the wire type is not
// want (the field is then skipped as unknown, as protobuf-go does).
type wireValue struct {
	u     uint64
	b     []byte
	n     int
	known bool
}

func consume(num protowire.Number, typ, want protowire.Type, b []byte) (wireValue, error) {
	if typ != want {
		n, err := skip(num, typ, b)
		return wireValue{n: n}, err
	}
	var v wireValue
	switch want {
	case protowire.VarintType:
		v.u, v.n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		v.u, v.n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		v.b, v.n = protowire.ConsumeBytes(b)
	}
	if v.n < 0 {
		return v, errWireDecode
	}
	v.known = true
	return v, nil
}

// utf8 checks a proto3 string field's value.
func (v wireValue) utf8() error {
	if !utf8.Valid(v.b) {
		return errWireUTF8
	}
	return nil
}

// fields calls f for each field of a message body until an error.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, b []byte) (int, error)) error {
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if n, err = f(num, typ, b); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// decodeSpan decodes a Span (all of it, so any fault is found before the span
// is used) into sf. Scalars and strings land in sf; tags, events and
// attributes are checked and counted, and read again from the bytes when
// the span is filled (fillAttributes, fillTags, fillEvents).
func (d *wireDecoder) decodeSpan(b []byte, sf *spanFields) error {
	d.raw = b
	d.attrs = d.attrs[:0]
	d.last = nil
	// protobuf-go's remaining depth inside the Span. Nothing at this level
	// or the next can exhaust it; only nested attribute values can.
	const depth = protowire.DefaultRecursionLimit - 1
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			if num > 29 || num == 6 || num == 7 || num == 10 || num == 11 || num == 21 {
				break
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errWireDecode
			}
			b = b[n:]
			if err := d.spanBytes(num, v, sf, depth); err != nil {
				return err
			}
			continue
		case protowire.VarintType:
			if num != 6 && num != 7 && num != 10 && num != 11 {
				break
			}
			u, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return errWireDecode
			}
			b = b[n:]
			switch num {
			case 6:
				sf.typ = int32(u)
			case 7:
				sf.status = int32(u)
			case 10:
				sf.start = int64(u)
			case 11:
				sf.end = int64(u)
			}
			continue
		case protowire.Fixed64Type:
			if num != 21 {
				break
			}
			u, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return errWireDecode
			}
			b = b[n:]
			sf.cost, sf.hasCost = math.Float64frombits(u), true
			continue
		}
		// Unknown, or a known field with the wrong wire type.
		if n, err = skip(num, typ, b); err != nil {
			return err
		}
		b = b[n:]
	}
	sf.nAttributes = d.distinctAttrs()
	return nil
}

// spanBytes decodes a length-delimited Span field (num is one).
func (d *wireDecoder) spanBytes(num protowire.Number, v []byte, sf *spanFields, depth int) error {
	var s *string
	switch num {
	case 1, 2, 3: // ids: parsed, not kept
		if !utf8.Valid(v) {
			return errWireUTF8
		}
		switch num {
		case 1:
			sf.traceID = v
		case 2:
			sf.spanID = v
		case 3:
			sf.parentSpanID = v
		}
		return nil
	case 14:
		sf.hasRequest = true
		return d.decodeRequest(v, &sf.request)
	case 17:
		sf.hasTool = true
		return d.decodeTool(v, &sf.tool)
	case 18:
		sf.hasFile = true
		return d.decodeFile(v, &sf.file)
	case 20:
		sf.hasUsage = true
		return decodeUsage(v, &sf.usage)
	case 19:
		sf.nEvents++
		return checkEvent(v, depth)
	case 26:
		if !utf8.Valid(v) {
			return errWireUTF8
		}
		sf.nTags++
		return nil
	case 29:
		key, err := checkEntry(v, depth-1, checkValue)
		if err != nil {
			return err
		}
		d.attrs = append(d.attrs, wireEntry{key: key, entry: v})
		return nil
	case 4:
		s = &sf.sessionID
	case 5:
		s = &sf.name
	case 8:
		s = &sf.statusMessage
	case 9:
		s = &sf.errorCode
	case 12:
		s = &sf.model
	case 13:
		s = &sf.provider
	case 15:
		s = &sf.prompt
	case 16:
		s = &sf.response
	case 22:
		s = &sf.framework
	case 23:
		s = &sf.frameworkVersion
	case 24:
		s = &sf.sdkVersion
	case 25:
		s = &sf.hostname
	case 27:
		s = &sf.agentName
	case 28:
		s = &sf.userID
	}
	return d.setStr(s, v)
}

// setStr sets a proto3 string field: valid UTF-8, copied.
func (d *wireDecoder) setStr(s *string, v []byte) error {
	if !utf8.Valid(v) {
		return errWireUTF8
	}
	*s = d.text(v)
	return nil
}

// Short strings are copied into shared chunks of arenaChunk bytes (one
// allocation for many keys, names and ids instead of one each); longer ones
// get their own copy. A chunk is never written again where it was handed
// out, so the strings stay immutable.
const (
	arenaChunk   = 1024
	arenaMaxText = 64
)

// text copies b into a string.
func (d *wireDecoder) text(b []byte) string {
	if len(b) == 0 || len(b) > arenaMaxText {
		return string(b)
	}
	if d.arena.Cap()-d.arena.Len() < len(b) {
		d.arena = strings.Builder{}
		d.arena.Grow(arenaChunk)
	}
	start := d.arena.Len()
	d.arena.Write(b)
	return d.arena.String()[start:]
}

// distinctAttrs counts the attributes' distinct keys (a later entry replaces
// an earlier one with the same key) and, for many entries, notes in d.last
// which entry of each key is the last.
func (d *wireDecoder) distinctAttrs() int {
	d.last = lastEntries(d.attrs)
	if d.last != nil {
		return len(d.last)
	}
	n := 0
	for i := range d.attrs {
		if !replaced(d.attrs, d.last, i) {
			n++
		}
	}
	return n
}

// lastEntries maps each key of many map entries to its last entry; nil for
// a few entries, which replaced compares pairwise.
func lastEntries(entries []wireEntry) map[string]int {
	if len(entries) <= 16 {
		return nil
	}
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		last[string(e.key)] = i
	}
	return last
}

// replaced reports whether a later entry has entry i's key (a map keeps the
// last value of a key).
func replaced(entries []wireEntry, last map[string]int, i int) bool {
	if last != nil {
		return last[string(entries[i].key)] != i
	}
	for _, e := range entries[i+1:] {
		if bytes.Equal(e.key, entries[i].key) {
			return true
		}
	}
	return false
}

// scalars decodes a sub-message whose fields are all scalars or strings:
// kind gives a known field's wire type (-1: unknown), set stores it.
func scalars(b []byte, kind func(protowire.Number) protowire.Type, set func(num protowire.Number, u uint64, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if typ != kind(num) {
			if n, err = skip(num, typ, b); err != nil {
				return err
			}
			b = b[n:]
			continue
		}
		var (
			u uint64
			v []byte
		)
		switch typ {
		case protowire.VarintType:
			u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			u, n = protowire.ConsumeFixed64(b)
		default:
			v, n = protowire.ConsumeBytes(b)
		}
		if n < 0 {
			return errWireDecode
		}
		b = b[n:]
		if err := set(num, u, v); err != nil {
			return err
		}
	}
	return nil
}

func (d *wireDecoder) decodeRequest(b []byte, r *requestFields) error {
	return scalars(b, func(num protowire.Number) protowire.Type {
		switch num {
		case 1, 3:
			return protowire.Fixed64Type
		case 2, 4, 5:
			return protowire.VarintType
		case 6:
			return protowire.BytesType
		}
		return -1
	}, func(num protowire.Number, u uint64, v []byte) error {
		switch num {
		case 1:
			r.temperature, r.hasTemperature = math.Float64frombits(u), true
		case 2:
			r.maxTokens, r.hasMaxTokens = int64(u), true
		case 3:
			r.topP, r.hasTopP = math.Float64frombits(u), true
		case 4:
			r.thinking, r.hasThinking = u != 0, true
		case 5:
			r.thinkingBudget, r.hasThinkingBudget = int64(u), true
		case 6:
			return d.setStr(&r.stopReason, v)
		}
		return nil
	})
}

func (d *wireDecoder) decodeTool(b []byte, t *toolFields) error {
	return scalars(b, func(num protowire.Number) protowire.Type {
		switch num {
		case 1, 2, 3, 4:
			return protowire.BytesType
		case 5:
			return protowire.VarintType
		}
		return -1
	}, func(num protowire.Number, u uint64, v []byte) error {
		switch num {
		case 1:
			return d.setStr(&t.name, v)
		case 2:
			return d.setStr(&t.callID, v)
		case 3:
			return d.setStr(&t.input, v)
		case 4:
			return d.setStr(&t.output, v)
		case 5:
			t.success, t.hasSuccess = u != 0, true
		}
		return nil
	})
}

func (d *wireDecoder) decodeFile(b []byte, f *fileFields) error {
	return scalars(b, func(num protowire.Number) protowire.Type {
		switch num {
		case 1, 2:
			return protowire.BytesType
		case 3, 4:
			return protowire.VarintType
		}
		return -1
	}, func(num protowire.Number, u uint64, v []byte) error {
		switch num {
		case 1:
			return d.setStr(&f.path, v)
		case 2:
			return d.setStr(&f.operation, v)
		case 3:
			f.bytes = int64(u)
		case 4:
			f.lines = int64(u)
		}
		return nil
	})
}

// decodeUsage decodes a TokenUsage: six int64 fields, numbered 1 to 6.
func decodeUsage(b []byte, u *usageFields) error {
	for len(b) > 0 {
		num, typ, n, err := field(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if typ != protowire.VarintType || num > 6 {
			if n, err = skip(num, typ, b); err != nil {
				return err
			}
		} else {
			var v uint64
			if v, n = protowire.ConsumeVarint(b); n < 0 {
				return errWireDecode
			}
			u[num-1] = int64(v)
		}
		b = b[n:]
	}
	return nil
}

// checkEvent checks an Event; depth is protobuf-go's remaining depth as
// passed to the message (before its own level is taken).
func checkEvent(b []byte, depth int) error {
	if depth--; depth < 0 {
		return errWireDepth
	}
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1, 3:
			if num == 3 && depth-1 < 0 {
				return 0, errWireDepth
			}
			v, err := consume(num, typ, protowire.BytesType, b)
			if err != nil || !v.known {
				return v.n, err
			}
			if num == 1 {
				err = v.utf8()
			} else {
				_, err = checkEntry(v.b, depth-1, checkString)
			}
			return v.n, err
		case 2:
			v, err := consume(num, typ, protowire.VarintType, b)
			return v.n, err
		}
		return skip(num, typ, b)
	})
}

// checkString checks a string map value.
func checkString(b []byte, typ protowire.Type, _ int) (int, error) {
	v, err := consume(2, typ, protowire.BytesType, b)
	if err != nil || !v.known {
		return v.n, err
	}
	err = v.utf8()
	return v.n, err
}

// checkValue checks a google.protobuf.Value map value or list element.
func checkValue(b []byte, typ protowire.Type, depth int) (int, error) {
	v, err := consume(2, typ, protowire.BytesType, b)
	if err != nil || !v.known {
		return v.n, err
	}
	return v.n, checkValueMsg(v.b, depth)
}

// checkValueMsg checks a Value message body; depth as for checkEvent.
func checkValueMsg(b []byte, depth int) error {
	if depth--; depth < 0 {
		return errWireDepth
	}
	return fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1, 4:
			v, err := consume(num, typ, protowire.VarintType, b)
			return v.n, err
		case 2:
			v, err := consume(num, typ, protowire.Fixed64Type, b)
			return v.n, err
		case 3:
			v, err := consume(num, typ, protowire.BytesType, b)
			if err == nil && v.known {
				err = v.utf8()
			}
			return v.n, err
		case 5: // Struct
			v, err := consume(num, typ, protowire.BytesType, b)
			if err != nil || !v.known {
				return v.n, err
			}
			sdepth := depth - 1
			if sdepth < 0 {
				return 0, errWireDepth
			}
			return v.n, fields(v.b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				if num != 1 {
					return skip(num, typ, b)
				}
				if sdepth-1 < 0 {
					return 0, errWireDepth
				}
				v, err := consume(num, typ, protowire.BytesType, b)
				if err != nil || !v.known {
					return v.n, err
				}
				_, err = checkEntry(v.b, sdepth-1, checkValue)
				return v.n, err
			})
		case 6: // ListValue
			v, err := consume(num, typ, protowire.BytesType, b)
			if err != nil || !v.known {
				return v.n, err
			}
			ldepth := depth - 1
			if ldepth < 0 {
				return 0, errWireDepth
			}
			return v.n, fields(v.b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				if num != 1 {
					return skip(num, typ, b)
				}
				v, err := consume(num, typ, protowire.BytesType, b)
				if err != nil || !v.known {
					return v.n, err
				}
				return v.n, checkValueMsg(v.b, ldepth)
			})
		}
		return skip(num, typ, b)
	})
}

// checkEntry checks a map entry body (string key; value checked by value,
// given the wire type and the depth the entry was entered with) and returns
// its key (the last one; empty when absent).
func checkEntry(b []byte, depth int, value func([]byte, protowire.Type, int) (int, error)) ([]byte, error) {
	var key []byte
	err := fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			v, err := consume(num, typ, protowire.BytesType, b)
			if err != nil || !v.known {
				return v.n, err
			}
			if !utf8.Valid(v.b) {
				return 0, errWireUTF8
			}
			key = v.b
			return v.n, nil
		case 2:
			return value(b, typ, depth)
		}
		return skip(num, typ, b)
	})
	return key, err
}

// entryValue returns the value of a checked map entry as one message body:
// the entry's value fields merge, so several are joined (rarely needed).
func entryValue(entry []byte) []byte {
	var out []byte
	parts := 0
	_ = fields(entry, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 2 || typ != protowire.BytesType {
			return skip(num, typ, b)
		}
		v, n := protowire.ConsumeBytes(b)
		parts++
		if parts == 1 {
			out = v
		} else {
			if parts == 2 {
				out = append([]byte(nil), out...)
			}
			out = append(out, v...)
		}
		return n, nil
	})
	return out
}

// fillAttributes, fillTags and fillEvents write what decodeSpan checked and
// counted, from the span's bytes, like fill does from an atv1.Span.
func (d *wireDecoder) fillAttributes(c *converter, attrs pcommon.Map) {
	for i, e := range d.attrs {
		if replaced(d.attrs, d.last, i) {
			continue
		}
		k := stripNUL(d.text(e.key))
		if d.putValue(attrs.PutEmpty(k), entryValue(e.entry), 0, c.limits.maxContentBytes) {
			attrs.PutBool(k+".truncated", true)
		}
	}
}

func (d *wireDecoder) fillTags(sl pcommon.Slice) {
	_ = fields(d.raw, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 26 || typ != protowire.BytesType {
			return skip(num, typ, b)
		}
		v, n := protowire.ConsumeBytes(b)
		sl.AppendEmpty().SetStr(stripNUL(d.text(v)))
		return n, nil
	})
}

func (d *wireDecoder) fillEvents(c *converter, events ptrace.SpanEventSlice, start int64) {
	_ = fields(d.raw, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 19 || typ != protowire.BytesType {
			return skip(num, typ, b)
		}
		v, n := protowire.ConsumeBytes(b)
		e := events.AppendEmpty()
		var name []byte
		ts, entries := int64(0), 0
		_ = fields(v, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			switch {
			case num == 1 && typ == protowire.BytesType:
				v, n := protowire.ConsumeBytes(b)
				name = v
				return n, nil
			case num == 2 && typ == protowire.VarintType:
				u, n := protowire.ConsumeVarint(b)
				ts = int64(u)
				return n, nil
			case num == 3 && typ == protowire.BytesType:
				entries++
			}
			return skip(num, typ, b)
		})
		e.SetName(stripNUL(d.text(name)))
		if ts <= 0 {
			ts = start
		}
		e.SetTimestamp(pcommon.Timestamp(ts))
		if entries == 0 {
			return n, nil
		}
		attrs := e.Attributes()
		attrs.EnsureCapacity(entries)
		_ = fields(v, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			if num != 3 || typ != protowire.BytesType {
				return skip(num, typ, b)
			}
			entry, n := protowire.ConsumeBytes(b)
			var key, val []byte
			_ = fields(entry, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
				if (num == 1 || num == 2) && typ == protowire.BytesType {
					v, n := protowire.ConsumeBytes(b)
					if num == 1 {
						key = v
					} else {
						val = v
					}
					return n, nil
				}
				return skip(num, typ, b)
			})
			s, _ := truncate(stripNUL(d.text(val)), c.limits.maxContentBytes)
			attrs.PutStr(stripNUL(d.text(key)), s)
			return n, nil
		})
		return n, nil
	})
}

// putValue writes a checked google.protobuf.Value body like putValue does
// an unmarshalled one. The oneof keeps the last member seen; a struct or
// list member merges with the same member right before it.
func (d *wireDecoder) putValue(dst pcommon.Value, b []byte, depth, maxBytes int) (truncated bool) {
	var (
		kind protowire.Number
		last wireValue
		msg  []byte // struct or list body, joined across merged members
		join bool
	)
	_ = fields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		want := protowire.Type(-1)
		switch num {
		case 1, 4:
			want = protowire.VarintType
		case 2:
			want = protowire.Fixed64Type
		case 3, 5, 6:
			want = protowire.BytesType
		}
		if typ != want {
			return skip(num, typ, b)
		}
		v, _ := consume(num, typ, want, b)
		if (num == 5 || num == 6) && kind == num {
			if !join {
				msg, join = append([]byte(nil), msg...), true
			}
			msg = append(msg, v.b...)
		} else {
			msg, join = v.b, false
		}
		kind, last = num, v
		return v.n, nil
	})
	switch kind {
	case 2:
		f := math.Float64frombits(last.u)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			dst.SetInt(int64(f))
		} else {
			dst.SetDouble(f)
		}
	case 3:
		s, cut := truncate(stripNUL(d.text(last.b)), maxBytes)
		dst.SetStr(s)
		return cut
	case 4:
		dst.SetBool(last.u != 0)
	case 5:
		if depth >= maxValueDepth {
			dst.SetStr("{nested too deep}")
			return false
		}
		m := dst.SetEmptyMap()
		base := len(d.stack)
		_ = fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			if num != 1 || typ != protowire.BytesType {
				return skip(num, typ, b)
			}
			entry, n := protowire.ConsumeBytes(b)
			key, _ := checkEntry(entry, protowire.DefaultRecursionLimit, func(b []byte, typ protowire.Type, _ int) (int, error) {
				return skip(2, typ, b)
			})
			d.stack = append(d.stack, wireEntry{key: key, entry: entry})
			return n, nil
		})
		entries := d.stack[base:]
		last := lastEntries(entries)
		m.EnsureCapacity(len(entries))
		for i, e := range entries {
			if replaced(entries, last, i) {
				continue
			}
			truncated = d.putValue(m.PutEmpty(stripNUL(d.text(e.key))), entryValue(e.entry), depth+1, maxBytes) || truncated
		}
		d.stack = d.stack[:base]
	case 6:
		if depth >= maxValueDepth {
			dst.SetStr("[nested too deep]")
			return false
		}
		sl := dst.SetEmptySlice()
		_ = fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			if num != 1 || typ != protowire.BytesType {
				return skip(num, typ, b)
			}
			v, n := protowire.ConsumeBytes(b)
			truncated = d.putValue(sl.AppendEmpty(), v, depth+1, maxBytes) || truncated
			return n, nil
		})
	default: // null or unset
		dst.SetStr("")
	}
	return truncated
}
