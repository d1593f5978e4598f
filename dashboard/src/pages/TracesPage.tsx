import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { useFilterSuggestions, useTraces } from '../api/queries';
import { Card } from '../components/Card';
import { PageHeader } from '../components/Layout';
import { EmptyState, ErrorState, FirstSpanGuide, LoadingState } from '../components/States';
import { TracesTable } from '../components/Tables';
import { TraceFilters } from '../components/TraceFilters';
import { activeFilterCount, filtersFromSearch, filtersToParams, filtersToSearch } from '../lib/traceFilters';
import { LoadMore } from './SessionsPage';

export function TracesPage() {
  const [sp, setSp] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(sp), [sp]);
  const params = useMemo(() => filtersToParams(filters), [filters]);
  const traces = useTraces(params);
  const suggestions = useFilterSuggestions('30d');
  const items = traces.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = activeFilterCount(filters) > 0;

  return (
    <div className="page" data-testid="page-traces">
      <PageHeader title="Traces" subtitle="Search every agent run by text, agent, model, status, cost and duration" />
      <TraceFilters value={filters} onChange={(f) => setSp(filtersToSearch(f))} agents={suggestions.agents} models={suggestions.models} />
      <Card>
        {traces.isPending ? (
          <LoadingState rows={10} />
        ) : traces.isError ? (
          <ErrorState error={traces.error} onRetry={() => void traces.refetch()} title="Search failed" />
        ) : items.length === 0 ? (
          filtered ? <EmptyState title="No traces match these filters">Widen the time range or clear a filter.</EmptyState> : <FirstSpanGuide />
        ) : (
          <>
            <div className={traces.isFetching && !traces.isFetchingNextPage ? 'refetching' : ''}>
              <TracesTable traces={items} />
            </div>
            <LoadMore hasNext={traces.hasNextPage} loading={traces.isFetchingNextPage} onClick={() => void traces.fetchNextPage()} />
          </>
        )}
      </Card>
    </div>
  );
}
