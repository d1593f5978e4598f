import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { bigTrace, smallTrace } from '../test/fixtures';
import { Waterfall } from './Waterfall';

function rowsShown() {
  return screen.getAllByTestId('waterfall-row');
}

function Harness({ rows, onSelect }: { rows: ReturnType<typeof smallTrace>; onSelect?: (id: string) => void }) {
  const [sel, setSel] = useState<string | null>(null);
  return (
    <Waterfall
      rows={rows}
      durationNs={10e9}
      selectedId={sel}
      onSelect={(id) => {
        setSel(id);
        onSelect?.(id);
      }}
      height={600}
    />
  );
}

describe('Waterfall', () => {
  it('shows each span with its type icon, duration, tokens and cost', () => {
    render(<Harness rows={smallTrace()} />);
    const rows = rowsShown();
    expect(rows).toHaveLength(6);
    const llm = rows[2];
    if (!llm) throw new Error('no row');
    expect(llm).toHaveAttribute('data-span-id', 'l1');
    expect(within(llm).getByRole('img', { name: 'LLM call' })).toHaveAttribute('data-span-type', 'llm_call');
    expect(within(llm).getByText('2.50 s')).toBeInTheDocument();
    expect(within(llm).getByText('1,500')).toBeInTheDocument();
    expect(within(llm).getByText('$0.013')).toBeInTheDocument();
    // The model is shown beside the name unless the name already says it.
    expect(within(llm).queryByText('gpt-4o')).toBeNull();
    expect(within(rows[4] as HTMLElement).getByText('llama-3.3-70b')).toBeInTheDocument();
    const tool = rows[3];
    if (!tool) throw new Error('no row');
    expect(within(tool).getByRole('img', { name: 'Tool' })).toBeInTheDocument();
    expect(tool).toHaveClass('is-error');
  });

  it('calls a null cost with tokens "unpriced", never $0', () => {
    render(<Harness rows={smallTrace()} />);
    const unpriced = rowsShown()[4];
    if (!unpriced) throw new Error('no row');
    expect(within(unpriced).getByText('unpriced')).toBeInTheDocument();
    expect(within(unpriced).queryByText(/\$0/)).toBeNull();
    // A span without tokens has no cost at all: a dash, not "unpriced".
    const task = rowsShown()[0];
    if (!task) throw new Error('no row');
    expect(within(task).queryByText('unpriced')).toBeNull();
  });

  it('collapses and expands a subtree', () => {
    render(<Harness rows={smallTrace()} />);
    fireEvent.click(screen.getByRole('button', { name: 'Collapse research-assistant' }));
    expect(rowsShown().map((r) => r.dataset.spanId)).toEqual(['r', 'a', 'v']);
    expect(screen.getByText('+3')).toBeInTheDocument();
    expect(screen.getByTestId('waterfall-count')).toHaveTextContent('3 of 6 spans shown');
    fireEvent.click(screen.getByRole('button', { name: 'Expand research-assistant' }));
    expect(rowsShown()).toHaveLength(6);
    fireEvent.click(screen.getByRole('button', { name: /Collapse all/ }));
    expect(rowsShown().map((r) => r.dataset.spanId)).toEqual(['r', 'a', 'v']);
  });

  it('selects on click and moves with the keyboard', () => {
    const onSelect = vi.fn();
    render(<Harness rows={smallTrace()} onSelect={onSelect} />);
    fireEvent.click(rowsShown()[2] as HTMLElement);
    expect(onSelect).toHaveBeenLastCalledWith('l1');
    expect(rowsShown()[2]).toHaveAttribute('aria-selected', 'true');
    const tree = screen.getByRole('tree');
    fireEvent.keyDown(tree, { key: 'ArrowDown' });
    expect(onSelect).toHaveBeenLastCalledWith('t1');
    fireEvent.keyDown(tree, { key: 'ArrowLeft' }); // a leaf: go to its parent
    expect(onSelect).toHaveBeenLastCalledWith('a');
    fireEvent.keyDown(tree, { key: 'ArrowLeft' }); // an open parent: fold it
    expect(rowsShown().map((r) => r.dataset.spanId)).toEqual(['r', 'a', 'v']);
    fireEvent.keyDown(tree, { key: 'ArrowRight' });
    expect(rowsShown()).toHaveLength(6);
  });

  it('keeps only a window of a 100k-span trace in the DOM', () => {
    const rows = bigTrace(100_000);
    render(<Waterfall rows={rows} durationNs={100_000 * 1000} selectedId={null} onSelect={() => {}} height={600} />);
    expect(screen.getByTestId('waterfall-count')).toHaveTextContent('100,000 spans');
    const shown = rowsShown().length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(80);
    // Folding the whole tree is one pass over the rows.
    fireEvent.click(screen.getByRole('button', { name: /Collapse all/ }));
    expect(screen.getByTestId('waterfall-count')).toHaveTextContent('1,001 of 100,000 spans shown');
    expect(rowsShown().length).toBeLessThan(80);
    // Timing is measured in Chromium by `npm run bench:waterfall` (docs/benchmarks.md).
  }, 30_000);

  it('renders rows further down when scrolled', async () => {
    const rows = bigTrace(100_000);
    render(<Waterfall rows={rows} durationNs={100_000 * 1000} selectedId={null} onSelect={() => {}} height={600} />);
    const body = screen.getByRole('tree');
    await act(async () => {
      body.scrollTop = 30 * 50_000;
      fireEvent.scroll(body);
      await new Promise((r) => setTimeout(r, 50));
    });
    const ids = rowsShown().map((r) => r.dataset.spanId ?? '');
    expect(ids.some((id) => /^s49\d\d\d$|^s50\d\d\d$|^g50\d\d\d$|^g49\d\d\d$/.test(id))).toBe(true);
    expect(ids.length).toBeLessThan(80);
  }, 30_000);
});
