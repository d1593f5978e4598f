import { describe, expect, it } from 'vitest';
import { mergeLive } from '../api/live';
import { firstSpanCommand } from '../components/States';
import { row, smallTrace, span } from '../test/fixtures';
import { formatChange, formatDurationNs, formatMs, formatTokens, formatUSD, formatUSDExact, humanize } from './format';
import { prepareText } from './text';
import { SPAN_TYPE_STYLES } from './spanTypes';
import { SPAN_TYPES } from '../api/types';
import { barGeometry, timeTicks, visibleRows } from './waterfall';

describe('format', () => {
  it('money', () => {
    expect(formatUSD(0)).toBe('$0.00');
    expect(formatUSD(12.345)).toBe('$12.35');
    expect(formatUSD(0.924)).toBe('$0.924');
    expect(formatUSD(0.0036)).toBe('$0.0036');
    expect(formatUSD(0.00000046)).toBe('<$0.0001');
    expect(formatUSDExact(0.004625)).toBe('$0.004625');
    expect(formatUSDExact(0.0000005031)).toBe('$0.000000503');
    expect(formatUSDExact(1.5)).toBe('$1.50');
  });
  it('durations and numbers', () => {
    expect(formatDurationNs(850_000)).toBe('850 µs');
    expect(formatDurationNs(12_400_000)).toBe('12.4 ms');
    expect(formatDurationNs(4_480_000_000)).toBe('4.48 s');
    expect(formatMs(130_000)).toBe('2m 10s');
    expect(formatTokens(9999)).toBe('9,999');
    expect(formatTokens(418_682)).toBe('418.7K');
    expect(formatChange(284.7)).toBe('+285%');
    expect(formatChange(-3.42)).toBe('−3.4%');
    expect(formatChange(null)).toBeNull();
    expect(humanize('llm_call')).toBe('LLM call');
  });
});

describe('span types', () => {
  it('every type has an icon, a label and a color', () => {
    expect(SPAN_TYPES).toHaveLength(16);
    const colors = new Set<string>();
    for (const t of SPAN_TYPES) {
      const s = SPAN_TYPE_STYLES[t];
      expect(s.label).not.toBe('');
      expect(s.icon).toBeTruthy();
      colors.add(s.color);
    }
    expect(colors.size).toBe(16);
  });
});

describe('waterfall rows', () => {
  it('hide the descendants of collapsed spans', () => {
    const rows = smallTrace();
    expect(visibleRows(rows, new Set()).length).toBe(6);
    expect(visibleRows(rows, new Set(['a'])).map((r) => r.span_id)).toEqual(['r', 'a', 'v']);
    expect(visibleRows(rows, new Set(['r'])).map((r) => r.span_id)).toEqual(['r']);
    // Collapsing a leaf changes nothing.
    expect(visibleRows(rows, new Set(['l1'])).length).toBe(6);
  });
  it('bars and ticks', () => {
    expect(barGeometry(row('x', 0, { offset_ns: 250, duration_ns: 500 }), 1000)).toEqual({ left: 25, width: 50 });
    expect(barGeometry(row('x', 0, { offset_ns: 600, status: 'running', duration_ns: 0 }), 1000)).toEqual({ left: 60, width: 40 });
    expect(timeTicks(10e9, 5)).toEqual([0, 2e9, 4e9, 6e9, 8e9, 10e9]);
  });
});

describe('live feed', () => {
  it('replaces a running span by its final version, in place', () => {
    const running = span({ span_id: '1'.repeat(16), status: 'running', end_unix_nano: 0, duration_ns: 0 });
    const other = span({ span_id: '2'.repeat(16) });
    let feed = mergeLive([], [running], 1);
    feed = mergeLive(feed, [other], 2);
    expect(feed.map((e) => e.span.span_id)).toEqual(['2'.repeat(16), '1'.repeat(16)]);
    feed = mergeLive(feed, [{ ...running, status: 'ok', duration_ns: 5e8 }], 3);
    expect(feed).toHaveLength(2);
    expect(feed[1]?.span.status).toBe('ok');
    expect(feed[1]?.finished).toBe(true);
  });
  it('keeps the newest first and caps the feed', () => {
    const spans = Array.from({ length: 10 }, (_, i) => span({ span_id: String(i).padStart(16, '0') }));
    const feed = mergeLive([], spans, 1, 4);
    expect(feed.map((e) => Number(e.span.span_id))).toEqual([9, 8, 7, 6]);
  });
});

describe('text', () => {
  it('pretty-prints JSON only', () => {
    expect(prepareText('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', isJSON: true });
    expect(prepareText('plain <b>text</b>')).toEqual({ text: 'plain <b>text</b>', isJSON: false });
  });
});

describe('first span command', () => {
  it('is a curl to the native HTTP receiver with a valid span', () => {
    const cmd = firstSpanCommand(1_700_000_000_000);
    expect(cmd).toContain('curl -X POST http://127.0.0.1:4321/v1/spans');
    const body = /-d '(.*)'$/.exec(cmd)?.[1] ?? '';
    const parsed = JSON.parse(body) as { spans: Array<Record<string, unknown>> };
    const s = parsed.spans[0] ?? {};
    expect(s.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(s.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(s.end_time_unix_nano).toBe('1700000000000000000');
  });
});
