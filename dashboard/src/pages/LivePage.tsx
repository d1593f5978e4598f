import { Pause, Play, Trash2 } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { useLiveSpans, type LiveEntry } from '../api/live';
import { SPAN_TYPES } from '../api/types';
import { Card } from '../components/Card';
import { Cost } from '../components/Cost';
import { Flags } from '../components/Flags';
import { PageHeader } from '../components/Layout';
import { FirstSpanGuide } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { SpanTypeIcon } from '../components/SpanTypeIcon';
import { formatDurationNs, formatInt, formatMs, formatTokens } from '../lib/format';
import { spanTypeStyle } from '../lib/spanTypes';

const timeFmt = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export function LivePage() {
  const [paused, setPaused] = useState(false);
  const [type, setType] = useState('');
  const filters = useMemo(() => ({ type: type || undefined }), [type]);
  const live = useLiveSpans(filters, paused);
  const running = live.entries.filter((e) => e.span.status === 'running').length;

  return (
    <div className="page" data-testid="page-live">
      <PageHeader
        title="Live"
        subtitle="Spans as they arrive: running work in progress, replaced by its final version when it ends"
        actions={
          <span className={`live-status live-${live.status}`} data-testid="live-status">
            <span className="live-pulse" />
            {live.status === 'live' ? 'Live' : live.status === 'connecting' ? 'Connecting…' : live.status === 'reconnecting' ? 'Reconnecting…' : 'Not supported'}
          </span>
        }
      />
      <div className="toolbar card">
        <span className="live-count">
          <strong>{formatInt(live.received)}</strong> <span className="muted">received</span>
        </span>
        <span className="live-count">
          <strong>{formatInt(running)}</strong> <span className="muted">running</span>
        </span>
        {paused && live.pending > 0 && <span className="pill">{live.pending} new while paused</span>}
        <span className="spacer" />
        <label className="inline-field">
          <span className="muted small">Type</span>
          <select value={type} onChange={(e) => setType(e.target.value)} aria-label="Filter by span type">
            <option value="">all types</option>
            {SPAN_TYPES.map((t) => (
              <option key={t} value={t}>
                {spanTypeStyle(t).label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn" onClick={() => setPaused((p) => !p)}>
          {paused ? <Play size={14} /> : <Pause size={14} />} {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={live.clear} disabled={live.entries.length === 0}>
          <Trash2 size={14} /> Clear
        </button>
      </div>
      {live.lastError && live.status !== 'live' && <div className="callout callout-warn">Stream interrupted: {live.lastError}. Reconnecting…</div>}
      <Card>
        {live.entries.length === 0 ? (
          <div className="live-empty">
            <div className="live-waiting">
              <span className="live-pulse big" /> Waiting for spans… new spans appear here the moment the collector stores them.
            </div>
            <FirstSpanGuide compact />
          </div>
        ) : (
          <ul className="live-feed" data-testid="live-feed">
            {live.entries.map((e) => (
              <LiveRow key={e.key} entry={e} />
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function LiveRow({ entry }: { entry: LiveEntry }) {
  const navigate = useNavigate();
  const s = entry.span;
  const running = s.status === 'running';
  return (
    <li
      className={`live-row${running ? ' running' : ''}${entry.finished ? ' finished' : ''}`}
      data-testid="live-row"
      data-span-id={s.span_id}
      data-status={s.status}
      onClick={() => navigate(`/traces/${s.trace_id}?span=${s.span_id}`)}
    >
      <span className="live-time">{timeFmt.format(new Date(s.start_unix_nano / 1e6))}</span>
      <SpanTypeIcon type={s.type} size={13} />
      <span className="live-name">
        <span className="live-title">{s.name}</span>
        <span className="live-sub">
          {s.agent_name && <span>{s.agent_name}</span>}
          {(s.tool?.name || s.model) && <span>{s.tool?.name || s.model}</span>}
          <code>{s.trace_id.slice(0, 8)}</code>
        </span>
      </span>
      <span className="live-flags">
        <Flags flags={s.flags} compact />
      </span>
      <StatusBadge status={s.status} />
      <span className="live-num">{running ? <Elapsed startNs={s.start_unix_nano} /> : formatDurationNs(s.duration_ns)}</span>
      <span className="live-num">{s.tokens ? formatTokens(s.tokens.total) : <span className="muted">—</span>}</span>
      <span className="live-num">
        <Cost usd={s.cost_usd} hasTokens={s.tokens !== null && s.tokens.total > 0} />
      </span>
    </li>
  );
}

/** Time since a running span started, ticking every second. */
function Elapsed({ startNs }: { startNs: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <span className="text-running">{formatMs(Math.max(0, now - startNs / 1e6))}…</span>;
}
