package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

// otlpSender sends the same spans as OTLP/gRPC with OTel GenAI attributes
// (token totals inclusive of cache and reasoning, as the convention says).
type otlpSender struct {
	conn   *grpc.ClientConn
	client ptraceotlp.GRPCClient
}

func newOTLPSender(addr string) (*otlpSender, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("otlp %s: %w", addr, err)
	}
	return &otlpSender{conn: conn, client: ptraceotlp.NewGRPCClient(conn)}, nil
}

func (s *otlpSender) send(ctx context.Context, req ptraceotlp.ExportRequest, n int) (int64, error) {
	resp, err := s.client.Export(ctx, req)
	if err != nil {
		return 0, err
	}
	if ps := resp.PartialSuccess(); ps.RejectedSpans() > 0 {
		return int64(n) - ps.RejectedSpans(), fmt.Errorf("otlp: %d spans rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
	}
	return int64(n), nil
}

func (s *otlpSender) close() error { return s.conn.Close() }

// toOTLP converts a native batch to an OTLP export request.
func toOTLP(spans []*atv1.Span) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "loadgen")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("agenttrace-loadgen")
	out := ss.Spans()
	out.EnsureCapacity(len(spans))
	for _, sp := range spans {
		o := out.AppendEmpty()
		var tid pcommon.TraceID
		var sid, pid pcommon.SpanID
		_, _ = hex.Decode(tid[:], []byte(sp.TraceId))
		_, _ = hex.Decode(sid[:], []byte(sp.SpanId))
		o.SetTraceID(tid)
		o.SetSpanID(sid)
		if sp.ParentSpanId != "" {
			_, _ = hex.Decode(pid[:], []byte(sp.ParentSpanId))
			o.SetParentSpanID(pid)
		}
		o.SetName(sp.Name)
		o.SetStartTimestamp(pcommon.Timestamp(sp.StartTimeUnixNano))
		o.SetEndTimestamp(pcommon.Timestamp(sp.EndTimeUnixNano))
		o.SetKind(ptrace.SpanKindInternal)
		if sp.Status == atv1.SpanStatus_SPAN_STATUS_ERROR {
			o.Status().SetCode(ptrace.StatusCodeError)
			o.Status().SetMessage(sp.StatusMessage)
		}
		a := o.Attributes()
		a.EnsureCapacity(12)
		a.PutStr(canonical.GenAIConversationID, sp.SessionId)
		a.PutStr(canonical.GenAIAgentName, sp.AgentName)
		switch sp.Type {
		case atv1.SpanType_SPAN_TYPE_TASK:
			a.PutStr(canonical.GenAIOperationName, "invoke_agent")
		case atv1.SpanType_SPAN_TYPE_LLM_CALL:
			a.PutStr(canonical.GenAIOperationName, "chat")
			a.PutStr(canonical.GenAIProviderName, sp.Provider)
			a.PutStr(canonical.GenAIRequestModel, sp.Model)
			a.PutStr(canonical.GenAIResponseModel, sp.Model)
			u := sp.Usage
			a.PutInt(canonical.GenAIInputTokens, u.InputTokens+u.CacheReadTokens+u.CacheWriteTokens+u.CacheWrite_1HTokens)
			a.PutInt(canonical.GenAIOutputTokens, u.OutputTokens+u.ReasoningTokens)
			if u.CacheReadTokens > 0 {
				a.PutInt(canonical.GenAICacheReadTokens, u.CacheReadTokens)
			}
			a.PutStr(canonical.GenAIInputMessages, `[{"role":"user","parts":[{"type":"text","content":`+jsonString(sp.Prompt)+`}]}]`)
			a.PutStr(canonical.GenAIOutputMessages, `[{"role":"assistant","parts":[{"type":"text","content":`+jsonString(sp.Response)+`}]}]`)
		case atv1.SpanType_SPAN_TYPE_TOOL_EXECUTION:
			a.PutStr(canonical.GenAIOperationName, "execute_tool")
			a.PutStr(canonical.GenAIToolName, sp.Tool.GetName())
			a.PutStr(canonical.GenAIToolCallID, sp.Tool.GetCallId())
		case atv1.SpanType_SPAN_TYPE_RETRIEVAL:
			a.PutStr(canonical.GenAIOperationName, "retrieval")
			a.PutStr(canonical.GenAIDataSourceID, strings.TrimSpace(sp.Tool.GetName()))
		}
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

// jsonString quotes s as a JSON string. The generated text needs no
// escaping, so the common case is a concatenation (strconv.Quote goes rune
// by rune and cost the loader ~25 µs per span, CPU the collector then lacked).
func jsonString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return strconv.Quote(s)
		}
	}
	return `"` + s + `"`
}
