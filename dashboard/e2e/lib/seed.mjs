// Realistic agent traffic for the end-to-end tests, the screenshots and the
// benchmark, sent to the collector's native HTTP receiver (POST /v1/spans,
// /v1/sessions/start|end) exactly as an SDK would. Deterministic: the same
// seed gives the same sessions, traces and texts.

/** mulberry32: a small seeded PRNG. */
export function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    hex: (bytes) => {
      let s = '';
      for (let i = 0; i < bytes; i++) s += Math.floor(next() * 256).toString(16).padStart(2, '0');
      return s;
    },
  };
}

const MS = 1_000_000n;
const ns = (ms) => BigInt(Math.round(ms)) * MS;

export async function post(base, path, body) {
  const r = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${path}: HTTP ${r.status}: ${text.slice(0, 500)}`);
  const res = text ? JSON.parse(text) : {};
  if (res.rejected && Number(res.rejected) > 0) throw new Error(`POST ${path}: rejected spans: ${text.slice(0, 800)}`);
  return res;
}

/** Sends spans in batches. */
export async function sendSpans(base, spans, batch = 500) {
  for (let i = 0; i < spans.length; i += batch) {
    await post(base, '/v1/spans', { service_name: 'agenttrace-demo', sdk_version: 'python/0.3.1', spans: spans.slice(i, i + batch) });
  }
}

const AGENTS = {
  'research-assistant': { framework: 'langgraph', version: '0.4.8', model: 'claude-sonnet-4-5', provider: 'anthropic' },
  'code-reviewer': { framework: 'openai-agents', version: '0.2.3', model: 'gpt-4.1', provider: 'openai' },
  'support-bot': { framework: 'crewai', version: '0.140.0', model: 'gpt-4o-mini', provider: 'openai' },
  'data-analyst': { framework: 'autogen', version: '0.6.1', model: 'o4-mini', provider: 'openai' },
};

const QUESTIONS = {
  'research-assistant': [
    'Summarize ACME Corp Q3 earnings and compare with analyst estimates',
    'What changed in the EU AI Act final text for general-purpose models?',
    'Compile a brief on solid-state battery startups funded in 2025',
    'Find three peer-reviewed studies on retrieval-augmented generation evaluation',
  ],
  'code-reviewer': [
    'Review PR #1287: add retry budget to the HTTP client',
    'Review PR #1302: migrate settings page to React Query',
    'Review PR #1311: fix race in session cleanup goroutine',
  ],
  'support-bot': [
    'Customer asks why invoice INV-20931 was charged twice',
    'Reset two-factor authentication for account 88412',
    'Where is my order #7719? It shows delivered but nothing arrived',
    'Cancel subscription and request prorated refund',
  ],
  'data-analyst': [
    'Weekly active users by plan tier, last 12 weeks',
    'Detect anomalies in checkout latency for October',
    'Cohort retention for users acquired through the spring campaign',
  ],
};

/**
 * Builds one trace as native spans. `t0` is the trace start (ms since the
 * epoch); `kind` an agent name. Options: sessionId, loop (repeat one tool
 * call with the same arguments), fail (a step errors), unpriced (use a model
 * without a price), promptOverride, rootName.
 */
export function buildTrace(rng, t0, agent, opts = {}) {
  const a = AGENTS[agent];
  const traceId = rng.hex(16);
  const spans = [];
  let clock = t0;
  const base = {
    trace_id: traceId,
    session_id: opts.sessionId ?? '',
    framework: a.framework,
    framework_version: a.version,
    sdk_version: 'python/0.3.1',
    hostname: 'agent-worker-' + rng.int(1, 4),
    agent_name: agent,
    user_id: opts.userId ?? '',
  };
  const add = (parent, span, durMs) => {
    const id = rng.hex(8);
    const start = clock;
    const s = {
      ...base,
      span_id: id,
      parent_span_id: parent ?? '',
      start_time_unix_nano: ns(start),
      end_time_unix_nano: ns(start + durMs),
      status: 'ok',
      ...span,
    };
    spans.push(s);
    return s;
  };
  const question = opts.rootName ?? rng.pick(QUESTIONS[agent]);
  const root = add(null, { name: question, type: 'task', tags: [agent, 'prod'] }, 0);
  clock += rng.int(2, 8);
  const ag = add(root.span_id, { name: agent, type: 'agent' }, 0);
  clock += rng.int(5, 20);
  const model = opts.unpriced ? 'llama-3.3-70b-instruct' : a.model;
  const provider = opts.unpriced ? 'ollama' : a.provider;

  const step = (span, durMs, gapMs = rng.int(3, 40)) => {
    const s = add(ag.span_id, span, durMs);
    clock += durMs + gapMs;
    return s;
  };
  const llm = (name, prompt, response, extra = {}) => {
    const input = rng.int(600, 5200);
    const output = rng.int(120, 900);
    const usage = { input_tokens: input, output_tokens: output };
    if (provider === 'anthropic') usage.cache_read_tokens = rng.int(1000, 6000);
    if (model === 'o4-mini') usage.reasoning_tokens = rng.int(300, 2400);
    return step({
      name, type: 'llm_call', model, provider,
      request: { temperature: model === 'o4-mini' ? undefined : 0.2, max_tokens: 2048, thinking_enabled: model === 'o4-mini', stop_reason: 'end_turn' },
      prompt, response, usage, ...extra,
    }, rng.int(700, 4200) + output * 4);
  };
  const tool = (name, input, output, extra = {}) => step({
    name: `tool: ${name}`, type: 'tool_execution',
    tool: { name, call_id: 'call_' + rng.hex(6), input: JSON.stringify(input), output: typeof output === 'string' ? output : JSON.stringify(output), success: true },
    ...extra,
  }, rng.int(120, 2600));

  const prompt = opts.promptOverride ?? `You are ${agent}, a careful assistant.\n\nUser request: ${question}\n\nThink step by step, use tools when facts are needed, cite sources.`;
  step({ name: 'plan', type: 'reasoning', response: `1. Gather facts relevant to "${question}".\n2. Cross-check figures.\n3. Draft an answer with citations.` }, rng.int(40, 200));
  llm('chat ' + model, prompt, `I'll start by gathering the relevant facts.\n\n<tool_call name="search">{"query": "${question.slice(0, 40)}"}</tool_call>`);

  if (agent === 'research-assistant') {
    step({ name: 'embed query', type: 'embedding', model: 'text-embedding-3-small', provider: 'openai', usage: { input_tokens: rng.int(12, 60) } }, rng.int(60, 240));
    step({ name: 'vector search: filings', type: 'retrieval', response: JSON.stringify({ documents: [{ id: 'acme-10q-2025q3', score: 0.91 }, { id: 'analyst-note-118', score: 0.84 }] }) }, rng.int(40, 300));
    const q = { query: question.slice(0, 48), top_k: 5 };
    const n = opts.loop ? 4 : 1;
    for (let i = 0; i < n; i++) tool('web_search', q, { results: [{ title: 'ACME Q3 2025 results', url: 'https://investors.acme.example/q3' }, { title: 'Street estimates roundup', url: 'https://news.example/acme-estimates' }] });
    step({ name: 'read memory', type: 'memory_retrieval', response: 'User prefers concise bullet summaries with figures in USD.' }, rng.int(10, 60));
    llm('chat ' + model, 'Draft the answer from these sources:\n- ACME Q3 revenue $4.2B (+8% y/y)\n- EPS $1.31 vs $1.24 est.', 'ACME beat estimates: revenue $4.2B (+8% y/y), EPS $1.31 vs $1.24 consensus. Guidance raised for Q4.');
    step({ name: 'store summary', type: 'memory_store', attributes: { 'memory.key': 'acme-q3' } }, rng.int(10, 50));
  } else if (agent === 'code-reviewer') {
    step({ name: 'read src/http/retry.go', type: 'file_read', file: { path: 'src/http/retry.go', operation: 'read', bytes: rng.int(2000, 18000), lines: rng.int(80, 500) } }, rng.int(2, 20));
    step({ name: 'GET /repos/acme/api/pulls/1287/files', type: 'api_call', attributes: { 'http.method': 'GET', 'http.status_code': 200 } }, rng.int(80, 600));
    const failing = opts.fail;
    step({
      name: 'run tests', type: 'code_execution',
      tool: { name: 'sandbox.exec', input: JSON.stringify({ cmd: 'go test ./internal/http/...' }), output: failing ? '--- FAIL: TestRetryBudget (0.02s)\n    retry_test.go:88: got 4 attempts, want 3' : 'ok  \tgithub.com/acme/api/internal/http\t0.412s', success: !failing },
      ...(failing ? { status: 'error', status_message: 'tests failed: TestRetryBudget', error_code: 'TestFailure' } : {}),
    }, rng.int(900, 6000));
    llm('chat ' + model, 'Write review comments for the diff.', 'Consider capping the retry budget per host; the current code shares one budget across hosts.');
    step({ name: 'write review.md', type: 'file_write', file: { path: 'review.md', operation: 'write', bytes: rng.int(400, 2400), lines: rng.int(10, 60) } }, rng.int(2, 10));
    step({ name: 'verify suggestions compile', type: 'verification', response: 'All suggested snippets type-check.' }, rng.int(200, 1200));
  } else if (agent === 'support-bot') {
    step({ name: 'recall customer history', type: 'memory_retrieval', response: 'Customer since 2021; two prior tickets about billing.' }, rng.int(10, 80));
    step({ name: 'input guardrail: PII', type: 'guardrail', response: JSON.stringify({ passed: true, redacted: ['email'] }) }, rng.int(20, 120));
    tool('lookup_invoice', { invoice_id: 'INV-20931' }, { status: 'paid', charges: [{ amount: 49.0, date: '2025-10-02' }, { amount: 49.0, date: '2025-10-02' }] },
      opts.fail ? { status: 'error', status_message: 'billing API timed out after 30s', error_code: 'TimeoutError' } : {});
    step({ name: 'POST /billing/refunds', type: 'api_call', attributes: { 'http.method': 'POST', 'http.status_code': 201 } }, rng.int(100, 700));
    llm('chat ' + model, 'Reply to the customer politely with the refund confirmation.', 'Sorry about the double charge! I have refunded $49.00 to your card; it will appear within 5 business days.');
    step({ name: 'output guardrail: tone', type: 'guardrail', response: JSON.stringify({ passed: true }) }, rng.int(20, 90));
  } else {
    tool('sql_query', { sql: 'SELECT week, plan, count(DISTINCT user_id) FROM events GROUP BY 1, 2 ORDER BY 1' }, { rows: 36, columns: ['week', 'plan', 'wau'] });
    step({
      name: 'pandas: pivot + plot', type: 'code_execution',
      tool: { name: 'python', input: JSON.stringify({ code: "df.pivot(index='week', columns='plan', values='wau').plot()" }), output: 'Figure saved to wau.png', success: true },
    }, rng.int(400, 3000));
    llm('chat ' + model, 'Explain the trend in two sentences.', 'Pro-tier WAU grew 14% over 12 weeks while Free was flat; the spike in week 41 follows the spring campaign.');
    step({ name: 'check numbers against source', type: 'verification', response: 'Totals match the warehouse within 0.1%.' }, rng.int(100, 800));
  }
  if (opts.fail && agent !== 'code-reviewer' && agent !== 'support-bot') {
    step({ name: 'chat ' + model, type: 'llm_call', model, provider, status: 'error', status_message: 'Rate limit reached for requests per minute (429)', error_code: 'RateLimitError', prompt: 'Retry the final answer.' }, rng.int(50, 300));
  }
  step({ name: 'custom: emit report', type: 'custom', attributes: { 'report.format': 'markdown' } }, rng.int(5, 30), 2);
  const end = clock;
  ag.end_time_unix_nano = ns(end - 1);
  root.end_time_unix_nano = ns(end);
  if (opts.fail && (agent === 'code-reviewer')) {
    root.status = 'error';
    root.status_message = 'review incomplete: tests failed';
  }
  return { traceId, spans, rootName: question, end };
}

