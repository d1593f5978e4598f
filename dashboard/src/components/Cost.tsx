import { formatUSD, formatUSDExact } from '../lib/format';

/**
 * A cost in USD. null means unpriced (the model has no price in the
 * catalog): it is called out, never shown as $0. When the thing costed had
 * no tokens at all (`hasTokens` false), a null cost is simply absent.
 */
export function Cost({ usd, hasTokens = true, exact = false }: { usd: number | null | undefined; hasTokens?: boolean; exact?: boolean }) {
  if (usd === null || usd === undefined) {
    if (!hasTokens) return <span className="muted">—</span>;
    return (
      <span className="unpriced" title="No price for this model in the pricing catalog">
        unpriced
      </span>
    );
  }
  if (usd === 0 && !hasTokens) return <span className="muted">—</span>;
  return <span className="cost">{exact ? formatUSDExact(usd) : formatUSD(usd)}</span>;
}
