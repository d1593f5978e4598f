import { ArrowDownRight, ArrowUpRight, Minus } from 'lucide-react';
import type { ReactNode } from 'react';
import { formatChange } from '../lib/format';

export function Card({ title, actions, children, className = '', testId }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`card ${className}`} data-testid={testId}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2 className="card-title">{title}</h2>}
          <span className="spacer" />
          {actions}
        </header>
      )}
      {children}
    </section>
  );
}

/** Whether an increase is good, bad or neither, to color the change. */
export type Polarity = 'up-good' | 'up-bad' | 'neutral';

export function ChangeBadge({ percent, polarity, suffix }: { percent: number | null; polarity: Polarity; suffix?: string }) {
  const text = formatChange(percent);
  if (text === null) return <span className="change change-none">no data before</span>;
  const dir = percent === null || Math.abs(percent) < 0.05 ? 0 : percent > 0 ? 1 : -1;
  const tone = dir === 0 || polarity === 'neutral' ? 'neutral' : (dir > 0) === (polarity === 'up-good') ? 'good' : 'bad';
  const Icon = dir > 0 ? ArrowUpRight : dir < 0 ? ArrowDownRight : Minus;
  return (
    <span className={`change change-${tone}`}>
      <Icon size={13} aria-hidden />
      {text}
      {suffix && <span className="change-suffix"> {suffix}</span>}
    </span>
  );
}

export function StatCard({
  label,
  value,
  icon,
  percent,
  polarity,
  hint,
  testId,
}: {
  label: string;
  value: ReactNode;
  icon?: ReactNode;
  percent?: number | null;
  polarity?: Polarity;
  hint?: ReactNode;
  testId?: string;
}) {
  return (
    <section className="card stat" data-testid={testId}>
      <div className="stat-label">
        {icon}
        {label}
      </div>
      <div className="stat-value">{value}</div>
      <div className="stat-foot">
        {percent !== undefined && <ChangeBadge percent={percent} polarity={polarity ?? 'neutral'} suffix="vs prev. 24 h" />}
        {hint && <span className="muted small">{hint}</span>}
      </div>
    </section>
  );
}

/** A label/value list for detail panels. */
export function KeyValues({ items }: { items: Array<[string, ReactNode] | null | false | undefined> }) {
  const shown = items.filter((i): i is [string, ReactNode] => Array.isArray(i));
  return (
    <dl className="kv">
      {shown.map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
