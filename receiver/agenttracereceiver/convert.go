package agenttracereceiver

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/agenttrace/agenttrace/internal/canonical"
	atv1 "github.com/agenttrace/agenttrace/proto/agenttrace/v1"
)

const scopeName = "github.com/agenttrace/agenttrace/receiver/agenttracereceiver"

// earliestStart rejects timestamps that are surely not nanoseconds since the
// epoch (seconds or milliseconds sent by mistake land in 1970).
var earliestStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// maxFutureSkew is how far in the future a span may start (client clock skew).
const maxFutureSkew = 24 * time.Hour

// limits bound what one span may carry.
type limits struct {
	maxContentBytes int // prompt, response, tool input/output: longer text is truncated
	maxAttributes   int // free attributes per span: more is an error
	maxEvents       int // events per span: more is an error
}

// spanError names a rejected span and the field at fault.
type spanError struct {
	index   int
	spanID  string
	field   string
	message string
}

func (e spanError) Error() string {
	return fmt.Sprintf("spans[%d].%s: %s", e.index, e.field, e.message)
}

func (e spanError) proto() *atv1.SpanError {
	return &atv1.SpanError{Index: int32(e.index), SpanId: e.spanID, Field: e.field, Message: e.message}
}

// converter turns native spans into pdata with canonical attributes.
type converter struct {
	limits limits
	now    func() time.Time
}

// convertBatch appends every valid span of b to a new ptrace.Traces and
// returns one spanError per invalid span. decodeErrs are spans that could not
// even be decoded (index → error), reported in order with the others.
func (c *converter) convertBatch(b *atv1.SpanBatch, decodeErrs map[int]error) (ptrace.Traces, []spanError) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	serviceName := b.GetServiceName()
	if serviceName == "" {
		serviceName = "agenttrace-agent"
	}
	res.PutStr(canonical.ServiceName, sanitize(serviceName))
	res.PutStr("telemetry.sdk.name", "agenttrace")
	if v := b.GetSdkVersion(); v != "" {
		res.PutStr(canonical.TelemetrySDKVersion, sanitize(v))
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	spans := ss.Spans()
	spans.EnsureCapacity(len(b.GetSpans()))

	var errs []spanError
	now := c.now().UnixNano()
	for i, sp := range b.GetSpans() {
		if err, bad := decodeErrs[i]; bad {
			// The protobuf library varies its message spacing
			// on purpose; clean it so the text is stable.
			errs = append(errs, spanError{index: i, field: "span", message: "undecodable: " + cleanProtoJSONError(err).Error()})
			continue
		}
		if e := c.validate(sp, now); e != nil {
			e.index = i
			e.spanID = clip(sp.GetSpanId())
			errs = append(errs, *e)
			continue
		}
		c.fill(sp, spans.AppendEmpty())
	}
	return td, errs
}