/**
 * Seeds realistic data: `sessions` sessions spread over the last `hours`
 * hours, each with a few traces. Returns what was sent.
 */
export async function seedDemo(base, { seed = 7, sessions = 16, hours = 46, now = Date.now() } = {}) {
  const rng = makeRng(seed);
  const agents = Object.keys(AGENTS);
  const out = { sessions: [], traces: [] };
  for (let i = 0; i < sessions; i++) {
    const agent = agents[i % agents.length];
    // Denser recently: square the uniform draw.
    const ago = Math.pow(rng.next(), 1.6) * hours * 3600_000;
    let t = now - ago - 5 * 60_000;
    const sessionId = `sess-${agent.split('-')[0]}-${rng.hex(4)}`;
    const userId = `user-${rng.int(100, 999)}`;
    await post(base, '/v1/sessions/start', {
      session_id: sessionId, name: `${agent} run ${i + 1}`, framework: AGENTS[agent].framework, agent_name: agent,
      user_id: userId, tags: [agent, i % 3 === 0 ? 'staging' : 'prod'], start_time_unix_nano: ns(t), metadata: { region: rng.pick(['us-east-1', 'eu-west-1']) },
    });
    const n = rng.int(2, 5);
    const spans = [];
    for (let k = 0; k < n; k++) {
      const tr = buildTrace(rng, t, agent, {
        sessionId, userId,
        fail: rng.chance(0.18),
        loop: agent === 'research-assistant' && rng.chance(0.35),
        unpriced: agent === 'support-bot' && rng.chance(0.3),
      });
      spans.push(...tr.spans);
      out.traces.push({ traceId: tr.traceId, rootName: tr.rootName, agent, sessionId });
      t = tr.end + rng.int(2_000, 60_000);
    }
    await sendSpans(base, spans);
    const active = i >= sessions - 2;
    if (!active) await post(base, '/v1/sessions/end', { session_id: sessionId, end_time_unix_nano: ns(t), status: 'SPAN_STATUS_OK' });
    out.sessions.push({ sessionId, agent, active });
  }
  return out;
}

