import type { WaterfallRow } from '../api/types';

/**
 * The rows to show when the spans in `collapsed` are collapsed. Rows come
 * depth-first (the API's waterfall order), so a collapsed row's descendants
 * are the rows right after it that are deeper: one pass, no tree needed,
 * fast enough for 100k rows.
 */
export function visibleRows(rows: readonly WaterfallRow[], collapsed: ReadonlySet<string>): WaterfallRow[] {
  if (collapsed.size === 0) return rows as WaterfallRow[];
  const out: WaterfallRow[] = [];
  let skipDeeperThan = -1;
  for (const r of rows) {
    if (skipDeeperThan >= 0) {
      if (r.depth > skipDeeperThan) continue;
      skipDeeperThan = -1;
    }
    out.push(r);
    if (r.child_count > 0 && collapsed.has(r.span_id)) skipDeeperThan = r.depth;
  }
  return out;
}

/** Tick positions (ns) for a time axis of `durationNs`, about `count` of them at round values. */
export function timeTicks(durationNs: number, count = 5): number[] {
  if (durationNs <= 0) return [0];
  const raw = durationNs / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= durationNs + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** Bar geometry in percent of the trace duration; running spans reach the end. */
export function barGeometry(row: WaterfallRow, traceDurationNs: number): { left: number; width: number } {
  if (traceDurationNs <= 0) return { left: 0, width: 100 };
  const left = Math.min(100, Math.max(0, (row.offset_ns / traceDurationNs) * 100));
  const dur = row.status === 'running' ? traceDurationNs - row.offset_ns : row.duration_ns;
  const width = Math.max(0, Math.min(100 - left, (dur / traceDurationNs) * 100));
  return { left, width };
}