// validate checks a span's fields; nil means valid.
func (c *converter) validate(sp *atv1.Span, now int64) *spanError {
	if _, err := canonical.ParseTraceID(sp.GetTraceId()); err != nil {
		return &spanError{field: "trace_id", message: fmt.Sprintf("%q: %v", clip(sp.GetTraceId()), err)}
	}
	if _, err := canonical.ParseSpanID(sp.GetSpanId()); err != nil {
		return &spanError{field: "span_id", message: fmt.Sprintf("%q: %v", clip(sp.GetSpanId()), err)}
	}
	if p := sp.GetParentSpanId(); p != "" {
		if _, err := canonical.ParseSpanID(p); err != nil {
			return &spanError{field: "parent_span_id", message: fmt.Sprintf("%q: %v", clip(p), err)}
		}
		if p == sp.GetSpanId() {
			return &spanError{field: "parent_span_id", message: "a span cannot be its own parent"}
		}
	}
	if _, ok := atv1.SpanType_name[int32(sp.GetType())]; !ok {
		return &spanError{field: "type", message: fmt.Sprintf("unknown span type %d", sp.GetType())}
	}
	if _, ok := atv1.SpanStatus_name[int32(sp.GetStatus())]; !ok {
		return &spanError{field: "status", message: fmt.Sprintf("unknown status %d", sp.GetStatus())}
	}
	start, end := sp.GetStartTimeUnixNano(), sp.GetEndTimeUnixNano()
	switch {
	case start == 0:
		return &spanError{field: "start_time_unix_nano", message: "required"}
	case start < earliestStart || start > now+int64(maxFutureSkew):
		return &spanError{field: "start_time_unix_nano", message: fmt.Sprintf(
			"%d is not a plausible time in Unix nanoseconds (want 2000-01-01 to now+24h)", start)}
	case end != 0 && end < start:
		return &spanError{field: "end_time_unix_nano", message: fmt.Sprintf("%d is before start_time_unix_nano %d", end, start)}
	case end > now+int64(maxFutureSkew):
		return &spanError{field: "end_time_unix_nano", message: fmt.Sprintf("%d is in the future", end)}
	}
	st := sp.GetStatus()
	if end == 0 && st != atv1.SpanStatus_SPAN_STATUS_RUNNING && st != atv1.SpanStatus_SPAN_STATUS_UNSPECIFIED {
		return &spanError{field: "end_time_unix_nano", message: "required unless status is running"}
	}
	if end != 0 && st == atv1.SpanStatus_SPAN_STATUS_RUNNING {
		return &spanError{field: "status", message: "running span must not have an end time"}
	}
	if u := sp.GetUsage(); u != nil {
		for _, f := range []struct {
			name string
			v    int64
		}{
			{"input_tokens", u.GetInputTokens()}, {"output_tokens", u.GetOutputTokens()},
			{"cache_read_tokens", u.GetCacheReadTokens()}, {"cache_write_tokens", u.GetCacheWriteTokens()},
			{"cache_write_1h_tokens", u.GetCacheWrite_1HTokens()}, {"reasoning_tokens", u.GetReasoningTokens()},
		} {
			if f.v < 0 {
				return &spanError{field: "usage." + f.name, message: fmt.Sprintf("negative count %d", f.v)}
			}
			// A sum of buckets must not overflow int64 further down the pipeline.
			if f.v > 1<<50 {
				return &spanError{field: "usage." + f.name, message: fmt.Sprintf("%d is beyond any real token count", f.v)}
			}
		}
	}
	if sp.ReportedCostUsd != nil {
		if v := sp.GetReportedCostUsd(); math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return &spanError{field: "reported_cost_usd", message: fmt.Sprintf("%v is not a cost", v)}
		}
	}
	if r := sp.GetRequest(); r != nil {
		for _, f := range []struct {
			name string
			p    *float64
		}{{"request.temperature", r.Temperature}, {"request.top_p", r.TopP}} {
			if f.p != nil && (math.IsNaN(*f.p) || math.IsInf(*f.p, 0)) {
				return &spanError{field: f.name, message: "not a finite number"}
			}
		}
	}
	if n := len(sp.GetAttributes()); n > c.limits.maxAttributes {
		return &spanError{field: "attributes", message: fmt.Sprintf("%d entries exceed the limit of %d", n, c.limits.maxAttributes)}
	}
	if n := len(sp.GetEvents()); n > c.limits.maxEvents {
		return &spanError{field: "events", message: fmt.Sprintf("%d events exceed the limit of %d", n, c.limits.maxEvents)}
	}
	return nil
}

