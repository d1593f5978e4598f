import { CircleAlert, X } from 'lucide-react';
import type { ReactNode } from 'react';
import { useSpan } from '../api/queries';
import type { Span, SpanCost, Tokens } from '../api/types';
import { formatDateTime, formatDurationNs, formatInt, formatUSDExact, shortId } from '../lib/format';
import { spanTypeStyle } from '../lib/spanTypes';
import { isEmptyJSON, prettyJSON } from '../lib/text';
import { KeyValues } from './Card';
import { CopyButton } from './CopyButton';
import { Cost } from './Cost';
import { Flags } from './Flags';
import { ErrorState, LoadingState } from './States';
import { StatusBadge } from './StatusBadge';
import { SpanTypeIcon } from './SpanTypeIcon';
import { TextBlock } from './TextBlock';

/** The selected span: loads it and shows its detail. */
export function SpanPanel({ traceId, spanId, onClose }: { traceId: string; spanId: string; onClose: () => void }) {
  const q = useSpan(traceId, spanId);
  return (
    <aside className="span-panel" data-testid="span-panel" aria-label="Span detail">
      {q.isPending ? (
        <div className="panel-pad">
          <LoadingState rows={8} label="Loading span" />
        </div>
      ) : q.isError ? (
        <div className="panel-pad">
          <ErrorState error={q.error} onRetry={() => void q.refetch()} title="Could not load the span" />
        </div>
      ) : (
        <SpanDetail span={q.data} onClose={onClose} />
      )}
    </aside>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="panel-section" data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

export function SpanDetail({ span, onClose }: { span: Span; onClose?: () => void }) {
  const { label, color } = spanTypeStyle(span.type);
  const failed = span.status === 'error' || span.status === 'timeout' || span.status === 'cancelled';
  const r = span.request;
  return (
    <div className="span-detail">
      <header className="panel-head">
        <SpanTypeIcon type={span.type} size={16} />
        <div className="panel-title">
          <div className="panel-name" title={span.name}>
            {span.name}
          </div>
          <div className="panel-sub">
            <span style={{ color }}>{label}</span>
            <span>·</span>
            <span>{span.status === 'running' ? 'running' : formatDurationNs(span.duration_ns)}</span>
            <span>·</span>
            <span>{formatDateTime(span.start_unix_nano)}</span>
          </div>
        </div>
        <StatusBadge status={span.status} />
        {onClose && (
          <button type="button" className="btn btn-ghost btn-icon" onClick={onClose} aria-label="Close span detail">
            <X size={16} />
          </button>
        )}
      </header>
      <div className="panel-body">
        {failed && (span.status_message || span.error_code) && (
          <div className="callout callout-error">
            <CircleAlert size={16} />
            <div>
              {span.error_code && <strong>{span.error_code}: </strong>}
              {span.status_message}
            </div>
          </div>
        )}
        {span.flags.length > 0 && (
          <div className="panel-flags">
            <Flags flags={span.flags} />
          </div>
        )}

        {(span.model || r) && (
          <Section title="Model" testId="span-model">
            <KeyValues
              items={[
                span.model ? ['Model', <strong key="m">{span.model}</strong>] : null,
                span.provider ? ['Provider', span.provider] : null,
                span.stop_reason ? ['Stop reason', span.stop_reason] : null,
              ]}
            />
            {r && (
              <div className="params" data-testid="span-params">
                {r.temperature !== null && <Param name="temperature" value={String(r.temperature)} />}
                {r.max_tokens !== null && <Param name="max tokens" value={formatInt(r.max_tokens)} />}
                {r.top_p !== null && <Param name="top p" value={String(r.top_p)} />}
                {r.thinking_enabled !== null && <Param name="thinking" value={r.thinking_enabled ? 'on' : 'off'} />}
              </div>
            )}
          </Section>
        )}

        {span.tokens && (
          <Section title="Tokens" testId="span-tokens">
            <TokenBuckets tokens={span.tokens} />
          </Section>
        )}

        {(span.tokens || span.cost.status || span.cost.reported_usd !== null) && (
          <Section title="Cost" testId="span-cost">
            <CostBreakdown cost={span.cost} model={span.model} hasTokens={span.tokens !== null} />
          </Section>
        )}

        {span.prompt && (
          <Section title="Prompt">
            <TextBlock label="Prompt" text={span.prompt} testId="span-prompt" />
          </Section>
        )}
        {span.response && (
          <Section title={span.type === 'llm_call' ? 'Response' : 'Output'}>
            <TextBlock label={span.type === 'llm_call' ? 'Response' : 'Output'} text={span.response} testId="span-response" />
          </Section>
        )}

        {span.tool && (
          <Section title="Tool call" testId="span-tool">
            <KeyValues
              items={[
                ['Tool', <strong key="n">{span.tool.name}</strong>],
                span.tool.call_id ? ['Call ID', <code key="c">{span.tool.call_id}</code>] : null,
                span.tool.success !== null ? ['Success', span.tool.success ? 'yes' : <span key="f" className="text-error">no</span>] : null,
              ]}
            />
            {span.tool.input && <TextBlock label="Input" text={span.tool.input} testId="tool-input" />}
            {span.tool.output && <TextBlock label="Output" text={span.tool.output} testId="tool-output" />}
          </Section>
        )}

        {span.file && (
          <Section title="File">
            <KeyValues
              items={[
                ['Path', <code key="p">{span.file.path}</code>],
                span.file.operation ? ['Operation', span.file.operation] : null,
                ['Size', `${formatInt(span.file.bytes)} bytes · ${formatInt(span.file.lines)} lines`],
              ]}
            />
          </Section>
        )}

        {span.chain && (
          <Section title="Reasoning chain">
            <KeyValues
              items={[
                ['Step', String(span.chain.step)],
                ['Depth', String(span.chain.depth)],
                span.chain.requested_by ? ['Requested by', <code key="r">{span.chain.requested_by}</code>] : null,
                span.chain.observation_of ? ['Observes', <code key="o">{span.chain.observation_of}</code>] : null,
              ]}
            />
          </Section>
        )}

        <Section title="Details">
          <KeyValues
            items={[
              ['Span ID', <IdValue key="s" id={span.span_id} />],
              span.parent_span_id ? ['Parent', <code key="p">{shortId(span.parent_span_id, 16)}</code>] : null,
              span.agent_name ? ['Agent', span.agent_name] : null,
              span.framework ? ['Framework', `${span.framework}${span.framework_version ? ` ${span.framework_version}` : ''}`] : null,
              span.session_id ? ['Session', <code key="se">{span.session_id}</code>] : null,
              span.user_id ? ['User', span.user_id] : null,
              span.hostname ? ['Host', span.hostname] : null,
              span.service_name ? ['Service', span.service_name] : null,
              span.sdk_version ? ['SDK', span.sdk_version] : null,
              span.tags.length > 0 ? ['Tags', <span key="t" className="tags">{span.tags.map((t) => <span key={t} className="pill">{t}</span>)}</span>] : null,
            ]}
          />
        </Section>

        {!isEmptyJSON(span.events) && (
          <Section title="Events">
            <TextBlock label="Events" text={prettyJSON(span.events)} />
          </Section>
        )}
        {!isEmptyJSON(span.attributes) && (
          <Section title="Attributes">
            <TextBlock label="Attributes" text={prettyJSON(span.attributes)} />
          </Section>
        )}
        {!isEmptyJSON(span.resource) && (
          <Section title="Resource">
            <TextBlock label="Resource" text={prettyJSON(span.resource)} />
          </Section>
        )}
      </div>
    </div>
  );
}

function Param({ name, value }: { name: string; value: string }) {
  return (
    <span className="param">
      <span className="muted">{name}</span> {value}
    </span>
  );
}

function IdValue({ id }: { id: string }) {
  return (
    <span className="id-value">
      <code>{id}</code>
      <CopyButton text={id} label="Copy" />
    </span>
  );
}

const BUCKETS: Array<[keyof Tokens, string, string]> = [
  ['input', 'Input (uncached)', 'var(--tok-input)'],
  ['cache_read', 'Cache read', 'var(--tok-cache-read)'],
  ['cache_write_5m', 'Cache write 5 min', 'var(--tok-cache-write)'],
  ['cache_write_1h', 'Cache write 1 h', 'var(--tok-cache-write)'],
  ['output', 'Output', 'var(--tok-output)'],
  ['reasoning', 'Reasoning', 'var(--tok-reasoning)'],
];

/** Exclusive token buckets with proportional bars. */
export function TokenBuckets({ tokens }: { tokens: Tokens }) {
  const total = tokens.total || 1;
  return (
    <div className="buckets">
      <div className="bucket-bar" aria-hidden>
        {BUCKETS.map(([k, , c]) => {
          const v = tokens[k];
          return typeof v === 'number' && v > 0 ? <span key={k} style={{ width: `${(v / total) * 100}%`, background: c }} /> : null;
        })}
      </div>
      <table className="mini-table">
        <tbody>
          {BUCKETS.map(([k, name, c]) => {
            const v = tokens[k];
            if (typeof v !== 'number' || v === 0) return null;
            return (
              <tr key={k}>
                <td>
                  <span className="legend-dot" style={{ background: c }} /> {name}
                </td>
                <td className="num">{formatInt(v)}</td>
              </tr>
            );
          })}
          <tr className="total">
            <td>Total{tokens.estimated && <span className="pill pill-muted">estimated</span>}</td>
            <td className="num" data-testid="span-tokens-total">
              {formatInt(tokens.total)}
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** Per-bucket cost, the catalog row that priced it, and the provider's own figure. */
export function CostBreakdown({ cost, model, hasTokens }: { cost: SpanCost; model?: string; hasTokens: boolean }) {
  if (cost.status === 'unpriced') {
    return (
      <div className="callout callout-warn" data-testid="span-cost-unpriced">
        <CircleAlert size={16} />
        <div>
          <strong>Unpriced.</strong> The pricing catalog has no price for <code>{model || 'this model'}</code>, so its cost is unknown (not $0). Add a price
          override in the collector&apos;s tokencost settings.
          {cost.reported_usd !== null && <div>Provider-reported cost: {formatUSDExact(cost.reported_usd)}</div>}
        </div>
      </div>
    );
  }
  const rows: Array<[string, number | null]> = [
    ['Input', cost.input_usd],
    ['Cache read', cost.cache_read_usd],
    ['Cache write', cost.cache_write_usd],
    ['Output', cost.output_usd],
    ['Reasoning', cost.reasoning_usd],
  ];
  return (
    <div>
      <table className="mini-table">
        <tbody>
          {rows.map(([name, v]) =>
            v !== null && v !== 0 ? (
              <tr key={name}>
                <td>{name}</td>
                <td className="num">{formatUSDExact(v)}</td>
              </tr>
            ) : null,
          )}
          <tr className="total">
            <td>Total{cost.status === 'estimated' && <span className="pill pill-muted">estimated</span>}</td>
            <td className="num" data-testid="span-cost-total">
              <Cost usd={cost.total_usd} hasTokens={hasTokens} exact />
            </td>
          </tr>
          {cost.reported_usd !== null && (
            <tr>
              <td>Reported by provider</td>
              <td className="num">{formatUSDExact(cost.reported_usd)}</td>
            </tr>
          )}
        </tbody>
      </table>
      {cost.pricing_entry && (
        <div className="muted small pricing-note">
          Priced by catalog row <code>{cost.pricing_entry}</code>
          {cost.pricing_date && <> (effective {cost.pricing_date})</>}
        </div>
      )}
    </div>
  );
}
