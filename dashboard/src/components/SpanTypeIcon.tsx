import { spanTypeStyle } from '../lib/spanTypes';

/** The span type's icon on a tinted tile, in the type's color. */
export function SpanTypeIcon({ type, size = 16 }: { type: string; size?: number }) {
  const { icon: Icon, color, label } = spanTypeStyle(type);
  const box = size + 8;
  return (
    <span
      className="type-icon"
      style={{ width: box, height: box, color, background: `${color}22`, borderColor: `${color}44` }}
      title={label}
      aria-label={label}
      role="img"
      data-span-type={type}
    >
      <Icon size={size} strokeWidth={2} aria-hidden />
    </span>
  );
}

/** Icon and label, for tables and legends. */
export function SpanTypeLabel({ type }: { type: string }) {
  const { label, color } = spanTypeStyle(type);
  return (
    <span className="type-label">
      <SpanTypeIcon type={type} size={13} />
      <span style={{ color }}>{label}</span>
    </span>
  );
}
