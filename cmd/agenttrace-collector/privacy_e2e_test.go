package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/agenttrace/agenttrace/internal/canonical"
	"github.com/agenttrace/agenttrace/internal/storage"
	"github.com/agenttrace/agenttrace/internal/storage/sqlitestore"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// startPrivacyStack runs the distribution in-process with the privacy
// processor (configured by privacyYAML) after tokencost and reasoningchain,
// native HTTP in, SQLite out.
func startPrivacyStack(t *testing.T, privacyYAML string) *stack {
	t.Helper()
	dir := t.TempDir()
	s := &stack{
		db:   filepath.Join(dir, "agenttrace.db"),
		http: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		grpc: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		udp:  fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp")),
	}
	cfg := fmt.Sprintf(`
receivers:
  agenttrace:
    http: {endpoint: %q}
    # every transport on a free port: the defaults (4320/4322) may be taken
    grpc: {endpoint: %q}
    udp: {endpoint: %q}
processors:
  tokencost:
  reasoningchain:
  privacy: %s
exporters:
  sqlite: {path: %q}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [agenttrace]
      processors: [tokencost, reasoningchain, privacy]
      exporters: [sqlite]
`, s.http, s.grpc, s.udp, privacyYAML, s.db)
	runConfig(t, s, cfg)
	return s
}

const (
	e2eEmail = "jane.doe@example.com"
	e2eKey   = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Ab-CdEfGh"
	e2eAWS   = "AKIAIOSFODNN7EXAMPLE"
	e2eCard  = "4111 1111 1111 1111"
)

// sendSecrets posts an LLM call and a tool call whose content holds secrets,
// over native HTTP (protobuf), and stops the collector so everything is
// written.
func sendSecrets(t *testing.T, s *stack, tid string) {
	t.Helper()
	now := time.Now().UnixNano()
	prompt := `[{"role":"user","content":"I am ` + e2eEmail + `, my key is ` + e2eKey + ` and AWS ` + e2eAWS +
		`; charge ` + e2eCard + ` for order 1234567812345678."}]`
	batch := &atv1.SpanBatch{Spans: []*atv1.Span{
		{TraceId: tid, SpanId: "00000000000000a1", Name: "chat", Type: atv1.SpanType_SPAN_TYPE_LLM_CALL,
			Status: atv1.SpanStatus_SPAN_STATUS_OK, StartTimeUnixNano: now - 3e6, EndTimeUnixNano: now - 2e6,
			Model: "gpt-4o-mini", Provider: "openai", SessionId: "privacy",
			Prompt: prompt, Response: "Noted, " + e2eEmail + ".",
			Usage: &atv1.TokenUsage{InputTokens: 1000, OutputTokens: 100}},
		{TraceId: tid, SpanId: "00000000000000a2", ParentSpanId: "00000000000000a1", Name: "charge_card",
			Type: atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION, Status: atv1.SpanStatus_SPAN_STATUS_OK,
			StartTimeUnixNano: now - 2e6, EndTimeUnixNano: now - 1e6,
			Tool: &atv1.ToolCall{Name: "charge_card", CallId: "call_1",
				Input:  `{"card":"` + e2eCard + `","email":"` + e2eEmail + `"}`,
				Output: `{"ok":true,"receipt_to":"` + e2eEmail + `"}`}},
	}}
	body, err := proto.Marshal(batch)
	require.NoError(t, err)
	resp, err := http.Post("http://"+s.http+"/v1/spans", "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s.stop(t)
}

// TestPrivacyMaskEndToEnd: through the real collector, the stored prompt,
// response and tool I/O are masked — in the canonical columns and in the raw
// attributes — while tokens and cost are intact.
func TestPrivacyMaskEndToEnd(t *testing.T) {
	s := startPrivacyStack(t, "{mode: mask}")
	const tid = "9a1ac0000000000000000000000000a1"
	sendSecrets(t, s, tid)

	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, s.db)
	require.NoError(t, err)
	defer store.Close()

	llm, err := store.GetSpan(ctx, storage.AllProjects(), tid, "00000000000000a1")
	require.NoError(t, err)
	assert.Equal(t, `[{"role":"user","content":"I am [REDACTED:email], my key is [REDACTED:api_key] and AWS [REDACTED:api_key]; charge [REDACTED:card] for order 1234567812345678."}]`, llm.Prompt)
	assert.Equal(t, "Noted, [REDACTED:email].", llm.Response)
	assert.Equal(t, canonical.Tokens{Input: 1000, Output: 100, Present: true}, llm.Tokens)
	assert.Equal(t, canonical.CostStatusPriced, llm.Cost.Status)
	assert.Greater(t, llm.Cost.Total, 0.0)
	assert.Equal(t, "gpt-4o-mini", llm.Model)

	tool, err := store.GetSpan(ctx, storage.AllProjects(), tid, "00000000000000a2")
	require.NoError(t, err)
	assert.Equal(t, `{"card":"[REDACTED:card]","email":"[REDACTED:email]"}`, tool.ToolInput)
	assert.Equal(t, `{"ok":true,"receipt_to":"[REDACTED:email]"}`, tool.ToolOutput)
	assert.Equal(t, "charge_card", tool.ToolName)

	for _, sp := range []string{llm.Attributes, tool.Attributes, llm.Events, tool.Events} {
		for _, secret := range []string{e2eEmail, e2eKey, e2eAWS, e2eCard} {
			assert.NotContains(t, sp, secret)
		}
	}
}

// TestPrivacyDropEndToEnd: in drop mode no content is stored at all, and
// tokens, cost, model and tool name are intact.
func TestPrivacyDropEndToEnd(t *testing.T) {
	s := startPrivacyStack(t, "{mode: drop}")
	const tid = "9a1ac0000000000000000000000000a2"
	sendSecrets(t, s, tid)

	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, s.db)
	require.NoError(t, err)
	defer store.Close()

	llm, err := store.GetSpan(ctx, storage.AllProjects(), tid, "00000000000000a1")
	require.NoError(t, err)
	assert.Empty(t, llm.Prompt)
	assert.Empty(t, llm.Response)
	assert.Equal(t, canonical.Tokens{Input: 1000, Output: 100, Present: true}, llm.Tokens)
	assert.Equal(t, canonical.CostStatusPriced, llm.Cost.Status)
	assert.Greater(t, llm.Cost.Total, 0.0)
	assert.Equal(t, "gpt-4o-mini", llm.Model)
	assert.Contains(t, llm.Attributes, `"agenttrace.content.dropped":true`)

	tool, err := store.GetSpan(ctx, storage.AllProjects(), tid, "00000000000000a2")
	require.NoError(t, err)
	assert.Empty(t, tool.ToolInput)
	assert.Empty(t, tool.ToolOutput)
	assert.Equal(t, "charge_card", tool.ToolName)
	assert.Equal(t, "call_1", tool.ToolCallID)

	tr, err := store.GetTrace(ctx, storage.AllProjects(), tid)
	require.NoError(t, err)
	assert.EqualValues(t, 2, tr.SpanCount)
	assert.EqualValues(t, 1000, tr.Tokens.Input)
	assert.Greater(t, tr.CostUSD, 0.0)
	for _, sp := range []string{llm.Attributes, tool.Attributes} {
		for _, secret := range []string{e2eEmail, e2eKey, e2eAWS, e2eCard, "role"} {
			assert.NotContains(t, sp, secret)
		}
	}
}
