import { useErrorStats, usePerformance, useSummary } from '../api/queries';
import type { PerfGroup, PerfRow } from '../api/types';
import { Card, StatCard } from '../components/Card';
import { LatencyChart } from '../components/Charts';
import { PageHeader, RangePicker } from '../components/Layout';
import { ErrorState, LoadingState } from '../components/States';
import { SpanTypeLabel } from '../components/SpanTypeIcon';
import { formatInt, formatMs, formatPercent } from '../lib/format';
import { spanTypeStyle } from '../lib/spanTypes';
import { RANGE_LABELS, useUI } from '../store/ui';

export function PerformancePage() {
  const range = useUI((s) => s.range);
  const summary = useSummary(range);
  const errors = useErrorStats(range);
  const cur = summary.data?.current;
  return (
    <div className="page" data-testid="page-performance">
      <PageHeader title="Performance" subtitle={`Latency percentiles, throughput and errors · ${RANGE_LABELS[range].toLowerCase()}`} actions={<RangePicker />} />
      <div className="stats">
        <StatCard label="p50 LLM latency" value={cur?.latency_p50_ms != null && cur.llm_calls > 0 ? formatMs(cur.latency_p50_ms) : '—'} percent={summary.data?.change.latency_p50_ms.percent ?? null} polarity="up-bad" />
        <StatCard label="p95 LLM latency" value={cur?.latency_p95_ms != null && cur.llm_calls > 0 ? formatMs(cur.latency_p95_ms) : '—'} percent={summary.data?.change.latency_p95_ms.percent ?? null} polarity="up-bad" />
        <StatCard label="Error rate" value={errors.data && errors.data.spans > 0 ? formatPercent(errors.data.rate) : '—'} percent={summary.data?.change.error_rate.percent ?? null} polarity="up-bad" hint={errors.data ? `${formatInt(errors.data.errors)} of ${formatInt(errors.data.spans)} spans` : undefined} />
        <StatCard label="Spans" value={cur ? formatInt(cur.spans) : '—'} percent={summary.data?.change.spans.percent ?? null} polarity="neutral" />
      </div>
      <PerfSection group="type" title="Latency by span type" />
      <div className="grid-2">
        <PerfSection group="model" title="Latency by model" chart={false} />
        <Card title="Top errors" testId="top-errors">
          {errors.isPending ? (
            <LoadingState rows={5} />
          ) : errors.isError ? (
            <ErrorState error={errors.error} onRetry={() => void errors.refetch()} />
          ) : errors.data.top.length === 0 ? (
            <div className="chart-empty muted">No errors in this range. 🎉</div>
          ) : (
            <ul className="error-list">
              {errors.data.top.map((e) => (
                <li key={`${e.type}:${e.code ?? ''}:${e.message}`}>
                  <div className="error-head">
                    <SpanTypeLabel type={e.type} />
                    {e.code && <code className="error-code">{e.code}</code>}
                    <span className="spacer" />
                    <strong>{formatInt(e.count)}×</strong>
                  </div>
                  <div className="error-msg">{e.message || <span className="muted">(no message)</span>}</div>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </div>
  );
}

function PerfSection({ group, title, chart = true }: { group: PerfGroup; title: string; chart?: boolean }) {
  const range = useUI((s) => s.range);
  const q = usePerformance(range, group);
  return (
    <Card title={title} testId={`perf-${group}`}>
      {q.isPending ? (
        <LoadingState rows={6} />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.data.rows.length === 0 ? (
        <div className="chart-empty muted">No finished spans in this range.</div>
      ) : (
        <>
          {chart && <LatencyChart rows={q.data.rows} label={group === 'type' ? (k) => spanTypeStyle(k).label : (k) => k || '(none)'} />}
          <PerfTable rows={q.data.rows} group={group} />
        </>
      )}
    </Card>
  );
}

function PerfTable({ rows, group }: { rows: readonly PerfRow[]; group: PerfGroup }) {
  const sorted = [...rows].sort((a, b) => b.count - a.count);
  return (
    <div className="table-wrap">
      <table className="table" data-testid={`perf-table-${group}`}>
        <thead>
          <tr>
            <th>{group === 'type' ? 'Span type' : 'Model'}</th>
            <th className="num">Count</th>
            <th className="num">p50</th>
            <th className="num">p95</th>
            <th className="num">p99</th>
            <th className="num">Avg</th>
            <th className="num">Errors</th>
            {group === 'type' && <th className="num">Per min</th>}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.key}>
              <td className="cell-main">{group === 'type' ? <SpanTypeLabel type={r.key} /> : r.key || <span className="muted">(none)</span>}</td>
              <td className="num">{formatInt(r.count)}</td>
              <td className="num">{r.p50_ms === null ? '—' : formatMs(r.p50_ms)}</td>
              <td className="num">{r.p95_ms === null ? '—' : formatMs(r.p95_ms)}</td>
              <td className="num">{r.p99_ms === null ? '—' : formatMs(r.p99_ms)}</td>
              <td className="num">{r.avg_ms === null ? '—' : formatMs(r.avg_ms)}</td>
              <td className={`num${r.errors > 0 ? ' text-error' : ''}`}>
                {formatInt(r.errors)}
                {r.count > 0 && r.errors > 0 && <span className="muted small"> ({formatPercent(r.errors / r.count)})</span>}
              </td>
              {group === 'type' && <td className="num">{r.per_second === null ? '—' : (r.per_second * 60).toFixed(r.per_second * 60 < 10 ? 2 : 0)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
