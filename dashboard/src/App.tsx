import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { BrowserRouter, Route, Routes, useLocation } from 'react-router';
import { shouldRetry } from './api/queries';
import { ErrorBoundary } from './components/ErrorBoundary';
import { AppShell } from './components/Layout';
import { EmptyState, LoadingState } from './components/States';
import { LivePage } from './pages/LivePage';
import { SessionDetailPage, SessionsPage } from './pages/SessionsPage';
import { SettingsPage } from './pages/SettingsPage';
import { TraceDetailPage } from './pages/TraceDetailPage';
import { TracesPage } from './pages/TracesPage';
import { useResolvedTheme } from './store/theme';

// The chart pages load Recharts; splitting them off keeps the trace pages' bundle small.
const OverviewPage = lazy(() => import('./pages/OverviewPage').then((m) => ({ default: m.OverviewPage })));
const CostsPage = lazy(() => import('./pages/CostsPage').then((m) => ({ default: m.CostsPage })));
const PerformancePage = lazy(() => import('./pages/PerformancePage').then((m) => ({ default: m.PerformancePage })));

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: shouldRetry,
      },
    },
  });
}

/** Applies the resolved theme to <html data-theme>. */
function ThemeRoot({ children }: { children: ReactNode }) {
  const theme = useResolvedTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return <>{children}</>;
}

export function AppRoutes() {
  const { pathname } = useLocation();
  return (
    <ErrorBoundary resetKey={pathname}>
      <Suspense
        fallback={
          <div className="page">
            <LoadingState rows={8} />
          </div>
        }
      >
        <Routes>
          <Route path="/" element={<OverviewPage />} />
          <Route path="/sessions" element={<SessionsPage />} />
          <Route path="/sessions/:sessionId" element={<SessionDetailPage />} />
          <Route path="/traces" element={<TracesPage />} />
          <Route path="/traces/:traceId" element={<TraceDetailPage />} />
          <Route path="/costs" element={<CostsPage />} />
          <Route path="/performance" element={<PerformancePage />} />
          <Route path="/live" element={<LivePage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route
            path="*"
            element={
              <div className="page">
                <EmptyState title="Page not found">There is nothing at this address.</EmptyState>
              </div>
            }
          />
        </Routes>
      </Suspense>
    </ErrorBoundary>
  );
}

export function App() {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <ThemeRoot>
        <BrowserRouter>
          <AppShell>
            <AppRoutes />
          </AppShell>
        </BrowserRouter>
      </ThemeRoot>
    </QueryClientProvider>
  );
}