/** A deep, wide trace of n spans (for the 100k-span benchmark). */
export function buildLargeTrace(rng, n, t0 = Date.now() - 3600_000) {
  const traceId = rng.hex(16);
  const spans = [];
  const types = ['llm_call', 'tool_execution', 'reasoning', 'retrieval', 'file_read', 'api_call', 'code_execution', 'verification'];
  const ids = [];
  const rootId = rng.hex(8);
  ids.push(rootId);
  spans.push({ trace_id: traceId, span_id: rootId, name: `batch evaluation: ${n} steps`, type: 'task', status: 'ok', agent_name: 'eval-runner',
    start_time_unix_nano: ns(t0), end_time_unix_nano: ns(t0 + n * 2 + 10) });
  // Groups of 100 under agent spans, so the tree has depth and collapsible nodes.
  let group = rootId;
  for (let i = 1; i < n; i++) {
    const id = rng.hex(8);
    const start = t0 + 5 + i * 2;
    if (i % 100 === 1) {
      group = id;
      spans.push({ trace_id: traceId, span_id: id, parent_span_id: rootId, name: `agent: case ${Math.floor(i / 100) + 1}`, type: 'agent', status: 'ok', agent_name: 'eval-runner',
        start_time_unix_nano: ns(start), end_time_unix_nano: ns(start + 200) });
      continue;
    }
    const type = types[i % types.length];
    const s = { trace_id: traceId, span_id: id, parent_span_id: group, name: `${type} #${i}`, type, status: i % 97 === 0 ? 'error' : 'ok', agent_name: 'eval-runner',
      start_time_unix_nano: ns(start), end_time_unix_nano: ns(start + 1 + (i % 7)) };
    if (type === 'llm_call') {
      s.model = 'gpt-4o-mini';
      s.provider = 'openai';
      s.usage = { input_tokens: 200 + (i % 50), output_tokens: 40 + (i % 20) };
    }
    spans.push(s);
  }
  return { traceId, spans };
}
