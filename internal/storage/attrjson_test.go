package storage

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
)

// The direct encoder must produce what encoding/json makes of Map.AsRaw,
// and stay valid JSON where encoding/json gives up (NaN, Inf).
func TestAppendMapJSON(t *testing.T) {
	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(map[string]any{
		"s": "plain", "esc": "quote\" back\\ nl\n tab\t nul\x00 ctl\x01 <b>&</b> \u2028", "bad": "a\xffb\xfe",
		"i": int64(-42), "f": 1.5, "big": 1e21, "b": true, "bytes": []byte{0, 1, 2, 250},
		"nested":  map[string]any{"list": []any{int64(1), "two", map[string]any{"x": nil}}},
		"unicode": "héllo 世界 🎉", "": "empty key",
	}))
	got := appendMapJSON(nil, m)
	var gotV, wantV any
	require.NoError(t, json.Unmarshal(got, &gotV), string(got))
	want, err := json.Marshal(m.AsRaw())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(want, &wantV))
	assert.Equal(t, wantV, gotV)

	m.PutDouble("nan", math.NaN())
	m.PutDouble("inf", math.Inf(1))
	got = appendMapJSON(nil, m)
	require.True(t, json.Valid(got), string(got))
}

func TestEventsJSON(t *testing.T) {
	evs := ptrace.NewSpanEventSlice()
	e := evs.AppendEmpty()
	e.SetName("retry \"1\"")
	e.SetTimestamp(1_700_000_000_000_000_001)
	e.Attributes().PutStr("k", "v")
	evs.AppendEmpty().SetName("plain")
	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(eventsJSON(evs)), &got))
	assert.Equal(t, `retry "1"`, got[0]["name"])
	assert.Equal(t, map[string]any{"k": "v"}, got[0]["attributes"])
	assert.NotContains(t, got[1], "attributes")
}

func BenchmarkMapJSON(b *testing.B) {
	m := pcommon.NewMap()
	_ = m.FromRaw(map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300, "agenttrace.span.type": "llm_call",
		"agenttrace.prompt": strings.Repeat("Summarize the following document for the user. ", 40), "agenttrace.tokens.input": 200, "agenttrace.cost.total_usd": 0.0042,
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = mapJSON(m)
		}
	})
	b.Run("encoding_json_asraw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(m.AsRaw())
		}
	})
}

// contentSpan builds a span through canonical.Read, as FromTraces does.
func contentSpan(t *testing.T, attrs map[string]any) (pcommon.Map, *canonical.Span) {
	t.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{2})
	require.NoError(t, sp.Attributes().FromRaw(attrs))
	var c canonical.Span
	canonical.Read(&c, sp, rs.Resource())
	return sp.Attributes(), &c
}

// Leaving content attributes out and putting them back gives the JSON
// mapJSON writes, byte for byte (so SQLite readers see the same text as
// before), whatever the position of the omitted keys.
func TestAttributesJSONRoundTrip(t *testing.T) {
	prompt := strings.Repeat("Tell me about <b>&</b> \"quotes\" \u2028 and 世界. ", 50)
	cases := []struct {
		name    string
		attrs   map[string]any
		omitted []string // keys left out of the JSON
		kept    []string
	}{
		{"openllmetry", map[string]any{
			"gen_ai.system": "openai", "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": prompt,
			"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "hi <there>", "gen_ai.usage.input_tokens": int64(12),
		}, []string{"gen_ai.prompt.0.content", "gen_ai.completion.0.content"}, nil},
		{"otel genai", map[string]any{
			"gen_ai.input.messages":  `[{"role":"user","parts":[{"type":"text","content":"` + prompt + `"}]}]`,
			"gen_ai.output.messages": `[{"role":"assistant","parts":[]}]`,
		}, []string{"gen_ai.input.messages", "gen_ai.output.messages"}, nil},
		{"only content", map[string]any{"agenttrace.prompt": prompt}, []string{"agenttrace.prompt"}, nil},
		{"same text twice", map[string]any{"agenttrace.prompt": prompt, "gen_ai.prompt.0.content": prompt, "x": "y"},
			[]string{"agenttrace.prompt", "gen_ai.prompt.0.content"}, nil},
		{"openinference tool", map[string]any{
			"openinference.span.kind": "TOOL", "tool.name": "search", "tool.parameters": `{"q":"x"}`,
			"output.value": "result", "input.value": `{"q":"x"}`,
		}, []string{"tool.parameters", "output.value", "input.value"}, nil},
		{"near miss", map[string]any{
			"agenttrace.prompt": "exact", "gen_ai.prompt.0.content": "exact ", // differs by a space
			"gen_ai.completion.0.content": "a", "gen_ai.completion.1.content": "b", // joined "a\n\nb"
		}, []string{"agenttrace.prompt"}, []string{"gen_ai.prompt.0.content", "gen_ai.completion.0.content", "gen_ai.completion.1.content"}},
		{"not a string", map[string]any{"input.value": int64(42), "llm.prompts": []any{"p"}},
			nil, []string{"input.value", "llm.prompts"}},
		{"not content", map[string]any{"agenttrace.prompt": "same", "note": "same"}, []string{"agenttrace.prompt"}, []string{"note"}},
		{"invalid utf-8 and nul", map[string]any{"agenttrace.prompt": "a\xffb", "agenttrace.response": "n\x00l"},
			nil, []string{"agenttrace.prompt", "agenttrace.response"}},
		{"separator in key", map[string]any{"gen_ai.prompt.a;b.content": prompt}, nil, []string{"gen_ai.prompt.a;b.content"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, c := contentSpan(t, tc.attrs)
			full := mapJSON(m)
			attrs, refs := attributesJSON(m, c)
			var stored map[string]any
			require.NoError(t, json.Unmarshal([]byte(attrs), &stored), attrs)
			for _, k := range tc.omitted {
				assert.NotContains(t, stored, k)
				assert.Contains(t, refs, k+"=")
			}
			for _, k := range tc.kept {
				assert.Contains(t, stored, k)
			}
			s := Span{Span: *c, Attributes: attrs, ContentRefs: refs}
			RestoreContent(&s)
			assert.Equal(t, full, s.Attributes, "restored byte for byte")
			assert.Empty(t, s.ContentRefs)

			// PostgreSQL hands jsonb back reordered and spaced; the
			// restored object must still be the same object.
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(attrs), &v))
			pretty, err := json.MarshalIndent(v, " ", "  ")
			require.NoError(t, err)
			s = Span{Span: *c, Attributes: string(pretty), ContentRefs: refs}
			RestoreContent(&s)
			assertSameJSON(t, full, s.Attributes)
		})
	}
}

