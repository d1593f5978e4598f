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
