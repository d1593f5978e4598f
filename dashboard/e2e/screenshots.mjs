// Screenshots of every page with realistic data, for docs/screenshots/.
//   AGENTTRACE_COLLECTOR_BIN=../bin/agenttrace-collector npm run screenshots
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './lib/browser.mjs';
import { buildTrace, makeRng, post, seedDemo, sendSpans } from './lib/seed.mjs';
import { repoRoot, startStack } from './lib/stack.mjs';

const outDir = process.env.SCREENSHOT_DIR ?? join(repoRoot, 'docs', 'screenshots');
mkdirSync(outDir, { recursive: true });

const stack = await startStack({ log: !!process.env.VERBOSE });
const api = async (path) => (await fetch(`${stack.apiURL}/api/v1${path}`)).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  await seedDemo(stack.ingestURL, { sessions: 20, seed: 7 });
  await sleep(1500);
  const traces = (await api('/traces?limit=200')).items;
  const loopTrace = traces.find((t) => t.flags.includes('loop')) ?? traces[0];
  const errTrace = traces.find((t) => t.agent_name === 'research-assistant' && t.status === 'ok' && t.flags.length === 0) ?? traces[0];
  const session = (await api('/sessions?limit=5')).items.find((s) => s.trace_count >= 3) ?? (await api('/sessions?limit=1')).items[0];

  for (const theme of ['light', 'dark']) {
    const browser = await launch({ width: 1440, height: 900, colorScheme: theme });
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    const shot = async (name) => {
      await page.waitForTimeout(700);
      const file = join(outDir, `${name}${theme === 'light' ? '-light' : ''}.png`);
      await page.screenshot({ path: file });
      console.log(file);
    };
    const open = async (path, ready) => {
      await page.goto(`${stack.apiURL}${path}`);
      await page.locator(ready).first().waitFor({ timeout: 30_000 });
    };
    // The theme follows the system's (colorScheme) by default.
    await open('/', '[data-testid=token-usage-chart] svg');
    await shot('overview');
    await open(`/traces/${errTrace.trace_id}`, '[data-testid=waterfall-row]');
    const llm = page.locator('[data-testid=waterfall-row]').filter({ hasText: 'chat' }).first();
    await llm.click();
    await page.getByTestId('span-panel').getByTestId('span-tokens').waitFor();
    await shot('trace-waterfall');
    if (theme === 'light') {
      await browser.close();
      continue;
    }
    await open('/sessions', '[data-testid=session-row]');
    await shot('sessions');
    await open(`/sessions/${encodeURIComponent(session.session_id)}`, '[data-testid=trace-row]');
    await shot('session-detail');
    await open('/traces', '[data-testid=trace-row]');
    await shot('traces');
    await open('/traces?status=error&from=7d', '[data-testid=trace-row]');
    await shot('traces-search');
    await open(`/traces/${loopTrace.trace_id}?view=chain`, '[data-testid=chain-step]');
    const flagged = page.locator('[data-testid=chain-step].anomalous').first();
    if (await flagged.count()) await flagged.click();
    else await page.locator('[data-testid=chain-step]').nth(4).click();
    await page.getByTestId('span-panel').locator('.panel-head').waitFor();
    await shot('trace-chain');
    await open('/costs', '[data-testid=costs-table]');
    await shot('costs');
    await open('/performance', '[data-testid=perf-table-type]');
    await shot('performance');
    await open('/settings', '[data-testid=page-settings]');
    await shot('settings');

    // Live: a burst of agent activity while the page is open, two steps still running.
    await open('/live', '[data-testid=live-status]');
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
    const rng = makeRng(99);
    const now = Date.now();
    for (const [i, agent] of ['support-bot', 'research-assistant', 'code-reviewer'].entries()) {
      const tr = buildTrace(rng, now - 20_000 + i * 3000, agent, { sessionId: `sess-live-${i}` });
      for (let k = 0; k < tr.spans.length; k += 3) {
        await sendSpans(stack.ingestURL, tr.spans.slice(k, k + 3));
        await sleep(120);
      }
    }
    // Let the finished spans land first (reasoningchain holds a trace for its completion window).
    await sleep(2000);
    const runTrace = rng.hex(16);
    const parent = rng.hex(8);
    await sendSpans(stack.ingestURL, [
      { trace_id: runTrace, span_id: parent, name: 'Draft weekly metrics report', type: 'task', status: 'running', agent_name: 'data-analyst', start_time_unix_nano: (BigInt(now - 4000) * 1_000_000n).toString() },
      { trace_id: runTrace, span_id: rng.hex(8), parent_span_id: parent, name: 'chat o4-mini', type: 'llm_call', status: 'running', model: 'o4-mini', provider: 'openai', agent_name: 'data-analyst', start_time_unix_nano: (BigInt(now - 1500) * 1_000_000n).toString() },
    ]);
    await page.locator('[data-testid=live-row][data-status=running]').nth(1).waitFor({ timeout: 10_000 });
    await shot('live');
    await browser.close();
  }
  await post(stack.ingestURL, '/v1/sessions/end', { session_id: 'sess-live-0', status: 'SPAN_STATUS_OK' }).catch(() => {});
} finally {
  await stack.stop();
}
