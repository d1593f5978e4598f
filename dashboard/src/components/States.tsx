import { CircleAlert, Inbox, KeyRound, RefreshCw, Rocket } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { CopyButton } from './CopyButton';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}

/** Skeleton rows while a query loads. */
export function LoadingState({ rows = 5, label = 'Loading…' }: { rows?: number; label?: string }) {
  return (
    <div className="loading-state" role="status" aria-live="polite" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: `${92 - ((i * 17) % 35)}%` }} />
      ))}
    </div>
  );
}

export function ErrorState({ error, onRetry, title = 'Could not load this' }: { error: unknown; onRetry?: () => void; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  const needsKey = api?.status === 401 || api?.status === 403;
  return (
    <div className="state state-error" role="alert">
      <CircleAlert size={22} />
      <div>
        <div className="state-title">{needsKey ? 'The API needs a valid key' : title}</div>
        <div className="state-text">{message}</div>
        {api && api.status > 0 && (
          <div className="muted small">
            HTTP {api.status} · {api.code}
          </div>
        )}
        <div className="state-actions">
          {needsKey && (
            <Link className="btn btn-primary btn-sm" to="/settings">
              <KeyRound size={14} /> Set API key
            </Link>
          )}
          {onRetry && (
            <button type="button" className="btn btn-sm" onClick={onRetry}>
              <RefreshCw size={14} /> Retry
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

export function EmptyState({ title, children, icon }: { title: string; children?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="state state-empty">
      {icon ?? <Inbox size={22} />}
      <div>
        <div className="state-title">{title}</div>
        {children && <div className="state-text">{children}</div>}
      </div>
    </div>
  );
}

function randomHex(bytes: number): string {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The curl command that sends one LLM-call span to the native HTTP receiver. */
export function firstSpanCommand(nowMs: number = Date.now(), ingest = 'http://127.0.0.1:4321'): string {
  const start = BigInt(Math.round(nowMs - 1200)) * 1_000_000n;
  const end = BigInt(Math.round(nowMs)) * 1_000_000n;
  const span = {
    trace_id: randomHex(16),
    span_id: randomHex(8),
    name: 'hello from curl',
    type: 'llm_call',
    status: 'ok',
    model: 'gpt-4o-mini',
    provider: 'openai',
    start_time_unix_nano: start.toString(),
    end_time_unix_nano: end.toString(),
    prompt: 'Say hello',
    response: 'Hello!',
    usage: { input_tokens: 9, output_tokens: 3 },
  };
  return `curl -X POST ${ingest}/v1/spans \\\n  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify({ spans: [span] })}'`;
}

/** Tells a new user how to send the first span. */
export function FirstSpanGuide({ compact = false, title = 'No spans yet — send your first one' }: { compact?: boolean; title?: string }) {
  const cmd = firstSpanCommand();
  return (
    <div className="first-span card" data-testid="first-span-guide">
      <div className="first-span-head">
        <span className="first-span-icon">
          <Rocket size={20} />
        </span>
        <div>
          <div className="state-title">{title}</div>
          {!compact && (
            <div className="state-text">
              Point an agent at the collector (the Python SDK, or any OpenTelemetry GenAI instrumentation on OTLP :4317/:4318), or
              send a span by hand to the native HTTP receiver:
            </div>
          )}
        </div>
      </div>
      <div className="code-with-copy">
        <pre className="code">{cmd}</pre>
        <CopyButton text={cmd} />
      </div>
      {!compact && (
        <div className="muted small">
          The span appears on the <Link to="/live">Live</Link> page within a second and on the other pages right after. Python:{' '}
          <code>pip install ./sdk/python</code>, then <code>agenttrace.init(service_name=&quot;my-agent&quot;)</code> and wrap steps in <code>with agenttrace.start_span(…)</code>.
        </div>
      )}
    </div>
  );
}
