const LABELS: Record<string, string> = {
  ok: 'OK',
  error: 'Error',
  running: 'Running',
  cancelled: 'Cancelled',
  timeout: 'Timeout',
};

export function StatusBadge({ status }: { status: string }) {
  const known = status in LABELS;
  return (
    <span className={`status status-${known ? status : 'unknown'}`} data-status={status}>
      <span className="status-dot" aria-hidden />
      {LABELS[status] ?? (status || 'unknown')}
    </span>
  );
}
