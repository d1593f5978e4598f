// Number, time and money formatting. Costs: a null cost is "unpriced" and is
// rendered by <Cost>, never through formatUSD as $0.

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat('en-US');

/** USD with precision that suits small per-call costs. */
export function formatUSD(v: number): string {
  if (v === 0) return '$0.00';
  const abs = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  if (abs >= 10_000) return `${sign}$${compact.format(abs)}`;
  if (abs >= 1) return `${sign}$${abs.toFixed(2)}`;
  if (abs >= 0.01) return `${sign}$${abs.toFixed(3)}`;
  if (abs >= 0.0001) return `${sign}$${abs.toFixed(4)}`;
  return `${sign}<$0.0001`;
}

const significant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3, notation: 'standard' });

/** Exact USD for detail panels (up to 6 decimals). */
export function formatUSDExact(v: number): string {
  if (v === 0) return '$0.00';
  if (Math.abs(v) < 0.001) return `$${significant.format(v)}`;
  const s = v.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  const [whole, frac = ''] = s.split('.');
  return `$${whole}.${frac.padEnd(2, '0')}`;
}

export function formatTokens(n: number): string {
  if (Math.abs(n) < 10_000) return integer.format(n);
  return compact.format(n);
}

export function formatInt(n: number): string {
  return integer.format(n);
}

/** A duration given in nanoseconds: 850 µs, 12.4 ms, 4.48 s, 2m 10s, 1h 05m. */
export function formatDurationNs(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return '0 ms';
  const us = ns / 1e3;
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)} µs`;
  return formatMs(ns / 1e6);
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms === 0) return '0';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m - h * 60).padStart(2, '0')}m`;
}

export function formatPercent(rate: number | null, digits = 1): string {
  if (rate === null || !Number.isFinite(rate)) return '—';
  return `${(rate * 100).toFixed(digits)}%`;
}

/** A change in percent: +12%, -3.4%, or null when it cannot be computed. */
export function formatChange(percent: number | null): string | null {
  if (percent === null || !Number.isFinite(percent)) return null;
  const abs = Math.abs(percent);
  const digits = abs < 10 ? 1 : 0;
  const v = abs.toFixed(digits);
  if (Number(v) === 0) return '0%';
  return `${percent > 0 ? '+' : '−'}${v}%`;
}

/** "just now", "4 min ago", "3 h ago", "2 d ago". */
export function relativeTime(unixNano: number, now: number = Date.now()): string {
  const ms = now - unixNano / 1e6;
  if (ms < 45_000) return 'just now';
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

const dateTime = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatDateTime(unixNano: number): string {
  if (!unixNano) return '—';
  return dateTime.format(new Date(unixNano / 1e6));
}

const hourFmt = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hour12: false });
const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });

/** A chart axis label for a time bucket. */
export function formatBucket(unixNano: number, hourly: boolean): string {
  const d = new Date(unixNano / 1e6);
  return hourly ? hourFmt.format(d) : dayFmt.format(d);
}

export function shortId(id: string, n = 8): string {
  return id.length > n ? id.slice(0, n) : id;
}

/** Human label for a snake_case key: llm_call → LLM call. */
export function humanize(key: string): string {
  if (!key) return '(none)';
  const s = key.replace(/_/g, ' ');
  return s.replace(/^llm\b/, 'LLM').replace(/^api\b/, 'API').replace(/^./, (c) => c.toUpperCase());
}

/** "1 error", "3 errors". */
export function plural(n: number, word: string): string {
  return `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;
}
