package canonical_test

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/pricing"
)

// fuzzKeys are the attribute names the canonical view reads (all token
// conventions among them), so fuzz bytes mostly hit code that does something.
var fuzzKeys = []string{
	"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.prompt_tokens",
	"gen_ai.usage.completion_tokens", "gen_ai.usage.cache_read.input_tokens",
	"gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.reasoning.output_tokens",
	"llm.token_count.prompt", "llm.token_count.completion", "llm.token_count.total",
	"llm.token_count.prompt_details.cache_read", "llm.token_count.completion_details.reasoning",
	"gen_ai.usage.cache_read_input_tokens", "llm.usage.total_tokens", "agenttrace.tokens.input",
	"agenttrace.tokens.output", "agenttrace.tokens.cache_read", "agenttrace.tokens.reasoning",
	"gen_ai.operation.name", "openinference.span.kind", "traceloop.span.kind", "gen_ai.request.model",
	"gen_ai.response.model", "gen_ai.provider.name", "gen_ai.system", "llm.model_name",
	"gen_ai.usage.cost", "llm.cost.total", "agenttrace.span.type", "agenttrace.span.status",
	"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt.0.content", "input.value",
	"gen_ai.tool.name", "gen_ai.tool.call.arguments", "agenttrace.tags", "gen_ai.request.temperature",
	"session.id", "gen_ai.conversation.id", "agenttrace.chain.step", "agenttrace.chain.flags",
}

// spanFromBytes builds a span whose attributes come from data: per entry a
// key selector, a type selector and a value (strings may be any bytes).
func spanFromBytes(data []byte) ptrace.Span {
	sp := ptrace.NewSpan()
	attrs := sp.Attributes()
	next := func(n int) []byte {
		if len(data) < n {
			n = len(data)
		}
		b := data[:n]
		data = data[n:]
		return b
	}
	u64 := func() uint64 {
		var buf [8]byte
		copy(buf[:], next(8))
		return binary.LittleEndian.Uint64(buf[:])
	}
	if len(data) > 0 {
		sp.SetName(string(next(int(next(1)[0]) % 32)))
	}
	for len(data) >= 2 {
		head := next(2)
		key := fuzzKeys[int(head[0])%len(fuzzKeys)]
		if head[0] == 0xff {
			key = string(next(8)) // any key
		}
		switch head[1] % 7 {
		case 0:
			attrs.PutInt(key, int64(u64()))
		case 1:
			attrs.PutDouble(key, math.Float64frombits(u64()))
		case 2:
			attrs.PutStr(key, string(next(int(head[1]>>3))))
		case 3:
			attrs.PutBool(key, head[1]&8 != 0)
		case 4:
			sl := attrs.PutEmptySlice(key)
			for i := 0; i < int(head[1]>>4); i++ {
				sl.AppendEmpty().SetStr(string(next(4)))
			}
		case 5:
			attrs.PutEmptyMap(key).PutStr(string(next(3)), string(next(5)))
		case 6:
			attrs.PutEmptyBytes(key).FromRaw(next(6))
		}
	}
	sp.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
	sp.SetEndTimestamp(pcommon.Timestamp(1_700_000_001_000_000_000))
	return sp
}

// FuzzCanonicalRead reads spans with arbitrary attributes (any types, any
// bytes) through the canonical view, then prices their tokens: never a
// panic, token buckets within [0, MaxTokenCount], costs finite and not
// negative.
func FuzzCanonicalRead(f *testing.F) {
	cat, err := pricing.Embedded()
	if err != nil {
		f.Fatal(err)
	}
	entry, ok := cat.Lookup("gpt-4o", "openai", time.Now())
	if !ok {
		f.Fatal("gpt-4o not in the catalog")
	}
	// Seeds from the hostile-input catalog: negative and overflowing counts,
	// NaN cost, invalid UTF-8 and NUL, wrong types.
	f.Add([]byte{4, 'c', 'h', 'a', 't', 0, 0, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0})
	f.Add([]byte{0, 26, 1, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 21, 2 | 4<<3, 0xff, 0xfe, 0, 'x'})
	f.Add([]byte{2, 0xff, 2 | 5<<3, 'k', 0, 'e', 'y', 0xff, 0, 0, 0, 'v', 0xfe, 0, 0, 0})
	f.Add([]byte{0, 0, 2 | 9<<3, '1', '2', '3', '4', '5', '6', '7', '8', '9', 20, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		sp := spanFromBytes(data)
		res := pcommon.NewResource()
		res.Attributes().PutStr("service.name", "fuzz\x00\xff")
		var v canonical.Span
		canonical.Read(&v, sp, res)
		for name, n := range map[string]int64{"input": v.Tokens.Input, "output": v.Tokens.Output,
			"cache_read": v.Tokens.CacheRead, "cache_write_5m": v.Tokens.CacheWrite5m,
			"cache_write_1h": v.Tokens.CacheWrite1h, "reasoning": v.Tokens.Reasoning} {
			if n < 0 || n > canonical.MaxTokenCount {
				t.Fatalf("%s tokens %d out of range", name, n)
			}
		}
		c := entry.Cost(v.Tokens)
		for name, usd := range map[string]float64{"total": c.Total, "input": c.Input, "output": c.Output,
			"cache_read": c.CacheRead, "cache_write": c.CacheWrite, "reasoning": c.Reasoning} {
			if math.IsNaN(usd) || math.IsInf(usd, 0) || usd < 0 {
				t.Fatalf("%s cost %v", name, usd)
			}
		}
	})
}
