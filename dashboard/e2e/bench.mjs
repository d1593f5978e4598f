// Time to interactive of a 100k-span trace in the dashboard, in Chromium,
// against the real stack. Prints a Markdown table (docs/benchmarks.md,
// "## Dashboard"). Usage:
//   AGENTTRACE_COLLECTOR_BIN=../bin/agenttrace-collector npm run bench:waterfall [-- --spans 100000 --runs 3]
import { cpus, loadavg } from 'node:os';
import { launch } from './lib/browser.mjs';
import { buildLargeTrace, makeRng, sendSpans } from './lib/seed.mjs';
import { startStack } from './lib/stack.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('spans', 100_000);
const RUNS = arg('runs', 3);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const loadBefore = loadavg()[0];
const stack = await startStack({ log: !!process.env.VERBOSE });
const out = [];
try {
  const { traceId, spans } = buildLargeTrace(makeRng(100), N);
  let t = Date.now();
  await sendSpans(stack.ingestURL, spans, 5000);
  const ingestMs = Date.now() - t;
  // Wait until every span is stored and the summary is complete.
  t = Date.now();
  for (;;) {
    const r = await fetch(`${stack.apiURL}/api/v1/traces/${traceId}`);
    if (r.ok && (await r.json()).span_count >= N) break;
    if (Date.now() - t > 300_000) throw new Error('trace not stored within 5 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
  const storedMs = Date.now() - t;
  t = performance.now();
  const wf = await fetch(`${stack.apiURL}/api/v1/traces/${traceId}/waterfall`);
  const body = await wf.arrayBuffer();
  const apiMs = performance.now() - t;
  const rows = JSON.parse(new TextDecoder().decode(body)).rows.length;
  console.error(`ingested ${N} spans in ${ingestMs} ms (+${storedMs} ms until stored); waterfall API: ${rows} rows, ${(body.byteLength / 1e6).toFixed(1)} MB in ${apiMs.toFixed(0)} ms`);

  const browser = await launch({ width: 1440, height: 900 });
  try {
    for (let run = 0; run < RUNS; run++) {
      const page = await browser.context.newPage();
      await page.addInitScript(() => {
        window.__longTasks = [];
        new PerformanceObserver((l) => {
          for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
        }).observe({ type: 'longtask', buffered: true });
      });
      await page.goto(`${stack.apiURL}/traces/${traceId}`);
      await page.locator('[data-testid=waterfall-row]').first().waitFor({ timeout: 120_000 });
      const rowsAt = await page.evaluate(() => performance.now());
      // Interactive: no long task for 500 ms after the rows are shown.
      const tti = await page.evaluate(
        (rowsAt) =>
          new Promise((resolve) => {
            const check = () => {
              const last = window.__longTasks.reduce((m, t) => Math.max(m, t.end), rowsAt);
              if (performance.now() - last >= 500) resolve(last);
              else setTimeout(check, 100);
            };
            check();
          }),
        rowsAt,
      );
      const marks = await page.evaluate(() => {
        const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
        const r = performance.getEntriesByType('resource').find((e) => e.name.includes('/waterfall'));
        return { data: at('agenttrace:waterfall-data'), rows: at('agenttrace:waterfall-rows'), fetchStart: r?.startTime ?? NaN, fetchEnd: r?.responseEnd ?? NaN };
      });
      const domRows = await page.locator('[data-testid=waterfall-row]').count();
      // Interactions, timed in the page: from the event to the frame that shows its result.
      const interact = (kind) =>
        page.evaluate(
          (kind) =>
            new Promise((resolve, reject) => {
              const q = (s) => document.querySelector(s);
              const count = () => q('[data-testid=waterfall-count]')?.textContent ?? '';
              const before = count();
              const done = {
                select: () => !!q('[data-testid=span-panel] .panel-head'),
                scroll: () => {
                  const body = q('[role=tree]');
                  return [...document.querySelectorAll('[data-testid=waterfall-row]')].some((r) => {
                    const y = parseFloat(/translateY\(([^)]+)px\)/.exec(r.style.transform)?.[1] ?? '-1');
                    return y >= body.scrollTop && y < body.scrollTop + body.clientHeight;
                  });
                },
                fold: () => count() !== before,
                unfold: () => count() !== before,
              }[kind];
              const t0 = performance.now();
              if (kind === 'select') document.querySelectorAll('[data-testid=waterfall-row]')[5].click();
              if (kind === 'scroll') {
                const body = q('[role=tree]');
                body.scrollTop = body.scrollHeight / 2;
              }
              if (kind === 'fold') [...document.querySelectorAll('button')].find((b) => b.textContent.includes('Collapse all')).click();
              if (kind === 'unfold') [...document.querySelectorAll('button')].find((b) => b.textContent.includes('Expand all')).click();
              const deadline = t0 + 30000;
              const tick = () => {
                if (done()) requestAnimationFrame(() => resolve(performance.now() - t0));
                else if (performance.now() > deadline) { const b = q('[role=tree]'); reject(new Error(`${kind} did not finish: scrollTop ${b?.scrollTop} h ${b?.clientHeight} sh ${b?.scrollHeight} rows ${[...document.querySelectorAll('[data-testid=waterfall-row]')].slice(0, 3).map((r) => r.style.transform).join(',')}`)); }
                else requestAnimationFrame(tick);
              };
              requestAnimationFrame(tick);
            }),
          kind,
        );
      const clickMs = await interact('select');
      const scrollMs = await interact('scroll');
      const foldMs = await interact('fold');
      const expandMs = await interact('unfold');
      const fetch = marks.fetchEnd - marks.fetchStart;
      const parse = marks.data - marks.fetchEnd;
      const render = marks.rows - marks.data;
      out.push({ rowsAt, tti, fetchStart: marks.fetchStart, fetch, parse, render, domRows, clickMs, scrollMs, foldMs, expandMs });
      console.error(`run ${run + 1}: rows at ${rowsAt.toFixed(0)} ms, interactive at ${tti.toFixed(0)} ms; waterfall request sent at ${marks.fetchStart.toFixed(0)} ms, answered in ${fetch.toFixed(0)} ms, parsed in ${parse.toFixed(0)} ms, rendered in ${render.toFixed(0)} ms; ${domRows} rows in DOM, click ${clickMs.toFixed(0)} ms, scroll ${scrollMs.toFixed(0)} ms, collapse all ${foldMs.toFixed(0)} ms, expand all ${expandMs.toFixed(0)} ms`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const m = (k) => median(out.map((o) => o[k])).toFixed(0);
  console.log(`| spans | waterfall JSON | request sent | API answer | parse | render | **time to interactive** | rows in DOM | select span | scroll to middle | collapse all | expand all |`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|`);
  console.log(`| ${N.toLocaleString('en-US')} | ${(body.byteLength / 1e6).toFixed(1)} MB | ${m('fetchStart')} ms | ${m('fetch')} ms | ${m('parse')} ms | ${m('render')} ms | **${m('tti')} ms** | ${m('domRows')} | ${m('clickMs')} ms | ${m('scrollMs')} ms | ${m('foldMs')} ms | ${m('expandMs')} ms |`);
  console.log(`\nwaterfall API measured alone (curl-like fetch from Node): ${apiMs.toFixed(0)} ms for ${(body.byteLength / 1e6).toFixed(1)} MB; ingest of ${N.toLocaleString('en-US')} spans over native HTTP: ${ingestMs} ms (+${storedMs} ms until the summary was complete)`);
  console.log(`\nmedian of ${RUNS} page loads; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); 1-min load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; Chromium ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}`);
} finally {
  await stack.stop();
}
