import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { costRows, perfRows, timeRows } from '../test/fixtures';
import { CostByKeyChart, CostOverTimeChart, LatencyChart, TokenUsageChart, toTimePoints } from './Charts';

describe('charts', () => {
  it('token usage: one stacked area per token bucket over time', () => {
    const { container } = render(<TokenUsageChart rows={timeRows()} hourly width={640} height={260} />);
    expect(screen.getByTestId('token-usage-chart')).toBeInTheDocument();
    expect(container.querySelectorAll('.recharts-area').length).toBe(5);
    for (const name of ['Input', 'Cache read', 'Output', 'Reasoning']) expect(screen.getByText(name)).toBeInTheDocument();
  });

  it('orders time buckets and sums cache writes', () => {
    const rows = timeRows().reverse();
    const pts = toTimePoints(rows, true);
    expect(pts.map((p) => p.input)).toEqual([1000, 2000, 3000, 4000]);
    expect(pts[3]?.reasoning).toBe(300);
  });

  it('cost by model: a bar per priced model; unpriced models are called out, not drawn as $0', () => {
    const { container } = render(<CostByKeyChart rows={costRows()} width={640} height={200} />);
    expect(container.querySelectorAll('.recharts-bar-rectangle').length).toBe(2);
    const unpriced = screen.getByTestId('unpriced-row');
    expect(within(unpriced).getByText('llama-3.3-70b-instruct')).toBeInTheDocument();
    expect(within(unpriced).getByText('unpriced')).toBeInTheDocument();
    expect(within(unpriced).getByText('5 spans without a price')).toBeInTheDocument();
    expect(unpriced.textContent).not.toMatch(/\$0/);
  });

  it('cost by model: says so when nothing was priced', () => {
    render(<CostByKeyChart rows={costRows().filter((r) => r.cost_usd === null)} width={640} height={200} />);
    expect(screen.getByText('No priced spans in this range.')).toBeInTheDocument();
  });

  it('cost over time: one bar per bucket', () => {
    const { container } = render(<CostOverTimeChart rows={timeRows()} hourly width={640} height={240} />);
    expect(container.querySelectorAll('.recharts-bar-rectangle').length).toBe(4);
  });

  it('latency: p50, p95 and p99 per group', () => {
    const { container } = render(<LatencyChart rows={perfRows()} width={640} height={280} />);
    expect(container.querySelectorAll('.recharts-bar-rectangle').length).toBe(6);
    expect(screen.getByText('LLM call')).toBeInTheDocument();
    expect(screen.getByText('p95')).toBeInTheDocument();
  });
});
