import { Link, useNavigate } from 'react-router';
import type { Session, Trace } from '../api/types';
import { formatDateTime, formatDurationNs, formatInt, formatTokens, plural, relativeTime } from '../lib/format';
import { Cost } from './Cost';
import { Flags } from './Flags';
import { StatusBadge } from './StatusBadge';

/** Trace summaries; a row opens the trace. Inside a session, agent and session go without saying. */
export function TracesTable({ traces, showSession = true }: { traces: readonly Trace[]; showSession?: boolean }) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="traces-table">
        <thead>
          <tr>
            <th>Trace</th>
            <th>Status</th>
            {showSession && <th>Agent · session</th>}
            <th className="num">Spans</th>
            <th className="num">Duration</th>
            <th className="num">Tokens</th>
            <th className="num">Cost</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {traces.map((t) => (
            <tr key={t.trace_id} className="clickable" onClick={() => navigate(`/traces/${t.trace_id}`)} data-testid="trace-row">
              <td className="cell-main">
                <Link to={`/traces/${t.trace_id}`} onClick={(e) => e.stopPropagation()} className="row-link">
                  {t.root_name || <span className="muted">(no root span)</span>}
                </Link>
                <div className="cell-sub">
                  <code>{t.trace_id.slice(0, 12)}</code>
                  {t.llm_calls > 0 && <span>{plural(t.llm_calls, 'LLM call')}</span>}
                  {t.tool_calls > 0 && <span>{plural(t.tool_calls, 'tool call')}</span>}
                  {t.error_count > 0 && <span className="text-error">{plural(t.error_count, 'error')}</span>}
                  <Flags flags={t.flags} />
                </div>
              </td>
              <td>
                <StatusBadge status={t.status} />
              </td>
              {showSession && (
                <td className="cell-agent">
                  <div>{t.agent_name || <span className="muted">—</span>}</div>
                  {t.session_id && (
                    <Link to={`/sessions/${encodeURIComponent(t.session_id)}`} onClick={(e) => e.stopPropagation()} className="mono-link">
                      {t.session_id}
                    </Link>
                  )}
                </td>
              )}
              <td className="num">{formatInt(t.span_count)}</td>
              <td className="num">{t.status === 'running' ? <span className="muted">running</span> : formatDurationNs(t.duration_ns)}</td>
              <td className="num">{formatTokens(t.tokens.total)}</td>
              <td className="num">
                <Cost usd={t.cost_usd} hasTokens={t.tokens.total > 0} />
                {t.cost_usd !== null && t.unpriced_spans > 0 && (
                  <span className="unpriced-note" title={`${t.unpriced_spans} span(s) without a price are not included`}>
                    +{t.unpriced_spans} unpriced
                  </span>
                )}
              </td>
              <td title={formatDateTime(t.start_unix_nano)} className="nowrap">
                {relativeTime(t.start_unix_nano)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Sessions with their totals; a row opens the session. */
export function SessionsTable({ sessions, compact = false }: { sessions: readonly Session[]; compact?: boolean }) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="sessions-table">
        <thead>
          <tr>
            <th>Session</th>
            <th>Status</th>
            <th>Agent</th>
            {!compact && <th>Framework</th>}
            <th className="num">Traces</th>
            {!compact && <th className="num">Spans</th>}
            <th className="num">Tokens</th>
            <th className="num">Cost</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.session_id} className="clickable" onClick={() => navigate(`/sessions/${encodeURIComponent(s.session_id)}`)} data-testid="session-row">
              <td className="cell-main">
                <Link to={`/sessions/${encodeURIComponent(s.session_id)}`} onClick={(e) => e.stopPropagation()} className="row-link">
                  {s.name || s.session_id}
                </Link>
                <div className="cell-sub">
                  {s.name && <code>{s.session_id}</code>}
                  {s.error_count > 0 && <span className="text-error">{plural(s.error_count, 'error')}</span>}
                  <Flags flags={s.flags} />
                </div>
              </td>
              <td>{s.active ? <span className="status status-running"><span className="status-dot" />Active</span> : <StatusBadge status={s.status} />}</td>
              <td>{s.agent_name || <span className="muted">—</span>}</td>
              {!compact && <td>{s.framework || <span className="muted">—</span>}</td>}
              <td className="num">{formatInt(s.trace_count)}</td>
              {!compact && <td className="num">{formatInt(s.span_count)}</td>}
              <td className="num">{formatTokens(s.tokens.total)}</td>
              <td className="num">
                <Cost usd={s.cost_usd} hasTokens={s.tokens.total > 0} />
              </td>
              <td title={formatDateTime(s.start_unix_nano)} className="nowrap">
                {relativeTime(s.start_unix_nano)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
