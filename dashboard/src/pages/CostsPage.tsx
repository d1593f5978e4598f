import { CircleAlert } from 'lucide-react';
import { useState } from 'react';
import { useCosts, useSummary } from '../api/queries';
import type { CostGroup, CostRow } from '../api/types';
import { Card, StatCard } from '../components/Card';
import { CostByKeyChart, CostOverTimeChart } from '../components/Charts';
import { Cost } from '../components/Cost';
import { PageHeader, RangePicker } from '../components/Layout';
import { ErrorState, FirstSpanGuide, LoadingState } from '../components/States';
import { SpanTypeLabel } from '../components/SpanTypeIcon';
import { formatBucket, formatInt, formatTokens } from '../lib/format';
import { spanTypeStyle } from '../lib/spanTypes';
import { RANGE_LABELS, useUI } from '../store/ui';

const GROUPS: ReadonlyArray<[CostGroup, string]> = [
  ['model', 'Model'],
  ['provider', 'Provider'],
  ['agent', 'Agent'],
  ['type', 'Span type'],
  ['day', 'Day'],
  ['hour', 'Hour'],
];

const isTime = (g: CostGroup) => g === 'hour' || g === 'day' || g === 'week';

export function CostsPage() {
  const range = useUI((s) => s.range);
  const [group, setGroup] = useState<CostGroup>('model');
  const costs = useCosts(range, group);
  const summary = useSummary(range);
  const byModel = useCosts(range, 'model');
  const unpricedModels = (byModel.data?.rows ?? []).filter((r) => r.unpriced_spans > 0);
  const cur = summary.data?.current;

  return (
    <div className="page" data-testid="page-costs">
      <PageHeader title="Costs" subtitle={`Spend by model, provider, agent and time · ${RANGE_LABELS[range].toLowerCase()}`} actions={<RangePicker />} />
      {cur && cur.spans === 0 && summary.data?.previous.spans === 0 && <FirstSpanGuide compact />}
      <div className="stats">
        <StatCard label="Total cost" value={cur ? <Cost usd={cur.cost_usd} hasTokens={cur.tokens.total > 0} /> : '…'} percent={summary.data?.change.cost_usd.percent ?? null} polarity="up-bad" />
        <StatCard label="Tokens" value={cur ? formatTokens(cur.tokens.total) : '…'} hint={cur ? `${formatTokens(cur.tokens.cache_read)} from cache` : undefined} />
        <StatCard label="LLM calls" value={cur ? formatInt(cur.llm_calls) : '…'} />
        <StatCard
          label="Unpriced spans"
          value={cur ? <span className={cur.unpriced_spans > 0 ? 'text-warn' : ''}>{formatInt(cur.unpriced_spans)}</span> : '…'}
          hint="models without a catalog price"
          testId="stat-unpriced"
        />
      </div>
      {unpricedModels.length > 0 && (
        <div className="callout callout-warn" data-testid="unpriced-callout">
          <CircleAlert size={18} />
          <div>
            <strong>Some spans are unpriced.</strong> Their cost is unknown and is left out of the totals (never counted as $0):{' '}
            {unpricedModels.map((r, i) => (
              <span key={r.key}>
                {i > 0 && ', '}
                <code>{r.key || '(no model)'}</code> ({formatInt(r.unpriced_spans)} spans)
              </span>
            ))}
            . Add prices for them with a <code>tokencost</code> override in the collector config.
          </div>
        </div>
      )}
      <Card
        title="Breakdown"
        actions={
          <div className="segmented" role="radiogroup" aria-label="Group by">
            {GROUPS.map(([g, l]) => (
              <button key={g} type="button" role="radio" aria-checked={g === group} className={g === group ? 'active' : ''} onClick={() => setGroup(g)}>
                {l}
              </button>
            ))}
          </div>
        }
      >
        {costs.isPending ? (
          <LoadingState rows={8} />
        ) : costs.isError ? (
          <ErrorState error={costs.error} onRetry={() => void costs.refetch()} />
        ) : costs.data.rows.length === 0 ? (
          <div className="chart-empty muted">Nothing was spent in this range.</div>
        ) : (
          <>
            {isTime(group) ? (
              <CostOverTimeChart rows={costs.data.rows} hourly={group === 'hour'} />
            ) : (
              <CostByKeyChart rows={costs.data.rows} label={group === 'type' ? (k) => spanTypeStyle(k).label : undefined} />
            )}
            <CostTable rows={costs.data.rows} group={group} />
          </>
        )}
      </Card>
    </div>
  );
}

function CostTable({ rows, group }: { rows: readonly CostRow[]; group: CostGroup }) {
  const sorted = isTime(group) ? [...rows].sort((a, b) => (b.bucket_unix_nano ?? 0) - (a.bucket_unix_nano ?? 0)) : [...rows].sort((a, b) => (b.cost_usd ?? -1) - (a.cost_usd ?? -1));
  return (
    <div className="table-wrap">
      <table className="table" data-testid="costs-table">
        <thead>
          <tr>
            <th>{GROUPS.find(([g]) => g === group)?.[1]}</th>
            <th className="num">Spans</th>
            <th className="num">Input</th>
            <th className="num">Cache read</th>
            <th className="num">Cache write</th>
            <th className="num">Output</th>
            <th className="num">Reasoning</th>
            <th className="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.key}>
              <td className="cell-main">
                {group === 'type' ? (
                  <SpanTypeLabel type={r.key} />
                ) : isTime(group) ? (
                  formatBucket(r.bucket_unix_nano ?? 0, group === 'hour') + (group === 'hour' ? ` · ${formatBucket(r.bucket_unix_nano ?? 0, false)}` : '')
                ) : (
                  r.key || <span className="muted">{group === 'model' ? '(no model)' : '(none)'}</span>
                )}
              </td>
              <td className="num">{formatInt(r.spans)}</td>
              <td className="num">{formatTokens(r.tokens.input)}</td>
              <td className="num">{formatTokens(r.tokens.cache_read)}</td>
              <td className="num">{formatTokens(r.tokens.cache_write_5m + r.tokens.cache_write_1h)}</td>
              <td className="num">{formatTokens(r.tokens.output)}</td>
              <td className="num">{formatTokens(r.tokens.reasoning)}</td>
              <td className="num">
                <Cost usd={r.cost_usd} hasTokens={r.tokens.total > 0} />
                {r.cost_usd !== null && r.unpriced_spans > 0 && <span className="unpriced-note">+{r.unpriced_spans} unpriced</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
