import type { QueryParams } from '../api/client';
import { STATUSES } from '../api/types';

/** The trace search filters, named as the API's GET /api/v1/traces parameters. */
export interface TraceFilterValues {
  q: string;
  agent: string;
  model: string;
  status: string;
  session: string;
  min_cost: string;
  min_duration: string;
  from: string;
}

export const FILTER_KEYS: ReadonlyArray<keyof TraceFilterValues> = ['q', 'agent', 'model', 'status', 'session', 'min_cost', 'min_duration', 'from'];

export const EMPTY_FILTERS: TraceFilterValues = { q: '', agent: '', model: '', status: '', session: '', min_cost: '', min_duration: '', from: '' };

export const FROM_OPTIONS: ReadonlyArray<[string, string]> = [
  ['', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

export function filtersFromSearch(sp: URLSearchParams): TraceFilterValues {
  const f = { ...EMPTY_FILTERS };
  for (const k of FILTER_KEYS) f[k] = sp.get(k) ?? '';
  return f;
}

/** Only the filters that are set, trimmed; for the URL and the API alike. */
export function filtersToParams(f: TraceFilterValues): QueryParams {
  const out: QueryParams = {};
  for (const k of FILTER_KEYS) {
    const v = f[k].trim();
    if (v !== '') out[k] = v;
  }
  return out;
}

export function filtersToSearch(f: TraceFilterValues): URLSearchParams {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(filtersToParams(f))) sp.set(k, String(v));
  return sp;
}

export function activeFilterCount(f: TraceFilterValues): number {
  return Object.keys(filtersToParams(f)).length;
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** Problems the API would reject, caught before the request, by field. */
export function validateFilters(f: TraceFilterValues): Partial<Record<keyof TraceFilterValues, string>> {
  const errs: Partial<Record<keyof TraceFilterValues, string>> = {};
  const cost = f.min_cost.trim();
  if (cost !== '' && !(Number.isFinite(Number(cost)) && Number(cost) >= 0)) errs.min_cost = 'A non-negative number of USD, e.g. 0.05';
  const dur = f.min_duration.trim();
  if (dur !== '' && !DURATION.test(dur)) errs.min_duration = 'A duration such as 250ms, 1.5s or 2m';
  const status = f.status.trim();
  if (status !== '' && !(STATUSES as readonly string[]).includes(status)) errs.status = 'Unknown status';
  for (const k of ['q', 'agent', 'model', 'session'] as const) {
    if (f[k].length > 256) errs[k] = 'At most 256 characters';
  }
  return errs;
}