// fill writes a validated native span into out with canonical attributes.
func (c *converter) fill(sp *atv1.Span, out ptrace.Span) {
	tid, _ := canonical.ParseTraceID(sp.GetTraceId())
	sid, _ := canonical.ParseSpanID(sp.GetSpanId())
	out.SetTraceID(tid)
	out.SetSpanID(sid)
	if p := sp.GetParentSpanId(); p != "" {
		pid, _ := canonical.ParseSpanID(p)
		out.SetParentSpanID(pid)
	}
	typ := spanType(sp.GetType())
	status := spanStatus(sp.GetStatus(), sp.GetEndTimeUnixNano())
	name := sanitize(sp.GetName())
	if name == "" {
		name = string(typ)
	}
	out.SetName(name)
	out.SetStartTimestamp(pcommon.Timestamp(sp.GetStartTimeUnixNano()))
	out.SetEndTimestamp(pcommon.Timestamp(sp.GetEndTimeUnixNano()))
	switch typ {
	case canonical.TypeLLMCall, canonical.TypeEmbedding, canonical.TypeAPICall:
		out.SetKind(ptrace.SpanKindClient)
	default:
		out.SetKind(ptrace.SpanKindInternal)
	}
	switch status {
	case canonical.StatusOK:
		out.Status().SetCode(ptrace.StatusCodeOk)
	case canonical.StatusError, canonical.StatusTimeout:
		out.Status().SetCode(ptrace.StatusCodeError)
	}
	out.Status().SetMessage(sanitize(sp.GetStatusMessage()))

	attrs := out.Attributes()
	attrs.EnsureCapacity(len(sp.GetAttributes()) + 24)
	// Free attributes first, so the native fields below win on a clash.
	for k, v := range sp.GetAttributes() {
		k = sanitize(k)
		if putValue(attrs.PutEmpty(k), v, 0, c.limits.maxContentBytes) {
			attrs.PutBool(k+".truncated", true)
		}
	}
	attrs.PutStr(canonical.AttrSpanType, string(typ))
	attrs.PutStr(canonical.AttrSpanStatus, string(status))
	if op := operationName(typ); op != "" {
		attrs.PutStr(canonical.GenAIOperationName, op)
	}
	putStr(attrs, canonical.AttrSessionID, sp.GetSessionId())
	putStr(attrs, canonical.GenAIConversationID, sp.GetSessionId())
	putStr(attrs, canonical.ErrorType, sp.GetErrorCode())
	putStr(attrs, canonical.GenAIRequestModel, sp.GetModel())
	putStr(attrs, canonical.GenAIProviderName, sp.GetProvider())
	if r := sp.GetRequest(); r != nil {
		if r.Temperature != nil {
			attrs.PutDouble(canonical.GenAIRequestTemperature, r.GetTemperature())
		}
		if r.MaxTokens != nil {
			attrs.PutInt(canonical.GenAIRequestMaxTokens, r.GetMaxTokens())
		}
		if r.TopP != nil {
			attrs.PutDouble(canonical.GenAIRequestTopP, r.GetTopP())
		}
		if r.ThinkingEnabled != nil {
			attrs.PutBool(canonical.AttrThinking, r.GetThinkingEnabled())
		}
		if r.ThinkingBudgetTokens != nil {
			attrs.PutInt(canonical.AttrThinkingBudget, r.GetThinkingBudgetTokens())
		}
		if r.GetStopReason() != "" {
			attrs.PutEmptySlice(canonical.GenAIFinishReasons).AppendEmpty().SetStr(sanitize(r.GetStopReason()))
		}
	}
	c.putContent(attrs, canonical.AttrPrompt, sp.GetPrompt())
	c.putContent(attrs, canonical.AttrResponse, sp.GetResponse())
	if t := sp.GetTool(); t != nil {
		putStr(attrs, canonical.GenAIToolName, t.GetName())
		putStr(attrs, canonical.GenAIToolCallID, t.GetCallId())
		c.putContent(attrs, canonical.GenAIToolCallArguments, t.GetInput())
		c.putContent(attrs, canonical.GenAIToolCallResult, t.GetOutput())
		if t.Success != nil {
			attrs.PutBool(canonical.AttrToolSuccess, t.GetSuccess())
		}
	}
	if f := sp.GetFile(); f != nil {
		putStr(attrs, canonical.AttrFilePath, f.GetPath())
		putStr(attrs, canonical.AttrFileOperation, f.GetOperation())
		if f.GetBytes() != 0 {
			attrs.PutInt(canonical.AttrFileBytes, f.GetBytes())
		}
		if f.GetLines() != 0 {
			attrs.PutInt(canonical.AttrFileLines, f.GetLines())
		}
	}
	if u := sp.GetUsage(); u != nil {
		t := canonical.Tokens{
			Input: u.GetInputTokens(), Output: u.GetOutputTokens(), CacheRead: u.GetCacheReadTokens(),
			CacheWrite5m: u.GetCacheWriteTokens(), CacheWrite1h: u.GetCacheWrite_1HTokens(),
			Reasoning: u.GetReasoningTokens(), Present: true,
		}
		canonical.PutGenAIUsage(attrs, t)
		canonical.PutTokens(attrs, t)
	}
	if sp.ReportedCostUsd != nil {
		attrs.PutDouble(canonical.GenAICost, sp.GetReportedCostUsd())
	}
	putStr(attrs, canonical.AttrFramework, sp.GetFramework())
	putStr(attrs, canonical.AttrFrameworkVer, sp.GetFrameworkVersion())
	putStr(attrs, canonical.AttrSDKVersion, sp.GetSdkVersion())
	putStr(attrs, canonical.HostName, sp.GetHostname())
	putStr(attrs, canonical.GenAIAgentName, sp.GetAgentName())
	putStr(attrs, canonical.UserID, sp.GetUserId())
	if tags := sp.GetTags(); len(tags) > 0 {
		sl := attrs.PutEmptySlice(canonical.AttrTags)
		sl.EnsureCapacity(len(tags))
		for _, t := range tags {
			sl.AppendEmpty().SetStr(sanitize(t))
		}
	}
	events := out.Events()
	for _, ev := range sp.GetEvents() {
		e := events.AppendEmpty()
		e.SetName(sanitize(ev.GetName()))
		ts := ev.GetTimeUnixNano()
		if ts <= 0 {
			ts = sp.GetStartTimeUnixNano()
		}
		e.SetTimestamp(pcommon.Timestamp(ts))
		for k, v := range ev.GetAttributes() {
			v, _ = truncate(sanitize(v), c.limits.maxContentBytes)
			e.Attributes().PutStr(sanitize(k), v)
		}
	}
}

