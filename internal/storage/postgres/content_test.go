package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/storagetest"
)

// An LLM call's 2 KB prompt and its completion are stored once, in their
// columns: the attributes column holds the rest, and reads give back all
// of it.
func TestContentStoredOnce(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	b := storage.FromTraces(storagetest.LLMTraces(0, 1, 2048))
	require.NoError(t, s.Write(ctx, b))
	llm := b.Spans[1] // spans 2, 3, 5 and 7 of a trace are LLM calls
	require.Len(t, llm.Prompt, 2048)

	var stored int
	var refs string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT octet_length(attributes::text), content_refs FROM spans WHERE trace_id = $1 AND span_id = $2`,
		llm.TraceID, llm.SpanID).Scan(&stored, &refs))
	assert.Equal(t, "gen_ai.prompt.0.content=prompt@11;gen_ai.completion.0.content=response@13", refs)
	got, err := s.GetSpan(ctx, storage.AllProjects(), llm.TraceID, llm.SpanID)
	require.NoError(t, err)
	t.Logf("attributes: %d bytes stored, %d bytes read", stored, len(got.Attributes))
	assert.Less(t, stored, 1024, "the stored attributes leave the prompt out")
	assert.Greater(t, len(got.Attributes)-stored, 2048, "reads put the prompt and the completion back")
	assert.Contains(t, got.Attributes, `"gen_ai.prompt.0.content":"You are a helpful research agent.`)
}
