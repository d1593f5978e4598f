import { TriangleAlert } from 'lucide-react';

const FLAG_TEXT: Record<string, { label: string; hint: string }> = {
  loop: { label: 'Loop', hint: 'The same tool was called with the same arguments repeatedly' },
  cost_budget: { label: 'Cost budget', hint: 'Spend passed the configured cost budget' },
  token_budget: { label: 'Token budget', hint: 'Tokens passed the configured token budget' },
  error_cascade: { label: 'Error cascade', hint: 'A failure was followed by repeated failing retries' },
  context_growth: { label: 'Context growth', hint: 'The prompt grew quickly from step to step' },
};

export function flagLabel(flag: string): string {
  return FLAG_TEXT[flag]?.label ?? flag.replace(/_/g, ' ');
}

/** Anomaly flags as warning chips. */
export function Flags({ flags, compact = false }: { flags: readonly string[]; compact?: boolean }) {
  if (flags.length === 0) return null;
  return (
    <span className="flags">
      {flags.map((f) => (
        <span key={f} className="flag" title={FLAG_TEXT[f]?.hint ?? f} data-flag={f}>
          <TriangleAlert size={compact ? 11 : 12} aria-hidden />
          {!compact && flagLabel(f)}
        </span>
      ))}
    </span>
  );
}