func assertSameJSON(t *testing.T, want, got string) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w), want)
	require.NoError(t, json.Unmarshal([]byte(got), &g), got)
	assert.Equal(t, w, g)
}

// Every position works, including the first and the last, and several
// omitted keys in a row.
func TestRestoreContentPositions(t *testing.T) {
	c := &canonical.Span{Prompt: "P", Response: "R"}
	for mask := range 1 << 5 {
		keys := []string{"a", "b", "c", "d", "e"}
		var full, stored []byte
		var refs []contentRef
		full, stored = append(full, '{'), append(stored, '{')
		for i, k := range keys {
			v := `"v"`
			if mask&(1<<i) != 0 {
				v = `"P"`
				refs = append(refs, contentRef{key: k, col: colPrompt, index: i})
			} else {
				if len(stored) > 1 {
					stored = append(stored, ',')
				}
				stored = append(stored, `"`+k+`":`+v...)
			}
			if i > 0 {
				full = append(full, ',')
			}
			full = append(full, `"`+k+`":`+v...)
		}
		full, stored = append(full, '}'), append(stored, '}')
		s := Span{Span: *c, Attributes: string(stored), ContentRefs: formatRefs(refs)}
		RestoreContent(&s)
		assert.Equal(t, string(full), s.Attributes, "mask %05b", mask)
	}
	// Malformed refs and attributes leave the attributes alone.
	for _, tc := range [][2]string{{`{"a":1}`, "x"}, {`{"a":1}`, "k=nosuchcolumn@0"}, {`[1]`, "k=prompt@0"}, {`{"a":`, "k=prompt@0"}} {
		s := Span{Span: *c, Attributes: tc[0], ContentRefs: tc[1]}
		RestoreContent(&s)
		assert.Equal(t, tc[0], s.Attributes)
	}
}

// FromTraces sets ContentRefs; nothing else about a span changes.
func TestFromTracesContentRefs(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{2})
	sp.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	sp.Attributes().PutStr("gen_ai.prompt.0.content", strings.Repeat("p", 2048))
	sp.Attributes().PutStr("gen_ai.completion.0.content", "done")
	b := FromTraces(td)
	require.Len(t, b.Spans, 1)
	s := b.Spans[0]
	assert.Equal(t, "gen_ai.prompt.0.content=prompt@1;gen_ai.completion.0.content=response@2", s.ContentRefs)
	assert.JSONEq(t, `{"gen_ai.request.model":"gpt-4o"}`, s.Attributes)
	RestoreContent(&s)
	assert.Equal(t, mapJSON(sp.Attributes()), s.Attributes)
}

func FuzzRestoreContent(f *testing.F) {
	f.Add("prompt text", "other", "x", true)
	f.Add("", "", "", false)
	f.Fuzz(func(t *testing.T, prompt, other, key string, first bool) {
		m := pcommon.NewMap()
		if first {
			m.PutStr("agenttrace.prompt", prompt)
		}
		m.PutStr(key, other)
		m.PutStr("gen_ai.prompt.0.content", prompt)
		m.PutStr("llm.input_messages.0.message.content", other)
		var c canonical.Span
		c.Prompt, c.Response = prompt, other
		attrs, refs := attributesJSON(m, &c)
		s := Span{Span: c, Attributes: attrs, ContentRefs: refs}
		RestoreContent(&s)
		if want := mapJSON(m); s.Attributes != want {
			t.Fatalf("refs %q: restored %s, want %s", refs, s.Attributes, want)
		}
	})
}
