import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { ApiError, apiGet, type QueryParams } from './client';
import type {
  Chain,
  CostGroup,
  Costs,
  ErrorStats,
  Health,
  Page,
  PerfGroup,
  Performance,
  Session,
  Span,
  Summary,
  Trace,
  Waterfall,
} from './types';
import type { RangeKey } from '../store/ui';

/** Retries network trouble and 5xx twice; a 4xx will not get better. */
export function shouldRetry(failures: number, err: unknown): boolean {
  if (err instanceof ApiError && err.status >= 400 && err.status < 500) return false;
  return failures < 2;
}

/** The time bucket that suits a range on a chart. */
export function bucketFor(range: RangeKey): CostGroup {
  return range === '7d' || range === '30d' ? 'day' : 'hour';
}

export function useHealth() {
  return useQuery({
    queryKey: ['health'],
    queryFn: ({ signal }) => apiGet<Health>('/health', undefined, signal),
    refetchInterval: 15_000,
    retry: false,
  });
}

/** Totals of the last `range` and their change against the period before it. */
export function useSummary(range: RangeKey) {
  return useQuery({
    queryKey: ['summary', range],
    queryFn: ({ signal }) => apiGet<Summary>('/metrics/summary', { from: range }, signal),
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
  });
}

export function useCosts(range: RangeKey, groupBy: CostGroup) {
  return useQuery({
    queryKey: ['costs', range, groupBy],
    queryFn: ({ signal }) => apiGet<Costs>('/metrics/costs', { from: range, group_by: groupBy }, signal),
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
}

export function usePerformance(range: RangeKey, groupBy: PerfGroup) {
  return useQuery({
    queryKey: ['performance', range, groupBy],
    queryFn: ({ signal }) => apiGet<Performance>('/metrics/performance', { from: range, group_by: groupBy }, signal),
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
}

export function useErrorStats(range: RangeKey) {
  return useQuery({
    queryKey: ['errors', range],
    queryFn: ({ signal }) => apiGet<ErrorStats>('/metrics/errors', { from: range, limit: 8 }, signal),
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
}

export interface SessionFilters {
  q?: string;
  agent?: string;
  active?: boolean;
  from?: string;
}

export function useSessions(filters: SessionFilters, limit = 25) {
  return useInfiniteQuery({
    queryKey: ['sessions', filters, limit],
    queryFn: ({ signal, pageParam }) =>
      apiGet<Page<Session>>('/sessions', { ...filters, limit, cursor: pageParam } as QueryParams, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function useSession(id: string) {
  return useQuery({
    queryKey: ['session', id],
    queryFn: ({ signal }) => apiGet<Session>(`/sessions/${encodeURIComponent(id)}`, undefined, signal),
  });
}

export function useSessionTraces(id: string) {
  return useInfiniteQuery({
    queryKey: ['session-traces', id],
    queryFn: ({ signal, pageParam }) =>
      apiGet<Page<Trace>>(`/sessions/${encodeURIComponent(id)}/traces`, { limit: 50, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useTraces(params: QueryParams, limit = 50) {
  return useInfiniteQuery({
    queryKey: ['traces', params, limit],
    queryFn: ({ signal, pageParam }) => apiGet<Page<Trace>>('/traces', { ...params, limit, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function useTrace(id: string) {
  return useQuery({
    queryKey: ['trace', id],
    queryFn: ({ signal }) => apiGet<Trace>(`/traces/${id}`, undefined, signal),
  });
}

export function useWaterfall(id: string) {
  return useQuery({
    queryKey: ['waterfall', id],
    queryFn: async ({ signal }) => {
      const w = await apiGet<Waterfall>(`/traces/${id}/waterfall`, undefined, signal);
      // User Timing marks, read by the 100k-span benchmark (e2e/bench.mjs).
      performance.mark('agenttrace:waterfall-data', { detail: { rows: w.rows.length } });
      return w;
    },
    staleTime: 60_000,
    // Rows are replaced whole; deep-comparing 100k rows on every refetch costs more than it saves.
    structuralSharing: false,
  });
}

export function useChain(id: string, enabled: boolean) {
  return useQuery({
    queryKey: ['chain', id],
    queryFn: ({ signal }) => apiGet<Chain>(`/traces/${id}/chain`, undefined, signal),
    enabled,
    staleTime: 60_000,
  });
}

export function useSpan(traceId: string, spanId: string | null) {
  return useQuery({
    queryKey: ['span', traceId, spanId],
    queryFn: ({ signal }) => apiGet<Span>(`/spans/${traceId}/${spanId ?? ''}`, undefined, signal),
    enabled: spanId !== null,
  });
}

/** Distinct agent names and models seen recently, for filter suggestions. */
export function useFilterSuggestions(range: RangeKey) {
  const agents = useCosts(range, 'agent');
  const models = useCosts(range, 'model');
  return {
    agents: (agents.data?.rows ?? []).map((r) => r.key).filter((k) => k !== ''),
    models: (models.data?.rows ?? []).map((r) => r.key).filter((k) => k !== ''),
  };
}
