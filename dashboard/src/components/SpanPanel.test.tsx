import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { span } from '../test/fixtures';
import { SpanDetail } from './SpanPanel';
import { TextBlock } from './TextBlock';

const XSS = '<script>alert(1)</script>';

describe('span text is rendered as text, never as HTML', () => {
  it('a prompt containing <script> shows the markup literally', () => {
    (window as unknown as { __xss?: number }).__xss = 0;
    const evil = `Summarize this page: ${XSS}<img src=x onerror="window.__xss=1"><b>bold?</b>`;
    const { container } = render(<SpanDetail span={span({ prompt: evil, response: `<iframe src="javascript:alert(2)"></iframe>` })} />);
    const prompt = screen.getByTestId('span-prompt');
    expect(prompt.textContent).toBe(evil);
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('iframe')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(prompt.innerHTML).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((window as unknown as { __xss?: number }).__xss).toBe(0);
    expect(screen.getByTestId('span-response').textContent).toBe('<iframe src="javascript:alert(2)"></iframe>');
  });

  it('tool input and output too, with JSON pretty-printed', () => {
    const { container } = render(
      <SpanDetail
        span={span({
          type: 'tool_execution',
          prompt: undefined,
          response: undefined,
          tool: { name: 'web_search', call_id: 'call_1', input: `{"query":"${XSS.replace(/"/g, '\\"')}","top_k":3}`, output: XSS, success: true },
        })}
      />,
    );
    expect(screen.getByTestId('tool-input').textContent).toBe(`{\n  "query": "${XSS}",\n  "top_k": 3\n}`);
    expect(screen.getByTestId('tool-output').textContent).toBe(XSS);
    expect(container.querySelector('script')).toBeNull();
  });

  it('a text block keeps non-JSON text as written', () => {
    render(<TextBlock label="x" text={'{not json}'} testId="tb" />);
    expect(screen.getByTestId('tb').textContent).toBe('{not json}');
  });
});

describe('SpanDetail', () => {
  it('shows model, parameters, tokens by bucket and the cost breakdown', () => {
    render(<SpanDetail span={span()} />);
    expect(screen.getByText('gpt-4o', { selector: 'strong' })).toBeInTheDocument();
    const params = screen.getByTestId('span-params');
    expect(params).toHaveTextContent('temperature 0.2');
    expect(params).toHaveTextContent('max tokens 1,024');
    expect(params).toHaveTextContent('thinking off');
    const tokens = screen.getByTestId('span-tokens');
    expect(within(tokens).getByText('Input (uncached)')).toBeInTheDocument();
    expect(within(tokens).getByText('Cache read')).toBeInTheDocument();
    expect(within(tokens).getByTestId('span-tokens-total')).toHaveTextContent('1,700');
    const cost = screen.getByTestId('span-cost');
    expect(within(cost).getByTestId('span-cost-total')).toHaveTextContent('$0.004625');
    expect(within(cost).getByText('Output')).toBeInTheDocument();
    expect(within(cost).getByText('openai/gpt-4o')).toBeInTheDocument();
  });

  it('calls an unpriced model unpriced, not $0', () => {
    render(
      <SpanDetail
        span={span({
          model: 'llama-local',
          cost_usd: null,
          cost: { total_usd: null, input_usd: null, cache_read_usd: null, cache_write_usd: null, output_usd: null, reasoning_usd: null, status: 'unpriced', reported_usd: null },
        })}
      />,
    );
    const cost = screen.getByTestId('span-cost');
    expect(within(cost).getByTestId('span-cost-unpriced')).toHaveTextContent(/Unpriced/);
    expect(within(cost).queryByTestId('span-cost-total')).toBeNull();
    expect(cost.textContent).not.toMatch(/\$0\.\d/);
  });

  it('shows the error of a failed span', () => {
    render(<SpanDetail span={span({ status: 'error', status_message: 'Rate limit reached', error_code: 'RateLimitError' })} />);
    expect(screen.getByText(/Rate limit reached/)).toBeInTheDocument();
    expect(screen.getByText('RateLimitError:')).toBeInTheDocument();
  });
});
