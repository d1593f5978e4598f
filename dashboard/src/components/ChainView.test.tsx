import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { chain } from '../test/fixtures';
import { ChainView } from './ChainView';

describe('ChainView', () => {
  it('lists the steps in order with their type and links', () => {
    render(<ChainView chain={chain()} selectedId={null} onSelect={() => {}} height={800} />);
    const steps = screen.getAllByTestId('chain-step');
    expect(steps.map((s) => s.dataset.spanId)).toEqual(['s1', 's2', 's3', 's4']);
    const [first, , third, fourth] = steps;
    if (!first || !third || !fourth) throw new Error('missing steps');
    expect(within(first).getByText('1')).toBeInTheDocument();
    expect(within(first).getByText('Reasoning')).toBeInTheDocument();
    expect(within(third).getByText('requested by step 2')).toBeInTheDocument();
    expect(within(fourth).getByText('observes step 3')).toBeInTheDocument();
  });

  it('flags anomalous steps and summarizes the trace flags', () => {
    render(<ChainView chain={chain()} selectedId={null} onSelect={() => {}} height={800} />);
    expect(screen.getByTestId('chain-anomalies')).toHaveTextContent('Loop · 1 flagged step');
    const steps = screen.getAllByTestId('chain-step');
    expect(steps[2]).toHaveClass('anomalous');
    expect(within(steps[2] as HTMLElement).getByText('Loop')).toBeInTheDocument();
    expect(steps[1]).not.toHaveClass('anomalous');
    // The failed step is marked, and its unpriced cost is called out.
    expect(steps[3]).toHaveClass('failed');
    expect(within(steps[3] as HTMLElement).getByText('unpriced')).toBeInTheDocument();
  });

  it('selects a step', () => {
    const onSelect = vi.fn();
    render(<ChainView chain={chain()} selectedId="s2" onSelect={onSelect} height={800} />);
    expect(screen.getAllByTestId('chain-step')[1]).toHaveClass('selected');
    fireEvent.click(screen.getAllByTestId('chain-step')[2] as HTMLElement);
    expect(onSelect).toHaveBeenCalledWith('s3');
  });

  it('says when the steps are only in start order', () => {
    render(<ChainView chain={{ ...chain(), source: 'start_time', flags: [] }} selectedId={null} onSelect={() => {}} height={800} />);
    expect(screen.getByText(/Steps in start order/)).toBeInTheDocument();
    expect(screen.getByText('No anomalies detected')).toBeInTheDocument();
  });
});
