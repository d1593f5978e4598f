import { ArrowLeft, Search } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useSession, useSessions, useSessionTraces } from '../api/queries';
import { Card, KeyValues, StatCard } from '../components/Card';
import { Cost } from '../components/Cost';
import { Flags } from '../components/Flags';
import { PageHeader } from '../components/Layout';
import { EmptyState, ErrorState, FirstSpanGuide, LoadingState } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { SessionsTable, TracesTable } from '../components/Tables';
import { formatDateTime, formatDurationNs, formatInt, formatTokens, plural } from '../lib/format';

export function SessionsPage() {
  const [sp, setSp] = useSearchParams();
  const q = sp.get('q') ?? '';
  const activeParam = sp.get('active');
  const active = activeParam === 'true' ? true : activeParam === 'false' ? false : undefined;
  const [draft, setDraft] = useState(q);
  const sessions = useSessions({ q: q || undefined, active });
  const items = sessions.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = q !== '' || active !== undefined;

  const update = (next: Record<string, string>) => {
    const s = new URLSearchParams(sp);
    for (const [k, v] of Object.entries(next)) {
      if (v) s.set(k, v);
      else s.delete(k);
    }
    setSp(s, { replace: true });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update({ q: draft.trim() });
  };

  return (
    <div className="page" data-testid="page-sessions">
      <PageHeader title="Sessions" subtitle="Agent runs, each with its traces and totals" />
      <form className="toolbar card" onSubmit={submit} role="search">
        <label className="input-icon grow">
          <Search size={15} aria-hidden />
          <input type="search" placeholder="Search session names…" value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="Search sessions" />
        </label>
        <div className="segmented" role="radiogroup" aria-label="Session state">
          {([['', 'All'], ['true', 'Active'], ['false', 'Ended']] as const).map(([v, l]) => (
            <button key={l} type="button" role="radio" aria-checked={(activeParam ?? '') === v} className={(activeParam ?? '') === v ? 'active' : ''} onClick={() => update({ active: v })}>
              {l}
            </button>
          ))}
        </div>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      <Card>
        {sessions.isPending ? (
          <LoadingState rows={8} />
        ) : sessions.isError ? (
          <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
        ) : items.length === 0 ? (
          filtered ? <EmptyState title="No sessions match">Try another name or state.</EmptyState> : <FirstSpanGuide />
        ) : (
          <>
            <SessionsTable sessions={items} />
            <LoadMore hasNext={sessions.hasNextPage} loading={sessions.isFetchingNextPage} onClick={() => void sessions.fetchNextPage()} />
          </>
        )}
      </Card>
    </div>
  );
}

export function LoadMore({ hasNext, loading, onClick }: { hasNext: boolean; loading: boolean; onClick: () => void }) {
  if (!hasNext) return null;
  return (
    <div className="load-more">
      <button type="button" className="btn" onClick={onClick} disabled={loading}>
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}

export function SessionDetailPage() {
  const { sessionId = '' } = useParams();
  const s = useSession(sessionId);
  const traces = useSessionTraces(sessionId);
  const items = traces.data?.pages.flatMap((p) => p.items) ?? [];

  if (s.isPending) {
    return (
      <div className="page">
        <LoadingState rows={10} />
      </div>
    );
  }
  if (s.isError) {
    return (
      <div className="page">
        <BackLink to="/sessions" label="Sessions" />
        <ErrorState error={s.error} onRetry={() => void s.refetch()} title="Could not load the session" />
      </div>
    );
  }
  const d = s.data;
  const duration = (d.end_unix_nano || Date.now() * 1e6) - d.start_unix_nano;
  return (
    <div className="page" data-testid="page-session">
      <BackLink to="/sessions" label="Sessions" />
      <PageHeader
        title={d.name || d.session_id}
        subtitle={
          <span className="inline-meta">
            {d.active ? <span className="status status-running"><span className="status-dot" />Active</span> : <StatusBadge status={d.status} />}
            {d.agent_name && <span>{d.agent_name}</span>}
            {d.framework && <span>{d.framework}</span>}
            <span>started {formatDateTime(d.start_unix_nano)}</span>
            <Flags flags={d.flags} />
          </span>
        }
      />
      <div className="stats">
        <StatCard label="Cost" value={<Cost usd={d.cost_usd} hasTokens={d.tokens.total > 0} />} hint={d.unpriced_spans > 0 ? <span className="unpriced-note">{d.unpriced_spans} unpriced spans</span> : `${d.priced_spans} priced spans`} />
        <StatCard label="Tokens" value={formatTokens(d.tokens.total)} hint={`${formatTokens(d.tokens.input)} in · ${formatTokens(d.tokens.output + d.tokens.reasoning)} out`} />
        <StatCard label="Traces · spans" value={`${formatInt(d.trace_count)} · ${formatInt(d.span_count)}`} hint={`${d.llm_calls} LLM calls · ${d.tool_calls} tool calls`} />
        <StatCard label={d.active ? 'Running for' : 'Duration'} value={formatDurationNs(duration)} hint={d.error_count > 0 ? <span className="text-error">{plural(d.error_count, 'error')}</span> : 'no errors'} />
      </div>
      <div className="grid-side">
        <Card title="Traces">
          {traces.isPending ? (
            <LoadingState rows={6} />
          ) : traces.isError ? (
            <ErrorState error={traces.error} onRetry={() => void traces.refetch()} />
          ) : items.length === 0 ? (
            <EmptyState title="No traces in this session yet" />
          ) : (
            <>
              <TracesTable traces={items} showSession={false} />
              <LoadMore hasNext={traces.hasNextPage} loading={traces.isFetchingNextPage} onClick={() => void traces.fetchNextPage()} />
            </>
          )}
        </Card>
        <Card title="Details">
          <KeyValues
            items={[
              ['Session ID', <code key="i">{d.session_id}</code>],
              d.user_id ? ['User', d.user_id] : null,
              ['Started', formatDateTime(d.start_unix_nano)],
              ['Ended', d.end_unix_nano ? formatDateTime(d.end_unix_nano) : 'still active'],
              d.tags.length > 0 ? ['Tags', <span key="t" className="tags">{d.tags.map((t) => <span key={t} className="pill">{t}</span>)}</span>] : null,
              ...Object.entries(d.metadata).map(([k, v]): [string, string] => [k, v]),
            ]}
          />
        </Card>
      </div>
    </div>
  );
}

export function BackLink({ to, label }: { to: string; label: string }) {
  return (
    <Link to={to} className="back-link">
      <ArrowLeft size={14} /> {label}
    </Link>
  );
}
