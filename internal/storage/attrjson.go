package storage

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// appendMapJSON appends m as a JSON object. It writes straight from pdata
// (no intermediate map[string]any as with Map.AsRaw + json.Marshal), which is
// most of the conversion cost on the ingest path. Invalid UTF-8 becomes
// U+FFFD and non-finite doubles become null, so every map encodes.
func appendMapJSON(b []byte, m pcommon.Map) []byte {
	b = append(b, '{')
	first := true
	m.Range(func(k string, v pcommon.Value) bool {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendValueJSON(b, v)
		return true
	})
	return append(b, '}')
}

func appendValueJSON(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(b, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeMap:
		return appendMapJSON(b, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = append(b, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValueJSON(b, s.At(i))
		}
		return append(b, ']')
	case pcommon.ValueTypeBytes:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes().AsRaw())
		return append(b, '"')
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping what JSON requires
// (and <, >, & like encoding/json, so the text is safe inside HTML too).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Content stored once. An LLM call's prompt usually arrives twice: as a
// content attribute (gen_ai.prompt.0.content, input.value, …) and, through
// the canonical view, as the span's Prompt. FromTraces leaves such an
// attribute out of the attributes JSON when its value is exactly the text
// of a canonical column, and records it in Span.ContentRefs; RestoreContent
// puts it back, at the same position, when a store reads the span.
//
// ContentRefs is a list of key=column@index entries joined by ';' (keys
// containing ';' are never left out): column is the stored column the value
// is in (prompt, response, tool_input or tool_output) and index the
// attribute's position in the original object, e.g.
// "gen_ai.prompt.0.content=prompt@5;gen_ai.completion.0.content=response@7".
// Entries are in index order.

// The canonical columns a content attribute can be stored in.
const (
	colPrompt     = "prompt"
	colResponse   = "response"
	colToolInput  = "tool_input"
	colToolOutput = "tool_output"
)

// contentRef is one attribute left out of the JSON.
type contentRef struct {
	key, col string
	index    int
}

// contentColumn names the canonical column whose text is exactly v, or "".
// Only valid UTF-8 without NUL qualifies: the attribute JSON writes other
// bytes as U+FFFD and PostgreSQL repairs such column text, so restoring it
// from the column would not give back the same value.
func contentColumn(c *canonical.Span, v string) string {
	var col string
	switch {
	case v == "":
		return ""
	case v == c.Prompt:
		col = colPrompt
	case v == c.Response:
		col = colResponse
	case v == c.ToolInput:
		col = colToolInput
	case v == c.ToolOutput:
		col = colToolOutput
	default:
		return ""
	}
	if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
		return ""
	}
	return col
}

// columnText is the text of a canonical column named by contentColumn.
func columnText(c *canonical.Span, col string) (string, bool) {
	switch col {
	case colPrompt:
		return c.Prompt, true
	case colResponse:
		return c.Response, true
	case colToolInput:
		return c.ToolInput, true
	case colToolOutput:
		return c.ToolOutput, true
	}
	return "", false
}

// attributesJSON encodes a span's attributes like mapJSON, leaving out the
// content attributes whose value is a canonical column of c, and returns
// the ContentRefs naming them.
func attributesJSON(m pcommon.Map, c *canonical.Span) (attrs, refs string) {
	if m.Len() == 0 {
		return "{}", ""
	}
	var buf [4]contentRef
	omit := buf[:0]
	i := 0
	for k, v := range m.All() {
		if v.Type() == pcommon.ValueTypeStr && canonical.IsContentKey(k) {
			if col := contentColumn(c, v.Str()); col != "" && strings.IndexByte(k, ';') < 0 {
				omit = append(omit, contentRef{key: k, col: col, index: i})
			}
		}
		i++
	}
	if len(omit) > 0 {
		omit = uniqueKeys(m, omit)
	}
	b := make([]byte, 0, 64*m.Len())
	b = append(b, '{')
	i, j := 0, 0
	for k, v := range m.All() {
		if j < len(omit) && omit[j].index == i {
			i++
			j++
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		i++
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendValueJSON(b, v)
	}
	b = append(b, '}')
	return string(b), formatRefs(omit)
}

// uniqueKeys drops the candidates whose key occurs more than once in m (a
// map from the wire may repeat a key; which value a reader sees then
// depends on the JSON, so such keys stay in it).
func uniqueKeys(m pcommon.Map, omit []contentRef) []contentRef {
	var counts [4]int
	cnt := counts[:0]
	for range omit {
		cnt = append(cnt, 0)
	}
	for k := range m.All() {
		for i := range omit {
			if omit[i].key == k {
				cnt[i]++
			}
		}
	}
	out := omit[:0]
	for i, r := range omit {
		if cnt[i] == 1 {
			out = append(out, r)
		}
	}
	return out
}

func formatRefs(refs []contentRef) string {
	if len(refs) == 0 {
		return ""
	}
	n := 0
	for _, r := range refs {
		n += len(r.key) + len(r.col) + 8
	}
	var b strings.Builder
	b.Grow(n)
	var num [20]byte
	for i, r := range refs {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(r.key)
		b.WriteByte('=')
		b.WriteString(r.col)
		b.WriteByte('@')
		b.Write(strconv.AppendInt(num[:0], int64(r.index), 10))
	}
	return b.String()
}

// parseRefs reads ContentRefs; malformed entries are skipped.
func parseRefs(refs string) []contentRef {
	out := make([]contentRef, 0, strings.Count(refs, ";")+1)
	for entry := range strings.SplitSeq(refs, ";") {
		eq := strings.LastIndexByte(entry, '=')
		if eq <= 0 {
			continue
		}
		col, idx, ok := strings.Cut(entry[eq+1:], "@")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 {
			continue
		}
		out = append(out, contentRef{key: entry[:eq], col: col, index: n})
	}
	slices.SortStableFunc(out, func(a, b contentRef) int { return a.index - b.index })
	return out
}

// RestoreContent puts the content attributes named by s.ContentRefs back
// into s.Attributes, each at its original position with its column's text,
// and clears ContentRefs. Every store calls it on the spans it reads, so
// readers see the attributes exactly as they were sent. A span without
// ContentRefs is left as it is.
func RestoreContent(s *Span) {
	if s.ContentRefs == "" {
		return
	}
	s.Attributes = restoreAttributes(s.Attributes, s.ContentRefs, &s.Span)
	s.ContentRefs = ""
}

func restoreAttributes(attrs, refs string, c *canonical.Span) string {
	rs := parseRefs(refs)
	if len(rs) == 0 {
		return attrs
	}
	var buf [16]int
	starts, end, ok := objectMembers(attrs, buf[:0])
	if !ok {
		return attrs // not an object: nothing sensible to insert into
	}
	size := len(attrs)
	for _, r := range rs {
		v, _ := columnText(c, r.col)
		size += len(r.key) + len(v) + 8
	}
	b := make([]byte, 0, size)
	pos, inserted := 0, 0
	for _, r := range rs {
		v, ok := columnText(c, r.col)
		if !ok {
			continue
		}
		// Entries are in index order and every earlier one was put back,
		// so the attribute precedes stored member index-inserted.
		if m := r.index - inserted; m < len(starts) {
			at := starts[max(m, 0)]
			if at < pos {
				at = pos
			}
			b = append(b, attrs[pos:at]...)
			pos = at
			b = appendMember(b, r.key, v)
			b = append(b, ',')
		} else {
			b = append(b, attrs[pos:end]...)
			pos = end
			if len(starts) > 0 || inserted > 0 {
				b = append(b, ',')
			}
			b = appendMember(b, r.key, v)
		}
		inserted++
	}
	b = append(b, attrs[pos:]...)
	return string(b)
}

func appendMember(b []byte, k, v string) []byte {
	b = appendJSONString(b, k)
	b = append(b, ':')
	return appendJSONString(b, v)
}

// objectMembers returns the offset of each top-level member (its key's
// opening quote) of the JSON object s and the offset of its closing brace.
// ok is false when s is not a well-formed object.
func objectMembers(s string, starts []int) (_ []int, end int, ok bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, 0, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return starts, i, true
	}
	for i < len(s) {
		if s[i] != '"' {
			return nil, 0, false
		}
		starts = append(starts, i)
		if i, ok = skipString(s, i); !ok {
			return nil, 0, false
		}
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ':' {
			return nil, 0, false
		}
		if i, ok = skipValue(s, skipSpace(s, i+1)); !ok {
			return nil, 0, false
		}
		i = skipSpace(s, i)
		if i >= len(s) {
			return nil, 0, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return starts, i, true
		default:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset after the string starting at s[i] == '"'.
func skipString(s string, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// skipValue returns the offset after the JSON value starting at s[i].
func skipValue(s string, i int) (int, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch s[i] {
	case '"':
		return skipString(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				k, ok := skipString(s, j)
				if !ok {
					return 0, false
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(s) {
		switch s[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, j > i
		}
		j++
	}
	return 0, false
}