func (c *converter) putContent(attrs pcommon.Map, key, text string) {
	if text == "" {
		return
	}
	text = sanitize(text)
	if cut, ok := truncate(text, c.limits.maxContentBytes); ok {
		attrs.PutStr(key, cut)
		attrs.PutBool(key+".truncated", true)
		attrs.PutInt(key+".original_bytes", int64(len(text)))
		return
	}
	attrs.PutStr(key, text)
}

// truncate cuts text to at most max bytes (0: no limit) on a rune boundary
// and reports whether it cut.
func truncate(text string, max int) (string, bool) {
	if max <= 0 || len(text) <= max {
		return text, false
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut], true
}

func putStr(attrs pcommon.Map, key, v string) {
	if v != "" {
		attrs.PutStr(key, sanitize(v))
	}
}

// maxValueDepth bounds nesting of free attribute values.
const maxValueDepth = 8

// putValue writes a free attribute value; strings longer than maxBytes are
// truncated like prompts (max_content_bytes), and it reports whether any
// string in v was.
func putValue(dst pcommon.Value, v *structpb.Value, depth, maxBytes int) (truncated bool) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		s, cut := truncate(sanitize(k.StringValue), maxBytes)
		dst.SetStr(s)
		return cut
	case *structpb.Value_BoolValue:
		dst.SetBool(k.BoolValue)
	case *structpb.Value_NumberValue:
		f := k.NumberValue
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			dst.SetInt(int64(f))
		} else {
			dst.SetDouble(f)
		}
	case *structpb.Value_ListValue:
		if depth >= maxValueDepth {
			dst.SetStr("[nested too deep]")
			return
		}
		sl := dst.SetEmptySlice()
		for _, e := range k.ListValue.GetValues() {
			truncated = putValue(sl.AppendEmpty(), e, depth+1, maxBytes) || truncated
		}
	case *structpb.Value_StructValue:
		if depth >= maxValueDepth {
			dst.SetStr("{nested too deep}")
			return
		}
		m := dst.SetEmptyMap()
		for key, e := range k.StructValue.GetFields() {
			truncated = putValue(m.PutEmpty(sanitize(key)), e, depth+1, maxBytes) || truncated
		}
	default: // null or unset
		dst.SetStr("")
	}
	return truncated
}

// sanitize makes text safe for every store: valid UTF-8 and no NUL bytes
// (PostgreSQL text rejects NUL). Valid text is returned as is, unallocated.
func sanitize(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch r {
		case 0:
			continue
		case utf8.RuneError:
			b = utf8.AppendRune(b, '\uFFFD')
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// clip shortens a bad value quoted in an error message.
func clip(s string) string {
	s = sanitize(s)
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func spanType(t atv1.SpanType) canonical.SpanType {
	if t == atv1.SpanType_SPAN_TYPE_UNSPECIFIED {
		return canonical.TypeCustom
	}
	return canonical.SpanTypes[int(t)-1]
}

func spanStatus(s atv1.SpanStatus, end int64) canonical.Status {
	switch s {
	case atv1.SpanStatus_SPAN_STATUS_RUNNING:
		return canonical.StatusRunning
	case atv1.SpanStatus_SPAN_STATUS_OK:
		return canonical.StatusOK
	case atv1.SpanStatus_SPAN_STATUS_ERROR:
		return canonical.StatusError
	case atv1.SpanStatus_SPAN_STATUS_CANCELLED:
		return canonical.StatusCancelled
	case atv1.SpanStatus_SPAN_STATUS_TIMEOUT:
		return canonical.StatusTimeout
	}
	if end == 0 {
		return canonical.StatusRunning
	}
	return canonical.StatusOK
}

// operationName maps a span type to the GenAI operation name stock
// consumers understand.
func operationName(t canonical.SpanType) string {
	switch t {
	case canonical.TypeLLMCall:
		return "chat"
	case canonical.TypeEmbedding:
		return "embeddings"
	case canonical.TypeToolExecution:
		return "execute_tool"
	case canonical.TypeAgent:
		return "invoke_agent"
	case canonical.TypeRetrieval:
		return "retrieval"
	case canonical.TypeGuardrail:
		return "apply_guardrail"
	}
	return ""
}
