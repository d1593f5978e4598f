import { QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeQueryClient, AppRoutes } from './App';
import { useUI } from './store/ui';
import { tokens } from './test/fixtures';

const zero = { spans: 0, traces: 0, sessions: 0, llm_calls: 0, tool_calls: 0, errors: 0, error_rate: null, tokens: tokens(0, 0), cost_usd: 0, unpriced_spans: 0, latency_p50_ms: null, latency_p95_ms: null };
const noChange = { delta: null, percent: null };
const win = { from_unix_nano: 0, to_unix_nano: 1, from: '', to: '' };

function respond(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

function emptyAPI(url: string) {
  const path = new URL(url, 'http://x').pathname;
  if (path === '/api/v1/metrics/summary') {
    return respond(200, {
      window: win,
      previous_window: win,
      current: zero,
      previous: zero,
      change: Object.fromEntries(['spans', 'traces', 'sessions', 'llm_calls', 'tool_calls', 'errors', 'error_rate', 'tokens_total', 'cost_usd', 'latency_p50_ms', 'latency_p95_ms'].map((k) => [k, noChange])),
    });
  }
  if (path === '/api/v1/metrics/costs') return respond(200, { window: win, group_by: 'hour', rows: [] });
  if (path === '/api/v1/health') return respond(200, { status: 'ok', version: '0.1.0', storage: 'ok', time: '' });
  return respond(200, { items: [], next_cursor: null });
}

function renderAt(path: string) {
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  useUI.setState({ apiKey: '' });
});

describe('App', () => {
  it('tells a new user how to send the first span', async () => {
    vi.stubGlobal('fetch', vi.fn((url: string) => emptyAPI(url)));
    renderAt('/');
    expect(await screen.findByTestId('first-span-guide', undefined, { timeout: 8000 })).toHaveTextContent('curl -X POST http://127.0.0.1:4321/v1/spans');
    expect(await screen.findByText('No tokens in this range.', undefined, { timeout: 8000 })).toBeInTheDocument();
  }, 15_000);

  it('shows the first-span guide on an empty trace list', async () => {
    vi.stubGlobal('fetch', vi.fn((url: string) => emptyAPI(url)));
    renderAt('/traces');
    expect(await screen.findByTestId('first-span-guide')).toBeInTheDocument();
  });

  it('sends the URL filters to the API and the key as a bearer token', async () => {
    useUI.setState({ apiKey: 'k'.repeat(20) });
    const fetchMock = vi.fn((url: string) => emptyAPI(url));
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/traces?status=error&min_duration=2s&q=refund');
    expect(await screen.findByText('No traces match these filters')).toBeInTheDocument();
    const call = fetchMock.mock.calls.map((c) => c as unknown as [string, RequestInit]).find(([u]) => u.startsWith('/api/v1/traces?'));
    expect(call?.[0]).toBe('/api/v1/traces?q=refund&status=error&min_duration=2s&limit=50');
    expect((call?.[1].headers as Record<string, string>).Authorization).toBe(`Bearer ${'k'.repeat(20)}`);
  });

  it('explains an API key error', async () => {
    vi.stubGlobal('fetch', vi.fn(() => respond(401, { error: { code: 'unauthorized', message: 'an API key is required' } })));
    renderAt('/sessions');
    expect(await screen.findByText('The API needs a valid key')).toBeInTheDocument();
    expect(screen.getByText('an API key is required')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Set API key/ })).toHaveAttribute('href', '/settings');
  });

  it('says when the API cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))));
    renderAt('/traces/0123456789abcdef0123456789abcdef');
    expect((await screen.findAllByText(/Cannot reach the AgentTrace API/, undefined, { timeout: 8000 })).length).toBeGreaterThan(0);
  }, 15_000);

  it('shows an error state, not a blank page, when an answer has an unexpected shape', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.stubGlobal('fetch', vi.fn(() => respond(200, {})));
    renderAt('/');
    expect(await screen.findByText('This page failed to render', undefined, { timeout: 8000 })).toBeInTheDocument();
  }, 15_000);

  it('tests a key before saving it, then saves it', async () => {
    const fetchMock = vi.fn((url: string) => emptyAPI(url));
    vi.stubGlobal('fetch', fetchMock);
    renderAt('/settings');
    const key = 'secret-key-0123456789';
    fireEvent.change(await screen.findByLabelText('API key'), { target: { value: key } });
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByText('The API accepted this key.')).toBeInTheDocument();
    const tested = fetchMock.mock.calls.map((c) => c as unknown as [string, RequestInit]).find(([u]) => u.startsWith('/api/v1/sessions?limit=1'));
    expect((tested?.[1].headers as Record<string, string>).Authorization).toBe(`Bearer ${key}`);
    expect(useUI.getState().apiKey).toBe('');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(useUI.getState().apiKey).toBe(key);
  });
});
