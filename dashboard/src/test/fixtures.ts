import type { Chain, CostRow, PerfRow, Span, Tokens, WaterfallRow } from '../api/types';

export function tokens(input: number, output: number, extra: Partial<Tokens> = {}): Tokens {
  const t = { input, cache_read: 0, cache_write_5m: 0, cache_write_1h: 0, output, reasoning: 0, ...extra };
  return { ...t, total: t.input + t.cache_read + t.cache_write_5m + t.cache_write_1h + t.output + t.reasoning };
}

export function row(id: string, depth: number, over: Partial<WaterfallRow> = {}): WaterfallRow {
  return {
    span_id: id,
    name: `span ${id}`,
    type: 'llm_call',
    status: 'ok',
    depth,
    offset_ns: 0,
    duration_ns: 1_000_000,
    start_unix_nano: 1_700_000_000_000_000_000,
    child_count: 0,
    tokens_total: 0,
    cost_usd: null,
    flags: [],
    ...over,
  };
}

/** root → agent → [llm (priced), tool, llm (unpriced)], then a second root-level child. */
export function smallTrace(): WaterfallRow[] {
  return [
    row('r', 0, { name: 'Answer the question', type: 'task', child_count: 2, duration_ns: 10e9 }),
    row('a', 1, { name: 'research-assistant', type: 'agent', parent_span_id: 'r', child_count: 3, offset_ns: 1e6, duration_ns: 9e9 }),
    row('l1', 2, { name: 'chat gpt-4o', type: 'llm_call', parent_span_id: 'a', model: 'gpt-4o', offset_ns: 2e6, duration_ns: 2.5e9, tokens_total: 1500, cost_usd: 0.0125 }),
    row('t1', 2, { name: 'tool: web_search', type: 'tool_execution', parent_span_id: 'a', tool_name: 'web_search', offset_ns: 3e9, duration_ns: 1.2e9, status: 'error', flags: ['loop'] }),
    row('l2', 2, { name: 'chat llama', type: 'llm_call', parent_span_id: 'a', model: 'llama-3.3-70b', offset_ns: 5e9, duration_ns: 3e9, tokens_total: 900, cost_usd: null }),
    row('v', 1, { name: 'verify', type: 'verification', parent_span_id: 'r', offset_ns: 9.2e9, duration_ns: 0.5e9 }),
  ];
}

/** n rows: a root and groups of 100 children under agent spans. */
export function bigTrace(n: number): WaterfallRow[] {
  const rows: WaterfallRow[] = [row('root', 0, { type: 'task', child_count: 0, duration_ns: n * 1000 })];
  let group: WaterfallRow | undefined;
  let groups = 0;
  for (let i = 1; i < n; i++) {
    if (i % 100 === 1) {
      group = row(`g${i}`, 1, { type: 'agent', parent_span_id: 'root', offset_ns: i * 1000, duration_ns: 100_000 });
      rows.push(group);
      groups++;
      continue;
    }
    if (group) group.child_count++;
    rows.push(row(`s${i}`, 2, { parent_span_id: group?.span_id ?? 'root', offset_ns: i * 1000, duration_ns: 800, type: i % 2 ? 'tool_execution' : 'llm_call' }));
  }
  const root = rows[0];
  if (root) root.child_count = groups;
  return rows;
}

