// End-to-end: the real stack (collector binary + API + embedded dashboard +
// SQLite), seeded by sending real spans over HTTP, driven in Debian's
// Chromium. Run: AGENTTRACE_COLLECTOR_BIN=../bin/agenttrace-collector npm run test:e2e
// With CI=true a missing Chromium or collector binary fails instead of skipping.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromiumPath, launch } from './lib/browser.mjs';
import { makeRng, post, seedDemo, sendSpans } from './lib/seed.mjs';
import { dashboardRoot, repoRoot, startStack } from './lib/stack.mjs';

const CI = process.env.CI === 'true';
const collectorBin = resolve(process.env.AGENTTRACE_COLLECTOR_BIN ?? join(repoRoot, 'bin', 'agenttrace-collector'));
const missing = [
  !existsSync(chromiumPath) && `Chromium (${chromiumPath})`,
  !existsSync(collectorBin) && `the collector binary (${collectorBin}; set AGENTTRACE_COLLECTOR_BIN)`,
].filter(Boolean);
const skip = missing.length > 0 && !CI ? `missing ${missing.join(' and ')}` : false;

const XSS_PROMPT = 'Customer wrote: <script>alert(1)</script> please refund the xylophone order #4812';
const failures = join(dashboardRoot, 'e2e', '.tmp');

/** The exact-cost format of the span panel (formatUSDExact). */
function exactUSD(v) {
  if (v === 0) return '$0.00';
  if (Math.abs(v) < 0.001) return `$${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(v)}`;
  const s = v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  const [whole, frac = ''] = s.split('.');
  return `$${whole}.${frac.padEnd(2, '0')}`;
}

const ns = (ms) => (BigInt(Math.round(ms)) * 1_000_000n).toString();

