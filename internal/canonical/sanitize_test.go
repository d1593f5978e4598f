package canonical

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"":                 "",
		"a\x00b":           "ab",
		"bad\xff\xfe name": "bad\uFFFD\uFFFD name",
		"ok é 世界":          "ok é 世界",
		"\x00\xff":         "\uFFFD",
	} {
		assert.Equal(t, want, CleanText(in), "%q", in)
	}
	s := &Span{Name: "n\x00", Prompt: "p\xff", Tags: []string{"t\x00"}, SessionEvent: "end"}
	Sanitize(s)
	assert.Equal(t, &Span{Name: "n", Prompt: "p\uFFFD", Tags: []string{"t"}, SessionEvent: "end"}, s)
}

// TestReadTokensImplausible: counts beyond MaxTokenCount are ignored like
// negative ones, so sums cannot overflow and costs stay finite.
func TestReadTokensImplausible(t *testing.T) {
	sp := ptrace.NewSpan()
	sp.Attributes().PutInt("gen_ai.usage.input_tokens", -5)
	sp.Attributes().PutInt("gen_ai.usage.output_tokens", 1<<63-1)
	sp.Attributes().PutInt("gen_ai.usage.cache_read.input_tokens", MaxTokenCount+1)
	var v Span
	Read(&v, sp, pcommon.NewResource())
	assert.Equal(t, Tokens{}, v.Tokens)

	sp.Attributes().PutInt("gen_ai.usage.input_tokens", 100)
	Read(&v, sp, pcommon.NewResource())
	assert.Equal(t, Tokens{Input: 100, Present: true}, v.Tokens)
}