export function chain(): Chain {
  return {
    trace_id: 'a'.repeat(32),
    status: 'ok',
    chain_length: 4,
    flags: ['loop'],
    source: 'chain',
    steps: [
      { step: 1, depth: 0, span_id: 's1', name: 'plan next move', type: 'reasoning', status: 'ok', start_unix_nano: 1, duration_ns: 5e6, tokens_total: 0, cost_usd: null, flags: [] },
      { step: 2, depth: 0, span_id: 's2', name: 'chat gpt-4o', type: 'llm_call', status: 'ok', start_unix_nano: 2, duration_ns: 1.2e9, model: 'gpt-4o', tokens_total: 1200, cost_usd: 0.004, follows: 's1', flags: [] },
      { step: 3, depth: 1, span_id: 's3', name: 'tool: web_search', type: 'tool_execution', status: 'ok', start_unix_nano: 3, duration_ns: 0.8e9, tool_name: 'web_search', tokens_total: 0, cost_usd: null, requested_by: 's2', follows: 's2', flags: ['loop'] },
      { step: 4, depth: 0, span_id: 's4', name: 'read results', type: 'llm_call', status: 'error', start_unix_nano: 4, duration_ns: 0.3e9, model: 'llama-local', tokens_total: 800, cost_usd: null, observation_of: 's3', follows: 's3', flags: [] },
    ],
    links: [
      { from: 's2', to: 's1', kind: 'follows' },
      { from: 's3', to: 's2', kind: 'requested_by' },
      { from: 's4', to: 's3', kind: 'observation_of' },
    ],
  };
}

export function costRows(): CostRow[] {
  return [
    { key: 'gpt-4o', bucket_unix_nano: null, spans: 12, tokens: tokens(12000, 3000), cost_usd: 0.06, unpriced_spans: 0 },
    { key: 'claude-sonnet-4-5', bucket_unix_nano: null, spans: 8, tokens: tokens(8000, 2000, { cache_read: 5000 }), cost_usd: 0.045, unpriced_spans: 0 },
    { key: 'llama-3.3-70b-instruct', bucket_unix_nano: null, spans: 5, tokens: tokens(4000, 900), cost_usd: null, unpriced_spans: 5 },
  ];
}

export function timeRows(): CostRow[] {
  const h = 3600e9;
  const t0 = Date.UTC(2025, 0, 2, 10) * 1e6;
  return [0, 1, 2, 3].map((i) => ({
    key: new Date((t0 + i * h) / 1e6).toISOString(),
    bucket_unix_nano: t0 + i * h,
    spans: 10 + i,
    tokens: tokens(1000 * (i + 1), 300 * (i + 1), { reasoning: 100 * i }),
    cost_usd: 0.01 * (i + 1),
    unpriced_spans: 0,
  }));
}

export function perfRows(): PerfRow[] {
  return [
    { key: 'llm_call', count: 40, errors: 2, p50_ms: 1200, p95_ms: 4200, p99_ms: 6100, avg_ms: 1500, per_second: 0.01 },
    { key: 'tool_execution', count: 25, errors: 1, p50_ms: 300, p95_ms: 1900, p99_ms: 2500, avg_ms: 420, per_second: 0.006 },
  ];
}

export function span(over: Partial<Span> = {}): Span {
  return {
    trace_id: 'a'.repeat(32),
    span_id: 'b'.repeat(16),
    parent_span_id: 'c'.repeat(16),
    session_id: 'sess-1',
    name: 'chat gpt-4o',
    type: 'llm_call',
    status: 'ok',
    start_unix_nano: 1_700_000_000_000_000_000,
    end_unix_nano: 1_700_000_001_500_000_000,
    start_time: '2023-11-14T22:13:20Z',
    end_time: '2023-11-14T22:13:21.5Z',
    duration_ns: 1.5e9,
    model: 'gpt-4o',
    provider: 'openai',
    request: { temperature: 0.2, max_tokens: 1024, top_p: null, thinking_enabled: false },
    stop_reason: 'stop',
    prompt: 'Hello',
    response: 'Hi there',
    tool: null,
    file: null,
    tokens: tokens(1000, 200, { cache_read: 500 }),
    cost_usd: 0.004625,
    cost: {
      total_usd: 0.004625,
      input_usd: 0.0025,
      cache_read_usd: 0.000625,
      cache_write_usd: 0,
      output_usd: 0.0015,
      reasoning_usd: 0,
      status: 'priced',
      pricing_entry: 'openai/gpt-4o',
      pricing_date: '2024-08-06',
      reported_usd: null,
    },
    tags: ['prod'],
    agent_name: 'research-assistant',
    chain: null,
    flags: [],
    attributes: { 'gen_ai.system': 'openai' },
    resource: {},
    events: [],
    seq: 42,
    ...over,
  };
}
