package agenttracereceiver

import (
	"bytes"
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

// converted is a converted batch: the valid spans, one spanError per
// invalid span, and what the session tracker counts of the valid spans.
type converted struct {
	td       ptrace.Traces
	errs     []spanError
	sessions []sessionSpan
}

// newBatch starts the pdata of a batch of n spans.
func (c *converter) newBatch(serviceName, sdkVersion string, n int) (ptrace.Traces, ptrace.SpanSlice) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	if serviceName == "" {
		serviceName = "agenttrace-agent"
	}
	res.PutStr(canonical.ServiceName, sanitize(serviceName))
	res.PutStr("telemetry.sdk.name", "agenttrace")
	if sdkVersion != "" {
		res.PutStr(canonical.TelemetrySDKVersion, sanitize(sdkVersion))
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	spans := ss.Spans()
	spans.EnsureCapacity(n)
	return td, spans
}

// convertProto appends every valid span of b to a new ptrace.Traces and
// returns one spanError per invalid span. decodeErrs are spans that could not
// even be decoded (index → error), reported in order with the others.
func (c *converter) convertProto(b *atv1.SpanBatch, decodeErrs map[int]error) converted {
	td, spans := c.newBatch(b.GetServiceName(), b.GetSdkVersion(), len(b.GetSpans()))
	out := converted{td: td}
	now := c.now().UnixNano()
	var sf spanFields
	for i, sp := range b.GetSpans() {
		if err, bad := decodeErrs[i]; bad {
			// The protobuf library varies its message spacing
			// on purpose; clean it so the text is stable.
			out.errs = append(out.errs, spanError{index: i, field: "span", message: "undecodable: " + cleanProtoJSONError(err).Error()})
			continue
		}
		sf.fromProto(sp)
		c.add(&out, spans, i, &sf, now)
	}
	return out
}

// add validates span i of a batch and appends it to spans, or its error to
// out.errs.
func (c *converter) add(out *converted, spans ptrace.SpanSlice, i int, sf *spanFields, now int64) {
	if e := c.validate(sf, now); e != nil {
		e.index = i
		e.spanID = clip(string(sf.spanID))
		out.errs = append(out.errs, *e)
		return
	}
	c.fill(sf, spans.AppendEmpty())
	if sf.sessionID != "" && sf.end != 0 {
		out.sessions = append(out.sessions, sessionSpan{
			sessionID: sf.sessionID, traceID: sf.traceID, typ: sf.typ, status: sf.status,
			start: sf.start, usage: sf.usage, hasUsage: sf.hasUsage, cost: sf.cost, hasCost: sf.hasCost,
		})
	}
}

// spanFields are the fields of one native span that validate and fill read,
// from an unmarshalled atv1.Span (fromProto) or straight from the protobuf
// wire format (wireDecoder.decodeSpan). Ids are kept as bytes: they are
// parsed, never stored.
type spanFields struct {
	traceID, spanID, parentSpanID []byte
	tid                           pcommon.TraceID // parsed by validate
	sid, pid                      pcommon.SpanID

	sessionID, name, statusMessage, errorCode, model, provider, prompt, response string
	framework, frameworkVersion, sdkVersion, hostname, agentName, userID         string

	typ, status int32 // atv1.SpanType, atv1.SpanStatus
	start, end  int64

	hasRequest, hasTool, hasFile, hasUsage, hasCost bool
	request                                         requestFields
	tool                                            toolFields
	file                                            fileFields
	usage                                           usageFields
	cost                                            float64

	nAttributes, nEvents, nTags int

	// Attributes, events and tags are read from pb (JSON) or wire
	// (protobuf), whichever is set.
	pb   *atv1.Span
	wire *wireDecoder
}

type requestFields struct {
	temperature, topP                                                     float64
	maxTokens, thinkingBudget                                             int64
	thinking                                                              bool
	hasTemperature, hasTopP, hasMaxTokens, hasThinking, hasThinkingBudget bool
	stopReason                                                            string
}

type toolFields struct {
	name, callID, input, output string
	success, hasSuccess         bool
}

type fileFields struct {
	path, operation string
	bytes, lines    int64
}

// usageFields are TokenUsage's fields in field-number order.
type usageFields [6]int64

func (u usageFields) tokens() canonical.Tokens {
	return canonical.Tokens{
		Input: u[0], Output: u[1], CacheRead: u[2], CacheWrite5m: u[3], CacheWrite1h: u[4],
		Reasoning: u[5], Present: true,
	}
}

// usageNames name usageFields in errors.
var usageNames = [6]string{"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens"}

func (sf *spanFields) fromProto(sp *atv1.Span) {
	*sf = spanFields{
		traceID: []byte(sp.GetTraceId()), spanID: []byte(sp.GetSpanId()), parentSpanID: []byte(sp.GetParentSpanId()),
		sessionID: sp.GetSessionId(), name: sp.GetName(), statusMessage: sp.GetStatusMessage(), errorCode: sp.GetErrorCode(),
		model: sp.GetModel(), provider: sp.GetProvider(), prompt: sp.GetPrompt(), response: sp.GetResponse(),
		framework: sp.GetFramework(), frameworkVersion: sp.GetFrameworkVersion(), sdkVersion: sp.GetSdkVersion(),
		hostname: sp.GetHostname(), agentName: sp.GetAgentName(), userID: sp.GetUserId(),
		typ: int32(sp.GetType()), status: int32(sp.GetStatus()),
		start: sp.GetStartTimeUnixNano(), end: sp.GetEndTimeUnixNano(),
		nAttributes: len(sp.GetAttributes()), nEvents: len(sp.GetEvents()), nTags: len(sp.GetTags()),
		pb: sp,
	}
	if r := sp.GetRequest(); r != nil {
		sf.hasRequest = true
		sf.request = requestFields{
			temperature: r.GetTemperature(), topP: r.GetTopP(), maxTokens: r.GetMaxTokens(),
			thinkingBudget: r.GetThinkingBudgetTokens(), thinking: r.GetThinkingEnabled(),
			hasTemperature: r.Temperature != nil, hasTopP: r.TopP != nil, hasMaxTokens: r.MaxTokens != nil,
			hasThinking: r.ThinkingEnabled != nil, hasThinkingBudget: r.ThinkingBudgetTokens != nil,
			stopReason: r.GetStopReason(),
		}
	}
	if t := sp.GetTool(); t != nil {
		sf.hasTool = true
		sf.tool = toolFields{name: t.GetName(), callID: t.GetCallId(), input: t.GetInput(), output: t.GetOutput(),
			success: t.GetSuccess(), hasSuccess: t.Success != nil}
	}
	if f := sp.GetFile(); f != nil {
		sf.hasFile = true
		sf.file = fileFields{path: f.GetPath(), operation: f.GetOperation(), bytes: f.GetBytes(), lines: f.GetLines()}
	}
	if u := sp.GetUsage(); u != nil {
		sf.hasUsage = true
		sf.usage = usageFields{u.GetInputTokens(), u.GetOutputTokens(), u.GetCacheReadTokens(),
			u.GetCacheWriteTokens(), u.GetCacheWrite_1HTokens(), u.GetReasoningTokens()}
	}
	if sp.ReportedCostUsd != nil {
		sf.hasCost, sf.cost = true, sp.GetReportedCostUsd()
	}
}

// validate checks a span's fields; nil means valid.
func (c *converter) validate(sp *spanFields, now int64) *spanError {
	var err error
	if sp.tid, err = canonical.ParseTraceID(string(sp.traceID)); err != nil {
		return &spanError{field: "trace_id", message: fmt.Sprintf("%q: %v", clip(string(sp.traceID)), err)}
	}
	if sp.sid, err = canonical.ParseSpanID(string(sp.spanID)); err != nil {
		return &spanError{field: "span_id", message: fmt.Sprintf("%q: %v", clip(string(sp.spanID)), err)}
	}
	if p := sp.parentSpanID; len(p) != 0 {
		if sp.pid, err = canonical.ParseSpanID(string(p)); err != nil {
			return &spanError{field: "parent_span_id", message: fmt.Sprintf("%q: %v", clip(string(p)), err)}
		}
		if bytes.Equal(p, sp.spanID) {
			return &spanError{field: "parent_span_id", message: "a span cannot be its own parent"}
		}
	}
	if _, ok := atv1.SpanType_name[sp.typ]; !ok {
		return &spanError{field: "type", message: fmt.Sprintf("unknown span type %d", sp.typ)}
	}
	if _, ok := atv1.SpanStatus_name[sp.status]; !ok {
		return &spanError{field: "status", message: fmt.Sprintf("unknown status %d", sp.status)}
	}
	start, end := sp.start, sp.end
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
	st := atv1.SpanStatus(sp.status)
	if end == 0 && st != atv1.SpanStatus_SPAN_STATUS_RUNNING && st != atv1.SpanStatus_SPAN_STATUS_UNSPECIFIED {
		return &spanError{field: "end_time_unix_nano", message: "required unless status is running"}
	}
	if end != 0 && st == atv1.SpanStatus_SPAN_STATUS_RUNNING {
		return &spanError{field: "status", message: "running span must not have an end time"}
	}
	if sp.hasUsage {
		for i, v := range sp.usage {
			if v < 0 {
				return &spanError{field: "usage." + usageNames[i], message: fmt.Sprintf("negative count %d", v)}
			}
			// A sum of buckets must not overflow int64 further down the pipeline.
			if v > 1<<50 {
				return &spanError{field: "usage." + usageNames[i], message: fmt.Sprintf("%d is beyond any real token count", v)}
			}
		}
	}
	if sp.hasCost {
		if v := sp.cost; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return &spanError{field: "reported_cost_usd", message: fmt.Sprintf("%v is not a cost", v)}
		}
	}
	if r := &sp.request; sp.hasRequest {
		if r.hasTemperature && (math.IsNaN(r.temperature) || math.IsInf(r.temperature, 0)) {
			return &spanError{field: "request.temperature", message: "not a finite number"}
		}
		if r.hasTopP && (math.IsNaN(r.topP) || math.IsInf(r.topP, 0)) {
			return &spanError{field: "request.top_p", message: "not a finite number"}
		}
	}
	if n := sp.nAttributes; n > c.limits.maxAttributes {
		return &spanError{field: "attributes", message: fmt.Sprintf("%d entries exceed the limit of %d", n, c.limits.maxAttributes)}
	}
	if n := sp.nEvents; n > c.limits.maxEvents {
		return &spanError{field: "events", message: fmt.Sprintf("%d events exceed the limit of %d", n, c.limits.maxEvents)}
	}
	return nil
}

