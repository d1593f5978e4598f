import { GitBranch, ListTree } from 'lucide-react';
import { useCallback, type ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useChain, useTrace, useWaterfall } from '../api/queries';
import { ChainView } from '../components/ChainView';
import { Cost } from '../components/Cost';
import { Flags } from '../components/Flags';
import { PageHeader } from '../components/Layout';
import { SpanPanel } from '../components/SpanPanel';
import { EmptyState, ErrorState, LoadingState } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { Waterfall } from '../components/Waterfall';
import { formatDateTime, formatDurationNs, formatInt, formatTokens } from '../lib/format';
import { BackLink } from './SessionsPage';

type Tab = 'waterfall' | 'chain';

export function TraceDetailPage() {
  const { traceId = '' } = useParams();
  const [sp, setSp] = useSearchParams();
  const selected = sp.get('span');
  const tab: Tab = sp.get('view') === 'chain' ? 'chain' : 'waterfall';
  const trace = useTrace(traceId);
  const waterfall = useWaterfall(traceId);
  const chain = useChain(traceId, tab === 'chain');

  const setParam = useCallback(
    (k: string, v: string | null) => {
      setSp(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (v === null) next.delete(k);
          else next.set(k, v);
          return next;
        },
        { replace: true },
      );
    },
    [setSp],
  );
  const select = useCallback((id: string) => setParam('span', id), [setParam]);

  const t = trace.data;
  return (
    <div className={`page trace-page${selected ? ' with-panel' : ''}`} data-testid="page-trace">
      <BackLink to="/traces" label="Traces" />
      {trace.isPending ? (
        <LoadingState rows={3} />
      ) : trace.isError ? (
        <ErrorState error={trace.error} onRetry={() => void trace.refetch()} title="Could not load the trace" />
      ) : (
        <>
          <PageHeader
            title={<span data-testid="trace-title">{t?.root_name || 'Trace'}</span>}
            subtitle={
              <span className="inline-meta">
                <StatusBadge status={t?.status ?? ''} />
                <code>{traceId}</code>
                {t?.agent_name && <span>{t.agent_name}</span>}
                {t?.session_id && (
                  <Link to={`/sessions/${encodeURIComponent(t.session_id)}`} className="mono-link">
                    {t.session_id}
                  </Link>
                )}
                <span>{formatDateTime(t?.start_unix_nano ?? 0)}</span>
                <Flags flags={t?.flags ?? []} />
              </span>
            }
          />
          {t && (
            <div className="trace-stats" data-testid="trace-stats">
              <TraceStat label="Duration" value={t.status === 'running' ? 'running' : formatDurationNs(t.duration_ns)} />
              <TraceStat label="Spans" value={formatInt(t.span_count)} />
              <TraceStat label="LLM calls" value={formatInt(t.llm_calls)} />
              <TraceStat label="Tool calls" value={formatInt(t.tool_calls)} />
              <TraceStat label="Tokens" value={formatTokens(t.tokens.total)} />
              <TraceStat
                label="Cost"
                value={
                  <>
                    <Cost usd={t.cost_usd} hasTokens={t.tokens.total > 0} />
                    {t.cost_usd !== null && t.unpriced_spans > 0 && <span className="unpriced-note"> +{t.unpriced_spans} unpriced</span>}
                  </>
                }
              />
              <TraceStat label="Errors" value={t.error_count > 0 ? <span className="text-error">{t.error_count}</span> : '0'} />
            </div>
          )}
        </>
      )}

      <div className="trace-body">
        <section className="card trace-main">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={tab === 'waterfall'} className={tab === 'waterfall' ? 'active' : ''} onClick={() => setParam('view', null)}>
              <ListTree size={15} /> Waterfall
            </button>
            <button type="button" role="tab" aria-selected={tab === 'chain'} className={tab === 'chain' ? 'active' : ''} onClick={() => setParam('view', 'chain')}>
              <GitBranch size={15} /> Reasoning chain
            </button>
          </div>
          {tab === 'waterfall' ? (
            waterfall.isPending ? (
              <LoadingState rows={12} label="Loading spans" />
            ) : waterfall.isError ? (
              <ErrorState error={waterfall.error} onRetry={() => void waterfall.refetch()} title="Could not load the spans" />
            ) : waterfall.data.rows.length === 0 ? (
              <EmptyState title="This trace has no spans" />
            ) : (
              <Waterfall rows={waterfall.data.rows} durationNs={waterfall.data.duration_ns} selectedId={selected} onSelect={select} />
            )
          ) : chain.isPending ? (
            <LoadingState rows={12} label="Loading the chain" />
          ) : chain.isError ? (
            <ErrorState error={chain.error} onRetry={() => void chain.refetch()} title="Could not load the reasoning chain" />
          ) : (
            <ChainView chain={chain.data} selectedId={selected} onSelect={select} />
          )}
        </section>
        {selected && <SpanPanel key={selected} traceId={traceId} spanId={selected} onClose={() => setParam('span', null)} />}
      </div>
    </div>
  );
}

function TraceStat({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="trace-stat">
      <span className="muted small">{label}</span>
      <strong>{value}</strong>
    </div>
  );
}
