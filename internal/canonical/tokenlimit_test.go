package canonical

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

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
