import { AlertTriangle, Coins, Hash, Timer } from 'lucide-react';
import { Link } from 'react-router';
import { bucketFor, useCosts, useSessions, useSummary } from '../api/queries';
import { Card, StatCard } from '../components/Card';
import { CostByKeyChart, TokenUsageChart } from '../components/Charts';
import { Cost } from '../components/Cost';
import { PageHeader, RangePicker } from '../components/Layout';
import { ErrorState, FirstSpanGuide, LoadingState } from '../components/States';
import { SessionsTable } from '../components/Tables';
import { formatInt, formatMs, formatPercent, formatTokens } from '../lib/format';
import { RANGE_LABELS, useUI } from '../store/ui';

export function OverviewPage() {
  const range = useUI((s) => s.range);
  // The stat cards compare the last 24 h with the 24 h before; the charts follow the chosen range.
  const summary = useSummary('24h');
  const hasData = summary.data ? summary.data.current.spans + summary.data.previous.spans > 0 : null;

  return (
    <div className="page" data-testid="page-overview">
      <PageHeader title="Overview" subtitle="What your agents did, what it cost, how fast and how reliably" actions={<RangePicker />} />
      {summary.isError && <ErrorState error={summary.error} onRetry={() => void summary.refetch()} title="Could not load the summary" />}
      {hasData === false && <FirstSpanGuide />}
      <SummaryCards />
      <div className="grid-2">
        <TokenUsageCard />
        <CostByModelCard />
      </div>
      <RecentSessions />
      <div className="muted small foot-note">Charts: {RANGE_LABELS[range].toLowerCase()}.</div>
    </div>
  );
}

function SummaryCards() {
  const q = useSummary('24h');
  if (q.isPending) {
    return (
      <div className="stats">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="card stat">
            <LoadingState rows={2} />
          </div>
        ))}
      </div>
    );
  }
  if (q.isError) return null;
  const { current: c, change } = q.data;
  return (
    <>
      <div className="stats" data-testid="summary-cards">
        <StatCard
          testId="stat-cost"
          label="Cost · 24 h"
          icon={<Coins size={15} />}
          value={<Cost usd={c.cost_usd} hasTokens={c.tokens.total > 0} />}
          percent={change.cost_usd.percent}
          polarity="up-bad"
          hint={c.unpriced_spans > 0 ? <span className="unpriced-note">{formatInt(c.unpriced_spans)} unpriced spans not included</span> : undefined}
        />
        <StatCard testId="stat-tokens" label="Tokens · 24 h" icon={<Hash size={15} />} value={formatTokens(c.tokens.total)} percent={change.tokens_total.percent} polarity="neutral" />
        <StatCard
          testId="stat-latency"
          label="p95 LLM latency"
          icon={<Timer size={15} />}
          value={c.latency_p95_ms === null || c.llm_calls === 0 ? '—' : formatMs(c.latency_p95_ms)}
          percent={change.latency_p95_ms.percent}
          polarity="up-bad"
          hint={c.latency_p50_ms !== null && c.llm_calls > 0 ? `p50 ${formatMs(c.latency_p50_ms)}` : undefined}
        />
        <StatCard
          testId="stat-errors"
          label="Error rate"
          icon={<AlertTriangle size={15} />}
          value={c.spans === 0 ? '—' : formatPercent(c.error_rate)}
          percent={change.error_rate.percent}
          polarity="up-bad"
          hint={`${formatInt(c.errors)} of ${formatInt(c.spans)} spans`}
        />
      </div>
      <div className="mini-stats">
        <MiniStat label="Traces" value={c.traces} percent={change.traces.percent} />
        <MiniStat label="Sessions" value={c.sessions} percent={change.sessions.percent} />
        <MiniStat label="LLM calls" value={c.llm_calls} percent={change.llm_calls.percent} />
        <MiniStat label="Tool calls" value={c.tool_calls} percent={change.tool_calls.percent} />
        <MiniStat label="Spans" value={c.spans} percent={change.spans.percent} />
      </div>
    </>
  );
}

function MiniStat({ label, value, percent }: { label: string; value: number; percent: number | null }) {
  return (
    <div className="mini-stat">
      <span className="muted">{label}</span>
      <strong>{formatInt(value)}</strong>
      {percent !== null && Number.isFinite(percent) && (
        <span className={`muted small`}>
          {percent >= 0 ? '+' : '−'}
          {Math.abs(percent).toFixed(0)}%
        </span>
      )}
    </div>
  );
}

function TokenUsageCard() {
  const range = useUI((s) => s.range);
  const group = bucketFor(range);
  const q = useCosts(range, group);
  return (
    <Card title="Token usage" actions={<span className="muted small">{group === 'hour' ? 'per hour' : 'per day'}</span>}>
      {q.isPending ? (
        <LoadingState rows={6} />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.data.rows.length === 0 ? (
        <div className="chart-empty muted">No tokens in this range.</div>
      ) : (
        <TokenUsageChart rows={q.data.rows} hourly={group === 'hour'} />
      )}
    </Card>
  );
}

function CostByModelCard() {
  const range = useUI((s) => s.range);
  const q = useCosts(range, 'model');
  return (
    <Card title="Cost by model" actions={<Link to="/costs" className="small">All costs →</Link>}>
      {q.isPending ? (
        <LoadingState rows={6} />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.data.rows.filter((r) => r.key !== '').length === 0 ? (
        <div className="chart-empty muted">No model calls in this range.</div>
      ) : (
        <CostByKeyChart rows={q.data.rows.filter((r) => r.key !== '')} />
      )}
    </Card>
  );
}

function RecentSessions() {
  const q = useSessions({}, 8);
  const sessions = q.data?.pages[0]?.items ?? [];
  return (
    <Card title="Recent sessions" actions={<Link to="/sessions" className="small">All sessions →</Link>} testId="recent-sessions">
      {q.isPending ? (
        <LoadingState rows={5} />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : sessions.length === 0 ? (
        <div className="muted chart-empty">No sessions yet. Sessions appear when an agent starts one (SDK <code>agenttrace.session()</code>) or sends spans with a session id.</div>
      ) : (
        <SessionsTable sessions={sessions} compact />
      )}
    </Card>
  );
}
