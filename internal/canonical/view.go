package canonical

import (
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// raw collects the candidate values of one span in a single pass over its
// attributes; resolve then applies each concept's precedence. One pass with
// a switch is cheaper than repeated pcommon.Map.Get calls, which scan.
type raw struct {
	spanType, status, opName, oiKind, tlKind, tlRequestType string

	provider, system, oiProvider, oiSystem              string
	respModel, reqModel, oiRespModel, oiModel           string
	sessionID, convID, oiSessionID, tlSessionID         string
	userID, tlUserID                                    string
	agentName, oiAgentName, tlEntityName                string
	toolName, oiToolName, toolCallID, oiToolID          string
	toolArgs, oiToolParams, toolResult                  string
	prompt, response, inMessages, outMessages           string
	inputValue, outputValue, tlInput, tlOutput          string
	promptParts, completionParts, oiInParts, oiOutParts []string
	errorType                                           string

	// Token candidates: -1 means absent.
	exIn, exCacheRead, exCW5, exCW1h, exOut, exReason    int64 // agenttrace.tokens.*
	inTotal, promptTotal, oiPrompt                       int64
	outTotal, complTotal, oiCompl                        int64
	cacheRead, tlCacheRead, oiCacheRead                  int64
	cacheWrite, tlCacheWrite, oiCacheWrite, cacheWrite1h int64
	cacheWriteAlt                                        int64
	reasoning, tlReasoning, tlReasoning2, oiReasoning    int64
	total, tlTotal, oiTotal                              int64
	estimated                                            bool

	reportedCost, genaiCost, oiCost *float64
}

func newRaw() raw {
	return raw{
		exIn: -1, exCacheRead: -1, exCW5: -1, exCW1h: -1, exOut: -1, exReason: -1,
		inTotal: -1, promptTotal: -1, oiPrompt: -1,
		outTotal: -1, complTotal: -1, oiCompl: -1,
		cacheRead: -1, tlCacheRead: -1, oiCacheRead: -1,
		cacheWrite: -1, tlCacheWrite: -1, oiCacheWrite: -1, cacheWrite1h: -1, cacheWriteAlt: -1,
		reasoning: -1, tlReasoning: -1, tlReasoning2: -1, oiReasoning: -1,
		total: -1, tlTotal: -1, oiTotal: -1,
	}
}

// Read fills dst with the canonical view of span (and its resource's
// attributes). dst is reset first, so callers may reuse it across spans.
func Read(dst *Span, span ptrace.Span, resource pcommon.Resource) {
	ReadAttributes(dst, span, resource)
	dst.TraceID = hexTraceID(span.TraceID())
	dst.SpanID = hexSpanID(span.SpanID())
	if p := span.ParentSpanID(); !p.IsEmpty() {
		dst.ParentSpanID = hexSpanID(p)
	}
}

// ReadAttributes is Read without the hex trace, span and parent ids (left
// empty): for processors that price or classify spans and never name them,
// it saves the three string allocations per span.
func ReadAttributes(dst *Span, span ptrace.Span, resource pcommon.Resource) {
	*dst = Span{ChainStep: -1, ChainDepth: -1}
	dst.Name = span.Name()
	dst.StartUnixNano = int64(span.StartTimestamp())
	dst.EndUnixNano = int64(span.EndTimestamp())
	dst.StatusMessage = span.Status().Message()

	r := newRaw()
	resource.Attributes().Range(func(k string, v pcommon.Value) bool {
		switch k {
		case ServiceName:
			dst.ServiceName = v.AsString()
		case HostName:
			dst.Hostname = v.AsString()
		case TelemetrySDKVersion:
			dst.SDKVersion = v.AsString()
		case AttrProject:
			dst.Project = v.AsString()
		default:
			// Session and user ids are sometimes set for the whole resource.
			r.read(dst, k, v)
		}
		return true
	})
	span.Attributes().Range(func(k string, v pcommon.Value) bool {
		r.read(dst, k, v)
		return true
	})
	r.resolve(dst, span)
	if !ValidProject(dst.Project) {
		// An unusable name is not trusted to pick a tenant; receivers with
		// ingest keys stamp a valid one before this point.
		dst.Project = DefaultProject
	}
}

func (r *raw) read(dst *Span, k string, v pcommon.Value) {
	switch k {
	case AttrSpanType:
		r.spanType = v.Str()
	case AttrSpanStatus:
		r.status = v.Str()
	case GenAIOperationName:
		r.opName = v.Str()
	case OISpanKind:
		r.oiKind = v.Str()
	case TLSpanKind:
		r.tlKind = v.Str()
	case TLRequestType:
		r.tlRequestType = v.Str()

	case GenAIProviderName:
		r.provider = v.AsString()
	case GenAISystem:
		r.system = v.AsString()
	case OIProvider:
		r.oiProvider = v.AsString()
	case OISystem:
		r.oiSystem = v.AsString()
	case GenAIResponseModel:
		r.respModel = v.AsString()
	case GenAIRequestModel:
		r.reqModel = v.AsString()
	case OIResponseModelName:
		r.oiRespModel = v.AsString()
	case OIModelName:
		r.oiModel = v.AsString()

	case AttrSessionID:
		r.sessionID = v.AsString()
	case GenAIConversationID:
		r.convID = v.AsString()
	case OISessionID:
		r.oiSessionID = v.AsString()
	case UserID: // same key in OTel and OpenInference
		r.userID = v.AsString()
	case GenAIAgentName:
		r.agentName = v.AsString()
	case OIAgentName:
		r.oiAgentName = v.AsString()
	case TLEntityName:
		r.tlEntityName = v.AsString()
	case GenAIToolName:
		r.toolName = v.AsString()
	case OIToolName:
		r.oiToolName = v.AsString()
	case GenAIToolCallID:
		r.toolCallID = v.AsString()
	case OIToolID:
		r.oiToolID = v.AsString()
	case GenAIToolCallArguments:
		r.toolArgs = v.AsString()
	case OIToolParameters:
		r.oiToolParams = v.AsString()
	case GenAIToolCallResult:
		r.toolResult = v.AsString()
	case AttrToolSuccess:
		if v.Type() == pcommon.ValueTypeBool {
			b := v.Bool()
			dst.ToolSuccess = &b
		}

	case AttrPrompt:
		r.prompt = v.AsString()
	case AttrResponse:
		r.response = v.AsString()
	case GenAIInputMessages:
		r.inMessages = v.AsString()
	case GenAIOutputMessages:
		r.outMessages = v.AsString()
	case OIInputValue:
		r.inputValue = v.AsString()
	case OIOutputValue:
		r.outputValue = v.AsString()
	case TLEntityInput:
		r.tlInput = v.AsString()
	case TLEntityOutput:
		r.tlOutput = v.AsString()

	case GenAIRequestTemperature:
		if f, ok := asFloat(v); ok {
			dst.Temperature = &f
		}
	case GenAIRequestTopP:
		if f, ok := asFloat(v); ok {
			dst.TopP = &f
		}
	case GenAIRequestMaxTokens:
		if n, ok := asInt(v); ok {
			dst.MaxTokens = &n
		}
	case AttrThinking:
		if v.Type() == pcommon.ValueTypeBool {
			b := v.Bool()
			dst.ThinkingEnabled = &b
		}
	case AttrStopReason:
		dst.StopReason = v.AsString()
	case GenAIFinishReasons:
		if dst.StopReason == "" {
			if v.Type() == pcommon.ValueTypeSlice && v.Slice().Len() > 0 {
				dst.StopReason = v.Slice().At(0).AsString()
			} else if v.Type() == pcommon.ValueTypeStr {
				dst.StopReason = v.Str()
			}
		}
	case ErrorType:
		r.errorType = v.AsString()

	case AttrFilePath:
		dst.FilePath = v.AsString()
	case AttrFileOperation:
		dst.FileOperation = v.AsString()
	case AttrFileBytes:
		dst.FileBytes, _ = asInt(v)
	case AttrFileLines:
		dst.FileLines, _ = asInt(v)

	case HostName:
		dst.Hostname = v.AsString()
	case AttrFramework:
		dst.Framework = v.AsString()
	case AttrFrameworkVer:
		dst.FrameworkVersion = v.AsString()
	case AttrSDKVersion:
		dst.SDKVersion = v.AsString()
	case AttrTags:
		dst.Tags = asStrings(v)

	case AttrTokensInput:
		r.exIn = asIntOr(v)
	case AttrTokensCacheRead:
		r.exCacheRead = asIntOr(v)
	case AttrTokensCacheWrite5m:
		r.exCW5 = asIntOr(v)
	case AttrTokensCacheWrite1h:
		r.exCW1h = asIntOr(v)
	case AttrTokensOutput:
		r.exOut = asIntOr(v)
	case AttrTokensReasoning:
		r.exReason = asIntOr(v)
	case AttrTokensEstimated:
		r.estimated = v.Type() == pcommon.ValueTypeBool && v.Bool()
	case GenAIInputTokens:
		r.inTotal = asIntOr(v)
	case GenAIPromptTokens:
		r.promptTotal = asIntOr(v)
	case OIPromptTokens:
		r.oiPrompt = asIntOr(v)
	case GenAIOutputTokens:
		r.outTotal = asIntOr(v)
	case GenAICompletionTokens:
		r.complTotal = asIntOr(v)
	case OICompletionTokens:
		r.oiCompl = asIntOr(v)
	case GenAICacheReadTokens:
		r.cacheRead = asIntOr(v)
	case TLCacheReadTokens:
		r.tlCacheRead = asIntOr(v)
	case OICacheReadTokens:
		r.oiCacheRead = asIntOr(v)
	case GenAICacheWriteTokens:
		r.cacheWrite = asIntOr(v)
	case TLCacheWriteTokens:
		r.tlCacheWrite = asIntOr(v)
	case OICacheWriteTokens:
		r.oiCacheWrite = asIntOr(v)
	case AttrCacheWrite1h:
		r.cacheWrite1h = asIntOr(v)
	case GenAICacheWriteTokensAlt:
		r.cacheWriteAlt = asIntOr(v)
	case GenAITotalTokens:
		r.total = asIntOr(v)
	case TLTotalTokens:
		r.tlTotal = asIntOr(v)
	case OITotalTokens:
		r.oiTotal = asIntOr(v)
	case GenAIReasoningTokens:
		r.reasoning = asIntOr(v)
	case TLReasoningTokens:
		r.tlReasoning = asIntOr(v)
	case TLReasoningTokens2:
		r.tlReasoning2 = asIntOr(v)
	case OIReasoningTokens:
		r.oiReasoning = asIntOr(v)

	case AttrCostTotal:
		dst.Cost.Total, _ = asFloat(v)
	case AttrCostInput:
		dst.Cost.Input, _ = asFloat(v)
	case AttrCostCacheRead:
		dst.Cost.CacheRead, _ = asFloat(v)
	case AttrCostCacheWrite:
		dst.Cost.CacheWrite, _ = asFloat(v)
	case AttrCostOutput:
		dst.Cost.Output, _ = asFloat(v)
	case AttrCostReasoning:
		dst.Cost.Reasoning, _ = asFloat(v)
	case AttrCostStatus:
		dst.Cost.Status = v.AsString()
	case AttrCostPricingEntry:
		dst.Cost.PricingEntry = v.AsString()
	case AttrCostPricingDate:
		dst.Cost.PricingDate = v.AsString()
	case AttrCostReported:
		if f, ok := asFloat(v); ok {
			r.reportedCost = &f
		}
	case GenAICost:
		if f, ok := asFloat(v); ok {
			r.genaiCost = &f
		}
	case OICostTotal:
		if f, ok := asFloat(v); ok {
			r.oiCost = &f
		}

	case AttrChainStep:
		dst.ChainStep = asIntOr(v)
	case AttrChainDepth:
		dst.ChainDepth = asIntOr(v)
	case AttrChainPrevStep:
		dst.ChainFollows = v.AsString()
	case AttrChainCausedBy:
		dst.ChainRequestedBy = v.AsString()
	case AttrChainAnswers:
		dst.ChainAnswers = v.AsString()
	case AttrChainFlags:
		dst.Flags = asStrings(v)

	case AttrRecordKind:
		dst.SessionRecord = v.AsString() == RecordKindSession
	case AttrSessionName:
		dst.SessionName = v.AsString()
	case AttrSessionEvent:
		dst.SessionEvent = v.AsString()

	default:
		r.readIndexed(k, v)
	}
}

// readIndexed handles the conventions that spread one value over indexed
// keys (gen_ai.prompt.0.content, llm.input_messages.0.message.content) and
// Traceloop's association properties.
func (r *raw) readIndexed(k string, v pcommon.Value) {
	switch {
	case strings.HasPrefix(k, GenAIPromptPrefix) && strings.HasSuffix(k, ".content"):
		r.promptParts = append(r.promptParts, v.AsString())
	case strings.HasPrefix(k, GenAICompletionPrefix) && strings.HasSuffix(k, ".content"):
		r.completionParts = append(r.completionParts, v.AsString())
	case strings.HasPrefix(k, OIInputMessages) && strings.HasSuffix(k, ".message.content"):
		r.oiInParts = append(r.oiInParts, v.AsString())
	case strings.HasPrefix(k, OIOutputMessages) && strings.HasSuffix(k, ".message.content"):
		r.oiOutParts = append(r.oiOutParts, v.AsString())
	case strings.HasPrefix(k, TLAssociationProps):
		switch k[len(TLAssociationProps):] {
		case "session_id", "sessionId", "conversation_id":
			r.tlSessionID = v.AsString()
		case "user_id", "userId":
			r.tlUserID = v.AsString()
		}
	}
}

func (r *raw) resolve(dst *Span, span ptrace.Span) {
	dst.Provider = strings.ToLower(first(r.provider, r.system, r.oiProvider, r.oiSystem))
	dst.Model = first(r.respModel, r.reqModel, r.oiRespModel, r.oiModel)
	dst.SessionID = first(r.sessionID, r.convID, r.oiSessionID, r.tlSessionID)
	dst.UserID = first(r.userID, r.tlUserID)
	dst.ErrorCode = r.errorType

	dst.Type = r.classify(dst)
	switch dst.Type {
	case TypeAgent:
		dst.AgentName = first(r.agentName, r.oiAgentName, r.tlEntityName)
	default:
		dst.AgentName = first(r.agentName, r.oiAgentName)
	}
	isTool := dst.Type == TypeToolExecution
	dst.ToolName = first(r.toolName, r.oiToolName)
	if dst.ToolName == "" && isTool {
		dst.ToolName = first(r.tlEntityName, dst.Name)
	}
	dst.ToolCallID = first(r.toolCallID, r.oiToolID)
	dst.ToolInput = first(r.toolArgs, r.oiToolParams)
	dst.ToolOutput = r.toolResult
	if isTool {
		dst.ToolInput = first(dst.ToolInput, r.inputValue, r.tlInput)
		dst.ToolOutput = first(dst.ToolOutput, r.outputValue, r.tlOutput)
	}

	dst.Prompt = first(r.prompt, r.inMessages, join(r.promptParts), join(r.oiInParts), r.inputValue, r.tlInput)
	dst.Response = first(r.response, r.outMessages, join(r.completionParts), join(r.oiOutParts), r.outputValue, r.tlOutput)

	dst.Status = r.resolveStatus(dst, span)
	dst.ReportedCost = firstFloat(r.reportedCost, r.genaiCost, r.oiCost)
	dst.Tokens = r.tokens()
}

func (r *raw) resolveStatus(dst *Span, span ptrace.Span) Status {
	if st, ok := ParseStatus(r.status); ok {
		return st
	}
	if span.Status().Code() == ptrace.StatusCodeError {
		return StatusError
	}
	if dst.EndUnixNano == 0 {
		return StatusRunning
	}
	return StatusOK
}

// classify decides the span type: AgentTrace's own attribute first, then
// each convention's kind attribute, then evidence from the other fields.
func (r *raw) classify(dst *Span) SpanType {
	if t, ok := ParseSpanType(r.spanType); ok {
		return t
	}
	if t := typeFromOperation(r.opName); t != "" {
		return t
	}
	if t := typeFromOpenInference(r.oiKind); t != "" {
		return t
	}
	if t := typeFromTraceloop(r.tlKind, r.tlRequestType); t != "" {
		return t
	}
	switch {
	case r.toolName != "" || r.oiToolName != "":
		return TypeToolExecution
	case dst.Model != "":
		return TypeLLMCall
	}
	return TypeCustom
}

func typeFromOperation(op string) SpanType {
	switch op {
	case "":
		return ""
	case "chat", "text_completion", "generate_content", "completion":
		return TypeLLMCall
	case "embeddings", "embedding":
		return TypeEmbedding
	case "retrieval":
		return TypeRetrieval
	case "execute_tool":
		return TypeToolExecution
	case "invoke_agent", "create_agent":
		return TypeAgent
	case "invoke_workflow":
		return TypeTask
	case "plan":
		return TypeReasoning
	case "apply_guardrail":
		return TypeGuardrail
	}
	if strings.Contains(op, "memory") {
		for _, w := range []string{"search", "retriev", "get", "query", "read", "recall"} {
			if strings.Contains(op, w) {
				return TypeMemoryRetrieval
			}
		}
		return TypeMemoryStore
	}
	return ""
}

func typeFromOpenInference(kind string) SpanType {
	switch strings.ToUpper(kind) {
	case "LLM":
		return TypeLLMCall
	case "EMBEDDING":
		return TypeEmbedding
	case "CHAIN":
		return TypeTask
	case "RETRIEVER", "RERANKER":
		return TypeRetrieval
	case "TOOL":
		return TypeToolExecution
	case "AGENT":
		return TypeAgent
	case "GUARDRAIL":
		return TypeGuardrail
	case "EVALUATOR":
		return TypeVerification
	case "PROMPT":
		return TypeReasoning
	}
	return ""
}

func typeFromTraceloop(kind, requestType string) SpanType {
	switch kind {
	case "workflow", "task":
		return TypeTask
	case "agent":
		return TypeAgent
	case "tool":
		return TypeToolExecution
	}
	switch requestType {
	case "chat", "completion":
		return TypeLLMCall
	case "embedding":
		return TypeEmbedding
	case "rerank":
		return TypeRetrieval
	}
	return ""
}

// tokens derives exclusive buckets. The tokencost processor's
// agenttrace.tokens.* buckets win when present (they are already exclusive).
// Otherwise the convention totals are used: every supported convention's
// input total includes cache reads and writes and its output total includes
// reasoning, so those are subtracted exactly once. Instrumentations that
// pass raw provider usage through break that rule (raw Anthropic and Bedrock
// input excludes cache tokens; Gemini's candidates count excludes thoughts),
// so a reported total token count, when present, decides: the reading whose
// buckets add up to the total wins. Without a total, an input count smaller
// than the cache counts is taken as raw (uncached) input, and an output
// count smaller than the reasoning count as text-only output.
// MaxTokenCount bounds a believable token count in one bucket (about 10^15).
// Larger counts are ignored like negative ones: summing buckets must not
// overflow int64 and a cost must stay finite.
const MaxTokenCount = 1 << 50

func (r *raw) tokens() Tokens {
	for _, c := range [...]*int64{
		&r.exIn, &r.exCacheRead, &r.exCW5, &r.exCW1h, &r.exOut, &r.exReason,
		&r.inTotal, &r.promptTotal, &r.oiPrompt, &r.outTotal, &r.complTotal, &r.oiCompl,
		&r.cacheRead, &r.tlCacheRead, &r.oiCacheRead, &r.cacheWrite, &r.tlCacheWrite, &r.oiCacheWrite,
		&r.cacheWrite1h, &r.cacheWriteAlt, &r.reasoning, &r.tlReasoning, &r.tlReasoning2, &r.oiReasoning,
		&r.total, &r.tlTotal, &r.oiTotal,
	} {
		if *c > MaxTokenCount { // not a real count: ignored, as a negative one is
			*c = -1
		}
	}
	if r.exIn >= 0 || r.exOut >= 0 || r.exCacheRead >= 0 || r.exCW5 >= 0 || r.exCW1h >= 0 || r.exReason >= 0 {
		return Tokens{
			Input: pos(r.exIn), CacheRead: pos(r.exCacheRead), CacheWrite5m: pos(r.exCW5),
			CacheWrite1h: pos(r.exCW1h), Output: pos(r.exOut), Reasoning: pos(r.exReason),
			Present: true, Estimated: r.estimated,
		}
	}
	in := firstInt(r.inTotal, r.promptTotal, r.oiPrompt)
	out := firstInt(r.outTotal, r.complTotal, r.oiCompl)
	cr := firstInt(r.cacheRead, r.tlCacheRead, r.oiCacheRead)
	cw := firstInt(r.cacheWrite, r.tlCacheWrite, r.oiCacheWrite, r.cacheWriteAlt)
	cw1h := r.cacheWrite1h
	reason := firstInt(r.reasoning, r.tlReasoning, r.tlReasoning2, r.oiReasoning)
	if in < 0 && out < 0 && cr < 0 && cw < 0 && cw1h < 0 && reason < 0 {
		return Tokens{}
	}
	t := Tokens{Present: true, CacheRead: pos(cr), CacheWrite1h: pos(cw1h), Reasoning: pos(reason)}
	// The cache-creation total includes the 1h bucket (see PutGenAIUsage); a
	// 1h count without a total is the whole cache write.
	t.CacheWrite5m = pos(pos(cw) - t.CacheWrite1h)
	cache := t.CacheRead + t.CacheWrite5m + t.CacheWrite1h
	inIncl, outIncl := in >= cache, out >= t.Reasoning
	if total := firstInt(r.total, r.tlTotal, r.oiTotal); total >= 0 && in >= 0 && out >= 0 {
		inIncl, outIncl = byTotal(total, in, out, cache, t.Reasoning, inIncl, outIncl)
	}
	if inIncl && in >= cache {
		t.Input = in - cache
	} else {
		t.Input = pos(in)
	}
	if outIncl && out >= t.Reasoning {
		t.Output = out - t.Reasoning
	} else {
		t.Output = pos(out)
	}
	return t
}

// byTotal tells from a reported total whether the input count includes the
// cache tokens and the output count the reasoning tokens: of the four
// readings, those whose buckets add up to total are kept, and a dimension is
// decided when the kept readings agree on it. Otherwise the heuristic answers
// passed in stand.
func byTotal(total, in, out, cache, reason int64, inIncl, outIncl bool) (bool, bool) {
	var inOK, outOK [2]bool // index 1: inclusive reading fits
	for ii := 0; ii < 2; ii++ {
		for oi := 0; oi < 2; oi++ {
			sum := in + out
			if ii == 0 {
				sum += cache
			}
			if oi == 0 {
				sum += reason
			}
			if sum == total {
				inOK[ii], outOK[oi] = true, true
			}
		}
	}
	if cache > 0 && inOK[0] != inOK[1] {
		inIncl = inOK[1]
	}
	if reason > 0 && outOK[0] != outOK[1] {
		outIncl = outOK[1]
	}
	return inIncl, outIncl
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstInt(vals ...int64) int64 {
	for _, v := range vals {
		if v >= 0 {
			return v
		}
	}
	return -1
}

func firstFloat(vals ...*float64) *float64 {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

func pos(v int64) int64 {
	if v < 0 {
		return 0
	}
	return v
}

func join(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts, "\n\n")
}

// asIntOr reads a non-negative integer, accepting ints, whole doubles and
// numeric strings; anything else (or a negative count) is -1 (absent).
func asIntOr(v pcommon.Value) int64 {
	n, ok := asInt(v)
	if !ok || n < 0 {
		return -1
	}
	return n
}

func asInt(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f != f || f > 9.2e18 || f < -9.2e18 { // NaN or out of int64 range
			return 0, false
		}
		return int64(f), true
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func asFloat(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f := v.Double()
		return f, f == f
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Str()), 64)
		return f, err == nil && f == f
	}
	return 0, false
}

func asStrings(v pcommon.Value) []string {
	if v.Type() != pcommon.ValueTypeSlice {
		if s := v.AsString(); s != "" {
			return []string{s}
		}
		return nil
	}
	s := v.Slice()
	out := make([]string, 0, s.Len())
	for i := 0; i < s.Len(); i++ {
		out = append(out, s.At(i).AsString())
	}
	return out
}

func hexTraceID(id pcommon.TraceID) string {
	if id.IsEmpty() {
		return ""
	}
	return hex.EncodeToString(id[:])
}

func hexSpanID(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return ""
	}
	return hex.EncodeToString(id[:])
}
