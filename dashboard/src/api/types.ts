// The JSON shapes of the AgentTrace API (apiserver/views.go, tree.go,
// metrics.go, live.go). Costs are USD numbers and null when unpriced: a null
// cost is never shown as $0.

export const SPAN_TYPES = [
  'task',
  'agent',
  'llm_call',
  'tool_execution',
  'reasoning',
  'retrieval',
  'embedding',
  'memory_retrieval',
  'memory_store',
  'file_read',
  'file_write',
  'api_call',
  'code_execution',
  'verification',
  'guardrail',
  'custom',
] as const;
export type SpanType = (typeof SPAN_TYPES)[number];

export const STATUSES = ['running', 'ok', 'error', 'cancelled', 'timeout'] as const;
export type SpanStatus = (typeof STATUSES)[number];

export interface Tokens {
  input: number;
  cache_read: number;
  cache_write_5m: number;
  cache_write_1h: number;
  output: number;
  reasoning: number;
  total: number;
  estimated?: boolean;
}

export interface SpanCost {
  total_usd: number | null;
  input_usd: number | null;
  cache_read_usd: number | null;
  cache_write_usd: number | null;
  output_usd: number | null;
  reasoning_usd: number | null;
  /** priced, estimated, unpriced, or "" when the span has no tokens. */
  status: string;
  pricing_entry?: string;
  pricing_date?: string;
  reported_usd: number | null;
}

export interface RequestParams {
  temperature: number | null;
  max_tokens: number | null;
  top_p: number | null;
  thinking_enabled: boolean | null;
}

export interface ToolCall {
  name: string;
  call_id?: string;
  input?: string;
  output?: string;
  success: boolean | null;
}

export interface FileOp {
  path: string;
  operation?: string;
  bytes: number;
  lines: number;
}

export interface ChainPosition {
  step: number;
  depth: number;
  follows?: string;
  requested_by?: string;
  observation_of?: string;
}

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

export interface Span {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  session_id?: string;
  name: string;
  type: string;
  status: string;
  status_message?: string;
  error_code?: string;
  start_unix_nano: number;
  /** 0 while running. */
  end_unix_nano: number;
  start_time: string;
  end_time: string | null;
  duration_ns: number;
  model?: string;
  provider?: string;
  request: RequestParams | null;
  stop_reason?: string;
  prompt?: string;
  response?: string;
  tool: ToolCall | null;
  file: FileOp | null;
  tokens: Tokens | null;
  cost_usd: number | null;
  cost: SpanCost;
  framework?: string;
  framework_version?: string;
  sdk_version?: string;
  hostname?: string;
  service_name?: string;
  tags: string[];
  agent_name?: string;
  user_id?: string;
  chain: ChainPosition | null;
  flags: string[];
  attributes: JSONValue;
  resource: JSONValue;
  events: JSONValue;
  scope_name?: string;
  seq: number;
}

export interface Trace {
  trace_id: string;
  root_span_id?: string;
  root_name: string;
  session_id?: string;
  agent_name?: string;
  start_unix_nano: number;
  end_unix_nano: number;
  start_time: string;
  end_time: string | null;
  duration_ns: number;
  status: string;
  span_count: number;
  llm_calls: number;
  tool_calls: number;
  error_count: number;
  tokens: Tokens;
  cost_usd: number | null;
  priced_spans: number;
  unpriced_spans: number;
  chain_length: number;
  flags: string[];
}

export interface Session {
  session_id: string;
  name?: string;
  framework?: string;
  agent_name?: string;
  user_id?: string;
  tags: string[];
  metadata: Record<string, string>;
  start_unix_nano: number;
  end_unix_nano: number;
  start_time: string;
  end_time: string | null;
  active: boolean;
  status: string;
  span_count: number;
  trace_count: number;
  llm_calls: number;
  tool_calls: number;
  error_count: number;
  tokens: Tokens;
  cost_usd: number | null;
  priced_spans: number;
  unpriced_spans: number;
  flags: string[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface WaterfallRow {
  span_id: string;
  parent_span_id?: string;
  name: string;
  type: string;
  status: string;
  depth: number;
  offset_ns: number;
  duration_ns: number;
  start_unix_nano: number;
  child_count: number;
  model?: string;
  tool_name?: string;
  tokens_total: number;
  cost_usd: number | null;
  flags: string[];
}

export interface Waterfall {
  trace_id: string;
  start_unix_nano: number;
  end_unix_nano: number;
  duration_ns: number;
  rows: WaterfallRow[];
}

export interface ChainStep {
  step: number;
  depth: number;
  span_id: string;
  parent_span_id?: string;
  name: string;
  type: string;
  status: string;
  start_unix_nano: number;
  duration_ns: number;
  model?: string;
  tool_name?: string;
  tokens_total: number;
  cost_usd: number | null;
  follows?: string;
  requested_by?: string;
  observation_of?: string;
  flags: string[];
}

export interface ChainLink {
  from: string;
  to: string;
  kind: 'follows' | 'requested_by' | 'observation_of' | string;
}

export interface Chain {
  trace_id: string;
  status: string;
  chain_length: number;
  flags: string[];
  /** "chain" when the reasoningchain processor ordered the steps, "start_time" otherwise. */
  source: string;
  steps: ChainStep[];
  links: ChainLink[];
}

export interface TimeWindow {
  from_unix_nano: number;
  to_unix_nano: number;
  from: string;
  to: string;
}

export interface SummaryTotals {
  spans: number;
  traces: number;
  sessions: number;
  llm_calls: number;
  tool_calls: number;
  errors: number;
  error_rate: number | null;
  tokens: Tokens;
  cost_usd: number | null;
  unpriced_spans: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

export interface Change {
  delta: number | null;
  percent: number | null;
}

export interface SummaryChange {
  spans: Change;
  traces: Change;
  sessions: Change;
  llm_calls: Change;
  tool_calls: Change;
  errors: Change;
  error_rate: Change;
  tokens_total: Change;
  cost_usd: Change;
  latency_p50_ms: Change;
  latency_p95_ms: Change;
}

export interface Summary {
  window: TimeWindow;
  previous_window: TimeWindow;
  current: SummaryTotals;
  previous: SummaryTotals;
  change: SummaryChange;
}

export type CostGroup = 'hour' | 'day' | 'week' | 'model' | 'provider' | 'agent' | 'type';

export interface CostRow {
  key: string;
  bucket_unix_nano: number | null;
  spans: number;
  tokens: Tokens;
  cost_usd: number | null;
  unpriced_spans: number;
}

export interface Costs {
  window: TimeWindow;
  group_by: CostGroup;
  rows: CostRow[];
}

export type PerfGroup = 'type' | 'model';

export interface PerfRow {
  key: string;
  count: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  avg_ms: number | null;
  per_second: number | null;
}

export interface Performance {
  window: TimeWindow;
  group_by: PerfGroup;
  rows: PerfRow[];
}

export interface ErrorRow {
  message: string;
  code?: string;
  type: string;
  count: number;
}

export interface ErrorStats {
  window: TimeWindow;
  spans: number;
  errors: number;
  rate: number | null;
  top: ErrorRow[];
}

export interface Health {
  status: string;
  version: string;
  storage: string;
  time: string;
}

export interface LiveMessage {
  type: 'spans' | string;
  spans: Span[];
  last_seq: number;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
