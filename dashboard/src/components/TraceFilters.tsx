import { Search, X } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { STATUSES } from '../api/types';
import { activeFilterCount, EMPTY_FILTERS, FROM_OPTIONS, validateFilters, type TraceFilterValues } from '../lib/traceFilters';

/**
 * The trace search form. It edits a draft and applies it on submit, so the
 * API is queried once per search, not per keystroke.
 */
export function TraceFilters({
  value,
  onChange,
  agents = [],
  models = [],
}: {
  value: TraceFilterValues;
  onChange: (f: TraceFilterValues) => void;
  agents?: readonly string[];
  models?: readonly string[];
}) {
  const [draft, setDraft] = useState<TraceFilterValues>(value);
  const [showErrors, setShowErrors] = useState(false);
  useEffect(() => setDraft(value), [value]);
  const errors = validateFilters(draft);
  const id = useId();
  const set = (k: keyof TraceFilterValues) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (Object.keys(errors).length > 0) {
      setShowErrors(true);
      return;
    }
    setShowErrors(false);
    onChange(draft);
  };
  const err = (k: keyof TraceFilterValues) => (showErrors ? errors[k] : undefined);

  return (
    <form className="filters card" onSubmit={submit} role="search" aria-label="Trace filters" data-testid="trace-filters">
      <div className="filters-main">
        <label className="input-icon grow">
          <Search size={15} aria-hidden />
          <input
            type="search"
            name="q"
            placeholder="Search span names, prompts, responses, tool input/output…"
            value={draft.q}
            onChange={(e) => set('q')(e.target.value)}
            aria-label="Search text"
          />
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
        {activeFilterCount(value) > 0 && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              setDraft(EMPTY_FILTERS);
              onChange(EMPTY_FILTERS);
            }}
          >
            <X size={14} /> Clear
          </button>
        )}
      </div>
      <div className="filters-grid">
        <Field label="Agent" error={err('agent')}>
          <input name="agent" list={`${id}-agents`} value={draft.agent} onChange={(e) => set('agent')(e.target.value)} placeholder="any" />
          <datalist id={`${id}-agents`}>
            {agents.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </Field>
        <Field label="Model" error={err('model')}>
          <input name="model" list={`${id}-models`} value={draft.model} onChange={(e) => set('model')(e.target.value)} placeholder="any" />
          <datalist id={`${id}-models`}>
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </Field>
        <Field label="Status" error={err('status')}>
          <select name="status" value={draft.status} onChange={(e) => set('status')(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Session" error={err('session')}>
          <input name="session" value={draft.session} onChange={(e) => set('session')(e.target.value)} placeholder="session id" />
        </Field>
        <Field label="Min cost (USD)" error={err('min_cost')}>
          <input name="min_cost" inputMode="decimal" value={draft.min_cost} onChange={(e) => set('min_cost')(e.target.value)} placeholder="0.01" />
        </Field>
        <Field label="Min duration" error={err('min_duration')}>
          <input name="min_duration" value={draft.min_duration} onChange={(e) => set('min_duration')(e.target.value)} placeholder="2s" />
        </Field>
        <Field label="Time">
          <select name="from" value={draft.from} onChange={(e) => set('from')(e.target.value)}>
            {FROM_OPTIONS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </Field>
      </div>
    </form>
  );
}

function Field({ label, error, children }: { label: string; error?: string | undefined; children: ReactNode }) {
  return (
    <label className={`field${error ? ' has-error' : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}
