import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { EMPTY_FILTERS, filtersFromSearch, filtersToParams, filtersToSearch, validateFilters } from '../lib/traceFilters';
import { toSearch } from '../api/client';
import { TraceFilters } from './TraceFilters';

describe('trace filter values', () => {
  it('map to the API parameters, leaving out empty ones', () => {
    const f = { ...EMPTY_FILTERS, q: ' refund ', agent: 'support-bot', status: 'error', min_cost: '0.05', min_duration: '1.5s', from: '24h' };
    expect(filtersToParams(f)).toEqual({ q: 'refund', agent: 'support-bot', status: 'error', min_cost: '0.05', min_duration: '1.5s', from: '24h' });
    expect(toSearch(filtersToParams(f))).toBe('?q=refund&agent=support-bot&status=error&min_cost=0.05&min_duration=1.5s&from=24h');
  });

  it('round-trip through the URL', () => {
    const f = { ...EMPTY_FILTERS, model: 'gpt-4o', session: 'sess-1' };
    expect(filtersFromSearch(filtersToSearch(f))).toEqual(f);
  });

  it('catch what the API would reject', () => {
    expect(validateFilters({ ...EMPTY_FILTERS, min_cost: '-1', min_duration: '5 seconds' })).toEqual({
      min_cost: expect.any(String),
      min_duration: expect.any(String),
    });
    expect(validateFilters({ ...EMPTY_FILTERS, min_cost: '0', min_duration: '1m30s' })).toEqual({});
  });
});

describe('TraceFilters', () => {
  it('applies the filters on submit', async () => {
    const onChange = vi.fn();
    render(<TraceFilters value={EMPTY_FILTERS} onChange={onChange} agents={['support-bot']} models={['gpt-4o']} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('searchbox', { name: 'Search text' }), 'invoice');
    await user.type(screen.getByLabelText('Agent'), 'support-bot');
    await user.selectOptions(screen.getByLabelText('Status'), 'error');
    await user.type(screen.getByLabelText('Min duration'), '2s');
    expect(onChange).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(filtersToParams(onChange.mock.calls[0]?.[0] as typeof EMPTY_FILTERS)).toEqual({ q: 'invoice', agent: 'support-bot', status: 'error', min_duration: '2s' });
  });

  it('shows an error for a bad value and does not search', async () => {
    const onChange = vi.fn();
    render(<TraceFilters value={EMPTY_FILTERS} onChange={onChange} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Min cost (USD)'), 'lots');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent(/non-negative number/);
  });

  it('clears active filters', () => {
    const onChange = vi.fn();
    render(<TraceFilters value={{ ...EMPTY_FILTERS, status: 'error' }} onChange={onChange} />);
    fireEvent.click(screen.getByRole('button', { name: /Clear/ }));
    expect(onChange).toHaveBeenCalledWith(EMPTY_FILTERS);
  });
});
