import type { ReactElement, ReactNode } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { CostRow, PerfRow } from '../api/types';
import { formatBucket, formatMs, formatTokens, formatUSD, humanize } from '../lib/format';
import { chartColors, useResolvedTheme, type ChartColors } from '../store/theme';
import { Cost } from './Cost';

/** Fixed size when `width` is given (tests, screenshots); otherwise fills its container. */
function Frame({ width, height, children }: { width?: number; height: number; children: ReactElement }) {
  if (width !== undefined) return <div style={{ width, height }}>{children}</div>;
  return (
    <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>
      {children}
    </ResponsiveContainer>
  );
}

interface TipEntry {
  name?: string | number;
  value?: number | string | ReadonlyArray<number | string>;
  color?: string;
  dataKey?: string | number | ((obj: unknown) => unknown);
}

function ChartTooltip({ active, payload, label, format }: { active?: boolean; payload?: readonly TipEntry[]; label?: ReactNode; format: (v: number) => string }) {
  if (!active || !payload || payload.length === 0) return null;
  return (
    <div className="chart-tip">
      <div className="chart-tip-label">{label}</div>
      {payload.map((p) => (
        <div key={String(p.name)} className="chart-tip-row">
          <span className="legend-dot" style={{ background: p.color }} />
          <span>{p.name}</span>
          <span className="spacer" />
          <strong>{typeof p.value === 'number' ? format(p.value) : String(p.value ?? '')}</strong>
        </div>
      ))}
    </div>
  );
}

function axisProps(c: ChartColors) {
  return { stroke: c.axis, tick: { fill: c.text, fontSize: 11 }, tickLine: false } as const;
}

interface TimePoint {
  label: string;
  input: number;
  cache_read: number;
  cache_write: number;
  output: number;
  reasoning: number;
  cost: number;
}

export function toTimePoints(rows: readonly CostRow[], hourly: boolean): TimePoint[] {
  return [...rows]
    .sort((a, b) => (a.bucket_unix_nano ?? 0) - (b.bucket_unix_nano ?? 0))
    .map((r) => ({
      label: formatBucket(r.bucket_unix_nano ?? Date.parse(r.key) * 1e6, hourly),
      input: r.tokens.input,
      cache_read: r.tokens.cache_read,
      cache_write: r.tokens.cache_write_5m + r.tokens.cache_write_1h,
      output: r.tokens.output,
      reasoning: r.tokens.reasoning,
      cost: r.cost_usd ?? 0,
    }));
}

/** Tokens per time bucket, stacked by bucket (input, cache read/write, output, reasoning). */
export function TokenUsageChart({ rows, hourly, width, height = 260 }: { rows: readonly CostRow[]; hourly: boolean; width?: number; height?: number }) {
  const c = chartColors(useResolvedTheme());
  const data = toTimePoints(rows, hourly);
  const series: Array<[keyof TimePoint, string, string]> = [
    ['input', 'Input', c.input],
    ['cache_read', 'Cache read', c.cacheRead],
    ['cache_write', 'Cache write', c.cacheWrite],
    ['output', 'Output', c.output],
    ['reasoning', 'Reasoning', c.reasoning],
  ];
  return (
    <div className="chart" data-testid="token-usage-chart">
      <Frame width={width} height={height}>
        <AreaChart data={data} width={width} height={height} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <defs>
            {series.map(([k, , color]) => (
              <linearGradient key={k} id={`grad-${k}`} x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor={color} stopOpacity={0.45} />
                <stop offset="100%" stopColor={color} stopOpacity={0.04} />
              </linearGradient>
            ))}
          </defs>
          <CartesianGrid stroke={c.grid} vertical={false} />
          <XAxis dataKey="label" {...axisProps(c)} minTickGap={24} />
          <YAxis {...axisProps(c)} width={48} tickFormatter={(v: number) => formatTokens(v)} axisLine={false} />
          <Tooltip content={(p) => <ChartTooltip {...p} format={formatTokens} />} />
          <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12, color: c.text }} />
          {series.map(([k, name, color]) => (
            <Area key={k} type="monotone" dataKey={k} name={name} stackId="t" stroke={color} strokeWidth={1.5} fill={`url(#grad-${k})`} isAnimationActive={false} />
          ))}
        </AreaChart>
      </Frame>
    </div>
  );
}