describe('dashboard end to end', { skip }, () => {
  let stack;
  let browser;
  let page;
  let dialogs = 0;
  const rng = makeRng(4812);
  const traceId = rng.hex(16);
  const llmSpanId = rng.hex(8);

  before(async () => {
    if (missing.length > 0) throw new Error(`cannot run the end-to-end tests: missing ${missing.join(' and ')}`);
    stack = await startStack({ collectorBin, log: !!process.env.VERBOSE });
    await seedDemo(stack.ingestURL, { sessions: 6, seed: 11 });
    // The trace the tests look for: a support run whose prompt carries markup.
    const t0 = Date.now() - 90_000;
    const rootId = rng.hex(8);
    await post(stack.ingestURL, '/v1/sessions/start', { session_id: 'sess-e2e-refund', name: 'e2e refund run', agent_name: 'support-bot', framework: 'crewai', start_time_unix_nano: ns(t0) });
    await sendSpans(stack.ingestURL, [
      { trace_id: traceId, span_id: rootId, session_id: 'sess-e2e-refund', name: 'Refund order #4812', type: 'task', status: 'ok', agent_name: 'support-bot', start_time_unix_nano: ns(t0), end_time_unix_nano: ns(t0 + 4200) },
      { trace_id: traceId, span_id: rng.hex(8), parent_span_id: rootId, session_id: 'sess-e2e-refund', name: 'lookup_invoice', type: 'tool_execution', status: 'ok', agent_name: 'support-bot',
        tool: { name: 'lookup_invoice', call_id: 'call_e2e', input: '{"invoice_id":"INV-4812"}', output: '{"status":"paid","amount":49}', success: true }, start_time_unix_nano: ns(t0 + 100), end_time_unix_nano: ns(t0 + 900) },
      { trace_id: traceId, span_id: llmSpanId, parent_span_id: rootId, session_id: 'sess-e2e-refund', name: 'chat gpt-4o-mini (refund reply)', type: 'llm_call', status: 'ok', agent_name: 'support-bot',
        model: 'gpt-4o-mini', provider: 'openai', prompt: XSS_PROMPT, response: 'Refund issued: $49.00.', request: { temperature: 0.3, max_tokens: 512 },
        usage: { input_tokens: 1200, output_tokens: 300 }, start_time_unix_nano: ns(t0 + 1000), end_time_unix_nano: ns(t0 + 4000) },
    ]);
    await post(stack.ingestURL, '/v1/sessions/end', { session_id: 'sess-e2e-refund', end_time_unix_nano: ns(t0 + 4300), status: 'SPAN_STATUS_OK' });
    // Wait until the trace summary is stored (reasoningchain completes traces after a short window).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await fetch(`${stack.apiURL}/api/v1/traces/${traceId}`);
      if (r.ok) break;
      if (Date.now() > deadline) throw new Error(`trace ${traceId} not visible through the API (HTTP ${r.status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    browser = await launch();
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    page.on('pageerror', (e) => console.error('page error:', e.message));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const shoot = async (name) => {
    mkdirSync(failures, { recursive: true });
    await page?.screenshot({ path: join(failures, `${name}.png`), fullPage: true }).catch(() => {});
  };

  test('Overview shows totals, charts and recent sessions', async (t) => {
    t.after(async () => {
      if (t.passed === false) await shoot('overview');
    });
    await page.goto(`${stack.apiURL}/`);
    const cost = page.getByTestId('stat-cost');
    await cost.waitFor();
    await page.waitForFunction(() => /\$\d/.test(document.querySelector('[data-testid=stat-cost]')?.textContent ?? ''));
    assert.match(await page.getByTestId('stat-tokens').innerText(), /\d/);
    assert.match(await page.getByTestId('stat-latency').innerText(), /\d+(\.\d+)? (ms|s)/);
    assert.match(await page.getByTestId('stat-errors').innerText(), /%/);
    await page.getByTestId('token-usage-chart').locator('svg').first().waitFor();
    await page.getByTestId('cost-by-key-chart').waitFor();
    const sessions = page.getByTestId('recent-sessions').getByTestId('session-row');
    await sessions.first().waitFor();
    assert.ok((await sessions.count()) >= 3, 'recent sessions listed');
  });

  test('search a trace, open it, select a span, see its cost and prompt as text', async (t) => {
    t.after(async () => {
      if (t.passed === false) await shoot('trace');
    });
    const api = await (await fetch(`${stack.apiURL}/api/v1/spans/${traceId}/${llmSpanId}`)).json();
    assert.equal(api.cost.status, 'priced', 'gpt-4o-mini is priced by the catalog');
    assert.ok(api.cost_usd > 0);

    await page.goto(`${stack.apiURL}/traces`);
    await page.getByRole('searchbox', { name: 'Search text' }).fill('xylophone');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=xylophone/);
    const rows = page.getByTestId('trace-row');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=trace-row]').length === 1);
    assert.match(await rows.first().innerText(), /Refund order #4812/);
    await rows.first().getByRole('link', { name: 'Refund order #4812' }).click();
    await page.waitForURL(new RegExp(`/traces/${traceId}`));
    await page.getByTestId('trace-title').filter({ hasText: 'Refund order #4812' }).waitFor();

    const row = page.locator(`[data-testid=waterfall-row][data-span-id="${llmSpanId}"]`);
    await row.waitFor();
    await row.click();
    const panel = page.getByTestId('span-panel');
    await panel.getByTestId('span-cost-total').waitFor();
    assert.equal((await panel.getByTestId('span-cost-total').innerText()).trim(), exactUSD(api.cost_usd));
    assert.equal((await panel.getByTestId('span-tokens-total').innerText()).trim(), '1,500');
    const prompt = panel.getByTestId('span-prompt');
    assert.equal(await prompt.textContent(), XSS_PROMPT);
    // The markup is text: no element was created from it and nothing ran.
    assert.equal(await prompt.locator('script').count(), 0);
    assert.equal(await page.evaluate(() => document.querySelectorAll('pre script, pre img').length), 0);
    assert.equal(dialogs, 0, 'no alert() ran');
    // The selection is in the URL, so the view can be shared.
    assert.match(page.url(), new RegExp(`span=${llmSpanId}`));

    await page.getByRole('tab', { name: /Reasoning chain/ }).click();
    await page.locator(`[data-testid=chain-step][data-span-id="${llmSpanId}"]`).waitFor();
  });

  test('Live shows a span the moment it is sent, then its final version', async (t) => {
    t.after(async () => {
      if (t.passed === false) await shoot('live');
    });
    await page.goto(`${stack.apiURL}/live`);
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
    const liveTrace = rng.hex(16);
    const liveSpan = rng.hex(8);
    const start = Date.now();
    const base = { trace_id: liveTrace, span_id: liveSpan, name: 'live: web_search', type: 'tool_execution', agent_name: 'research-assistant', start_time_unix_nano: ns(start),
      tool: { name: 'web_search', input: '{"query":"agenttrace live"}' } };
    await sendSpans(stack.ingestURL, [{ ...base, status: 'running' }]);
    const row = page.locator(`[data-testid=live-row][data-span-id="${liveSpan}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await row.getAttribute('data-status'), 'running');
    await sendSpans(stack.ingestURL, [{ ...base, status: 'ok', end_time_unix_nano: ns(start + 750), tool: { ...base.tool, output: '{"results":3}', success: true } }]);
    await page.locator(`[data-testid=live-row][data-span-id="${liveSpan}"][data-status=ok]`).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator(`[data-testid=live-row][data-span-id="${liveSpan}"]`).count(), 1, 'the running span was replaced, not duplicated');
  });
});

if (skip) {
  test('end-to-end prerequisites', { skip }, () => {});
}
