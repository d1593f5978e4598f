import { useVirtualizer } from '@tanstack/react-virtual';
import { CornerDownRight, Info, Reply, TriangleAlert } from 'lucide-react';
import { memo, useMemo, useRef } from 'react';
import type { Chain, ChainStep } from '../api/types';
import { formatDurationNs, formatTokens } from '../lib/format';
import { spanTypeStyle } from '../lib/spanTypes';
import { Cost } from './Cost';
import { Flags, flagLabel } from './Flags';
import { StatusBadge } from './StatusBadge';
import { SpanTypeIcon } from './SpanTypeIcon';

export const STEP_HEIGHT = 62;

/**
 * The reasoning chain as ordered steps: thought → action → observation,
 * with the links between steps and anomaly flags on the steps that raised
 * them. Virtualized like the waterfall.
 */
export function ChainView({ chain, selectedId, onSelect, height }: { chain: Chain; selectedId: string | null; onSelect: (spanId: string) => void; height?: string | number }) {
  const stepBySpan = useMemo(() => {
    const m = new Map<string, number>();
    for (const s of chain.steps) m.set(s.span_id, s.step);
    return m;
  }, [chain.steps]);
  const flagged = useMemo(() => chain.steps.filter((s) => s.flags.length > 0).length, [chain.steps]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: chain.steps.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => STEP_HEIGHT,
    overscan: 8,
    getItemKey: (i) => chain.steps[i]?.span_id ?? i,
    initialRect: { width: 900, height: 600 },
  });

  return (
    <div className="chain" data-testid="chain-view">
      <div className="chain-summary">
        <span>
          <strong>{chain.steps.length.toLocaleString('en-US')}</strong> steps
        </span>
        {chain.flags.length > 0 ? (
          <span className="chain-anomalies" data-testid="chain-anomalies">
            <TriangleAlert size={14} /> {chain.flags.map(flagLabel).join(', ')} · {flagged} flagged step{flagged === 1 ? '' : 's'}
          </span>
        ) : (
          <span className="muted">No anomalies detected</span>
        )}
        <span className="spacer" />
        {chain.source !== 'chain' && (
          <span className="muted small chain-source" title="Run the reasoningchain processor in the collector pipeline to get thought → action → observation links and anomaly flags.">
            <Info size={13} /> Steps in start order (no reasoningchain processor in the pipeline)
          </span>
        )}
      </div>
      {chain.steps.length === 0 ? (
        <div className="muted chain-empty">This trace has no steps yet.</div>
      ) : (
        <div ref={scrollRef} className="chain-body" style={{ height: height ?? `min(${chain.steps.length * STEP_HEIGHT + 2}px, max(260px, calc(100vh - 330px)))` }} role="list" aria-label="Reasoning chain">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((vi) => {
              const s = chain.steps[vi.index];
              if (!s) return null;
              return (
                <ChainStepView
                  key={vi.key}
                  step={s}
                  top={vi.start}
                  last={vi.index === chain.steps.length - 1}
                  selected={s.span_id === selectedId}
                  stepOf={stepBySpan}
                  onSelect={onSelect}
                />
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}

const ChainStepView = memo(function ChainStepView({
  step,
  top,
  last,
  selected,
  stepOf,
  onSelect,
}: {
  step: ChainStep;
  top: number;
  last: boolean;
  selected: boolean;
  stepOf: ReadonlyMap<string, number>;
  onSelect: (id: string) => void;
}) {
  const { color, label } = spanTypeStyle(step.type);
  const anomalous = step.flags.length > 0;
  const failed = step.status === 'error' || step.status === 'timeout';
  const requestedBy = step.requested_by ? stepOf.get(step.requested_by) : undefined;
  const observes = step.observation_of ? stepOf.get(step.observation_of) : undefined;
  return (
    <div
      className={`chain-step${selected ? ' selected' : ''}${anomalous ? ' anomalous' : ''}${failed ? ' failed' : ''}`}
      style={{ transform: `translateY(${top}px)`, height: STEP_HEIGHT }}
      role="listitem"
      data-testid="chain-step"
      data-span-id={step.span_id}
      onClick={() => onSelect(step.span_id)}
    >
      <div className="chain-rail" aria-hidden>
        <span className="chain-num" style={{ borderColor: color, color }}>
          {step.step}
        </span>
        {!last && <span className="chain-line" />}
      </div>
      <div className="chain-main" style={{ paddingLeft: Math.min(step.depth, 8) * 10 }}>
        <div className="chain-title">
          <SpanTypeIcon type={step.type} size={12} />
          <span className="chain-name" title={step.name}>
            {step.name}
          </span>
          <span className="chain-kind" style={{ color }}>
            {label}
          </span>
          {[step.tool_name, step.model].filter((s): s is string => !!s && !step.name.includes(s)).slice(0, 1).map((s) => (
            <span key={s} className="wf-sub">
              {s}
            </span>
          ))}
          {step.status !== 'ok' && <StatusBadge status={step.status} />}
          <Flags flags={step.flags} />
        </div>
        <div className="chain-meta">
          <span>{step.status === 'running' ? 'running' : formatDurationNs(step.duration_ns)}</span>
          {step.tokens_total > 0 && <span>{formatTokens(step.tokens_total)} tokens</span>}
          {(step.tokens_total > 0 || step.cost_usd !== null) && <Cost usd={step.cost_usd} hasTokens={step.tokens_total > 0} />}
          {requestedBy !== undefined && (
            <span className="chain-link" title="Action requested by this thought">
              <CornerDownRight size={12} /> requested by step {requestedBy}
            </span>
          )}
          {observes !== undefined && (
            <span className="chain-link" title="Observation of this action">
              <Reply size={12} /> observes step {observes}
            </span>
          )}
        </div>
      </div>
    </div>
  );
});