/** Cost per time bucket. */
export function CostOverTimeChart({ rows, hourly, width, height = 240 }: { rows: readonly CostRow[]; hourly: boolean; width?: number; height?: number }) {
  const c = chartColors(useResolvedTheme());
  const data = toTimePoints(rows, hourly);
  return (
    <div className="chart" data-testid="cost-time-chart">
      <Frame width={width} height={height}>
        <BarChart data={data} width={width} height={height} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={c.grid} vertical={false} />
          <XAxis dataKey="label" {...axisProps(c)} minTickGap={24} />
          <YAxis {...axisProps(c)} width={56} tickFormatter={(v: number) => formatUSD(v)} axisLine={false} />
          <Tooltip cursor={{ fill: c.grid, opacity: 0.5 }} content={(p) => <ChartTooltip {...p} format={formatUSD} />} />
          <Bar dataKey="cost" name="Cost" fill={c.cost} radius={[4, 4, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </Frame>
    </div>
  );
}

/**
 * Cost per group (model, provider, agent, type) as horizontal bars. Groups
 * that are unpriced have no bar: they are listed under the chart as
 * unpriced, never drawn as $0.
 */
export function CostByKeyChart({ rows, width, height, label = humanizeKey }: { rows: readonly CostRow[]; width?: number; height?: number; label?: (k: string) => string }) {
  const c = chartColors(useResolvedTheme());
  const priced = rows.filter((r) => r.cost_usd !== null && r.tokens.total > 0).sort((a, b) => (b.cost_usd ?? 0) - (a.cost_usd ?? 0));
  const unpriced = rows.filter((r) => r.cost_usd === null || r.unpriced_spans > 0);
  const data = priced.map((r) => ({ name: label(r.key), cost: r.cost_usd ?? 0 }));
  const h = height ?? Math.max(120, data.length * 34 + 24);
  return (
    <div className="chart" data-testid="cost-by-key-chart">
      {data.length > 0 ? (
        <Frame width={width} height={h}>
          <BarChart data={data} layout="vertical" width={width} height={h} margin={{ top: 4, right: 16, bottom: 4, left: 4 }}>
            <CartesianGrid stroke={c.grid} horizontal={false} />
            <XAxis type="number" {...axisProps(c)} tickFormatter={(v: number) => formatUSD(v)} />
            <YAxis type="category" dataKey="name" {...axisProps(c)} width={150} axisLine={false} />
            <Tooltip cursor={{ fill: c.grid, opacity: 0.5 }} content={(p) => <ChartTooltip {...p} format={formatUSD} />} />
            <Bar dataKey="cost" name="Cost" fill={c.cost} radius={[0, 4, 4, 0]} barSize={16} isAnimationActive={false}>
              {data.map((d, i) => (
                <Cell key={d.name} fill={c.series[i % c.series.length]} />
              ))}
            </Bar>
          </BarChart>
        </Frame>
      ) : (
        <div className="muted small chart-empty">No priced spans in this range.</div>
      )}
      {unpriced.length > 0 && (
        <ul className="unpriced-list" aria-label="Unpriced">
          {unpriced.map((r) => (
            <li key={r.key} data-testid="unpriced-row">
              <span className="unpriced-name">{label(r.key)}</span>
              {r.cost_usd === null ? <Cost usd={null} /> : <span className="unpriced">partly unpriced</span>}
              <span className="muted small">
                {r.unpriced_spans} span{r.unpriced_spans === 1 ? '' : 's'} without a price
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function humanizeKey(k: string): string {
  return k === '' ? '(none)' : k;
}

/** p50 / p95 / p99 latency per group. */
export function LatencyChart({ rows, width, height = 280, label = humanize }: { rows: readonly PerfRow[]; width?: number; height?: number; label?: (k: string) => string }) {
  const c = chartColors(useResolvedTheme());
  const data = rows
    .filter((r) => r.p50_ms !== null)
    .map((r) => ({ name: label(r.key), p50: r.p50_ms ?? 0, p95: r.p95_ms ?? 0, p99: r.p99_ms ?? 0 }));
  return (
    <div className="chart" data-testid="latency-chart">
      <Frame width={width} height={height}>
        <BarChart data={data} width={width} height={height} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={c.grid} vertical={false} />
          <XAxis dataKey="name" {...axisProps(c)} interval={0} angle={-20} textAnchor="end" height={56} />
          <YAxis {...axisProps(c)} width={56} tickFormatter={(v: number) => formatMs(v)} axisLine={false} />
          <Tooltip cursor={{ fill: c.grid, opacity: 0.5 }} content={(p) => <ChartTooltip {...p} format={formatMs} />} />
          <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="p50" name="p50" fill={c.p50} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="p95" name="p95" fill={c.p95} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="p99" name="p99" fill={c.p99} radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </Frame>
    </div>
  );
}