// fill writes a span validate accepted into out with canonical attributes.
func (c *converter) fill(sp *spanFields, out ptrace.Span) {
	out.SetTraceID(sp.tid)
	out.SetSpanID(sp.sid)
	if len(sp.parentSpanID) != 0 {
		out.SetParentSpanID(sp.pid)
	}
	// Text decoded here is known to be valid UTF-8: only NULs need going.
	clean := sanitize
	if sp.wire != nil {
		clean = stripNUL
	}
	typ := spanType(atv1.SpanType(sp.typ))
	status := spanStatus(atv1.SpanStatus(sp.status), sp.end)
	name := clean(sp.name)
	if name == "" {
		name = string(typ)
	}
	out.SetName(name)
	out.SetStartTimestamp(pcommon.Timestamp(sp.start))
	out.SetEndTimestamp(pcommon.Timestamp(sp.end))
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
	out.Status().SetMessage(clean(sp.statusMessage))

	attrs := out.Attributes()
	attrs.EnsureCapacity(sp.nAttributes + 24)
	put := func(key, v string) {
		if v != "" {
			attrs.PutStr(key, clean(v))
		}
	}
	// Free attributes first, so the native fields below win on a clash.
	if sp.wire != nil {
		sp.wire.fillAttributes(c, attrs)
	} else {
		for k, v := range sp.pb.GetAttributes() {
			k = sanitize(k)
			if putValue(attrs.PutEmpty(k), v, 0, c.limits.maxContentBytes) {
				attrs.PutBool(k+".truncated", true)
			}
		}
	}
	attrs.PutStr(canonical.AttrSpanType, string(typ))
	attrs.PutStr(canonical.AttrSpanStatus, string(status))
	if op := operationName(typ); op != "" {
		attrs.PutStr(canonical.GenAIOperationName, op)
	}
	put(canonical.AttrSessionID, sp.sessionID)
	put(canonical.GenAIConversationID, sp.sessionID)
	put(canonical.ErrorType, sp.errorCode)
	put(canonical.GenAIRequestModel, sp.model)
	put(canonical.GenAIProviderName, sp.provider)
	if r := &sp.request; sp.hasRequest {
		if r.hasTemperature {
			attrs.PutDouble(canonical.GenAIRequestTemperature, r.temperature)
		}
		if r.hasMaxTokens {
			attrs.PutInt(canonical.GenAIRequestMaxTokens, r.maxTokens)
		}
		if r.hasTopP {
			attrs.PutDouble(canonical.GenAIRequestTopP, r.topP)
		}
		if r.hasThinking {
			attrs.PutBool(canonical.AttrThinking, r.thinking)
		}
		if r.hasThinkingBudget {
			attrs.PutInt(canonical.AttrThinkingBudget, r.thinkingBudget)
		}
		if r.stopReason != "" {
			attrs.PutEmptySlice(canonical.GenAIFinishReasons).AppendEmpty().SetStr(clean(r.stopReason))
		}
	}
	c.putContent(attrs, canonical.AttrPrompt, clean(sp.prompt))
	c.putContent(attrs, canonical.AttrResponse, clean(sp.response))
	if t := &sp.tool; sp.hasTool {
		put(canonical.GenAIToolName, t.name)
		put(canonical.GenAIToolCallID, t.callID)
		c.putContent(attrs, canonical.GenAIToolCallArguments, clean(t.input))
		c.putContent(attrs, canonical.GenAIToolCallResult, clean(t.output))
		if t.hasSuccess {
			attrs.PutBool(canonical.AttrToolSuccess, t.success)
		}
	}
	if f := &sp.file; sp.hasFile {
		put(canonical.AttrFilePath, f.path)
		put(canonical.AttrFileOperation, f.operation)
		if f.bytes != 0 {
			attrs.PutInt(canonical.AttrFileBytes, f.bytes)
		}
		if f.lines != 0 {
			attrs.PutInt(canonical.AttrFileLines, f.lines)
		}
	}
	if sp.hasUsage {
		t := sp.usage.tokens()
		canonical.PutGenAIUsage(attrs, t)
		canonical.PutTokens(attrs, t)
	}
	if sp.hasCost {
		attrs.PutDouble(canonical.GenAICost, sp.cost)
	}
	put(canonical.AttrFramework, sp.framework)
	put(canonical.AttrFrameworkVer, sp.frameworkVersion)
	put(canonical.AttrSDKVersion, sp.sdkVersion)
	put(canonical.HostName, sp.hostname)
	put(canonical.GenAIAgentName, sp.agentName)
	put(canonical.UserID, sp.userID)
	if sp.nTags > 0 {
		sl := attrs.PutEmptySlice(canonical.AttrTags)
		sl.EnsureCapacity(sp.nTags)
		if sp.wire != nil {
			sp.wire.fillTags(sl)
		} else {
			for _, t := range sp.pb.GetTags() {
				sl.AppendEmpty().SetStr(sanitize(t))
			}
		}
	}
	if sp.nEvents == 0 {
		return
	}
	events := out.Events()
	events.EnsureCapacity(sp.nEvents)
	if sp.wire != nil {
		sp.wire.fillEvents(c, events, sp.start)
		return
	}
	for _, ev := range sp.pb.GetEvents() {
		e := events.AppendEmpty()
		e.SetName(sanitize(ev.GetName()))
		ts := ev.GetTimeUnixNano()
		if ts <= 0 {
			ts = sp.start
		}
		e.SetTimestamp(pcommon.Timestamp(ts))
		for k, v := range ev.GetAttributes() {
			v, _ = truncate(sanitize(v), c.limits.maxContentBytes)
			e.Attributes().PutStr(sanitize(k), v)
		}
	}
}

// putContent writes sanitized text, truncated to max_content_bytes.
func (c *converter) putContent(attrs pcommon.Map, key, text string) {
	if text == "" {
		return
	}
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

// stripNUL is sanitize for text known to be valid UTF-8.
func stripNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return sanitize(s)
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
