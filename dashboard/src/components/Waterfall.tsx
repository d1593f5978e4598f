import { useVirtualizer } from '@tanstack/react-virtual';
import { ChevronDown, ChevronRight, ChevronsDownUp, ChevronsUpDown, TriangleAlert } from 'lucide-react';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import type { WaterfallRow } from '../api/types';
import { formatDurationNs, formatTokens } from '../lib/format';
import { spanTypeStyle } from '../lib/spanTypes';
import { barGeometry, timeTicks, visibleRows } from '../lib/waterfall';
import { Cost } from './Cost';
import { SpanTypeIcon } from './SpanTypeIcon';

export const ROW_HEIGHT = 30;
const INDENT = 14;
const MAX_INDENT_DEPTH = 24;

export interface WaterfallProps {
  rows: readonly WaterfallRow[];
  durationNs: number;
  selectedId: string | null;
  onSelect: (spanId: string) => void;
  /** Height of the scrolling area (CSS length). */
  height?: string | number;
}

/**
 * The trace as a virtualized waterfall: one row per span in tree order, with
 * a collapsible tree on the left and bars on a shared time axis. Only the rows
 * in view are in the DOM, so 100k-span traces stay responsive.
 */
export function Waterfall({ rows, durationNs, selectedId, onSelect, height }: WaterfallProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const shown = useMemo(() => visibleRows(rows, collapsed), [rows, collapsed]);
  const indexById = useMemo(() => {
    const m = new Map<string, number>();
    shown.forEach((r, i) => m.set(r.span_id, i));
    return m;
  }, [shown]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => shown[i]?.span_id ?? i,
    initialRect: { width: 1000, height: 600 },
  });

  const toggle = useCallback((id: string) => {
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const collapseAll = useCallback(() => {
    const next = new Set<string>();
    for (const r of rows) if (r.child_count > 0 && r.depth >= 1) next.add(r.span_id);
    setCollapsed(next);
  }, [rows]);

  // Keep the selected row in view when it is chosen from elsewhere (chain view, URL).
  useEffect(() => {
    if (selectedId === null) return;
    const i = indexById.get(selectedId);
    if (i !== undefined) virtualizer.scrollToIndex(i, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedId]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (shown.length === 0) return;
    const cur = selectedId === null ? -1 : (indexById.get(selectedId) ?? -1);
    const row = cur >= 0 ? shown[cur] : undefined;
    let next = cur;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(shown.length - 1, cur + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, cur - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = shown.length - 1;
        break;
      case 'ArrowLeft':
        if (row && row.child_count > 0 && !collapsed.has(row.span_id)) toggle(row.span_id);
        else if (row?.parent_span_id) next = indexById.get(row.parent_span_id) ?? cur;
        break;
      case 'ArrowRight':
        if (row && row.child_count > 0 && collapsed.has(row.span_id)) toggle(row.span_id);
        break;
      default:
        return;
    }
    e.preventDefault();
    const target = shown[next];
    if (next !== cur && target) {
      onSelect(target.span_id);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    }
  };

  const [axisRef, axisWidth] = useElementWidth<HTMLDivElement>(600);
  const tickCount = Math.max(2, Math.min(8, Math.floor(axisWidth / 90)));
  const ticks = useMemo(() => timeTicks(durationNs, tickCount), [durationNs, tickCount]);
  useEffect(() => {
    performance.mark('agenttrace:waterfall-rows', { detail: { rows: rows.length } });
  }, [rows]);
  const bodyHeight = height ?? `min(${shown.length * ROW_HEIGHT + 2}px, max(260px, calc(100vh - 330px)))`;
  const items = virtualizer.getVirtualItems();

  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="wf-toolbar">
        <span className="muted small" data-testid="waterfall-count">
          {shown.length === rows.length ? `${rows.length.toLocaleString('en-US')} spans` : `${shown.length.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} spans shown`}
        </span>
        <span className="spacer" />
        <span className="muted small kbd-hint">↑↓ move · ←→ fold</span>
        <button type="button" className="btn btn-ghost btn-xs" onClick={collapseAll}>
          <ChevronsDownUp size={13} /> Collapse all
        </button>
        <button type="button" className="btn btn-ghost btn-xs" onClick={() => setCollapsed(new Set())} disabled={collapsed.size === 0}>
          <ChevronsUpDown size={13} /> Expand all
        </button>
      </div>
      <div className="wf-grid wf-header" aria-hidden>
        <div className="wf-name">Span</div>
        <div className="wf-timeline wf-ticks" ref={axisRef}>
          {ticks.map((t) => (
            <span key={t} className="wf-tick" style={{ left: `${durationNs > 0 ? (t / durationNs) * 100 : 0}%` }}>
              {formatDurationNs(t)}
            </span>
          ))}
        </div>
        <div className="wf-num">Duration</div>
        <div className="wf-num">Tokens</div>
        <div className="wf-num">Cost</div>
      </div>
      <div
        ref={scrollRef}
        className="wf-body"
        style={{ height: bodyHeight }}
        tabIndex={0}
        role="tree"
        aria-label="Trace waterfall"
        onKeyDown={onKeyDown}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((vi) => {
            const row = shown[vi.index];
            if (!row) return null;
            return (
              <WaterfallRowView
                key={vi.key}
                row={row}
                top={vi.start}
                durationNs={durationNs}
                selected={row.span_id === selectedId}
                collapsed={collapsed.has(row.span_id)}
                onToggle={toggle}
                onSelect={onSelect}
                ticks={ticks}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  row: WaterfallRow;
  top: number;
  durationNs: number;
  selected: boolean;
  collapsed: boolean;
  onToggle: (id: string) => void;
  onSelect: (id: string) => void;
  ticks: number[];
}

const WaterfallRowView = memo(function WaterfallRowView({ row, top, durationNs, selected, collapsed, onToggle, onSelect, ticks }: RowProps) {
  const { color } = spanTypeStyle(row.type);
  const { left, width } = barGeometry(row, durationNs);
  const indent = Math.min(row.depth, MAX_INDENT_DEPTH) * INDENT;
  const isError = row.status === 'error' || row.status === 'timeout';
  const running = row.status === 'running';
  const sub = [row.tool_name, row.model].find((s) => s && !row.name.includes(s));
  return (
    <div
      className={`wf-grid wf-row${selected ? ' selected' : ''}${isError ? ' is-error' : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      role="treeitem"
      aria-selected={selected}
      aria-expanded={row.child_count > 0 ? !collapsed : undefined}
      aria-level={row.depth + 1}
      data-span-id={row.span_id}
      data-testid="waterfall-row"
      onClick={() => onSelect(row.span_id)}
    >
      <div className="wf-name" style={{ paddingLeft: 6 + indent }}>
        {row.child_count > 0 ? (
          <button
            type="button"
            className="wf-toggle"
            aria-label={collapsed ? `Expand ${row.name}` : `Collapse ${row.name}`}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(row.span_id);
            }}
          >
            {collapsed ? <ChevronRight size={14} /> : <ChevronDown size={14} />}
          </button>
        ) : (
          <span className="wf-toggle-spacer" />
        )}
        <SpanTypeIcon type={row.type} size={12} />
        <span className="wf-label" title={row.name}>
          {row.name}
        </span>
        {sub && <span className="wf-sub">{sub}</span>}
        {collapsed && <span className="wf-hidden-count">+{row.child_count}</span>}
        {row.flags.length > 0 && (
          <span className="wf-flag" title={row.flags.join(', ')}>
            <TriangleAlert size={12} />
          </span>
        )}
      </div>
      <div className="wf-timeline">
        {ticks.map((t) => (
          <span key={t} className="wf-gridline" style={{ left: `${durationNs > 0 ? (t / durationNs) * 100 : 0}%` }} />
        ))}
        <span
          className={`wf-bar${running ? ' running' : ''}${isError ? ' error' : ''}`}
          style={{ left: `${left}%`, width: `max(${width}%, 2px)`, background: color }}
        />
      </div>
      <div className="wf-num">{running ? <span className="muted">running</span> : formatDurationNs(row.duration_ns)}</div>
      <div className="wf-num">{row.tokens_total > 0 ? formatTokens(row.tokens_total) : <span className="muted">—</span>}</div>
      <div className="wf-num">
        <Cost usd={row.cost_usd} hasTokens={row.tokens_total > 0} />
      </div>
    </div>
  );
});

/** The width of an element, kept up to date with a ResizeObserver. */
function useElementWidth<T extends HTMLElement>(initial: number): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && w > 0) setWidth(w);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}
